package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

var (
	totpSecretRe   = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	qrRe           = regexp.MustCompile(`<img src="data:image/png;base64,([^"]+)"`)
	recoveryCodeRe = regexp.MustCompile(`<li><code class="secret">([a-z0-9]{5}-[a-z0-9]{5})</code></li>`)
)

// pending is a browser between its password and its second step.
type pending struct {
	cookie *http.Cookie
	path   string
}

// passwordStep posts the right password of role and returns the pending
// sign-in it was sent on to.
func (c *console) passwordStep(t *testing.T, role app.Role) *pending {
	t.Helper()
	resp := c.tryLogin(t, c.emails[role], c.passwords[role])
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password of %s: %d", role, resp.StatusCode)
	}
	p := &pending{path: resp.Header.Get("Location")}
	for _, k := range resp.Cookies() {
		if strings.HasSuffix(k.Name, "nl_admin") && k.Value != "" {
			t.Fatalf("%s got a session from the password alone", role)
		}
		if strings.HasSuffix(k.Name, "nl_pending") && k.Value != "" {
			p.cookie = k
		}
	}
	if p.cookie == nil || !strings.HasPrefix(p.path, "/admin/login/") {
		t.Fatalf("password of %s: sent to %q without a pending sign-in", role, p.path)
	}
	return p
}

// postCode opens the pending sign-in's page and posts code on it.
func (c *console) postCode(t *testing.T, p *pending, code string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest("GET", p.path, nil)
	req.AddCookie(p.cookie)
	req.Header.Set("User-Agent", "ConsoleTest/1.0")
	resp, body := c.do(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", p.path, resp.StatusCode)
	}
	var ck *http.Cookie
	for _, k := range resp.Cookies() {
		if strings.HasSuffix(k.Name, "nl_login_csrf") {
			ck = k
		}
	}
	m := csrfInput.FindStringSubmatch(body)
	if ck == nil || m == nil {
		t.Fatalf("%s lacks its CSRF cookie or field", p.path)
	}
	path, _, _ := strings.Cut(p.path, "?")
	post := formPost(path, url.Values{"_csrf": {m[1]}, "code": {code}, "next": {"/admin"}})
	post.AddCookie(p.cookie)
	post.AddCookie(ck)
	post.Header.Set("User-Agent", "ConsoleTest/1.0")
	return c.do(t, post)
}

// sessionFrom takes the session a response opened.
func (c *console) sessionFrom(t *testing.T, resp *http.Response) *session {
	t.Helper()
	s := &session{agent: "ConsoleTest/1.0"}
	for _, k := range resp.Cookies() {
		if strings.HasSuffix(k.Name, "nl_admin") && k.Value != "" {
			s.cookie = k
		}
	}
	if s.cookie == nil {
		t.Fatalf("no session opened: %d", resp.StatusCode)
	}
	_, body := c.get(t, s, "/admin")
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("dashboard lacks the CSRF token")
	}
	s.csrf = m[1]
	return s
}

// enrol turns two-factor on from the page body shows, returning the
// secret and the recovery codes.
func (c *console) enrolFrom(t *testing.T, body string, post func(code string) (*http.Response, string)) (string, []string) {
	t.Helper()
	m := totpSecretRe.FindStringSubmatch(body)
	q := qrRe.FindStringSubmatch(body)
	if m == nil || q == nil {
		i := strings.Index(body, "<main")
		t.Fatalf("enrolment page lacks the secret or its QR code: %.1500s", body[max(i, 0):])
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(q[1]))
	must(t, err)
	if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("QR code is no PNG: %v", err)
	}
	if resp, _ := post("000000"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong enrolment code: %d", resp.StatusCode)
	}
	resp, body := post(c.code(t, m[1]))
	if resp.StatusCode != 200 {
		t.Fatalf("confirm enrolment: %d %.300s", resp.StatusCode, body)
	}
	var codes []string
	for _, r := range recoveryCodeRe.FindAllStringSubmatch(body, -1) {
		codes = append(codes, r[1])
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	return m[1], codes
}

// code is the app's code for secret now, on the console's clock.
func (c *console) code(t *testing.T, secret string) string {
	t.Helper()
	code, err := app.CodeFor(secret, c.clock.Now())
	must(t, err)
	return code
}

func (c *console) audited(t *testing.T, action string) int {
	t.Helper()
	list, err := c.store.ListAudit(context.Background(), app.AuditQuery{Action: action, Limit: 100})
	must(t, err)
	return len(list)
}

