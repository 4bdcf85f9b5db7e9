package web

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// The admin console: server-rendered pages under /admin for operators,
// signed in with email and password. Every route below the sign-in page
// runs behind the same three checks: a live session, the CSRF token of the
// session on every state-changing request, and the roles allowed.

const (
	localSession   = "admin_session"
	csrfField      = "_csrf"
	csrfHeader     = "X-CSRF-Token"
	loginCSRFName  = "nl_login_csrf"
	sessionCookie  = "nl_admin"
	secureCookie   = "__Host-nl_admin"
	loginCSRFHost  = "__Host-nl_login_csrf"
	deviceCookie   = "nl_device"
	deviceHost     = "__Host-nl_device"
	adminPageLimit = 50
)

// adminNoStore keeps console pages out of caches, and answers the
// console's errors with pages in its own frame.
func (s *Server) adminNoStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	err := c.Next()
	if err == nil || wantsJSON(c) {
		return err
	}
	return s.adminError(c, err)
}

// cookieName is the name host (__Host- prefixed) when the console is
// served over TLS: such a cookie is Secure, host-only and path-wide by
// construction; else plain.
func (s *Server) cookieName(plain, host string) string {
	if s.secure() {
		return host
	}
	return plain
}

func (s *Server) sessionCookieName() string   { return s.cookieName(sessionCookie, secureCookie) }
func (s *Server) loginCSRFCookieName() string { return s.cookieName(loginCSRFName, loginCSRFHost) }
func (s *Server) deviceCookieName() string    { return s.cookieName(deviceCookie, deviceHost) }

func (s *Server) secure() bool { return s.opts.BaseURL != nil && s.opts.BaseURL.Scheme == "https" }

func (s *Server) setCookie(c *fiber.Ctx, name, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/", Expires: expires, HTTPOnly: true,
		Secure: s.secure(), SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1, HTTPOnly: true,
		Secure: s.secure(), SameSite: fiber.CookieSameSiteLaxMode})
}

// adminSession loads the signed-in admin; without a live session a page
// request goes to the sign-in page and anything else gets 401.
func (s *Server) adminSession(c *fiber.Ctx) error {
	sess, admin, err := s.deps.Auth.Session(c.UserContext(), c.Cookies(s.sessionCookieName()), c.Get(fiber.HeaderUserAgent))
	if app.ErrorCode(err) == app.EUNAUTHORIZED {
		s.clearCookie(c, s.sessionCookieName())
		if c.Method() == fiber.MethodGet && !wantsJSON(c) {
			return c.Redirect("/admin/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return err
	}
	if err != nil {
		return err
	}
	if l := c.Query("lang"); pageLanguage(l) && l != sess.Locale {
		if err := s.deps.Auth.SetLocale(c.UserContext(), sess, l); err != nil {
			return err
		}
	}
	c.Locals(localAdmin, admin)
	c.Locals(localSession, sess)
	return c.Next()
}

func currentSession(c *fiber.Ctx) *app.AdminSession {
	sess, _ := c.Locals(localSession).(*app.AdminSession)
	return sess
}

// errCSRF refuses a state-changing request without the session's token.
var errCSRF = app.Errorf(app.EFORBIDDEN, "The form has expired or did not come from this console. Reload the page and try again.")

// adminCSRF refuses a state-changing request that lacks the session's CSRF
// token (form field _csrf of the body, or header X-CSRF-Token; never the
// query string, which logs, history and Referer keep) or that a browser
// marks as coming from another site.
func (s *Server) adminCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if site := c.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return errCSRF
	}
	token := c.Get(csrfHeader)
	if token == "" {
		token = bodyValue(c, csrfField)
	}
	if sess := currentSession(c); sess == nil || !sess.CheckCSRF(token) {
		return errCSRF
	}
	return c.Next()
}

