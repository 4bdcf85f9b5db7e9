package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// Single sign-on through an OpenID Connect provider (Deps.SSO): the
// sign-in page links to /admin/login/oidc, which sends the browser to the
// provider; the provider sends it back to /admin/login/oidc/callback. An
// admin is matched by the email the provider verified; nobody gets an
// account this way, and roles stay the product's.

const (
	ssoCookie = "nl_sso"
	ssoHost   = "__Host-nl_sso"
	// ssoTTL is how long the provider may take.
	ssoTTL = 10 * time.Minute
)

func (s *Server) ssoCookieName() string { return s.cookieName(ssoCookie, ssoHost) }

// ssoName is the provider's name for the sign-in button ("": none).
func (s *Server) ssoName() string {
	if s.deps.SSO == nil || s.deps.TwoFactor == nil {
		return ""
	}
	return s.deps.SSO.Name()
}

// ssoRefusedData is the page of a refused single sign-on.
type ssoRefusedData struct {
	Message, Provider string
}

// adminSSOStart sends the browser to the provider, keeping the state,
// nonce and PKCE verifier in a cookie of its own (SameSite=Lax: it comes
// back with the provider's redirect).
func (s *Server) adminSSOStart(c *fiber.Ctx) error {
	authURL, kept, err := s.deps.SSO.Start(c.UserContext())
	if err != nil {
		s.deps.Log.Error("single sign-on unavailable", "request_id", requestID(c), "err", err)
		return s.ssoRefused(c, fiber.StatusBadGateway, "admin.sso.unavailable")
	}
	s.setCookie(c, s.ssoCookieName(), kept, time.Now().Add(ssoTTL))
	return c.Redirect(authURL, fiber.StatusSeeOther)
}

// adminSSOCallback finishes the sign-in the provider sent back.
func (s *Server) adminSSOCallback(c *fiber.Ctx) error {
	kept := c.Cookies(s.ssoCookieName())
	s.clearCookie(c, s.ssoCookieName())
	if c.Query("error") != "" {
		return s.ssoRefused(c, fiber.StatusUnauthorized, "admin.sso.refused")
	}
	email, err := s.deps.SSO.Finish(c.UserContext(), c.Query("code"), c.Query("state"), kept)
	switch app.ErrorCode(err) {
	case "":
	case app.EINVALID:
		return s.ssoRefused(c, fiber.StatusBadRequest, "admin.sso.state")
	case app.EFORBIDDEN:
		return s.ssoRefused(c, fiber.StatusForbidden, "admin.sso.unverified")
	case app.EUNAUTHORIZED:
		s.deps.Log.Warn("single sign-on refused", "request_id", requestID(c), "err", err)
		return s.ssoRefused(c, fiber.StatusUnauthorized, "admin.sso.refused")
	default:
		s.deps.Log.Error("single sign-on failed", "request_id", requestID(c), "err", err)
		return s.ssoRefused(c, fiber.StatusBadGateway, "admin.sso.unavailable")
	}
	res, err := s.deps.TwoFactor.SignInVerified(c.UserContext(), email, s.deps.SSO.Name(), c.Get(fiber.HeaderUserAgent))
	if app.IsNotFound(err) {
		return s.ssoRefused(c, fiber.StatusForbidden, "admin.sso.unknown")
	}
	if err != nil {
		return err
	}
	if err := s.signedIn(c, res, adminLocale(c)); err != nil {
		return err
	}
	return c.Redirect("/admin", fiber.StatusSeeOther)
}

// ssoRefused shows why a single sign-on did not sign anyone in.
func (s *Server) ssoRefused(c *fiber.Ctx, status int, key string) error {
	loc := adminLocale(c)
	d := ssoRefusedData{Message: templates.T(loc, key, s.deps.SSO.Name()), Provider: s.deps.SSO.Name()}
	return s.adminPage(c, status, "admin_sso_refused", "login", templates.T(loc, "admin.sso.title"), d)
}
