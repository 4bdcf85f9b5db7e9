package web

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// subscribeForm is the subscription form's data, as submitted and as shown.
type subscribeForm struct {
	Action, FormID, PageURL, Stamp                          string
	Name, Email, Phone                                      string
	ConsentProcessing, ConsentMarketing, ConsentCrossBorder bool
	CrossBorder                                             bool
	TextProcessing, TextMarketing, TextCrossBorder          string
	// Newsletters are the public newsletters offered, with the person's
	// choice.
	Newsletters []newsletterChoice
	Errors      map[string]string
	Message     string
}

// consentTexts are the exact texts of the checkboxes in a language.
func (s *Server) consentTexts(loc string) app.ConsentTexts {
	op := s.opts.Operator
	return app.ConsentTexts{
		app.PurposeProcessing:  templates.T(loc, "consent.processing", op.Name),
		app.PurposeMarketing:   templates.T(loc, "consent.marketing", op.Name),
		app.PurposeCrossBorder: templates.T(loc, "consent.cross_border", op.SMTPCountry),
	}
}

func (s *Server) newForm(loc string) *subscribeForm {
	texts := s.consentTexts(loc)
	return &subscribeForm{
		Action: "/subscribe", FormID: "default", Stamp: s.deps.Keys.FormStamp(time.Now()),
		CrossBorder:    s.opts.Operator.CrossBorderRequired(),
		TextProcessing: texts[app.PurposeProcessing], TextMarketing: texts[app.PurposeMarketing],
		TextCrossBorder: texts[app.PurposeCrossBorder], Errors: map[string]string{},
	}
}

// subscribePage shows the subscription form.
func (s *Server) subscribePage(c *fiber.Ctx) error {
	loc := locale(c)
	f := s.newForm(loc)
	if err := s.offerNewsletters(c, f, loc, nil); err != nil {
		return err
	}
	if id := c.Query("form"); id != "" && len(id) <= app.MaxFormIDLen {
		f.FormID = id
	}
	f.PageURL = c.Get(fiber.HeaderReferer)
	if len(f.PageURL) > app.MaxPageLen {
		f.PageURL = ""
	}
	return s.page(c, fiber.StatusOK, "subscribe", loc, templates.T(loc, "subscribe.title"), f)
}

// subscribeRequest is the JSON body of POST /subscribe.
type subscribeRequest struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Locale  string `json:"locale"`
	Form    string `json:"form"`
	Page    string `json:"page"`
	Website string `json:"website"`
	// Newsletters are the ids of the newsletters chosen; none: the
	// default newsletter of each consented purpose.
	Newsletters        []int64 `json:"newsletters"`
	ConsentProcessing  any     `json:"consent_processing"`
	ConsentMarketing   any     `json:"consent_marketing"`
	ConsentCrossBorder any     `json:"consent_cross_border"`
}

// decodeSubscribe reads the form or JSON body.
func decodeSubscribe(c *fiber.Ctx) (subscribeRequest, error) {
	var r subscribeRequest
	if isJSONBody(c) {
		return r, decodeJSON(c, &r, extraFields)
	}
	r.Name, r.Email, r.Phone = c.FormValue("name"), c.FormValue("email"), c.FormValue("phone")
	r.Locale, r.Form, r.Page, r.Website = c.FormValue("locale"), c.FormValue("form"), c.FormValue("page"), c.FormValue("website")
	r.ConsentProcessing, r.ConsentMarketing, r.ConsentCrossBorder = c.FormValue("consent_processing"),
		c.FormValue("consent_marketing"), c.FormValue("consent_cross_border")
	var err error
	r.Newsletters, err = formIDs(c, "newsletters")
	return r, err
}

// subscribe records a subscription and sends the confirmation mail. The
// answer does not depend on whether the address was known.
func (s *Server) subscribe(c *fiber.Ctx) error {
	if err := s.checkFormOrigin(c); err != nil {
		return err
	}
	req, err := decodeSubscribe(c)
	if err != nil {
		return err
	}
	loc := app.NormalizeLocale(req.Locale)
	if req.Locale == "" {
		loc = locale(c)
	}
	in := app.SubscribeInput{Name: req.Name, Email: req.Email, Phone: req.Phone, Locale: loc, FormID: req.Form, Page: req.Page,
		ConsentProcessing: truthy(req.ConsentProcessing), ConsentMarketing: truthy(req.ConsentMarketing),
		ConsentCrossBorder: truthy(req.ConsentCrossBorder), Newsletters: req.Newsletters}
	if in.Page == "" {
		in.Page = c.Get(fiber.HeaderReferer)
		if len(in.Page) > app.MaxPageLen {
			in.Page = ""
		}
	}
	if req.Website != "" {
		// The honeypot was filled in: a bot. It gets the usual answer and
		// nothing happens.
		s.deps.Log.Debug("subscribe: honeypot", "request_id", requestID(c))
		return s.subscribed(c, loc)
	}
	if stamp := c.FormValue("ts"); stamp != "" && !isJSONBody(c) {
		age, ok := s.deps.Keys.FormAge(stamp, time.Now())
		if !ok || age < s.opts.MinFillTime {
			return s.subscribeFormAgain(c, in, &app.Error{Code: app.EINVALID, Message: templates.T(loc, "subscribe.toofast")})
		}
	}
	if err := s.limit(c, loc, "subscribe-ip", s.deps.Keys.Fingerprint("ip", c.IP()), s.opts.LimitIP, time.Minute); err != nil {
		return err
	}
	if key, ok := s.addressKey(in.Email); ok {
		if err := s.limit(c, loc, "subscribe-addr", key, s.opts.LimitAddress, time.Hour); err != nil {
			return err
		}
	}
	ev := evidence(c, app.ChannelWeb)
	err = s.deps.Subscriptions.Subscribe(c.UserContext(), in, ev, s.consentTexts(loc))
	if app.ErrorCode(err) == app.EINVALID && !wantsJSON(c) {
		return s.subscribeFormAgain(c, in, err)
	}
	if err != nil {
		return err
	}
	return s.subscribed(c, loc)
}