// bodyValue is a field of a form body (urlencoded or multipart), never of
// the query string.
func bodyValue(c *fiber.Ctx, key string) string {
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		f, err := c.MultipartForm()
		if err != nil || len(f.Value[key]) == 0 {
			return ""
		}
		return f.Value[key][0]
	}
	return string(c.Request().PostArgs().Peek(key))
}

// adminLocale is the console language: the session's choice, else the
// browser's.
func adminLocale(c *fiber.Ctx) string {
	if l := c.Query("lang"); pageLanguage(l) {
		return l
	}
	if sess := currentSession(c); sess != nil && sess.Locale != "" {
		return sess.Locale
	}
	return app.NormalizeLocale(c.Get(fiber.HeaderAcceptLanguage))
}

// adminView is what every console page receives as templates.Page.Data.
type adminView struct {
	Me      *app.Admin
	CSRF    string
	Section string
	Flash   string
	Nav     []navGroup
	// TwoFactor says the two-factor page exists.
	TwoFactor bool
	D         any
}

type navItem struct {
	Href, Label string
	Current     bool
}

// navGroup is a titled group of the menu: the daily work, personal data,
// the administration of the console.
type navGroup struct {
	Label string
	Items []navItem
}

// can reports whether admin may use routes for roles.
func can(a *app.Admin, roles []app.Role) bool {
	if a == nil {
		return false
	}
	if a.Role == app.RoleOwner {
		return true
	}
	for _, r := range roles {
		if r == a.Role {
			return true
		}
	}
	return false
}

// adminNav is the console's menu, in groups: the pages this process has
// that the signed-in admin may open (the route table decides both). A
// group with nothing to open is left out.
func (s *Server) adminNav(c *fiber.Ctx, loc, section string) []navGroup {
	me := currentAdmin(c)
	type entry struct{ key, href, section string }
	groups := []struct {
		key   string
		items []entry
	}{
		{"admin.navgroup.work", []entry{
			{"admin.nav.dashboard", "/admin", "dashboard"},
			{"admin.nav.campaigns", "/admin/campaigns", "campaigns"},
			{"admin.nav.newsletters", "/admin/newsletters", "newsletters"},
			{"admin.nav.segments", "/admin/segments", "segments"},
		}},
		{"admin.navgroup.privacy", []entry{
			{"admin.nav.subscribers", "/admin/subscribers", "subscribers"},
			{"admin.nav.requests", "/admin/requests", "requests"},
			{"admin.nav.review", "/admin/review", "review"},
			{"admin.nav.destructions", "/admin/destructions", "destructions"},
			{"admin.nav.suppressions", "/admin/suppressions", "suppressions"},
			{"admin.nav.import", "/admin/import", "import"},
			{"admin.nav.inbound", "/admin/inbound", "inbound"},
			{"admin.nav.policies", "/admin/policies", "policies"},
			{"admin.nav.audit", "/admin/audit", "audit"},
		}},
		{"admin.navgroup.admin", []entry{
			{"admin.nav.outbox", "/admin/outbox", "outbox"},
			{"admin.nav.users", "/admin/users", "users"},
			{"admin.nav.tokens", "/admin/tokens", "tokens"},
			{"admin.nav.webhooks", "/admin/webhooks", "webhooks"},
			{"admin.nav.layout", "/admin/layout", "layout"},
		}},
	}
	var out []navGroup
	for _, g := range groups {
		ng := navGroup{Label: templates.T(loc, g.key)}
		for _, it := range g.items {
			if s.mayOpen(me, it.href) {
				ng.Items = append(ng.Items, navItem{Href: it.href, Label: templates.T(loc, it.key), Current: it.section == section})
			}
		}
		if len(ng.Items) > 0 {
			out = append(out, ng)
		}
	}
	return out
}

