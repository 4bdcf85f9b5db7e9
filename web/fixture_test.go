package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
	"newsletter/jobs"
	"newsletter/templates"
	"newsletter/web"
)

// The test servers of this package: newFixture (PostgreSQL and Redis, the
// public side plugged in; a setup function plugs in more) and newAPIParts
// (an embedded store with an API token of each role).

type fixture struct {
	srv   *web.Server
	store *store.Store
	svc   *testenv.UseCases
}

// setup is what a fixture's server is built from: its Deps and Options,
// which a test may change, and the parts behind them.
type setup struct {
	web.Deps
	web.Options
	store  *store.Store
	svc    *testenv.UseCases
	admins *app.Admins
	signer *app.Signer
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t *testing.T, plug ...func(*setup)) *fixture {
	t.Helper()
	return newFixtureOn(t, store.Postgres, plug...)
}

// newFixtureOn is newFixture over the database of dialect.
func newFixtureOn(t *testing.T, dialect store.Dialect, plug ...func(*setup)) *fixture {
	t.Helper()
	ctx := context.Background()
	st := testenv.Store(t, dialect)
	q, err := jobs.Connect(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	signer, _ := app.NewSigner([]byte("web-test-secret-0123456789abcdef0123"))
	cal, _ := app.NewCalendar(time.UTC, nil)
	base, _ := url.Parse("https://news.example.com")
	op := app.Operator{Name: "Example LLC", Email: "privacy@example.com", Country: "RU", SMTPCountry: "RU"}
	svc := testenv.Wire(&app.Subscriptions{Core: &app.Core{Store: st, Signer: signer, Links: &app.Links{Base: base, Signer: signer}, Calendar: cal, Operator: op},
		ConfirmTTL: time.Hour, PendingTTL: 24 * time.Hour})
	admins := &app.Admins{Store: st}
	if err := admins.EnsurePolicy(ctx, "v1", "# Policy\n\nText of {{operator_name}}.", "# Политика\n\nТекст {{operator_name}}."); err != nil {
		t.Fatal(err)
	}
	pages, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &setup{store: st, svc: svc, admins: admins, signer: signer,
		Deps: web.Deps{Log: quietLog(), Pages: pages, APITokens: admins, Publisher: admins, Subscriptions: svc, Preferences: svc,
			Newsletters: &app.Newsletters{Store: st},
			Policies:    st, Directory: st, Keys: signer, Limiter: &jobs.RateLimiter{Redis: q.Redis()}, Layout: pages,
			Archive: &app.Archive{Store: st, PreferencesURL: svc.Links.Page("/preferences")},
			Clicks:  &app.Clicks{Store: st, Signer: signer}},
		Options: web.Options{Operator: op, BaseURL: base, MinFillTime: time.Second, LimitIP: 1000, LimitAddress: 5,
			FormOrigins: []string{"https://www.example.com"}, FormRedirect: "https://www.example.com/thanks"}}
	for _, p := range plug {
		p(s)
	}
	return &fixture{srv: web.New(s.Deps, s.Options), store: st, svc: svc}
}

// plugOptOut plugs in the opt-out use cases and the privacy operations.
func (s *setup) plugOptOut() {
	s.Unsubscribes, s.Inbound, s.Privacy = s.svc, s.svc, s.svc
}

// plugConsole turns the console on for c, with the privacy operations and
// the campaign use cases camps, and the outbox page when c has one.
func (s *setup) plugConsole(c *console, camps *app.Campaigns) {
	c.auth = &app.AdminAuth{Store: s.store, Admins: s.admins, Now: c.clock.Now, MaxFailures: 3, Lockout: 15 * time.Minute,
		SessionTTL: 8 * time.Hour, IdleTimeout: 30 * time.Minute, Keys: s.signer}
	s.Auth, s.TwoFactor, s.Dashboard, s.Privacy, s.Campaigns, s.OutboxDir = c.auth, c.auth, s.store, s.svc, camps, c.outbox
	s.EventHooks = &app.Webhooks{Store: s.store, Wake: s.svc.Wake}
	s.Segments = &app.Segments{Store: s.store}
	s.Bulk = &app.Bulk{Importer: &app.Importer{Store: s.store, Signer: s.signer, Operator: s.svc.Operator}, Store: s.store, Log: quietLog()}
	s.MailLayouts = &app.Layouts{Core: s.svc.Core}
}

func (f *fixture) do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := f.srv.App().Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// addr serves f on a loopback port of its own until the test ends (a
// body over the limit is refused while it is read, which app.Test does
// not show) and returns the address.
func (f *fixture) addr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.srv.App().Listener(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = f.srv.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

// listen serves f like addr and returns its base URL.
func (f *fixture) listen(t *testing.T) string { return "http://" + f.addr(t) }

func jsonPost(path, body string) *http.Request {
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func formPost(path string, v url.Values) *http.Request {
	r := httptest.NewRequest("POST", path, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// apiParts are the parts of an API test server: a migrated embedded
// (SQLite) store, the services over it, and an account with an API token
// of each role.
type apiParts struct {
	st     *store.Store
	svc    *testenv.UseCases
	admins *app.Admins
	tokens map[app.Role]string
}

func newAPIParts(t *testing.T) *apiParts {
	t.Helper()
	return newAPIPartsOn(t, "", filepath.Join(t.TempDir(), "api.db"))
}

// newAPIPartsOn is newAPIParts over PostgreSQL at dsn, or, when dsn is
// empty, the embedded database at path.
func newAPIPartsOn(t *testing.T, dsn, path string) *apiParts {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, path)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(ctx)
	must(t, err)
	signer, err := app.NewSigner([]byte("0123456789abcdef0123456789abcdef-test"))
	must(t, err)
	cal, _ := app.NewCalendar(time.UTC, nil)
	p := &apiParts{st: st, admins: &app.Admins{Store: st}, tokens: map[app.Role]string{},
		svc: testenv.Wire(&app.Subscriptions{Core: &app.Core{Store: st, Signer: signer, Calendar: cal, Operator: app.Operator{Country: "RU", SMTPCountry: "RU"}}})}
	for _, r := range []app.Role{app.RoleOwner, app.RoleMarketer, app.RolePrivacyOfficer} {
		email := string(r) + "@example.com"
		_, _, err := p.admins.Create(ctx, email, r)
		must(t, err)
		p.tokens[r], err = p.admins.NewToken(ctx, email, "test")
		must(t, err)
	}
	return p
}

// deps plugs the parts into everything the API calls but campaigns and
// webhooks.
func (p *apiParts) deps() web.Deps {
	return web.Deps{Log: quietLog(), APITokens: p.admins, Publisher: p.admins, Subscriptions: p.svc, Preferences: p.svc,
		Newsletters: &app.Newsletters{Store: p.st},
		Directory:   p.st, Policies: p.st, Privacy: p.svc}
}

// serve builds a server of deps with no settings, called with the parts'
// tokens.
func (p *apiParts) serve(deps web.Deps) *apiServer {
	return &apiServer{srv: web.New(deps, web.Options{}), tokens: p.tokens}
}

// apiServer is an API test server with a token for each role.
type apiServer struct {
	srv    *web.Server
	tokens map[app.Role]string
}

// do sends a request as role (none: no token) with a JSON body (none when
// empty) and header name and value pairs, and returns the status, the
// headers and the body.
func (a *apiServer) do(t *testing.T, role app.Role, method, path, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+a.tokens[role])
	}
	resp, err := a.srv.App().Test(req, 10000)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// call sends a request like do and decodes the answer, which must be JSON
// (but for 204 No Content).
func (a *apiServer) call(t *testing.T, role app.Role, method, path, body string) (int, map[string]any) {
	t.Helper()
	code, _, b := a.do(t, role, method, path, body)
	var out map[string]any
	if code == http.StatusNoContent && len(b) == 0 {
		return code, nil
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	return code, out
}