// evidence is what a request proves of a consent given or withdrawn
// through channel ch ("" lets the use case name it): the client's address
// and user agent.
func evidence(c *fiber.Ctx, ch app.Channel) app.Evidence {
	return app.Evidence{Channel: ch, IP: c.IP(), UserAgent: truncate(c.Get(fiber.HeaderUserAgent), 512)}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// subscribed answers a subscription: the same for every address.
func (s *Server) subscribed(c *fiber.Ctx, loc string) error {
	if wantsJSON(c) {
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "confirmation_sent"})
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && origin != s.ownOrigin() && s.opts.FormRedirect != "" {
		return c.Redirect(s.opts.FormRedirect, fiber.StatusSeeOther)
	}
	return s.message(c, fiber.StatusOK, loc, messageData{Heading: templates.T(loc, "subscribe.done.title"),
		Paragraphs: []string{templates.T(loc, "subscribe.done.text")}, Kind: "done"})
}

// subscribeFormAgain shows the form with the person's input and the
// messages of what to correct.
func (s *Server) subscribeFormAgain(c *fiber.Ctx, in app.SubscribeInput, err error) error {
	loc := app.NormalizeLocale(in.Locale)
	f := s.newForm(loc)
	f.FormID, f.PageURL = in.FormID, in.Page
	if f.FormID == "" || len(f.FormID) > app.MaxFormIDLen {
		f.FormID = "default"
	}
	f.Name, f.Email, f.Phone = in.Name, in.Email, in.Phone
	f.ConsentProcessing, f.ConsentMarketing, f.ConsentCrossBorder = in.ConsentProcessing, in.ConsentMarketing, in.ConsentCrossBorder
	if err := s.offerNewsletters(c, f, loc, in.Newsletters); err != nil {
		return err
	}
	if fields := app.ErrorFields(err); len(fields) > 0 {
		f.Errors = fields
	} else {
		f.Errors = map[string]string{"form": app.ErrorMessage(err)}
		f.Message = app.ErrorMessage(err)
	}
	return s.page(c, fiber.StatusUnprocessableEntity, "subscribe", loc, templates.T(loc, "subscribe.title"), f)
}

// limit applies a rate limit; over it, it returns an error that answers 429
// (the caller must stop there: a page or JSON, by the error handler). When
// the shared counter store is unreachable, the request goes through:
// subscriptions must keep working during a Redis outage.
func (s *Server) limit(c *fiber.Ctx, loc, name, key string, n int, window time.Duration) error {
	if s.deps.Limiter == nil || n <= 0 {
		return nil
	}
	ok, err := s.deps.Limiter.Allow(c.UserContext(), "rl:"+name+":"+key, n, window)
	if err != nil {
		s.deps.Log.Warn("rate limit unavailable", "limit", name, "err", err)
		return nil
	}
	if ok {
		return nil
	}
	c.Set(fiber.HeaderRetryAfter, "60")
	if wantsJSON(c) {
		return app.Errorf(app.ERATELIMIT, "Too many requests. Please try again later.")
	}
	return &app.Error{Code: app.ERATELIMIT, Message: templates.T(loc, "ratelimit.text")}
}

// addressKey is the rate-limit key of an address: one per mailbox,
// however the address is written (see app.AddressLimitKey), and keyed so
// the counter store holds no address. ok is false for no address.
func (s *Server) addressKey(email string) (string, bool) {
	key, ok := app.AddressLimitKey(email)
	if !ok {
		return "", false
	}
	return s.deps.Keys.Fingerprint("addr", key), true
}

func (s *Server) ownOrigin() string {
	return s.opts.BaseURL.Scheme + "://" + s.opts.BaseURL.Host
}

// checkFormOrigin refuses posts from other sites unless configured. An
// opaque origin ("null": a sandboxed frame, a data: URL, a local file) is
// another site that hides its name: refused too.
func (s *Server) checkFormOrigin(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == s.ownOrigin() || s.allowedOrigin(origin) {
		return nil
	}
	if u, err := url.Parse(origin); err == nil && u.Host == c.Hostname() {
		return nil // same host (e.g. reached through another address)
	}
	return app.Errorf(app.EFORBIDDEN, "Posting this form from another site is not allowed.")
}

