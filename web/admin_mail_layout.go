package web

import (
	"context"
	"html"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	appmail "newsletter/app/mail"
	"newsletter/templates"
)

// MailLayouts are the owner's mail layout of each language (app.Layouts).
type MailLayouts interface {
	MailLayouts(ctx context.Context) (app.MailLayouts, error)
	SaveMailLayout(ctx context.Context, actor *app.Admin, l app.MailLayout) (app.MailLayout, error)
}

// mailFrame is the mail layout campaigns are previewed in: the owner's,
// or bare when this process has none.
func (s *Server) mailFrame(ctx context.Context) app.Frame {
	f := app.Frame{Layout: s.deps.Layout}
	if s.deps.MailLayouts == nil || s.deps.Layout == nil {
		return f
	}
	ls, err := s.deps.MailLayouts.MailLayouts(ctx)
	if err != nil {
		s.deps.Log.Error("read the mail layout", "err", err)
		return f
	}
	f.Settings = ls
	return f
}

// mailLayoutData is what the layout page shows.
type mailLayoutData struct {
	Lang    string
	Langs   []string
	Layout  app.MailLayout
	Message string
	Errors  map[string]string
}

// layoutLang is the language of the layout asked for: ?lang or the form's
// lang, else the console's.
func layoutLang(c *fiber.Ctx) string {
	if l := c.FormValue("lang", c.Query("lang")); l == "en" || l == "ru" {
		return l
	}
	return adminLocale(c)
}

// adminMailLayout shows the layout of one language, its form and a
// preview.
func (s *Server) adminMailLayout(c *fiber.Ctx) error {
	lang := layoutLang(c)
	ls, err := s.deps.MailLayouts.MailLayouts(c.UserContext())
	if err != nil {
		return err
	}
	return s.layoutPage(c, fiber.StatusOK, mailLayoutData{Lang: lang, Langs: templates.Locales, Layout: ls.Of(lang)})
}

// layoutPage renders the layout page (its template is admin_mail_layout:
// admin_layout is the console's frame).
func (s *Server) layoutPage(c *fiber.Ctx, status int, d mailLayoutData) error {
	return s.adminPage(c, status, "admin_mail_layout", "layout", templates.T(adminLocale(c), "admin.nav.layout"), d)
}

// adminSaveMailLayout saves the layout of one language (the owner only);
// a refused form comes back with its messages and the input kept.
func (s *Server) adminSaveMailLayout(c *fiber.Ctx) error {
	lang := layoutLang(c)
	in := app.MailLayout{Locale: lang, LogoURL: c.FormValue("logo_url"), BrandColor: c.FormValue("brand_color"),
		BackgroundColor: c.FormValue("background_color"), FooterText: c.FormValue("footer_text")}
	_, serr := s.deps.MailLayouts.SaveMailLayout(c.UserContext(), currentAdmin(c), in)
	if serr == nil {
		return redirectOK(c, "/admin/layout?lang="+lang, "admin.ok.layout_saved")
	}
	status, msg, fields, err := formOutcome(adminLocale(c), serr)
	if err != nil {
		return err
	}
	return s.layoutPage(c, status, mailLayoutData{Lang: lang, Langs: templates.Locales, Layout: in,
		Message: msg, Errors: fields})
}

// adminMailLayoutPreview answers a sample campaign in the saved layout of
// one language, for the preview frame.
func (s *Server) adminMailLayoutPreview(c *fiber.Ctx) error {
	lang := layoutLang(c)
	t := func(k string) string { return html.EscapeString(templates.T(lang, k)) }
	camp := &app.Campaign{Name: "Preview", Subject: templates.T(lang, "admin.layout.sample.subject"), Purpose: app.CampaignMarketing,
		Locale: lang, BodyHTML: "<h1>" + t("admin.layout.sample.subject") + "</h1>\n<p>" + t("admin.layout.sample.greeting") +
			"</p>\n<p>" + t("admin.layout.sample.body") + "</p>\n"}
	tpl, err := app.CompileCampaign(camp, s.opts.Operator, appmail.HTMLToText, s.mailFrame(c.UserContext()))
	if err != nil {
		return err
	}
	base := s.opts.BaseURL.JoinPath("/").String()
	tpl.SetPrivacyURL(base + "privacy")
	m, err := tpl.Render(lang, app.MergeFields{UnsubscribeURL: base + "preferences", PreferencesURL: base + "preferences"})
	if err != nil {
		return err
	}
	return sendPreview(c, m.HTML)
}
