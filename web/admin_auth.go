package web

import (
	"crypto/subtle"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// Sign-in attempts allowed per client address and window, on top of the
// throttle per account and source (app.AdminAuth).
const (
	loginAttemptsPerIP = 20
	loginWindow        = 10 * time.Minute
)

type loginData struct {
	Email, Next, CSRF, Error string
	// SSO names the single sign-on provider, when there is one.
	SSO string
}

// safeNext keeps a post-sign-in destination inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/admin/login") || strings.HasPrefix(next, "/admin/logout") {
		return "/admin"
	}
	return next
}

// loginToken returns the sign-in form's CSRF token, kept in a cookie
// (double submit: there is no session yet).
func (s *Server) loginToken(c *fiber.Ctx) string {
	tok := c.Cookies(s.loginCSRFCookieName())
	if len(tok) < 20 || len(tok) > 64 {
		tok = app.RandomSecret(24)
		s.setCookie(c, s.loginCSRFCookieName(), tok, time.Now().Add(2*time.Hour))
	}
	return tok
}

// adminLoginPage shows the sign-in form (or goes on when signed in).
func (s *Server) adminLoginPage(c *fiber.Ctx) error {
	if _, _, err := s.deps.Auth.Session(c.UserContext(), c.Cookies(s.sessionCookieName()), c.Get(fiber.HeaderUserAgent)); err == nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	loc := adminLocale(c)
	d := loginData{Next: safeNext(c.Query("next")), CSRF: s.loginToken(c), SSO: s.ssoName()}
	return s.adminPage(c, fiber.StatusOK, "admin_login", "login", templates.T(loc, "admin.login.title"), d)
}

// adminLogin checks the credentials and opens a session.
func (s *Server) adminLogin(c *fiber.Ctx) error {
	loc := adminLocale(c)
	d := loginData{Email: strings.TrimSpace(c.FormValue("email")), Next: safeNext(c.FormValue("next")), SSO: s.ssoName()}
	again := func(status int, msg string) error {
		d.Error, d.CSRF = msg, s.loginToken(c)
		return s.adminPage(c, status, "admin_login", "login", templates.T(loc, "admin.login.title"), d)
	}
	want := c.Cookies(s.loginCSRFCookieName())
	if got := bodyValue(c, csrfField); want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return again(fiber.StatusForbidden, templates.T(loc, "admin.login.expired"))
	}
	if s.deps.Limiter != nil {
		ok, err := s.deps.Limiter.Allow(c.UserContext(), "rl:admin-login:"+s.deps.Keys.Fingerprint("ip", c.IP()), loginAttemptsPerIP, loginWindow)
		if err != nil {
			s.deps.Log.Warn("rate limit unavailable", "limit", "admin-login", "err", err)
		} else if !ok {
			c.Set(fiber.HeaderRetryAfter, "600")
			return again(fiber.StatusTooManyRequests, templates.T(loc, "admin.login.ratelimited"))
		}
	}
	res, err := s.deps.Auth.Login(c.UserContext(), app.LoginAttempt{Email: d.Email, Password: c.FormValue("password"),
		UserAgent: c.Get(fiber.HeaderUserAgent), Address: c.IP(), Device: c.Cookies(s.deviceCookieName())})
	var throttled *app.ThrottledError
	switch {
	case err == nil:
	case errors.As(err, &throttled):
		minutes := int((throttled.Wait + time.Minute - 1) / time.Minute)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((throttled.Wait+time.Second-1)/time.Second)))
		return again(fiber.StatusTooManyRequests, templates.T(loc, "admin.login.locked", max(minutes, 1)))
	case app.ErrorCode(err) == app.EUNAUTHORIZED:
		return again(fiber.StatusUnauthorized, templates.T(loc, "admin.login.wrong"))
	default:
		return err
	}
	if res.Pending != nil {
		// The password was right; the second step comes next.
		s.clearCookie(c, s.loginCSRFCookieName())
		s.setCookie(c, s.pendingCookieName(), res.Pending.RawID, res.Pending.ExpiresAt)
		path := "/admin/login/verify"
		if res.Pending.Stage == app.StageEnrol {
			path = "/admin/login/enrol"
		}
		return c.Redirect(path+"?next="+url.QueryEscape(d.Next)+"&lang="+loc, fiber.StatusSeeOther)
	}
	if err := s.signedIn(c, res, loc); err != nil {
		return err
	}
	return c.Redirect(d.Next, fiber.StatusSeeOther)
}

// signedIn sets the cookies of a session just opened.
func (s *Server) signedIn(c *fiber.Ctx, res *app.LoginResult, loc string) error {
	if err := s.deps.Auth.SetLocale(c.UserContext(), res.Session, loc); err != nil {
		return err
	}
	s.clearCookie(c, s.loginCSRFCookieName())
	s.clearCookie(c, s.pendingCookieName())
	s.setCookie(c, s.sessionCookieName(), res.Session.RawID, res.Session.ExpiresAt)
	// The device cookie lets this browser sign in to this account while
	// others' failures slow everyone else down.
	if res.Device != "" {
		s.setCookie(c, s.deviceCookieName(), res.Device, time.Now().Add(app.DefaultDeviceTTL))
	}
	return nil
}

// adminLogout ends the session.
func (s *Server) adminLogout(c *fiber.Ctx) error {
	if err := s.deps.Auth.Logout(c.UserContext(), c.Cookies(s.sessionCookieName())); err != nil {
		return err
	}
	s.clearCookie(c, s.sessionCookieName())
	return c.Redirect("/admin/login?ok=admin.ok.signed_out", fiber.StatusSeeOther)
}

type passwordData struct {
	Message string
	Errors  map[string]string
}

// adminPasswordPage shows the password change form.
func (s *Server) adminPasswordPage(c *fiber.Ctx) error {
	loc := adminLocale(c)
	return s.adminPage(c, fiber.StatusOK, "admin_password", "password", templates.T(loc, "admin.password.title"), passwordData{})
}

// adminChangePassword changes the signed-in admin's password and ends
// their other sessions.
func (s *Server) adminChangePassword(c *fiber.Ctx) error {
	loc := adminLocale(c)
	err := s.deps.Auth.ChangePassword(c.UserContext(), currentAdmin(c), currentSession(c),
		c.FormValue("current"), c.FormValue("new"), c.FormValue("repeat"))
	if err != nil {
		msg, fields, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.adminPage(c, fiber.StatusUnprocessableEntity, "admin_password", "password",
			templates.T(loc, "admin.password.title"), passwordData{Message: msg, Errors: fields})
	}
	return redirectOK(c, "/admin/password", "admin.ok.password")
}