// adminPage renders a console page.
func (s *Server) adminPage(c *fiber.Ctx, status int, name, section, title string, data any) error {
	loc := adminLocale(c)
	v := &adminView{Me: currentAdmin(c), Section: section, D: data, TwoFactor: s.deps.TwoFactor != nil}
	if sess := currentSession(c); sess != nil {
		v.CSRF = sess.CSRFToken
		v.Nav = s.adminNav(c, loc, section)
	}
	if k := c.Query("ok"); strings.HasPrefix(k, "admin.ok.") && templates.T(loc, k) != k {
		v.Flash = templates.T(loc, k)
	}
	p := templates.Page{Title: title, Lang: loc, Operator: s.opts.Operator.Name, Data: v}
	if c.Method() == fiber.MethodGet {
		p.LangURL = otherLangURL(c, loc)
	}
	var buf bytes.Buffer
	if err := s.deps.Pages.Page(&buf, name, loc, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// sectionPage renders the page of a console section: the template
// admin_<section>, titled as the menu names the section.
func (s *Server) sectionPage(c *fiber.Ctx, status int, section string, data any) error {
	return s.adminPage(c, status, "admin_"+section, section, templates.T(adminLocale(c), "admin.nav."+section), data)
}

// showSection renders a section's page with the data load reads.
func showSection[T any](s *Server, c *fiber.Ctx, section string, load func(*fiber.Ctx) (T, error)) error {
	d, err := load(c)
	if err != nil {
		return err
	}
	return s.sectionPage(c, fiber.StatusOK, section, d)
}

type adminErrorData struct {
	Heading, Message string
	Status           int
}

// adminError answers an error of a console route with a page in the
// console's frame. Internal errors are logged once, with the request id.
func (s *Server) adminError(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	msg := app.ErrorMessage(err)
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status, msg = fe.Code, fe.Message
	} else if st, ok := statusOf[app.ErrorCode(err)]; ok {
		status = st
	}
	if status >= 500 && fe == nil {
		s.deps.Log.Error("request failed", "request_id", requestID(c), "route", c.Route().Path, "err", err)
		msg = "Something went wrong on our side. Please try again later."
	}
	loc := adminLocale(c)
	if fe == nil && status < 500 {
		msg, _ = templates.TranslateError(loc, err)
	} else {
		msg = templates.TranslateMessage(loc, msg)
	}
	if fe != nil && status == fiber.StatusNotFound {
		msg = templates.T(loc, "admin.notfound.text") // not fiber's "Cannot GET /admin/..."
	}
	heading := errorHeading(loc, status)
	if status == fiber.StatusForbidden {
		heading = templates.T(loc, "admin.forbidden")
	}
	if rerr := s.adminPage(c, status, "admin_error", "", heading, adminErrorData{Heading: heading, Message: msg, Status: status}); rerr != nil {
		s.deps.Log.Error("render admin error page", "request_id", requestID(c), "err", rerr)
		return c.Status(status).SendString(msg)
	}
	return nil
}

// redirectOK answers a successful form with a redirect to the page that
// shows the result and a confirmation message (a catalog key).
func redirectOK(c *fiber.Ctx, path, key string) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return c.Redirect(path+sep+"ok="+url.QueryEscape(key), fiber.StatusSeeOther)
}

// formErrors turns a validation error into a message and per-field
// messages for a form, in the console's language loc; other errors are
// returned for the error page.
func formErrors(loc string, err error) (string, map[string]string, error) {
	switch app.ErrorCode(err) {
	case app.EINVALID, app.ECONFLICT:
		msg, fields := templates.TranslateError(loc, err)
		return msg, fields, nil
	}
	return "", nil, err
}

// formOutcome is the status of a page that shows the outcome of its own
// form, with the messages of a refused one: 200, or 422 with the
// messages; any other error is returned for the error page.
func formOutcome(loc string, err error) (int, string, map[string]string, error) {
	if err == nil {
		return fiber.StatusOK, "", nil, nil
	}
	msg, fields, err := formErrors(loc, err)
	return fiber.StatusUnprocessableEntity, msg, fields, err
}