func (s *Server) allowedOrigin(origin string) bool {
	for _, o := range s.opts.FormOrigins {
		if o == origin {
			return true
		}
	}
	return false
}

// formCORS lets configured sites post the embeddable form with fetch.
func (s *Server) formCORS(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if origin != "" && s.allowedOrigin(origin) {
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderVary, fiber.HeaderOrigin)
		if c.Method() == fiber.MethodOptions {
			c.Set(fiber.HeaderAccessControlAllowMethods, "POST")
			c.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type, Accept")
			c.Set(fiber.HeaderAccessControlMaxAge, "86400")
			return c.SendStatus(fiber.StatusNoContent)
		}
	}
	return c.Next()
}

// linkProblem shows the page for a bad, expired or used link.
func (s *Server) linkProblem(c *fiber.Ctx, loc string, err error, resendAction string) error {
	if wantsJSON(c) {
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": app.ErrorMessage(err), "code": "invalid_link"})
	}
	d := messageData{Kind: "link-problem"}
	switch {
	case errors.Is(err, app.ErrTokenExpired):
		d.Heading = templates.T(loc, "link.expired.title")
		d.Paragraphs = []string{templates.T(loc, "link.expired.text")}
		d.ResendAction = resendAction
		d.OfferPreferences = resendAction == ""
	case errors.Is(err, app.ErrLinkUsed):
		d.Heading = templates.T(loc, "link.used.title")
		d.Paragraphs = []string{templates.T(loc, "link.used.text")}
		d.OfferPreferences = true
	default:
		d.Heading = templates.T(loc, "link.invalid.title")
		d.Paragraphs = []string{templates.T(loc, "link.invalid.text")}
		d.OfferPreferences = true
	}
	return s.message(c, fiber.StatusBadRequest, loc, d)
}

// linkError answers err of a signed-link route: the page for a bad,
// expired or used link, any other error for the error handler.
func (s *Server) linkError(c *fiber.Ctx, loc string, err error, resendAction string) error {
	if isLinkError(err) {
		return s.linkProblem(c, loc, err, resendAction)
	}
	return err
}

// isLinkError reports whether err is about the link itself.
func isLinkError(err error) bool {
	return errors.Is(err, app.ErrTokenExpired) || errors.Is(err, app.ErrTokenInvalid) || errors.Is(err, app.ErrLinkUsed)
}

type confirmData struct {
	Heading, Text, Email, Action string
}

// confirmPage shows the confirm button; a GET never confirms (mail scanners
// follow links).
func (s *Server) confirmPage(c *fiber.Ctx) error {
	token := c.Params("token")
	conf, err := s.deps.Subscriptions.CheckConfirmation(c.UserContext(), token)
	loc := locale(c)
	if conf != nil && c.Query("lang") == "" {
		loc = conf.Locale
	}
	if err != nil {
		return s.linkError(c, loc, err, "/confirm/"+token+"/resend")
	}
	d := confirmData{Heading: templates.T(loc, "confirm.title"), Text: templates.T(loc, "confirm.text"), Email: conf.Email,
		Action: "/confirm/" + token}
	if conf.Kind == app.ConfirmEmailChange {
		d.Heading, d.Text = templates.T(loc, "confirm.email_change.title"), templates.T(loc, "confirm.email_change.text")
	}
	return s.page(c, fiber.StatusOK, "confirm", loc, d.Heading, d)
}

// confirm uses the link.
func (s *Server) confirm(c *fiber.Ctx) error {
	token := c.Params("token")
	ev := evidence(c, app.ChannelWeb)
	res, err := s.deps.Subscriptions.Confirm(c.UserContext(), token, ev)
	loc := locale(c)
	if err != nil {
		return s.linkError(c, loc, err, "/confirm/"+token+"/resend")
	}
	if c.Query("lang") == "" {
		loc = res.Subscriber.Locale
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"status": "confirmed", "subscriber_status": res.Subscriber.Status})
	}
	text := templates.T(loc, "confirmed.text")
	if res.Kind == app.ConfirmEmailChange {
		text = templates.T(loc, "confirmed.email_change")
	}
	return s.message(c, fiber.StatusOK, loc, messageData{Heading: templates.T(loc, "confirmed.title"),
		Paragraphs: []string{text}, Kind: "confirmed"})
}

// resendConfirmation sends a new link for an expired one.
func (s *Server) resendConfirmation(c *fiber.Ctx) error {
	loc := locale(c)
	if err := s.limit(c, loc, "resend-ip", s.deps.Keys.Fingerprint("ip", c.IP()), 10, time.Hour); err != nil {
		return err
	}
	err := s.deps.Subscriptions.ResendConfirmation(c.UserContext(), c.Params("token"))
	if err != nil {
		if isLinkError(err) || app.IsNotFound(err) {
			return s.linkProblem(c, loc, app.ErrTokenInvalid, "")
		}
		return err
	}
	return s.message(c, fiber.StatusOK, loc, messageData{Heading: templates.T(loc, "subscribe.done.title"),
		Paragraphs: []string{templates.T(loc, "subscribe.done.text")}, Kind: "done"})
}
