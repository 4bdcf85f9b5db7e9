package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// clock is a settable time for sessions and lockouts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type consoleQueue struct{}

func (consoleQueue) EnqueueDispatch(context.Context, int64, int64, time.Time) error { return nil }
func (consoleQueue) SendTest(context.Context, *app.Campaign, []string) error        { return nil }

// console is a server with the admin console and one admin per role.
type console struct {
	*fixture
	clock     *clock
	auth      *app.AdminAuth
	passwords map[app.Role]string
	emails    map[app.Role]string
	subID     int64
	campID    int64
	segID     int64
	outbox    string
}

const consolePassword = "correct horse battery"

// newConsole builds the console; plug changes the setup after the
// console's parts are in.
func newConsole(t *testing.T, plug ...func(*setup)) *console {
	t.Helper()
	return newConsoleOn(t, store.Postgres, plug...)
}

// newConsoleOn is newConsole over the database of dialect.
func newConsoleOn(t *testing.T, dialect store.Dialect, plug ...func(*setup)) *console {
	t.Helper()
	c := &console{clock: &clock{t: time.Now().UTC()}, passwords: map[app.Role]string{}, emails: map[app.Role]string{}}
	c.outbox = t.TempDir()
	eml := "From: News <news@example.com>\r\nTo: anna@example.com\r\nSubject: Hello\r\nDate: Mon, 02 Jan 2026 10:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Anna\r\n"
	if err := os.WriteFile(filepath.Join(c.outbox, "20260102T100000.000000000Z-1@example.com.eml"), []byte(eml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var camps *app.Campaigns
	c.fixture = newFixtureOn(t, dialect, func(s *setup) {
		camps = &app.Campaigns{Store: s.store, Queue: consoleQueue{}, Tester: consoleQueue{}, Signer: s.signer}
		s.plugConsole(c, camps)
		for _, p := range plug {
			p(s)
		}
	})
	admins := c.auth.Admins
	for _, r := range []app.Role{app.RoleOwner, app.RoleMarketer, app.RolePrivacyOfficer} {
		email := string(r) + "@example.com"
		if _, err := admins.CreateWithPassword(ctx, email, r, consolePassword); err != nil {
			t.Fatal(err)
		}
		c.emails[r], c.passwords[r] = email, consolePassword
	}
	sub := &app.Subscriber{Email: "anna.petrova@example.com", Name: "Anna Petrova", Locale: "en", Status: app.StatusActive}
	if err := c.store.CreateSubscriber(ctx, sub); err != nil {
		t.Fatal(err)
	}
	c.subID = sub.ID
	camp, err := camps.Create(ctx, nil, app.CampaignInput{Name: "Spring", Subject: "News", Purpose: app.CampaignMarketing,
		BodyHTML: "<p>Hello {{.Name}}</p>"})
	if err != nil {
		t.Fatal(err)
	}
	c.campID = camp.ID
	name := "Russian readers"
	seg, err := (&app.Segments{Store: c.store}).Create(ctx, nil, app.SegmentInput{Name: &name,
		Filter: &app.SegmentFilter{Locales: []string{"ru"}}})
	if err != nil {
		t.Fatal(err)
	}
	c.segID = seg.ID
	return c
}

// session is a signed-in browser.
type session struct {
	cookie *http.Cookie
	csrf   string
	agent  string
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// loginToken opens the sign-in page and returns its cookie and token.
func (c *console) loginToken(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	resp, body := c.do(t, httptest.NewRequest("GET", "/admin/login", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("GET /admin/login: %d", resp.StatusCode)
	}
	var ck *http.Cookie
	for _, k := range resp.Cookies() {
		if strings.HasSuffix(k.Name, "nl_login_csrf") {
			ck = k
		}
	}
	m := csrfInput.FindStringSubmatch(body)
	if ck == nil || m == nil {
		t.Fatalf("sign-in page lacks its CSRF cookie or field")
	}
	return ck, m[1]
}

// tryLogin posts the sign-in form and returns the response.
func (c *console) tryLogin(t *testing.T, email, password string) *http.Response {
	t.Helper()
	ck, tok := c.loginToken(t)
	req := formPost("/admin/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}, "next": {"/admin"}})
	req.AddCookie(ck)
	req.Header.Set("User-Agent", "ConsoleTest/1.0")
	resp, _ := c.do(t, req)
	return resp
}

func (c *console) login(t *testing.T, role app.Role) *session {
	t.Helper()
	resp := c.tryLogin(t, c.emails[role], c.passwords[role])
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", role, resp.StatusCode)
	}
	s := &session{agent: "ConsoleTest/1.0"}
	for _, k := range resp.Cookies() {
		if strings.HasSuffix(k.Name, "nl_admin") && k.Value != "" {
			s.cookie = k
		}
	}
	if s.cookie == nil {
		t.Fatal("no session cookie")
	}
	_, body := c.get(t, s, "/admin")
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("dashboard lacks the CSRF token")
	}
	s.csrf = m[1]
	return s
}

func (c *console) send(t *testing.T, s *session, req *http.Request) (*http.Response, string) {
	t.Helper()
	if s != nil {
		req.AddCookie(s.cookie)
		req.Header.Set("User-Agent", s.agent)
	}
	return c.do(t, req)
}

func (c *console) get(t *testing.T, s *session, path string) (*http.Response, string) {
	t.Helper()
	return c.send(t, s, httptest.NewRequest("GET", path, nil))
}

func (c *console) post(t *testing.T, s *session, path string, v url.Values) (*http.Response, string) {
	t.Helper()
	if v == nil {
		v = url.Values{}
	}
	if s != nil && v.Get("_csrf") == "" {
		v.Set("_csrf", s.csrf)
	}
	return c.send(t, s, formPost(path, v))
}

// TestAdminRoles checks every console route against every role: the
// wrong role gets 403, the right one anything but 401, 403 or a 5xx.
func TestAdminRoles(t *testing.T) {
	c := newConsole(t)
	o, m, p := app.RoleOwner, app.RoleMarketer, app.RolePrivacyOfficer
	all, marketing, privacy, owner := []app.Role{o, m, p}, []app.Role{o, m}, []app.Role{o, p}, []app.Role{o}
	sub, camp, seg := strconv.FormatInt(c.subID, 10), strconv.FormatInt(c.campID, 10), strconv.FormatInt(c.segID, 10)
	const missing = "999999"
	routes := []struct {
		method, path, concrete string
		roles                  []app.Role
	}{
		{"GET", "/admin", "/admin", all},
		{"GET", "/admin/password", "/admin/password", all},
		{"POST", "/admin/password", "/admin/password", all},
		{"GET", "/admin/twofactor", "/admin/twofactor", all},
		{"POST", "/admin/twofactor", "/admin/twofactor", all},
		{"POST", "/admin/twofactor/disable", "/admin/twofactor/disable", all},
		{"POST", "/admin/twofactor/recovery", "/admin/twofactor/recovery", all},

		{"GET", "/admin/campaigns", "/admin/campaigns", marketing},
		{"GET", "/admin/campaigns/new", "/admin/campaigns/new", marketing},
		{"POST", "/admin/campaigns", "/admin/campaigns", marketing},
		{"POST", "/admin/campaigns/preview", "/admin/campaigns/preview", marketing},
		{"GET", "/admin/campaigns/:id<int>", "/admin/campaigns/" + camp, marketing},
		{"GET", "/admin/campaigns/:id<int>/edit", "/admin/campaigns/" + camp + "/edit", marketing},
		{"POST", "/admin/campaigns/:id<int>", "/admin/campaigns/" + missing, marketing},
		{"GET", "/admin/campaigns/:id<int>/preview", "/admin/campaigns/" + camp + "/preview", marketing},
		{"GET", "/admin/campaigns/:id<int>/progress", "/admin/campaigns/" + camp + "/progress", marketing},
		{"POST", "/admin/campaigns/:id<int>/test", "/admin/campaigns/" + missing + "/test", marketing},
		{"POST", "/admin/campaigns/:id<int>/schedule", "/admin/campaigns/" + missing + "/schedule", marketing},
		{"POST", "/admin/campaigns/:id<int>/pause", "/admin/campaigns/" + missing + "/pause", marketing},
		{"POST", "/admin/campaigns/:id<int>/resume", "/admin/campaigns/" + missing + "/resume", marketing},
		{"POST", "/admin/campaigns/:id<int>/cancel", "/admin/campaigns/" + missing + "/cancel", marketing},
		{"POST", "/admin/campaigns/:id<int>/retry", "/admin/campaigns/" + missing + "/retry", marketing},
		{"GET", "/admin/campaigns/:id<int>/send", "/admin/campaigns/" + camp + "/send", marketing},
		{"POST", "/admin/campaigns/:id<int>/send", "/admin/campaigns/" + missing + "/send", marketing},
		{"POST", "/admin/campaigns/:id<int>/unschedule", "/admin/campaigns/" + missing + "/unschedule", marketing},
		{"POST", "/admin/campaigns/:id<int>/duplicate", "/admin/campaigns/" + missing + "/duplicate", marketing},
		{"POST", "/admin/campaigns/:id<int>/archive", "/admin/campaigns/" + missing + "/archive", marketing},
		{"GET", "/admin/segments", "/admin/segments", marketing},
		{"POST", "/admin/segments", "/admin/segments", marketing},
		{"GET", "/admin/segments/:id<int>", "/admin/segments/" + seg, marketing},
		{"POST", "/admin/segments/:id<int>", "/admin/segments/" + missing, marketing},
		{"POST", "/admin/segments/:id<int>/delete", "/admin/segments/" + missing + "/delete", marketing},
		{"GET", "/admin/campaigns/:id<int>/outcomes", "/admin/campaigns/" + camp + "/outcomes?list=complaints", all},

		{"GET", "/admin/subscribers", "/admin/subscribers?q=anna", privacy},
		{"GET", "/admin/subscribers/:id<int>", "/admin/subscribers/" + sub, privacy},
		{"GET", "/admin/subscribers/:id<int>/export", "/admin/subscribers/" + sub + "/export", privacy},
		{"GET", "/admin/subscribers/:id<int>/export.html", "/admin/subscribers/" + sub + "/export.html", privacy},
		{"POST", "/admin/subscribers/:id<int>/export/mail", "/admin/subscribers/" + missing + "/export/mail", privacy},
		{"POST", "/admin/subscribers/:id<int>/block", "/admin/subscribers/" + missing + "/block", privacy},
		{"POST", "/admin/subscribers/:id<int>/requests", "/admin/subscribers/" + missing + "/requests", privacy},
		{"POST", "/admin/subscribers/:id<int>/unblock", "/admin/subscribers/" + missing + "/unblock", privacy},
		{"GET", "/admin/subscribers/:id<int>/erase", "/admin/subscribers/" + sub + "/erase", privacy},
		{"POST", "/admin/subscribers/:id<int>/erase", "/admin/subscribers/" + missing + "/erase", privacy},
		{"GET", "/admin/requests", "/admin/requests", privacy},
		{"GET", "/admin/requests/:id<int>", "/admin/requests/" + missing, privacy},
		{"POST", "/admin/requests/:id<int>/notes", "/admin/requests/" + missing + "/notes", privacy},
		{"POST", "/admin/requests/:id<int>/answer", "/admin/requests/" + missing + "/answer", privacy},
		{"POST", "/admin/requests/:id<int>/close", "/admin/requests/" + missing + "/close", privacy},
		{"POST", "/admin/requests/:id<int>/extend", "/admin/requests/" + missing + "/extend", privacy},
		{"GET", "/admin/review", "/admin/review", privacy},
		{"POST", "/admin/review/:id<int>/assign", "/admin/review/" + missing + "/assign", privacy},
		{"POST", "/admin/review/:id<int>/reject", "/admin/review/" + missing + "/reject", privacy},
		{"GET", "/admin/destructions", "/admin/destructions", privacy},
		{"GET", "/admin/destructions.csv", "/admin/destructions.csv", privacy},
		{"GET", "/admin/suppressions", "/admin/suppressions", privacy},
		{"POST", "/admin/suppressions", "/admin/suppressions", privacy},
		{"POST", "/admin/suppressions/remove", "/admin/suppressions/remove", privacy},
		{"POST", "/admin/suppressions/lift", "/admin/suppressions/lift", privacy},
		{"GET", "/admin/inbound", "/admin/inbound", privacy},
		{"GET", "/admin/audit", "/admin/audit", privacy},
		{"GET", "/admin/audit.csv", "/admin/audit.csv", privacy},
		{"GET", "/admin/requests.csv", "/admin/requests.csv", privacy},
		{"GET", "/admin/policies", "/admin/policies", privacy},
		{"POST", "/admin/policies", "/admin/policies", privacy},
		{"GET", "/admin/import", "/admin/import", privacy},
		{"POST", "/admin/import", "/admin/import", privacy},
		{"GET", "/admin/import/:id<int>", "/admin/import/" + missing, privacy},
		{"GET", "/admin/subscribers.csv", "/admin/subscribers.csv", privacy},

		{"GET", "/admin/users", "/admin/users", owner},
		{"POST", "/admin/users", "/admin/users", owner},
		{"POST", "/admin/users/:id<int>/role", "/admin/users/" + missing + "/role", owner},
		{"POST", "/admin/users/:id<int>/unlock", "/admin/users/" + missing + "/unlock", owner},
		{"POST", "/admin/users/:id<int>/password", "/admin/users/" + missing + "/password", owner},
		{"POST", "/admin/users/:id<int>/delete", "/admin/users/" + missing + "/delete", owner},
		{"POST", "/admin/users/:id<int>/twofactor", "/admin/users/" + missing + "/twofactor", owner},
		{"POST", "/admin/users/twofactor-required", "/admin/users/twofactor-required", owner},
		{"GET", "/admin/tokens", "/admin/tokens", owner},
		{"POST", "/admin/tokens", "/admin/tokens", owner},
		{"GET", "/admin/newsletters", "/admin/newsletters", owner},
		{"POST", "/admin/newsletters", "/admin/newsletters", owner},
		{"POST", "/admin/newsletters/:id<int>", "/admin/newsletters/" + missing, owner},
		{"GET", "/admin/webhooks", "/admin/webhooks", owner},
		{"GET", "/admin/layout", "/admin/layout", owner},
		{"POST", "/admin/layout", "/admin/layout", owner},
		{"GET", "/admin/layout/preview", "/admin/layout/preview", owner},
		{"POST", "/admin/webhooks", "/admin/webhooks", owner},
		{"POST", "/admin/webhooks/:id<int>/rotate", "/admin/webhooks/" + missing + "/rotate", owner},
		{"POST", "/admin/webhooks/:id<int>/delete", "/admin/webhooks/" + missing + "/delete", owner},
		{"POST", "/admin/webhooks/deliveries/:id<int>/replay", "/admin/webhooks/deliveries/" + missing + "/replay", owner},
		{"POST", "/admin/tokens/:id<int>/revoke", "/admin/tokens/" + missing + "/revoke", owner},
		{"GET", "/admin/outbox", "/admin/outbox", owner},
		{"GET", "/admin/outbox/:name", "/admin/outbox/20260102T100000.000000000Z-1@example.com.eml", owner},
		{"GET", "/admin/outbox/:name/html", "/admin/outbox/20260102T100000.000000000Z-1@example.com.eml/html", owner},
	}
	// Every registered console route is in the table (sign-in and
	// sign-out excepted: they need no role).
	known := map[string]bool{}
	for _, r := range routes {
		known[r.method+" "+r.path] = true
	}
	for _, r := range c.srv.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/admin") || r.Method == "HEAD" || strings.HasPrefix(r.Path, "/admin/log") {
			continue
		}
		if !known[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is not in the role table", r.Method, r.Path)
		}
	}
	sessions := map[app.Role]*session{}
	for _, role := range all {
		sessions[role] = c.login(t, role)
	}
	for _, r := range routes {
		for _, role := range all {
			allowed := false
			for _, a := range r.roles {
				allowed = allowed || a == role
			}
			t.Run(string(role)+" "+r.method+" "+r.path, func(t *testing.T) {
				var resp *http.Response
				var body string
				if r.method == "GET" {
					resp, body = c.get(t, sessions[role], r.concrete)
				} else {
					resp, body = c.post(t, sessions[role], r.concrete, nil)
				}
				switch {
				case !allowed && resp.StatusCode != http.StatusForbidden:
					t.Errorf("%s: %d, want 403", role, resp.StatusCode)
				case allowed && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode >= 500):
					t.Errorf("%s: %d: %.300s", role, resp.StatusCode, body)
				}
			})
		}
	}
	// Without a session nothing is shown: pages send to the sign-in page,
	// the rest is refused.
	resp, _ := c.get(t, nil, "/admin/subscribers")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") {
		t.Errorf("no session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = c.post(t, nil, "/admin/users", url.Values{"email": {"x@example.com"}, "role": {"owner"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without session: %d, want 401", resp.StatusCode)
	}
}

