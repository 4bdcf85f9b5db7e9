package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// Two-factor sign-in: the second step after the password (a code, or the
// enrolment owners require), the two-factor page of the console, and the
// owners' controls on the users page.

const (
	pendingCookie = "nl_pending"
	pendingHost   = "__Host-nl_pending"
)

func (s *Server) pendingCookieName() string { return s.cookieName(pendingCookie, pendingHost) }

// codeData is the page that asks for a code after the password.
type codeData struct {
	Next, CSRF, Error string
}

// twoFactorData is the two-factor page: the state, an enrolment waiting
// for its code, or the recovery codes of one just confirmed.
type twoFactorData struct {
	Status *app.TwoFactorStatus
	Enrol  *app.Enrolment
	// Codes are the recovery codes, shown once; Renewed says they
	// replace earlier ones.
	Codes   []string
	Renewed bool
	// Action is where the enrolment's code is posted; Next is where a
	// pending sign-in goes on to; Pending says there is no session yet.
	Action, Next, CSRF string
	Pending            bool
	Error              string
	// QR is Enrol's QR code, a PNG data URI the page may show.
	QR template.URL
}

// renderTwoFactor renders the two-factor page (or the enrolment of a
// pending sign-in) with d.
func (s *Server) renderTwoFactor(c *fiber.Ctx, status int, section string, d twoFactorData) error {
	// The product's own PNG, and nothing else, goes into the image.
	if d.Enrol != nil && strings.HasPrefix(d.Enrol.QR, "data:image/png;base64,") {
		d.QR = template.URL(d.Enrol.QR) // #nosec G203 -- made by app.AdminAuth, not by a person
	}
	return s.adminPage(c, status, "admin_twofactor", section, templates.T(adminLocale(c), "admin.twofactor.title"), d)
}

// codeError is the message of a refused code, in the page's language;
// nil err for errors of other kinds, which go to the error page.
func (s *Server) codeError(c *fiber.Ctx, err error) (int, string, error) {
	loc := adminLocale(c)
	var throttled *app.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((throttled.Wait+time.Second-1)/time.Second)))
		minutes := int((throttled.Wait + time.Minute - 1) / time.Minute)
		return fiber.StatusTooManyRequests, templates.T(loc, "admin.twofactor.locked", max(minutes, 1)), nil
	case app.ErrorCode(err) == app.EINVALID:
		return fiber.StatusUnprocessableEntity, templates.T(loc, "admin.twofactor.wrong"), nil
	case app.ErrorCode(err) == app.ECONFLICT:
		msg, _ := templates.TranslateError(loc, err)
		return fiber.StatusConflict, msg, nil
	}
	return 0, "", err
}

// pendingExpired sends a browser without a live pending sign-in back to
// the password.
func (s *Server) pendingExpired(c *fiber.Ctx) error {
	s.clearCookie(c, s.pendingCookieName())
	loc := adminLocale(c)
	d := loginData{Next: safeNext(c.Query("next", c.FormValue("next"))), CSRF: s.loginToken(c), SSO: s.ssoName(),
		Error: templates.T(loc, "admin.twofactor.expired")}
	return s.adminPage(c, fiber.StatusUnauthorized, "admin_login", "login", templates.T(loc, "admin.login.title"), d)
}

