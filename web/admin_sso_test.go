package web_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"newsletter/app"
	"newsletter/app/sso"
	"newsletter/internal/testenv"
)

// oidcProvider is a real OpenID Connect provider over HTTPS on a
// loopback port, and a client that trusts its certificate.
type oidcProvider struct {
	*mockoidc.MockOIDC
	client *http.Client
}

// startOIDC starts the provider until the test ends.
func startOIDC(t *testing.T) *oidcProvider {
	t.Helper()
	files := testenv.NewTLSFiles(t, t.TempDir())
	cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	must(t, err)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	m, err := mockoidc.NewServer(nil)
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	must(t, m.Start(tls.NewListener(ln, cfg), cfg))
	t.Cleanup(func() { _ = m.Shutdown() })
	client := &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: files.Pool(t), MinVersion: tls.VersionTLS12}}}
	return &oidcProvider{MockOIDC: m, client: client}
}

// plugSSO plugs in single sign-on through m.
func plugSSO(s *setup, m *oidcProvider) {
	s.SSO = sso.New(sso.Config{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret,
		RedirectURL: s.BaseURL.String() + "/admin/login/oidc/callback", Name: "Example ID", HTTPClient: m.client})
}

// ssoRound goes from the sign-in page's button to the provider and back
// to the callback, with tamper changing the provider's answer, and
// returns the callback's response.
func (c *console) ssoRound(t *testing.T, m *oidcProvider, tamper func(q url.Values, kept *http.Cookie) *http.Cookie) (*http.Response, string) {
	t.Helper()
	_, body := c.do(t, httptest.NewRequest("GET", "/admin/login", nil))
	if !strings.Contains(body, `id="sso-button"`) || !strings.Contains(body, "Sign in with Example ID") {
		t.Fatal("sign-in page lacks the single sign-on button")
	}
	resp, _ := c.do(t, httptest.NewRequest("GET", "/admin/login/oidc", nil))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	var kept *http.Cookie
	for _, k := range resp.Cookies() {
		if strings.HasSuffix(k.Name, "nl_sso") && k.Value != "" {
			kept = k
		}
	}
	auth, err := url.Parse(resp.Header.Get("Location"))
	must(t, err)
	if auth.Scheme != "https" || kept == nil || auth.Query().Get("code_challenge_method") != "S256" || auth.Query().Get("nonce") == "" || auth.Query().Get("state") == "" {
		t.Fatalf("start: cookie %v, authorization URL %s", kept, auth)
	}
	// The provider signs the person in and sends the browser back.
	client := &http.Client{Transport: m.client.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	back, err := client.Get(auth.String())
	must(t, err)
	back.Body.Close()
	cb, err := url.Parse(back.Header.Get("Location"))
	must(t, err)
	if back.StatusCode != http.StatusFound || cb.Path != "/admin/login/oidc/callback" {
		t.Fatalf("provider: %d %s", back.StatusCode, cb)
	}
	q := cb.Query()
	if tamper != nil {
		kept = tamper(q, kept)
	}
	req := httptest.NewRequest("GET", "/admin/login/oidc/callback?"+q.Encode(), nil)
	if kept != nil {
		req.AddCookie(kept)
	}
	req.Header.Set("User-Agent", "ConsoleTest/1.0")
	return c.do(t, req)
}

// TestAdminSingleSignOn signs in through a real OpenID Connect provider:
// an admin with a verified email gets a session (with their role, and
// without a code even with two-factor on); an unverified email, an
// unknown one, a forged state and a missing browser cookie are refused,
// and no account is made.
func TestAdminSingleSignOn(t *testing.T) {
	m := startOIDC(t)
	c := newConsole(t, func(s *setup) { plugSSO(s, m) })
	ctx := context.Background()
	user := func(email string, verified bool) *mockoidc.MockUser {
		return &mockoidc.MockUser{Subject: "sub-" + email, Email: email, EmailVerified: verified}
	}

	m.QueueUser(user(strings.ToUpper(c.emails[app.RoleMarketer]), true))
	resp, _ := c.ssoRound(t, m, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("verified admin: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	s := c.sessionFrom(t, resp)
	if resp, _ := c.get(t, s, "/admin/users"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("marketer signed in by the provider opens the users page: %d, want 403 (roles stay the product's)", resp.StatusCode)
	}
	if n := c.audited(t, "admin_signed_in"); n == 0 {
		t.Error("no audit entry of the sign-in")
	}
	list, err := c.store.ListAudit(ctx, app.AuditQuery{Action: "admin_signed_in", Limit: 1})
	must(t, err)
	if len(list) == 0 || !strings.Contains(list[0].Details, "single sign-on: Example ID") {
		t.Errorf("audit entry %+v does not say single sign-on", list)
	}

	before, err := c.store.CountAdmins(ctx)
	must(t, err)
	refusals := map[string]struct {
		user   *mockoidc.MockUser
		tamper func(q url.Values, kept *http.Cookie) *http.Cookie
		status int
		text   string
	}{
		"Unverified": {user: user(c.emails[app.RoleOwner], false), status: http.StatusForbidden, text: "has not verified your email"},
		"Unknown":    {user: user("stranger@example.com", true), status: http.StatusForbidden, text: "no account of this console"},
		"ForgedState": {user: user(c.emails[app.RoleOwner], true), status: http.StatusBadRequest, text: "not started in this browser",
			tamper: func(q url.Values, kept *http.Cookie) *http.Cookie { q.Set("state", q.Get("state")+"x"); return kept }},
		"NoCookie": {user: user(c.emails[app.RoleOwner], true), status: http.StatusBadRequest, text: "not started in this browser",
			tamper: func(url.Values, *http.Cookie) *http.Cookie { return nil }},
		"ForgedCode": {user: user(c.emails[app.RoleOwner], true), status: http.StatusUnauthorized, text: "did not sign you in",
			tamper: func(q url.Values, kept *http.Cookie) *http.Cookie { q.Set("code", "forged"); return kept }},
	}
	for name, r := range refusals {
		t.Run(name, func(t *testing.T) {
			m.QueueUser(r.user)
			resp, body := c.ssoRound(t, m, r.tamper)
			if resp.StatusCode != r.status || !strings.Contains(body, r.text) {
				t.Errorf("%d, want %d with %q", resp.StatusCode, r.status, r.text)
			}
			for _, k := range resp.Cookies() {
				if strings.HasSuffix(k.Name, "nl_admin") && k.Value != "" {
					t.Error("a session was opened")
				}
			}
		})
	}
	if after, _ := c.store.CountAdmins(ctx); after != before {
		t.Errorf("admins %d -> %d: single sign-on made an account", before, after)
	}

	// An admin with two-factor on: the provider authenticated them, no
	// code is asked.
	owner := c.login(t, app.RoleOwner)
	_, body := c.get(t, owner, "/admin/twofactor")
	c.enrolFrom(t, body, func(code string) (*http.Response, string) {
		return c.post(t, owner, "/admin/twofactor", url.Values{"code": {code}})
	})
	m.QueueUser(user(c.emails[app.RoleOwner], true))
	if resp, _ := c.ssoRound(t, m, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("owner with two-factor through the provider: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