// TestAdminTwoFactor: enrolment with a QR code through the console, then
// sign-in in two steps; wrong and replayed codes are refused, a recovery
// code works once, wrong codes are throttled, and the stored secret is no
// plain text.
func TestAdminTwoFactor(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	mkt := c.login(t, app.RoleMarketer)
	_, body := c.get(t, mkt, "/admin/twofactor")
	secret, codes := c.enrolFrom(t, body, func(code string) (*http.Response, string) {
		return c.post(t, mkt, "/admin/twofactor", url.Values{"code": {code}})
	})
	enrolCode := c.code(t, secret)
	admin, err := c.store.AdminByEmail(ctx, c.emails[app.RoleMarketer])
	must(t, err)
	stored, err := c.store.TwoFactorSecret(ctx, admin.ID)
	must(t, err)
	if stored.ConfirmedAt == nil || strings.Contains(stored.Sealed, secret) {
		t.Fatalf("stored enrolment %+v: unconfirmed, or the secret in plain text", stored)
	}
	if _, body := c.get(t, mkt, "/admin/twofactor"); !strings.Contains(body, `id="twofactor-on"`) {
		t.Error("two-factor page does not say it is on")
	}

	// The password alone opens no session.
	p := c.passwordStep(t, app.RoleMarketer)
	if !strings.HasPrefix(p.path, "/admin/login/verify") {
		t.Fatalf("sent to %s", p.path)
	}
	req := httptest.NewRequest("GET", "/admin", nil)
	req.AddCookie(p.cookie)
	if resp, _ := c.do(t, req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("console with a pending sign-in: %d, want the sign-in page", resp.StatusCode)
	}
	// The code that confirmed the enrolment is used up.
	if resp, body := c.postCode(t, p, enrolCode); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="code-error"`) {
		t.Fatalf("replayed enrolment code: %d", resp.StatusCode)
	}
	c.clock.Add(30 * time.Second)
	code := c.code(t, secret)
	resp, _ := c.postCode(t, p, code)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("right code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	c.sessionFrom(t, resp)
	// The same code again, on a new sign-in: refused.
	p = c.passwordStep(t, app.RoleMarketer)
	if resp, _ := c.postCode(t, p, code); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("replayed code: %d", resp.StatusCode)
	}

	// A recovery code works once.
	resp, _ = c.postCode(t, p, strings.ToUpper(codes[0]))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("recovery code: %d", resp.StatusCode)
	}
	c.sessionFrom(t, resp)
	p = c.passwordStep(t, app.RoleMarketer)
	if resp, _ := c.postCode(t, p, codes[0]); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("used recovery code: %d", resp.StatusCode)
	}
	if n := c.audited(t, "admin_recovery_code_used"); n != 1 {
		t.Errorf("%d audit entries of recovery codes used, want 1", n)
	}
	if n := c.audited(t, "admin_twofactor_enrolled"); n != 1 {
		t.Errorf("%d audit entries of enrolments, want 1", n)
	}

	// Wrong codes: the third in a row (the used recovery code was the
	// first) makes codes wait, even the right one.
	if resp, _ := c.postCode(t, p, "123456"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code: %d", resp.StatusCode)
	}
	c.clock.Add(30 * time.Second)
	if resp, _ := c.postCode(t, p, "654321"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third wrong code: %d, want 429", resp.StatusCode)
	}
	if resp, _ := c.postCode(t, p, c.code(t, secret)); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right code while waiting: %d, want 429", resp.StatusCode)
	}
	c.clock.Add(31 * time.Second)
	// The pending sign-in outlived its wrong codes; the password is asked
	// again once it expires.
	if resp, _ := c.postCode(t, p, c.code(t, secret)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("right code after the wait: %d", resp.StatusCode)
	}
	p = c.passwordStep(t, app.RoleMarketer)
	c.clock.Add(11 * time.Minute)
	req = httptest.NewRequest("GET", p.path, nil)
	req.AddCookie(p.cookie)
	req.Header.Set("User-Agent", "ConsoleTest/1.0")
	if resp, body := c.do(t, req); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `id="login-form"`) {
		t.Fatalf("expired pending sign-in: %d", resp.StatusCode)
	}

	// Turning it off takes a current code.
	c.clock.Add(30 * time.Second)
	p = c.passwordStep(t, app.RoleMarketer)
	resp, _ = c.postCode(t, p, c.code(t, secret))
	mkt = c.sessionFrom(t, resp)

	// New recovery codes take a current code (here a recovery code) and
	// replace the earlier ones, used or not.
	if _, body := c.get(t, mkt, "/admin/twofactor"); !strings.Contains(body, `id="renew-form"`) {
		t.Error("two-factor page offers no new recovery codes")
	}
	if resp, _ := c.post(t, mkt, "/admin/twofactor/recovery", url.Values{"code": {"222222"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("new recovery codes with a wrong code: %d", resp.StatusCode)
	}
	resp, body = c.post(t, mkt, "/admin/twofactor/recovery", url.Values{"code": {codes[1]}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="recovery-codes"`) {
		t.Fatalf("new recovery codes: %d", resp.StatusCode)
	}
	var renewed []string
	for _, r := range recoveryCodeRe.FindAllStringSubmatch(body, -1) {
		renewed = append(renewed, r[1])
	}
	if len(renewed) != 10 || slices.Contains(codes, renewed[0]) {
		t.Fatalf("new recovery codes %v", renewed)
	}
	if n := c.audited(t, "admin_recovery_codes_renewed"); n != 1 {
		t.Errorf("%d audit entries of new recovery codes, want 1", n)
	}
	p = c.passwordStep(t, app.RoleMarketer)
	if resp, _ := c.postCode(t, p, codes[2]); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an earlier recovery code after the new ones: %d", resp.StatusCode)
	}
	resp, _ = c.postCode(t, p, renewed[0])
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a new recovery code: %d", resp.StatusCode)
	}
	mkt = c.sessionFrom(t, resp)

	if resp, _ := c.post(t, mkt, "/admin/twofactor/disable", url.Values{"code": {"111111"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("disable with a wrong code: %d", resp.StatusCode)
	}
	c.clock.Add(30 * time.Second)
	if resp, _ := c.post(t, mkt, "/admin/twofactor/disable", url.Values{"code": {c.code(t, secret)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if n := c.audited(t, "admin_twofactor_disabled"); n != 1 {
		t.Errorf("%d audit entries of two-factor turned off, want 1", n)
	}
	c.login(t, app.RoleMarketer) // the password is enough again
}

// TestAdminTwoFactorRequired: owners require two-factor; an admin without
// it enrols right after the password and is then signed in; it cannot be
// turned off while required; an owner resets another admin's.
func TestAdminTwoFactorRequired(t *testing.T) {
	c := newConsole(t)
	owner := c.login(t, app.RoleOwner)
	if resp, _ := c.post(t, owner, "/admin/users/twofactor-required", url.Values{"required": {"yes"}}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("require without one's own: %d, want 409", resp.StatusCode)
	}
	_, body := c.get(t, owner, "/admin/twofactor")
	c.enrolFrom(t, body, func(code string) (*http.Response, string) {
		return c.post(t, owner, "/admin/twofactor", url.Values{"code": {code}})
	})
	if resp, _ := c.post(t, owner, "/admin/users/twofactor-required", url.Values{"required": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("require: %d", resp.StatusCode)
	}
	if _, body := c.get(t, owner, "/admin/users"); !strings.Contains(body, `name="required" value="no"`) || !strings.Contains(body, `data-twofactor="on"`) {
		t.Error("users page shows neither the requirement nor who has two-factor")
	}

	// The privacy officer has none: enrolment comes after the password.
	p := c.passwordStep(t, app.RolePrivacyOfficer)
	if !strings.HasPrefix(p.path, "/admin/login/enrol") {
		t.Fatalf("sent to %s, want the enrolment", p.path)
	}
	req := httptest.NewRequest("GET", p.path, nil)
	req.AddCookie(p.cookie)
	req.Header.Set("User-Agent", "ConsoleTest/1.0")
	_, body = c.do(t, req)
	var signedIn *http.Response
	secret, _ := c.enrolFrom(t, body, func(code string) (*http.Response, string) {
		resp, body := c.postCode(t, p, code)
		signedIn = resp
		return resp, body
	})
	officer := c.sessionFrom(t, signedIn)
	if resp, _ := c.get(t, officer, "/admin/subscribers"); resp.StatusCode != 200 {
		t.Fatalf("officer after enrolment: %d", resp.StatusCode)
	}
	c.clock.Add(30 * time.Second)
	if resp, _ := c.post(t, officer, "/admin/twofactor/disable", url.Values{"code": {c.code(t, secret)}}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("turn off while required: %d, want 409", resp.StatusCode)
	}

	// A lost phone: an owner resets it; the sessions end, and the next
	// sign-in enrols again.
	officerID := c.adminID(t, app.RolePrivacyOfficer)
	if resp, _ := c.post(t, owner, "/admin/users/"+id(officerID)+"/twofactor", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if resp, _ := c.get(t, officer, "/admin"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("officer's session after the reset: %d, want ended", resp.StatusCode)
	}
	if p := c.passwordStep(t, app.RolePrivacyOfficer); !strings.HasPrefix(p.path, "/admin/login/enrol") {
		t.Errorf("after the reset: sent to %s", p.path)
	}
	if n := c.audited(t, "admin_twofactor_reset"); n != 1 {
		t.Errorf("%d audit entries of resets, want 1", n)
	}
	// The API's tokens are another matter: unchanged.
	tok, err := c.auth.Admins.NewToken(context.Background(), c.emails[app.RoleMarketer], "integration")
	must(t, err)
	req = httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, _ := c.do(t, req); resp.StatusCode != 200 {
		t.Errorf("API token while two-factor is required: %d", resp.StatusCode)
	}
}

func (c *console) adminID(t *testing.T, role app.Role) int64 {
	t.Helper()
	a, err := c.store.AdminByEmail(context.Background(), c.emails[role])
	must(t, err)
	return a.ID
}
