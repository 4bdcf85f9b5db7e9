package web

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// Limits of the requests that mail a preferences link: per source address
// per minute, and per person (a typed address, or the person a link
// names) per hour.
const (
	prefsLimitIP     = 10
	prefsLimitPerson = 3
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
		if err := decodeJSON(c, &body, extraFields); err != nil {
			return err
		}
		email = body.Email
	} else {
		email = c.FormValue("email")
	}
	if err := s.limit(c, loc, "prefs-ip", s.deps.Keys.Fingerprint("ip", c.IP()), prefsLimitIP, time.Minute); err != nil {
		return err
	}
	if key, ok := s.addressKey(email); ok {
		if err := s.limit(c, loc, "prefs-addr", key, prefsLimitPerson, time.Hour); err != nil {
			return err
		}
	}
	err := s.deps.Preferences.RequestPreferencesLink(c.UserContext(), email)
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
	return s.prefsLinkSent(c, loc)
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
	Action, ExportURL, RevokeURL, Notice string
	StatusText                           string
	Name, Phone, Email                   string
	Marketing                            bool
	Newsletters                          []newsletterChoice
	Errors                               map[string]string
}

func (s *Server) prefsData(loc, token string, v *app.PreferencesView) prefsData {
	return prefsData{
		Action: "/preferences/" + token, ExportURL: "/preferences/" + token + "/export", RevokeURL: "/preferences/" + token + "/revoke",
		StatusText: templates.T(loc, "status."+string(v.Subscriber.Status)),
		Name:       v.Subscriber.Name, Phone: v.Subscriber.Phone, Email: v.Subscriber.Email,
		Marketing: v.Consents[app.PurposeMarketing], Errors: map[string]string{},
		Newsletters: newsletterChoices(v.Newsletters, loc, onIDs(v.On)),
	}
}

func onIDs(on map[int64]bool) []int64 {
	var out []int64
	for id, ok := range on {
		if ok {
			out = append(out, id)
		}
	}
	return out
}

// centreProblem answers a preference-centre route whose link does not
// open the centre: the link of bulk mail (or an old one) gets the page
// that mails a fresh link, a bad link its explanation, and any other
// error goes to the error handler.
func (s *Server) centreProblem(c *fiber.Ctx, loc, token string, err error) error {
	switch {
	case errors.Is(err, app.ErrPreferencesByMail):
		return s.page(c, fiber.StatusOK, "preferences_mail", loc, templates.T(loc, "prefs.mail.title"),
			prefsMailData{Action: "/preferences/" + token})
	case isLinkError(err):
		return s.linkProblem(c, loc, err, "")
	}
	return err
}

type prefsMailData struct {
	Action string
}

// mailPreferencesLink is the button of the page a preferences link of
// bulk mail leads to: a fresh link goes to the address on file. The
// answer is the same whatever the person's state; the limits of
// POST /preferences apply, per source address and per person.
func (s *Server) mailPreferencesLink(c *fiber.Ctx, token string) error {
	loc := locale(c)
	if err := s.limitLinkMail(c, loc, token, app.TokenPreferences); err != nil {
		return err
	}
	if err := s.deps.Preferences.MailPreferencesLink(c.UserContext(), token); err != nil {
		return s.linkError(c, loc, err, "")
	}
	return s.prefsLinkSent(c, loc)
}

// limitLinkMail counts a request that mails a preferences link to the
// person a link of purpose p names, against the limits of
// POST /preferences: per source address, and per person instead of per
// typed address. A link that does not verify is not counted: it is
// refused anyway.
func (s *Server) limitLinkMail(c *fiber.Ctx, loc, token string, p app.TokenPurpose) error {
	if err := s.limit(c, loc, "prefs-ip", s.deps.Keys.Fingerprint("ip", c.IP()), prefsLimitIP, time.Minute); err != nil {
		return err
	}
	t, err := s.deps.Keys.Verify(token, p, time.Now())
	if err != nil {
		return nil
	}
	return s.limit(c, loc, "prefs-sub", s.deps.Keys.Fingerprint("subscriber", strconv.FormatInt(t.SubscriberID, 10)),
		prefsLimitPerson, time.Hour)
}

// prefsLinkSent is the answer to every request for a preferences link.
func (s *Server) prefsLinkSent(c *fiber.Ctx, loc string) error {
	if wantsJSON(c) {
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "link_sent"})
	}
	return s.message(c, fiber.StatusOK, loc, messageData{Heading: templates.T(loc, "prefs.sent.title"),
		Paragraphs: []string{templates.T(loc, "prefs.sent.text")}, Kind: "done"})
}

// openCentre reads the preference centre of the link in the path, and
// the language of its page: ?lang=, else the person's.
func (s *Server) openCentre(c *fiber.Ctx) (token string, v *app.PreferencesView, loc string, err error) {
	token, loc = c.Params("token"), locale(c)
	v, err = s.deps.Preferences.Preferences(c.UserContext(), token)
	if err == nil && c.Query("lang") == "" {
		loc = v.Subscriber.Locale
	}
	return token, v, loc, err
}

