package web

import (
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// Sign-in attempts allowed per client address and window, on top of the
// per-account lockout.
const (
	loginAttemptsPerIP = 20
	loginWindow        = 10 * time.Minute
)

type loginData struct {
	Email, Next, CSRF, Error string
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
	d := loginData{Next: safeNext(c.Query("next")), CSRF: s.loginToken(c)}
	return s.adminPage(c, fiber.StatusOK, "admin_login", "login", templates.T(loc, "admin.login.title"), d)
}

// adminLogin checks the credentials and opens a session.
func (s *Server) adminLogin(c *fiber.Ctx) error {
	loc := adminLocale(c)
	d := loginData{Email: strings.TrimSpace(c.FormValue("email")), Next: safeNext(c.FormValue("next"))}
	again := func(status int, msg string) error {
		d.Error, d.CSRF = msg, s.loginToken(c)
		return s.adminPage(c, status, "admin_login", "login", templates.T(loc, "admin.login.title"), d)
	}
	want := c.Cookies(s.loginCSRFCookieName())
	if got := bodyValue(c, csrfField); want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return again(fiber.StatusForbidden, templates.T(loc, "admin.login.expired"))
	}
	if s.deps.Limiter != nil {
		ok, err := s.deps.Limiter.Allow(c.UserContext(), "rl:admin-login:"+s.deps.Signer.Fingerprint("ip", c.IP()), loginAttemptsPerIP, loginWindow)
		if err != nil {
			s.deps.Log.Warn("rate limit unavailable", "limit", "admin-login", "err", err)
		} else if !ok {
			c.Set(fiber.HeaderRetryAfter, "600")
			return again(fiber.StatusTooManyRequests, templates.T(loc, "admin.login.ratelimited"))
		}
	}
	sess, _, err := s.deps.Auth.Login(c.UserContext(), d.Email, c.FormValue("password"), c.Get(fiber.HeaderUserAgent))
	switch app.ErrorCode(err) {
	case "":
	case app.EUNAUTHORIZED:
		if errors.Is(err, app.ErrUnknownAccount) && s.unknownAccountLocked(c, d.Email) {
			// An address without an account "locks" after as many
			// failures as a real one, so the lockout tells nothing.
			return again(fiber.StatusTooManyRequests, templates.T(loc, "admin.login.locked"))
		}
		return again(fiber.StatusUnauthorized, templates.T(loc, "admin.login.wrong"))
	case app.ERATELIMIT:
		return again(fiber.StatusTooManyRequests, templates.T(loc, "admin.login.locked"))
	default:
		return err
	}
	if err := s.deps.Auth.SetLocale(c.UserContext(), sess, loc); err != nil {
		return err
	}
	s.clearCookie(c, s.loginCSRFCookieName())
	s.setCookie(c, s.sessionCookieName(), sess.RawID, sess.ExpiresAt)
	return c.Redirect(d.Next, fiber.StatusSeeOther)
}

// unknownAccountLocked counts a failed sign-in to an address without an
// account and reports whether it has reached the lockout of real accounts.
func (s *Server) unknownAccountLocked(c *fiber.Ctx, email string) bool {
	if s.deps.Limiter == nil {
		return false
	}
	maxFailures, lockout := s.deps.Auth.LockoutPolicy()
	key := "rl:admin-login-unknown:" + s.deps.Signer.Fingerprint("addr", strings.ToLower(strings.TrimSpace(email)))
	ok, err := s.deps.Limiter.Allow(c.UserContext(), key, maxFailures-1, lockout)
	if err != nil {
		s.deps.Log.Warn("rate limit unavailable", "limit", "admin-login-unknown", "err", err)
		return false
	}
	return !ok
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
		msg, fields, err := formErrors(err)
		if err != nil {
			return err
		}
		return s.adminPage(c, fiber.StatusUnprocessableEntity, "admin_password", "password",
			templates.T(loc, "admin.password.title"), passwordData{Message: msg, Errors: fields})
	}
	return redirectOK(c, "/admin/password", "admin.ok.password")
}