// TestAdminMarketerSeesNoPersonalData checks what a marketer's pages show.
func TestAdminMarketerSeesNoPersonalData(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleMarketer)
	for _, path := range []string{"/admin", "/admin/campaigns", "/admin/campaigns/" + strconv.FormatInt(c.campID, 10)} {
		resp, body := c.get(t, s, path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		if strings.Contains(body, "anna.petrova") || strings.Contains(body, "Anna Petrova") {
			t.Errorf("%s shows personal data to a marketer", path)
		}
		if strings.Contains(body, `href="/admin/subscribers"`) {
			t.Errorf("%s offers the subscribers section to a marketer", path)
		}
	}
}

// TestAdminCSRF checks that a state-changing request needs the session's
// token.
func TestAdminCSRF(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleOwner)
	paths := []string{"/admin/users", "/admin/tokens", "/admin/password", "/admin/campaigns",
		"/admin/subscribers/" + strconv.FormatInt(c.subID, 10) + "/erase", "/admin/logout"}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			for name, token := range map[string]string{"Missing": "", "Wrong": s.csrf + "x"} {
				req := formPost(path, url.Values{"_csrf": {token}, "email": {"new@example.com"}, "role": {"owner"}, "confirm": {"yes"}})
				resp, _ := c.send(t, s, req)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s token: %d, want 403", name, resp.StatusCode)
				}
			}
			req := formPost(path, url.Values{"_csrf": {s.csrf}})
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			if resp, _ := c.send(t, s, req); resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site: %d, want 403", resp.StatusCode)
			}
		})
	}
	// The header works for scripts.
	req := formPost("/admin/users", url.Values{"email": {"bad"}})
	req.Header.Set("X-CSRF-Token", s.csrf)
	if resp, _ := c.send(t, s, req); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("token in header: %d, want 422", resp.StatusCode)
	}
	// Nothing was changed by the refused requests.
	accounts, _ := c.auth.Accounts(context.Background())
	if len(accounts) != 3 {
		t.Errorf("%d accounts after refused requests, want 3", len(accounts))
	}
	if sub, _ := c.store.Subscriber(context.Background(), c.subID); sub.Status != app.StatusActive {
		t.Errorf("subscriber %s after refused erasure", sub.Status)
	}
	// The sign-in form has its own token.
	resp, _ := c.do(t, formPost("/admin/login", url.Values{"email": {c.emails[app.RoleOwner]}, "password": {consolePassword}}))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without token: %d, want 403", resp.StatusCode)
	}
}