// preferencesPage is the preference centre.
func (s *Server) preferencesPage(c *fiber.Ctx) error {
	token, v, loc, err := s.openCentre(c)
	if err != nil {
		return s.centreProblem(c, loc, token, err)
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

// updatePreferences handles the preference centre's forms, and the
// button of the page that mails a fresh link (action "mail").
func (s *Server) updatePreferences(c *fiber.Ctx) error {
	token := c.Params("token")
	ctx := c.UserContext()
	if c.FormValue("action") == "mail" {
		return s.mailPreferencesLink(c, token)
	}
	v, err := s.deps.Preferences.Preferences(ctx, token)
	loc := locale(c)
	if err != nil {
		return s.centreProblem(c, loc, token, err)
	}
	loc = v.Subscriber.Locale
	ev := evidence(c, app.ChannelWeb)
	back := "/preferences/" + token
	switch c.FormValue("action") {
	case "profile":
		in := app.ProfileInput{Name: c.FormValue("name"), Phone: c.FormValue("phone"),
			Marketing: truthy(c.FormValue("marketing")), MarketingText: templates.T(loc, "prefs.marketing"),
			ChoseNewsletters: c.FormValue("newsletters_shown") == "yes"}
		if in.Newsletters, err = formIDs(c, "newsletters"); err != nil {
			return err
		}
		err = s.deps.Preferences.UpdateProfile(ctx, token, in, ev)
		back += "?done=saved"
	case "email":
		// A new address gets a confirmation mail: the limits of the
		// subscription form apply, so a link cannot mail any address at will.
		if err := s.limit(c, loc, "subscribe-ip", s.deps.Keys.Fingerprint("ip", c.IP()), s.opts.LimitIP, time.Minute); err != nil {
			return err
		}
		if key, ok := s.addressKey(c.FormValue("email")); ok {
			if err := s.limit(c, loc, "subscribe-addr", key, s.opts.LimitAddress, time.Hour); err != nil {
				return err
			}
		}
		err = s.deps.Preferences.ChangeEmail(ctx, token, c.FormValue("email"), ev)
		back += "?done=email"
	case "revoke":
		// Revoking erases the person: it is asked for on a page of its own.
		return s.revokeConfirmation(c, loc, token, v)
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

type prefsRevokeData struct {
	Action, Back, Email string
}

// revokeConfirmation is the page that asks whether to revoke consent,
// saying what follows; only its POST revokes.
func (s *Server) revokeConfirmation(c *fiber.Ctx, loc, token string, v *app.PreferencesView) error {
	return s.page(c, fiber.StatusOK, "preferences_revoke", loc, templates.T(loc, "prefs.revoke.confirm.title"),
		prefsRevokeData{Action: "/preferences/" + token + "/revoke", Back: "/preferences/" + token, Email: v.Subscriber.Email})
}

// revokePreferencesPage is the confirmation step of a revocation from the
// preference centre; a GET changes nothing.
func (s *Server) revokePreferencesPage(c *fiber.Ctx) error {
	token, v, loc, err := s.openCentre(c)
	if err != nil {
		return s.centreProblem(c, loc, token, err)
	}
	return s.revokeConfirmation(c, loc, token, v)
}

// revokeFromPreferences revokes consent once the person confirmed it on
// the confirmation page (confirm=yes): every consent is withdrawn, all
// mail stops and the data is erased. Without the confirmation it shows the
// page again and changes nothing.
func (s *Server) revokeFromPreferences(c *fiber.Ctx) error {
	token := c.Params("token")
	ctx := c.UserContext()
	v, err := s.deps.Preferences.Preferences(ctx, token)
	loc := locale(c)
	if err != nil {
		return s.centreProblem(c, loc, token, err)
	}
	loc = v.Subscriber.Locale
	if c.FormValue("confirm") != "yes" {
		return s.revokeConfirmation(c, loc, token, v)
	}
	ev := evidence(c, app.ChannelWeb)
	if err := s.deps.Preferences.Revoke(ctx, token, ev); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"status": "revoked"})
	}
	return s.message(c, fiber.StatusOK, loc, messageData{Heading: templates.T(loc, "prefs.revoked.title"),
		Paragraphs: []string{templates.T(loc, "prefs.revoked.text")}, Kind: "revoked"})
}

// exportMyData downloads everything held about the person as JSON; no
// cache keeps a copy.
func (s *Server) exportMyData(c *fiber.Ctx) error {
	token := c.Params("token")
	x, err := s.deps.Preferences.ExportForToken(c.UserContext(), token)
	if err != nil {
		return s.centreProblem(c, locale(c), token, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="my-data.json"`)
	return c.JSON(x)
}
