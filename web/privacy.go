package web

import (
	"errors"
	"html/template"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

type privacyData struct {
	Body               template.HTML
	Version, Published string
	Versions           []app.PolicyVersion
}

// privacy shows the current policy, or the version named in the path.
func (s *Server) privacy(c *fiber.Ctx) error {
	ctx := c.UserContext()
	loc := locale(c)
	var (
		p   *app.PolicyVersion
		err error
	)
	if v := c.Params("version"); v != "" {
		p, err = s.deps.Policies.Policy(ctx, v)
	} else {
		p, err = s.deps.Policies.CurrentPolicy(ctx)
	}
	if err != nil {
		return err
	}
	body := p.BodyEN
	if loc == "ru" {
		body = p.BodyRU
	}
	body = templates.FillPolicy(body, templates.PolicyValues{OperatorName: s.opts.Operator.Name, OperatorEmail: s.opts.Operator.Email,
		OperatorAddress: s.opts.Operator.Address, SiteURL: s.opts.BaseURL.String(), Version: p.Version})
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"version": p.Version, "published_at": p.PublishedAt, "text": body})
	}
	all, err := s.deps.Policies.ListPolicies(ctx)
	if err != nil {
		return err
	}
	var others []app.PolicyVersion
	for _, v := range all {
		if v.Version != p.Version {
			others = append(others, v)
		}
	}
	return s.page(c, fiber.StatusOK, "privacy", loc, templates.T(loc, "privacy.title"), privacyData{
		Body: templates.RenderPolicy(body), Version: p.Version, Published: p.PublishedAt.Format("2006-01-02"), Versions: others})
}