// TestAdminLoginLockout locks an account after repeated failures, even
// against the right password, until the lockout ends.
func TestAdminLoginLockout(t *testing.T) {
	c := newConsole(t)
	email := c.emails[app.RoleOwner]
	for i := 1; i <= 3; i++ {
		resp := c.tryLogin(t, email, "wrong password "+strconv.Itoa(i))
		want := http.StatusUnauthorized
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Fatalf("failure %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	if resp := c.tryLogin(t, email, consolePassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d, want 429", resp.StatusCode)
	}
	// Other accounts are not affected; unknown addresses get the usual answer.
	if resp := c.tryLogin(t, c.emails[app.RoleMarketer], consolePassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another account: %d", resp.StatusCode)
	}
	// An unknown address answers like a real account: 401, then 429 at the
	// same failure count, so the lockout does not reveal which exist.
	for i := 1; i <= 3; i++ {
		want := http.StatusUnauthorized
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if resp := c.tryLogin(t, "nobody@example.com", "wrong password "+strconv.Itoa(i)); resp.StatusCode != want {
			t.Fatalf("unknown address, failure %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	c.clock.Add(16 * time.Minute)
	if resp := c.tryLogin(t, email, consolePassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the lockout: %d, want 303", resp.StatusCode)
	}
	// A success resets the count: two failures do not lock.
	for i := 0; i < 2; i++ {
		c.tryLogin(t, email, "wrong")
	}
	if resp := c.tryLogin(t, email, consolePassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after two failures: %d, want 303", resp.StatusCode)
	}
}

// TestAdminSessionExpiry ends sessions after the idle timeout and after
// their lifetime, and at sign-out.
func TestAdminSessionExpiry(t *testing.T) {
	c := newConsole(t)
	expired := func(t *testing.T, s *session) {
		t.Helper()
		resp, _ := c.get(t, s, "/admin")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
			t.Fatalf("expired session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := c.post(t, s, "/admin/tokens", url.Values{"name": {"x"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("POST with an expired session: %d, want 401", resp.StatusCode)
		}
	}
	t.Run("Idle", func(t *testing.T) {
		s := c.login(t, app.RoleOwner)
		c.clock.Add(29 * time.Minute)
		if resp, _ := c.get(t, s, "/admin"); resp.StatusCode != 200 {
			t.Fatalf("active session: %d", resp.StatusCode)
		}
		c.clock.Add(31 * time.Minute)
		expired(t, s)
	})
	t.Run("Lifetime", func(t *testing.T) {
		s := c.login(t, app.RoleOwner)
		// Used every 25 minutes, it lives 8 hours, not a minute more.
		for elapsed := 25 * time.Minute; elapsed < 8*time.Hour; elapsed += 25 * time.Minute {
			c.clock.Add(25 * time.Minute)
			if resp, _ := c.get(t, s, "/admin"); resp.StatusCode != 200 {
				t.Fatalf("session in use after %s: %d", elapsed, resp.StatusCode)
			}
		}
		c.clock.Add(25 * time.Minute)
		expired(t, s)
	})
	t.Run("AnotherBrowser", func(t *testing.T) {
		s := c.login(t, app.RoleOwner)
		stolen := *s
		stolen.agent = "Other/2.0"
		resp, _ := c.get(t, &stolen, "/admin")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session from another browser: %d", resp.StatusCode)
		}
	})
	t.Run("Logout", func(t *testing.T) {
		s := c.login(t, app.RoleOwner)
		resp, _ := c.post(t, s, "/admin/logout", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		expired(t, s)
	})
}

// TestAdminPasswordChange changes a password: the other sessions end, this
// one goes on, and only the new password signs in.
func TestAdminPasswordChange(t *testing.T) {
	c := newConsole(t)
	s1, s2 := c.login(t, app.RolePrivacyOfficer), c.login(t, app.RolePrivacyOfficer)
	resp, _ := c.post(t, s1, "/admin/password", url.Values{"current": {"wrong"}, "new": {"a new long secret"}, "repeat": {"a new long secret"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current password: %d", resp.StatusCode)
	}
	resp, body := c.post(t, s1, "/admin/password", url.Values{"current": {consolePassword}, "new": {"short"}, "repeat": {"short"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "class=\"error\"") {
		t.Fatalf("short password: %d", resp.StatusCode)
	}
	resp, _ = c.post(t, s1, "/admin/password", url.Values{"current": {consolePassword}, "new": {"a new long secret"}, "repeat": {"a new long secret"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	if resp, _ := c.get(t, s1, "/admin"); resp.StatusCode != 200 {
		t.Errorf("this session after the change: %d", resp.StatusCode)
	}
	if resp, _ := c.get(t, s2, "/admin"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("other session after the change: %d, want a redirect to sign in", resp.StatusCode)
	}
	if resp := c.tryLogin(t, c.emails[app.RolePrivacyOfficer], consolePassword); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password: %d", resp.StatusCode)
	}
	c.passwords[app.RolePrivacyOfficer] = "a new long secret"
	c.login(t, app.RolePrivacyOfficer)
}

// TestAdminHeaders checks the security headers and the session cookie.
func TestAdminHeaders(t *testing.T) {
	c := newConsole(t)
	resp := c.tryLogin(t, c.emails[app.RoleOwner], consolePassword)
	var ck *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == "__Host-nl_admin" {
			ck = k
		}
	}
	if ck == nil || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Fatalf("session cookie %+v", ck)
	}
	s := c.login(t, app.RoleOwner)
	for _, path := range []string{"/admin", "/admin/login", "/admin/users", "/admin/campaigns/" + strconv.FormatInt(c.campID, 10)} {
		resp, body := c.get(t, s, path)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") == "" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", path, resp.Header)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, "<style") || strings.Contains(body, " onclick=") {
			t.Errorf("%s has inline script or style", path)
		}
	}
	// The mail preview frame: no script at all, framed only by the console.
	resp, _ = c.get(t, s, "/admin/campaigns/"+strconv.FormatInt(c.campID, 10)+"/preview")
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("preview CSP %q", csp)
	}
}

// TestAdminEraseNeedsConfirmation erases a subscriber only after the
// confirmation step.
func TestAdminEraseNeedsConfirmation(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RolePrivacyOfficer)
	path := "/admin/subscribers/" + strconv.FormatInt(c.subID, 10)
	if resp, body := c.get(t, s, path+"/erase"); resp.StatusCode != 200 || !strings.Contains(body, `id="erase-confirm"`) {
		t.Fatalf("confirmation page: %d", resp.StatusCode)
	}
	if resp, _ := c.post(t, s, path+"/erase", url.Values{"reason": {"court order"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unconfirmed erasure: %d, want 422", resp.StatusCode)
	}
	if sub, _ := c.store.Subscriber(context.Background(), c.subID); sub.Status != app.StatusActive {
		t.Fatalf("erased without confirmation")
	}
	resp, _ := c.post(t, s, path+"/erase", url.Values{"reason": {"court order"}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path+"?ok=admin.ok.erased" {
		t.Fatalf("erasure: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	sub, err := c.store.Subscriber(context.Background(), c.subID)
	if err != nil || sub.Status != app.StatusErased || sub.Email != "" || sub.Name != "" {
		t.Fatalf("after erasure: %+v %v", sub, err)
	}
	_, body := c.get(t, s, path+"?ok=admin.ok.erased")
	if !strings.Contains(body, `data-status="erased"`) || strings.Contains(body, "anna.petrova") {
		t.Errorf("subscriber page after erasure")
	}
	if _, body := c.get(t, s, "/admin/destructions"); !strings.Contains(body, "Anna Petrova") {
		t.Errorf("no destruction record listed")
	}
	resp, body = c.get(t, s, "/admin/destructions.csv")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(body, "Anna Petrova") {
		t.Errorf("destructions CSV: %d %s", resp.StatusCode, body)
	}
}

// TestAdminCampaignForms writes, schedules and follows a campaign.
func TestAdminCampaignForms(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleMarketer)
	resp, body := c.post(t, s, "/admin/campaigns", url.Values{"name": {""}, "subject": {"x"}, "purpose": {"marketing"}, "body_html": {"{{.Nope}}"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `class="error"`) {
		t.Fatalf("invalid campaign: %d", resp.StatusCode)
	}
	resp, _ = c.post(t, s, "/admin/campaigns", url.Values{"name": {"Autumn"}, "subject": {"Autumn offers"}, "purpose": {"marketing"},
		"body_html": {"<h1>Hi {{.Name}}</h1>"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/campaigns/") {
		t.Fatalf("create: %d %s", resp.StatusCode, loc)
	}
	page := strings.Split(loc, "?")[0]
	resp, body = c.get(t, s, loc)
	if resp.StatusCode != 200 || !strings.Contains(body, "Campaign saved.") || !strings.Contains(body, "Autumn offers") {
		t.Fatalf("campaign page: %d", resp.StatusCode)
	}
	_, preview := c.get(t, s, page+"/preview")
	if !strings.Contains(preview, "<h1>Hi Anna</h1>") || !strings.Contains(preview, "Unsubscribe") {
		t.Errorf("preview lacks the body or the footer: %s", preview)
	}
	if resp, _ := c.post(t, s, page+"/schedule", url.Values{"when": {"later"}, "send_at": {"2099-01-02T10:00"}, "tz_offset": {"-180"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: %d", resp.StatusCode)
	}
	_, js := c.get(t, s, page+"/progress")
	var p struct {
		Status string `json:"status"`
		Live   bool   `json:"live"`
	}
	if err := json.Unmarshal([]byte(js), &p); err != nil || p.Status != "scheduled" || !p.Live {
		t.Fatalf("progress %s", js)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/admin/campaigns/"), 10, 64)
	camp, _ := c.store.Campaign(context.Background(), id)
	if want := time.Date(2099, 1, 2, 7, 0, 0, 0, time.UTC); camp.SendAt == nil || !camp.SendAt.Equal(want) {
		t.Errorf("send_at %v, want %v (Moscow time in UTC)", camp.SendAt, want)
	}
	if resp, body := c.post(t, s, page+"/resume", nil); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "cannot be resumed") {
		t.Errorf("resume a scheduled campaign: %d", resp.StatusCode)
	}
	if resp, _ := c.post(t, s, page+"/cancel", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("cancel: %d", resp.StatusCode)
	}
}

// TestAdminUsersAndTokens creates an account and a token, each shown
// once, and changes the account's role.
func TestAdminUsersAndTokens(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleOwner)
	_, body := c.get(t, s, "/admin/users")
	for _, email := range c.emails {
		if !strings.Contains(body, email) {
			t.Errorf("users page lacks %s", email)
		}
	}
	if !strings.Contains(body, "(you)") {
		t.Error("users page does not mark the signed-in account")
	}
	resp, body := c.post(t, s, "/admin/users", url.Values{"email": {"new.officer@example.com"}, "role": {"privacy_officer"}})
	m := regexp.MustCompile(`<code class="secret">([^<]+)</code>`).FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("create account: %d", resp.StatusCode)
	}
	c.emails["new"], c.passwords["new"] = "new.officer@example.com", m[1]
	officer := c.login(t, "new")
	if resp, _ := c.get(t, officer, "/admin/subscribers"); resp.StatusCode != 200 {
		t.Fatalf("new officer: %d", resp.StatusCode)
	}
	accounts, _ := c.auth.Accounts(context.Background())
	var id int64
	for _, a := range accounts {
		if a.Email == "new.officer@example.com" {
			id = a.ID
		}
	}
	if resp, _ := c.post(t, s, "/admin/users/"+strconv.FormatInt(id, 10)+"/role", url.Values{"role": {"marketer"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("role change: %d", resp.StatusCode)
	}
	if resp, _ := c.get(t, officer, "/admin/subscribers"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("demoted account still sees subscribers: %d", resp.StatusCode)
	}
	resp, body = c.post(t, s, "/admin/tokens", url.Values{"name": {"CRM sync"}, "admin_id": {strconv.FormatInt(id, 10)}})
	m = regexp.MustCompile(`<code class="secret">(nl_[^<]+)</code>`).FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil || !strings.Contains(body, "CRM sync") {
		t.Fatalf("create token: %d", resp.StatusCode)
	}
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+m[1])
	if resp, body := c.do(t, req); resp.StatusCode != 200 || !strings.Contains(body, `"marketer"`) {
		t.Errorf("the new token: %d %s", resp.StatusCode, body)
	}
	if resp, _ := c.post(t, s, "/admin/users/"+strconv.FormatInt(id, 10)+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if resp, _ := c.do(t, req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token of a deleted account: %d", resp.StatusCode)
	}
	if resp, _ := c.get(t, officer, "/admin"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("session of a deleted account: %d", resp.StatusCode)
	}
}

// TestAdminPagesRussian renders the console in Russian.
func TestAdminPagesRussian(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleOwner)
	_, body := c.get(t, s, "/admin?lang=ru")
	if !strings.Contains(body, `lang="ru"`) || !strings.Contains(body, "Подписчики") {
		t.Fatal("no Russian dashboard")
	}
	// The choice sticks to the session.
	if _, body := c.get(t, s, "/admin/users"); !strings.Contains(body, "Пользователи") {
		t.Error("language not kept")
	}
}
