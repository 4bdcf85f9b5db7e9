package web

import (
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// newsletterChoice is one newsletter offered on the form or in the
// preference centre, in the person's language.
type newsletterChoice struct {
	ID          int64
	Name        string
	Description string
	// Marketing newsletters need the consent to advertising; they are
	// never chosen in advance.
	Marketing bool
	Checked   bool
}

// offerNewsletters puts the public newsletters on a form, the ones in
// chosen ticked.
func (s *Server) offerNewsletters(c *fiber.Ctx, f *subscribeForm, loc string, chosen []int64) error {
	if s.deps.Newsletters == nil {
		return nil
	}
	list, err := s.deps.Newsletters.Public(c.UserContext())
	if err != nil {
		return err
	}
	f.Newsletters = newsletterChoices(list, loc, chosen)
	return nil
}

// newsletterChoices shows newsletters in loc, the ones in chosen ticked.
func newsletterChoices(list []app.Newsletter, loc string, chosen []int64) []newsletterChoice {
	out := make([]newsletterChoice, len(list))
	for i, n := range list {
		out[i] = newsletterChoice{ID: n.ID, Name: n.Name, Description: n.Description.In(loc),
			Marketing: n.Purpose == app.CampaignMarketing, Checked: slices.Contains(chosen, n.ID)}
	}
	return out
}

// formIDs reads the ids a form posts under name (one value per ticked
// box); a value that is not an id is the client's error.
func formIDs(c *fiber.Ctx, name string) ([]int64, error) {
	var raw []string
	if form, err := c.MultipartForm(); err == nil && form != nil {
		raw = form.Value[name]
	} else {
		for _, v := range c.Request().PostArgs().PeekMulti(name) {
			raw = append(raw, string(v))
		}
	}
	var out []int64
	for _, v := range raw {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, app.Errorf(app.EINVALID, "The newsletters must be chosen by their ids.")
		}
		out = append(out, id)
	}
	return out, nil
}
