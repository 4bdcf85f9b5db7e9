package web

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// The console's newsletters (owners): the list, each editable in place,
// and a form for a new one.

type newslettersData struct {
	Rows []newsletterForm
	// New is the form of a new newsletter.
	New     newsletterForm
	Message string
	Saved   bool
}

// newsletterForm is one newsletter's form: P prefixes its element ids;
// Errors and Open after a save that failed.
type newsletterForm struct {
	N      app.Newsletter
	P      string
	Errors map[string]string
	Open   bool
}

func (s *Server) newslettersData(c *fiber.Ctx) (newslettersData, error) {
	list, err := s.deps.Newsletters.List(c.UserContext())
	d := newslettersData{New: newsletterForm{N: app.Newsletter{Purpose: app.CampaignMarketing}, P: "new-", Errors: map[string]string{}}}
	for _, n := range list {
		d.Rows = append(d.Rows, newsletterForm{N: n, P: fmt.Sprintf("n%d-", n.ID), Errors: map[string]string{}})
	}
	return d, err
}

// adminNewsletters lists the newsletters.
func (s *Server) adminNewsletters(c *fiber.Ctx) error {
	return showSection(s, c, "newsletters", s.newslettersData)
}

// readNewsletterForm reads the fields of a newsletter's form.
func readNewsletterForm(c *fiber.Ctx) app.NewsletterInput {
	name, purpose, public := c.FormValue("name"), app.CampaignPurpose(c.FormValue("purpose")), c.FormValue("public") == "yes"
	desc := app.NewsletterDescription{EN: c.FormValue("description_en"), RU: c.FormValue("description_ru")}
	return app.NewsletterInput{Name: &name, Description: &desc, Purpose: &purpose, Public: &public}
}

// adminCreateNewsletter makes a newsletter.
func (s *Server) adminCreateNewsletter(c *fiber.Ctx) error {
	in := readNewsletterForm(c)
	_, cerr := s.deps.Newsletters.Create(c.UserContext(), currentAdmin(c), in)
	return s.newsletterSaved(c, 0, in, cerr)
}

// adminSaveNewsletter changes a newsletter.
func (s *Server) adminSaveNewsletter(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	in := readNewsletterForm(c)
	_, cerr := s.deps.Newsletters.Update(c.UserContext(), currentAdmin(c), id, in)
	return s.newsletterSaved(c, id, in, cerr)
}

// newsletterSaved shows the page after a save: the list, or the form with
// what to correct.
func (s *Server) newsletterSaved(c *fiber.Ctx, id int64, in app.NewsletterInput, cerr error) error {
	if app.ErrorCode(cerr) == app.ENOTFOUND {
		return cerr
	}
	status, msg, fields, err := formOutcome(adminLocale(c), cerr)
	if err != nil {
		return err
	}
	d, err := s.newslettersData(c)
	if err != nil {
		return err
	}
	if cerr == nil {
		d.Saved = true
		return s.sectionPage(c, status, "newsletters", d)
	}
	d.Message = msg
	shown := &d.New
	for i := range d.Rows {
		if d.Rows[i].N.ID == id {
			shown = &d.Rows[i]
		}
	}
	shown.Errors, shown.Open = fields, true
	shown.N.Name, shown.N.Description, shown.N.Public = *in.Name, *in.Description, *in.Public
	if !shown.N.Default {
		shown.N.Purpose = *in.Purpose
	}
	return s.sectionPage(c, status, "newsletters", d)
}

// campaignFormPage renders the campaign form with the choice of
// newsletters.
func (s *Server) campaignFormPage(c *fiber.Ctx, status int, title string, d campaignFormData) error {
	if s.deps.Newsletters != nil {
		list, err := s.deps.Newsletters.List(c.UserContext())
		if err != nil {
			return err
		}
		d.Newsletters = newsletterChoices(list, adminLocale(c), d.In.NewsletterIDs)
	}
	return s.adminPage(c, status, "admin_campaign_form", "campaigns", title, d)
}

// formNewsletterIDs reads the newsletters ticked on the campaign form; a
// value that is no id is left out (the form only offers ids).
func formNewsletterIDs(c *fiber.Ctx) []int64 {
	var out []int64
	for _, v := range c.Request().PostArgs().PeekMulti("newsletter_ids") {
		if id, err := strconv.ParseInt(string(v), 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}
