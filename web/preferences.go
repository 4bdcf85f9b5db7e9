package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

type prefsRequestData struct {
	Email, Error string
}

// preferencesRequestPage asks for an address to mail a preferences link to.
func (s *Server) preferencesRequestPage(c *fiber.Ctx) error {
	loc := locale(c)
	return s.page(c, fiber.StatusOK, "preferences_request", loc, templates.T(loc, "prefs.request.title"), prefsRequestData{})
}

// requestPreferencesLink mails a link; the answer is the same for every
// address.
func (s *Server) requestPreferencesLink(c *fiber.Ctx) error {
	loc := locale(c)
	var email string
	if isJSONBody(c) {
		var body struct {
			Email string `json:"email"`
		}
		if err := c.BodyParser(&body); err != nil {
			return app.Errorf(app.EINVALID, "The request body is not valid JSON.")
		}
		email = body.Email
	} else {
		email = c.FormValue("email")
	}
	if err := s.limit(c, loc, "prefs-ip", s.deps.Signer.Fingerprint("ip", c.IP()), 10, time.Minute); err != nil {
		return err
	}
	if key, ok := s.addressKey(email); ok {
		if err := s.limit(c, loc, "prefs-addr", key, 3, time.Hour); err != nil {
			return err
		}
	}
	err := s.deps.Subs.RequestPreferencesLink(c.UserContext(), email)
	if app.ErrorCode(err) == app.EINVALID {
		if wantsJSON(c) {
			return &app.Error{Code: app.EINVALID, Message: app.Message(loc, "form.invalid_fields"),
				Fields: map[string]string{"email": localized(err, loc)}}
		}
		return s.page(c, fiber.StatusUnprocessableEntity, "preferences_request", loc, templates.T(loc, "prefs.request.title"),
			prefsRequestData{Email: email, Error: localized(err, loc)})
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "link_sent"})
	}
	return s.message(c, fiber.StatusOK, loc, messageData{Heading: templates.T(loc, "prefs.sent.title"),
		Paragraphs: []string{templates.T(loc, "prefs.sent.text")}, Kind: "done"})
}

// localized returns a validation error's text in loc.
func localized(err error, loc string) string {
	var fe *app.FieldError
	if errorsAs(err, &fe) {
		return app.Message(loc, fe.Key)
	}
	return app.ErrorMessage(err)
}

type prefsData struct {
	Action, ExportURL, Notice, StatusText string
	Name, Phone, Email                    string
	Marketing                             bool
	Errors                                map[string]string
}

func (s *Server) prefsData(loc, token string, v *app.PreferencesView) prefsData {
	return prefsData{
		Action: "/preferences/" + token, ExportURL: "/preferences/" + token + "/export",
		StatusText: templates.T(loc, "status."+string(v.Subscriber.Status)),
		Name:       v.Subscriber.Name, Phone: v.Subscriber.Phone, Email: v.Subscriber.Email,
		Marketing: v.Consents[app.PurposeMarketing], Errors: map[string]string{},
	}
}

// preferencesPage is the preference centre.
func (s *Server) preferencesPage(c *fiber.Ctx) error {
	token := c.Params("token")
	v, err := s.deps.Subs.Preferences(c.UserContext(), token)
	loc := locale(c)
	if err != nil {
		if isLinkError(err) {
			return s.linkProblem(c, loc, err, "")
		}
		return err
	}
	if c.Query("lang") == "" {
		loc = v.Subscriber.Locale
	}
	d := s.prefsData(loc, token, v)
	switch c.Query("done") {
	case "saved":
		d.Notice = templates.T(loc, "prefs.saved")
	case "email":
		d.Notice = templates.T(loc, "prefs.email.sent")
	}
	return s.page(c, fiber.StatusOK, "preferences", loc, templates.T(loc, "prefs.title"), d)
}

// updatePreferences handles the preference centre's forms.
func (s *Server) updatePreferences(c *fiber.Ctx) error {
	token := c.Params("token")
	ctx := c.UserContext()
	v, err := s.deps.Subs.Preferences(ctx, token)
	loc := locale(c)
	if err != nil {
		if isLinkError(err) {
			return s.linkProblem(c, loc, err, "")
		}
		return err
	}
	loc = v.Subscriber.Locale
	ev := app.Evidence{Channel: app.ChannelWeb, IP: c.IP(), UserAgent: truncate(c.Get(fiber.HeaderUserAgent), 512)}
	back := "/preferences/" + token
	switch c.FormValue("action") {
	case "profile":
		err = s.deps.Subs.UpdateProfile(ctx, token, app.ProfileInput{Name: c.FormValue("name"), Phone: c.FormValue("phone"),
			Marketing: truthy(c.FormValue("marketing")), MarketingText: templates.T(loc, "prefs.marketing")}, ev)
		back += "?done=saved"
	case "email":
		// A new address gets a confirmation mail: the limits of the
		// subscription form apply, so a link cannot mail any address at will.
		if err := s.limit(c, loc, "subscribe-ip", s.deps.Signer.Fingerprint("ip", c.IP()), s.deps.LimitIP, time.Minute); err != nil {
			return err
		}
		if key, ok := s.addressKey(c.FormValue("email")); ok {
			if err := s.limit(c, loc, "subscribe-addr", key, s.deps.LimitAddress, time.Hour); err != nil {
				return err
			}
		}
		err = s.deps.Subs.ChangeEmail(ctx, token, c.FormValue("email"), ev)
		back += "?done=email"
	case "revoke":
		if err := s.deps.Subs.Revoke(ctx, token, ev); err != nil {
			return err
		}
		return s.message(c, fiber.StatusOK, loc, messageData{Heading: templates.T(loc, "prefs.revoked.title"),
			Paragraphs: []string{templates.T(loc, "prefs.revoked.text")}, Kind: "revoked"})
	default:
		return app.Errorf(app.EINVALID, "Unknown action.")
	}
	if app.ErrorCode(err) == app.EINVALID {
		d := s.prefsData(loc, token, v)
		d.Errors = app.ErrorFields(err)
		if c.FormValue("action") == "profile" {
			d.Name, d.Phone = c.FormValue("name"), c.FormValue("phone")
		}
		return s.page(c, fiber.StatusUnprocessableEntity, "preferences", loc, templates.T(loc, "prefs.title"), d)
	}
	if err != nil {
		return err
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// exportMyData downloads everything held about the person as JSON.
func (s *Server) exportMyData(c *fiber.Ctx) error {
	x, err := s.deps.Subs.ExportForToken(c.UserContext(), c.Params("token"))
	if err != nil {
		if isLinkError(err) {
			return s.linkProblem(c, locale(c), err, "")
		}
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="my-data.json"`)
	return c.JSON(x)
}