// checkLoginCSRF checks the sign-in forms' own token (double submit).
func (s *Server) checkLoginCSRF(c *fiber.Ctx) bool {
	want := c.Cookies(s.loginCSRFCookieName())
	got := bodyValue(c, csrfField)
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// adminCodePage asks for the code of the admin's app after the password.
func (s *Server) adminCodePage(c *fiber.Ctx) error {
	p, _, err := s.deps.TwoFactor.Pending(c.UserContext(), c.Cookies(s.pendingCookieName()), c.Get(fiber.HeaderUserAgent))
	if app.ErrorCode(err) == app.EUNAUTHORIZED || (err == nil && p.Stage != app.StageVerify) {
		return s.pendingExpired(c)
	}
	if err != nil {
		return err
	}
	loc := adminLocale(c)
	d := codeData{Next: safeNext(c.Query("next")), CSRF: s.loginToken(c)}
	return s.adminPage(c, fiber.StatusOK, "admin_login_code", "login", templates.T(loc, "admin.twofactor.code.title"), d)
}

// adminVerifyCode finishes the sign-in with a code of the app or a
// recovery code.
func (s *Server) adminVerifyCode(c *fiber.Ctx) error {
	loc := adminLocale(c)
	d := codeData{Next: safeNext(c.FormValue("next"))}
	again := func(status int, msg string) error {
		d.Error, d.CSRF = msg, s.loginToken(c)
		return s.adminPage(c, status, "admin_login_code", "login", templates.T(loc, "admin.twofactor.code.title"), d)
	}
	var res *app.LoginResult
	if done, err := s.pendingStep(c, again, func(ctx context.Context, rawID, userAgent, code string) (err error) {
		res, err = s.deps.TwoFactor.VerifySecondFactor(ctx, rawID, userAgent, code)
		return err
	}); !done {
		return err
	}
	if err := s.signedIn(c, res, loc); err != nil {
		return err
	}
	return c.Redirect(d.Next, fiber.StatusSeeOther)
}

// adminPendingEnrolPage shows the enrolment owners require before an
// admin without two-factor may sign in.
func (s *Server) adminPendingEnrolPage(c *fiber.Ctx) error {
	_, e, err := s.deps.TwoFactor.PendingEnrolment(c.UserContext(), c.Cookies(s.pendingCookieName()), c.Get(fiber.HeaderUserAgent))
	if app.ErrorCode(err) == app.EUNAUTHORIZED {
		return s.pendingExpired(c)
	}
	if err != nil {
		return err
	}
	d := twoFactorData{Enrol: e, Action: "/admin/login/enrol", Next: safeNext(c.Query("next")), CSRF: s.loginToken(c), Pending: true}
	return s.renderTwoFactor(c, fiber.StatusOK, "login", d)
}

// adminPendingEnrol confirms the required enrolment with a code, signs
// the admin in and shows the recovery codes once.
func (s *Server) adminPendingEnrol(c *fiber.Ctx) error {
	loc := adminLocale(c)
	d := twoFactorData{Action: "/admin/login/enrol", Next: safeNext(c.FormValue("next")), Pending: true}
	again := func(status int, msg string) error {
		_, e, err := s.deps.TwoFactor.PendingEnrolment(c.UserContext(), c.Cookies(s.pendingCookieName()), c.Get(fiber.HeaderUserAgent))
		if app.ErrorCode(err) == app.EUNAUTHORIZED {
			return s.pendingExpired(c)
		}
		if err != nil {
			return err
		}
		d.Enrol, d.Error, d.CSRF = e, msg, s.loginToken(c)
		return s.renderTwoFactor(c, status, "login", d)
	}
	var (
		res      *app.LoginResult
		enrolled *app.Enrolled
	)
	if done, err := s.pendingStep(c, again, func(ctx context.Context, rawID, userAgent, code string) (err error) {
		res, enrolled, err = s.deps.TwoFactor.ConfirmPendingEnrolment(ctx, rawID, userAgent, code)
		return err
	}); !done {
		return err
	}
	if err := s.signedIn(c, res, loc); err != nil {
		return err
	}
	d.Codes = enrolled.RecoveryCodes
	return s.renderTwoFactor(c, fiber.StatusOK, "login", d)
}

// pendingStep runs the code form's step of a sign-in waiting for its
// second factor: it checks the form's CSRF token and the sign-in limit,
// then calls step with the pending sign-in's cookie, the user agent and the
// code. It reports done when step succeeded; otherwise err is the answer
// already given: the form again (through again) with the reason, or the
// page of an expired sign-in.
func (s *Server) pendingStep(c *fiber.Ctx, again func(status int, msg string) error,
	step func(ctx context.Context, rawID, userAgent, code string) error) (done bool, err error) {
	loc := adminLocale(c)
	if !s.checkLoginCSRF(c) {
		return false, again(fiber.StatusForbidden, templates.T(loc, "admin.login.expired"))
	}
	if ok, err := s.allowLogin(c); err != nil || !ok {
		return false, again(fiber.StatusTooManyRequests, templates.T(loc, "admin.login.ratelimited"))
	}
	err = step(c.UserContext(), c.Cookies(s.pendingCookieName()), c.Get(fiber.HeaderUserAgent), c.FormValue("code"))
	if app.ErrorCode(err) == app.EUNAUTHORIZED {
		return false, s.pendingExpired(c)
	}
	if err != nil {
		status, msg, err := s.codeError(c, err)
		if err != nil {
			return false, err
		}
		return false, again(status, msg)
	}
	return true, nil
}

// allowLogin counts a sign-in form's post against the client address's
// limit (shared with the password form).
func (s *Server) allowLogin(c *fiber.Ctx) (bool, error) {
	if s.deps.Limiter == nil {
		return true, nil
	}
	ok, err := s.deps.Limiter.Allow(c.UserContext(), "rl:admin-login:"+s.deps.Keys.Fingerprint("ip", c.IP()), loginAttemptsPerIP, loginWindow)
	if err != nil {
		s.deps.Log.Warn("rate limit unavailable", "limit", "admin-login", "err", err)
		return true, nil
	}
	if !ok {
		c.Set(fiber.HeaderRetryAfter, "600")
	}
	return ok, nil
}

// twoFactorPage is the console's two-factor page for the signed-in admin.
func (s *Server) twoFactorPage(c *fiber.Ctx, status int, d twoFactorData) error {
	me := currentAdmin(c)
	st, err := s.deps.TwoFactor.TwoFactorStatus(c.UserContext(), me)
	if err != nil {
		return err
	}
	d.Status, d.Action = st, "/admin/twofactor"
	if !st.Enabled && d.Codes == nil {
		if d.Enrol, err = s.deps.TwoFactor.Enrolment(c.UserContext(), me); err != nil {
			return err
		}
	}
	return s.renderTwoFactor(c, status, "twofactor", d)
}

// adminTwoFactor shows the signed-in admin's two-factor sign-in: how to
// turn it on, or its state and how to turn it off.
func (s *Server) adminTwoFactor(c *fiber.Ctx) error {
	return s.twoFactorPage(c, fiber.StatusOK, twoFactorData{})
}

// adminConfirmTwoFactor turns two-factor on with a code of the app and
// shows the recovery codes once.
func (s *Server) adminConfirmTwoFactor(c *fiber.Ctx) error {
	enrolled, err := s.deps.TwoFactor.ConfirmEnrolment(c.UserContext(), currentAdmin(c), c.FormValue("code"))
	return s.codesPage(c, enrolled, err, false)
}

// codesPage shows new recovery codes once (renewed: they replace earlier
// ones), or the two-factor page with why the code was refused.
func (s *Server) codesPage(c *fiber.Ctx, enrolled *app.Enrolled, err error, renewed bool) error {
	if err != nil {
		return s.refusedCode(c, err)
	}
	return s.twoFactorPage(c, fiber.StatusOK, twoFactorData{Codes: enrolled.RecoveryCodes, Renewed: renewed})
}

// refusedCode shows the two-factor page with why its code was refused;
// errors of other kinds go to the error page.
func (s *Server) refusedCode(c *fiber.Ctx, err error) error {
	status, msg, err := s.codeError(c, err)
	if err != nil {
		return err
	}
	return s.twoFactorPage(c, status, twoFactorData{Error: msg})
}

// adminDisableTwoFactor turns the signed-in admin's two-factor off after
// a current code.
func (s *Server) adminDisableTwoFactor(c *fiber.Ctx) error {
	if err := s.deps.TwoFactor.DisableTwoFactor(c.UserContext(), currentAdmin(c), c.FormValue("code")); err != nil {
		return s.refusedCode(c, err)
	}
	return redirectOK(c, "/admin/twofactor", "admin.ok.twofactor_off")
}

// adminRenewRecoveryCodes replaces the signed-in admin's recovery codes
// after a current code and shows the new ones once.
func (s *Server) adminRenewRecoveryCodes(c *fiber.Ctx) error {
	renewed, err := s.deps.TwoFactor.RenewRecoveryCodes(c.UserContext(), currentAdmin(c), c.FormValue("code"))
	return s.codesPage(c, renewed, err, true)
}

// adminResetTwoFactor turns another admin's two-factor off (owners).
func (s *Server) adminResetTwoFactor(c *fiber.Ctx) error {
	if _, err := actOnID(c, s.deps.TwoFactor.ResetTwoFactor); err != nil {
		return err
	}
	return redirectOK(c, "/admin/users", "admin.ok.twofactor_reset")
}

// adminRequireTwoFactor sets whether every admin must use two-factor.
func (s *Server) adminRequireTwoFactor(c *fiber.Ctx) error {
	required := c.FormValue("required") == "yes"
	if err := s.deps.TwoFactor.SetTwoFactorRequired(c.UserContext(), currentAdmin(c), required); err != nil {
		return err
	}
	key := "admin.ok.twofactor_optional"
	if required {
		key = "admin.ok.twofactor_required"
	}
	return redirectOK(c, "/admin/users", key)
}
