package web_test

// The web surface beyond the route table (see security_test.go): the
// language link of every page stays on the site; the console takes its
// CSRF token from the body or a header only; an opaque origin cannot post
// the form; /metrics is closed to the public; rate limits by address
// cannot be dodged with plus-tags; names cannot carry a link; the sign-in
// form neither tells which accounts exist nor lets an outsider lock an
// admin out.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/metrics"
	"newsletter/web"
)

// rawGet sends a request line exactly as given (no client cleans it) and
// returns the status and body.
func rawGet(t *testing.T, addr, target string, header ...string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	must(t, err)
	defer conn.Close()
	must(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
	req := "GET " + target + " HTTP/1.1\r\nHost: news.example.com\r\nConnection: close\r\n"
	for i := 0; i+1 < len(header); i += 2 {
		req += header[i] + ": " + header[i+1] + "\r\n"
	}
	_, err = io.WriteString(conn, req+"\r\n")
	must(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var langLink = regexp.MustCompile(`<a class="lang" href="([^"]*)"`)

// TestSurfaceLanguageLinkStaysOnSite: the link to the other language is
// the page's own path on this site, whatever the request path: never a
// protocol-relative or backslashed URL that a browser would take to
// another host.
func TestSurfaceLanguageLinkStaysOnSite(t *testing.T) {
	f := newFixture(t)
	addr := f.addr(t)
	base, _ := url.Parse("https://news.example.com/")
	for _, target := range []string{
		"//evil.example/x", "//evil.example", "///evil.example/x", `/\evil.example/x`, `/\/evil.example/x`,
		"/%2F%2Fevil.example/x", "/%5C%5Cevil.example", "/./evil.example/../..//evil.example/x", "//evil.example/x?lang=en",
		"/subscribe//evil.example", "/privacy?lang=//evil.example", "/nowhere/../..//evil.example",
	} {
		t.Run(target, func(t *testing.T) {
			status, body := rawGet(t, addr, target, "Accept-Language", "en")
			m := langLink.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("%d: no language link on the page:\n%.400s", status, body)
			}
			href := html.UnescapeString(m[1])
			u, err := url.Parse(href)
			if err != nil {
				t.Fatalf("href %q: %v", href, err)
			}
			lower := strings.ToLower(href)
			if strings.HasPrefix(href, "//") || strings.Contains(href, `\`) || strings.Contains(lower, "%5c") ||
				u.IsAbs() || u.Host != "" || base.ResolveReference(u).Host != base.Host || !strings.HasPrefix(href, "/") {
				t.Errorf("language link %q leaves the site", href)
			}
			if u.Query().Get("lang") != "ru" {
				t.Errorf("language link %q does not switch to Russian", href)
			}
		})
	}
	// A normal page keeps its own path.
	_, body := rawGet(t, addr, "/subscribe?form=blog", "Accept-Language", "en")
	if m := langLink.FindStringSubmatch(body); m == nil || html.UnescapeString(m[1]) != "/subscribe?lang=ru" {
		t.Errorf("language link of /subscribe: %v", m)
	}
}

// TestSurfaceConsoleCSRFFromBodyOnly: the console's CSRF token counts in
// the form body or the X-CSRF-Token header, never in the query string (a
// URL leaks through logs, history and Referer).
func TestSurfaceConsoleCSRFFromBodyOnly(t *testing.T) {
	c := newConsole(t)
	owner := c.login(t, app.RoleOwner)
	path := "/admin/policies"
	good := form("version", "v2", "body_en", "New.", "body_ru", "Новая.")

	req := formPost(path+"?_csrf="+url.QueryEscape(owner.csrf), good)
	resp, body := c.send(t, owner, req)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "did not come from this console") {
		t.Fatalf("token in the query string: %d, want 403: %.300s", resp.StatusCode, body)
	}
	mp := multipartPost(t, path+"?_csrf="+url.QueryEscape(owner.csrf), good)
	if resp, _ := c.send(t, owner, mp); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("multipart body with the token in the query string: %d, want 403", resp.StatusCode)
	}
	if _, err := c.store.Policy(context.Background(), "v2"); !app.IsNotFound(err) {
		t.Fatalf("a refused form published a policy: %v", err)
	}

	// The body and the header work.
	v := form("version", "v3", "body_en", "New.", "body_ru", "Новая.", "_csrf", owner.csrf)
	if resp, body := c.send(t, owner, formPost(path, v)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("token in the body: %d %.300s", resp.StatusCode, body)
	}
	v = form("version", "v4", "body_en", "New.", "body_ru", "Новая.", "_csrf", owner.csrf)
	if resp, body := c.send(t, owner, multipartPost(t, path, v)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("token in a multipart body: %d %.300s", resp.StatusCode, body)
	}
	req = formPost(path, form("version", "v5", "body_en", "New.", "body_ru", "Новая."))
	req.Header.Set("X-CSRF-Token", owner.csrf)
	if resp, body := c.send(t, owner, req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("token in the header: %d %.300s", resp.StatusCode, body)
	}
}

// TestSurfaceOpaqueOrigin: a post whose Origin is "null" (a sandboxed
// frame, a data: URL, a local file) is refused like any unlisted origin,
// whether or not other sites are allowed to post the form.
func TestSurfaceOpaqueOrigin(t *testing.T) {
	for _, origins := range [][]string{{"https://www.example.com"}, nil} {
		t.Run(fmt.Sprintf("origins=%v", origins), func(t *testing.T) {
			f := newFixture(t, func(d *setup) { d.FormOrigins = origins })
			for _, asJSON := range []bool{true, false} {
				var req *http.Request
				if asJSON {
					req = jsonPost("/subscribe", `{"name":"Anna Smith","email":"null-origin@example.com","consent_processing":true}`)
				} else {
					req = formPost("/subscribe", form("name", "Anna Smith", "email", "null-origin@example.com", "consent_processing", "yes"))
				}
				req.Header.Set("Origin", "null")
				resp, body := f.do(t, req)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("json=%v: Origin null: %d, want 403: %.200s", asJSON, resp.StatusCode, body)
				}
				if resp.Header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("json=%v: CORS allowed for an opaque origin", asJSON)
				}
			}
			if _, err := f.store.SubscriberByEmail(context.Background(), "null-origin@example.com"); !app.IsNotFound(err) {
				t.Errorf("a refused post was recorded: %v", err)
			}
			// The product's own form (same origin) and a post without an
			// Origin header still work.
			for _, origin := range []string{"https://news.example.com", ""} {
				req := jsonPost("/subscribe", `{"name":"Anna Smith","email":"own-origin@example.com","consent_processing":true}`)
				if origin != "" {
					req.Header.Set("Origin", origin)
				}
				if resp, body := f.do(t, req); resp.StatusCode != http.StatusAccepted {
					t.Errorf("origin %q: %d %.200s", origin, resp.StatusCode, body)
				}
			}
		})
	}
}

// multipartPost is a multipart/form-data POST of v.
func multipartPost(t *testing.T, path string, v url.Values) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range v {
		for _, x := range vs {
			must(t, w.WriteField(k, x))
		}
	}
	must(t, w.Close())
	r := httptest.NewRequest("POST", path, &buf)
	r.Header.Set("Content-Type", w.FormDataContentType())
	return r
}

// countLimiter counts events per key in memory, with no window: a test
// that needs exact counts does not depend on the clock.
type countLimiter struct {
	mu   sync.Mutex
	seen map[string]int
}

func (l *countLimiter) Allow(_ context.Context, key string, n int, _ time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]int{}
	}
	l.seen[key]++
	return l.seen[key] <= n, nil
}

// TestSurfacePlusTagsShareLimit: the limits per address count one mailbox
// once, however its address is written: +tags, case, and Gmail's dots and
// second domain.
func TestSurfacePlusTagsShareLimit(t *testing.T) {
	f := newFixture(t, func(d *setup) {
		d.Limiter, d.LimitIP, d.LimitAddress = &countLimiter{}, 1000, 3
	})
	groups := map[string][]string{
		"PlusTags": {"bomb+1@example.com", "bomb+2@example.com", "BOMB+3@Example.com", "bomb+4@example.com"},
		"Gmail":    {"v.i.c.t.i.m@gmail.com", "victim+a@googlemail.com", "Vic.Tim+b@gmail.com", "victim@gmail.com"},
	}
	for name, addrs := range groups {
		t.Run(name, func(t *testing.T) {
			for i, addr := range addrs {
				resp, body := f.do(t, jsonPost("/subscribe", `{"name":"Anna Smith","email":"`+addr+`","consent_processing":true}`))
				want := http.StatusAccepted
				if i == len(addrs)-1 {
					want = http.StatusTooManyRequests
				}
				if resp.StatusCode != want {
					t.Fatalf("subscription %d (%s): %d, want %d: %.200s", i+1, addr, resp.StatusCode, want, body)
				}
			}
			if _, err := f.store.SubscriberByEmail(context.Background(), strings.ToLower(addrs[len(addrs)-1])); !app.IsNotFound(err) {
				t.Errorf("the refused subscription was recorded: %v", err)
			}
		})
	}
	t.Run("PreferencesLink", func(t *testing.T) {
		for i := 1; i <= 4; i++ {
			resp, _ := f.do(t, jsonPost("/preferences", fmt.Sprintf(`{"email":"reader+%d@example.com"}`, i)))
			want := http.StatusAccepted
			if i == 4 {
				want = http.StatusTooManyRequests
			}
			if resp.StatusCode != want {
				t.Fatalf("request %d: %d, want %d", i, resp.StatusCode, want)
			}
		}
	})
}

// TestSurfaceNameWithoutLinks: a name that carries a website or a domain is
// refused with a clear message on the field, in the person's language, by
// the form (page and JSON) and by the preference centre; the name with
// the domain is stored nowhere.
func TestSurfaceNameWithoutLinks(t *testing.T) {
	f := newFixture(t)
	const spam = "Visit evil.com now"
	messages := map[string]string{
		"en": "must not contain a website or domain name",
		"ru": "не должно содержать адрес сайта или доменное имя",
	}
	for loc, msg := range messages {
		t.Run("JSON-"+loc, func(t *testing.T) {
			resp, body := f.do(t, jsonPost("/subscribe", `{"name":"`+spam+`","email":"spam-`+loc+`@example.com","consent_processing":true,"locale":"`+loc+`"}`))
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			var e struct{ Fields map[string]string }
			must(t, json.Unmarshal([]byte(body), &e))
			if !strings.Contains(e.Fields["name"], msg) || len(e.Fields) != 1 {
				t.Errorf("fields %v, want the name refused with %q", e.Fields, msg)
			}
		})
		t.Run("Form-"+loc, func(t *testing.T) {
			resp, body := f.do(t, formPost("/subscribe", form("name", spam, "email", "spam-form-"+loc+"@example.com",
				"consent_processing", "yes", "locale", loc)))
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, msg) || !strings.Contains(body, `id="name-error"`) {
				t.Errorf("%d, want the form again with the name's message %q: %.500s", resp.StatusCode, msg, body)
			}
		})
	}
	// The preference centre's name edit.
	ctx := context.Background()
	sub := &app.Subscriber{Email: "reader@example.com", Name: "Anna Reader", Locale: "ru", Status: app.StatusActive}
	must(t, f.store.CreateSubscriber(ctx, sub))
	must(t, f.store.SetConsent(ctx, sub.ID, app.PurposeProcessing, true, time.Now()))
	link, _ := url.Parse(f.svc.Links.Preferences(sub))
	resp, body := f.do(t, formPost(link.Path, form("action", "profile", "name", "Анна magazin.ru", "phone", "")))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, messages["ru"]) {
		t.Errorf("preference centre: %d, want the name refused in Russian: %.500s", resp.StatusCode, body)
	}
	if got, _ := f.store.Subscriber(ctx, sub.ID); got.Name != "Anna Reader" {
		t.Errorf("the name was changed to %q", got.Name)
	}
	for _, addr := range []string{"spam-en@example.com", "spam-ru@example.com", "spam-form-en@example.com", "spam-form-ru@example.com"} {
		if _, err := f.store.SubscriberByEmail(ctx, addr); !app.IsNotFound(err) {
			t.Errorf("%s was recorded: %v", addr, err)
		}
	}
}

const metricsToken = "scrape-token-of-the-surface-suite"

// TestSurfaceMetricsClosed: /metrics on the public port is off unless a
// token is configured, and then answers only to that bearer token; with an
// address of its own it is not on the public port at all, and that
// listener serves /metrics and nothing else.
func TestSurfaceMetricsClosed(t *testing.T) {
	scrape := func(t *testing.T, f *fixture, auth string) (*http.Response, string) {
		t.Helper()
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return f.do(t, req)
	}
	t.Run("Off", func(t *testing.T) {
		f := newFixture(t, func(d *setup) { d.Metrics = metrics.New() })
		for _, auth := range []string{"", "Bearer " + metricsToken, "Bearer "} {
			resp, body := scrape(t, f, auth)
			if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "newsletter_") {
				t.Errorf("auth %q: %d, want 404 without metrics: %.200s", auth, resp.StatusCode, body)
			}
		}
	})
	t.Run("Token", func(t *testing.T) {
		f := newFixture(t, func(d *setup) { d.Metrics, d.MetricsToken = metrics.New(), metricsToken })
		for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer " + metricsToken + "x", "Bearer " + metricsToken[:10],
			"Basic " + metricsToken, metricsToken, "Bearer " + strings.ToUpper(metricsToken)} {
			resp, body := scrape(t, f, auth)
			if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "newsletter_") ||
				!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("auth %q: %d (WWW-Authenticate %q), want 401 without metrics", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		}
		if resp, body := f.do(t, httptest.NewRequest("GET", "/metrics?token="+metricsToken, nil)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token in the query string: %d %.100s", resp.StatusCode, body)
		}
		for _, auth := range []string{"Bearer " + metricsToken, "bearer " + metricsToken} {
			resp, body := scrape(t, f, auth)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "newsletter_http_requests_total") {
				t.Errorf("auth %q: %d, want the metrics: %.200s", auth, resp.StatusCode, body)
			}
		}
	})
	t.Run("OwnAddress", func(t *testing.T) {
		m := metrics.New()
		f := newFixture(t, func(d *setup) { d.Metrics, d.MetricsToken, d.MetricsOwnAddr = m, metricsToken, true })
		if resp, _ := scrape(t, f, "Bearer "+metricsToken); resp.StatusCode != http.StatusNotFound {
			t.Errorf("public port with its own metrics address: %d, want 404", resp.StatusCode)
		}
		for _, token := range []string{"", metricsToken} {
			ms := web.NewMetricsServer(m, token)
			get := func(path, auth string) (int, string) {
				req := httptest.NewRequest("GET", path, nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				resp, err := ms.App().Test(req, 10000)
				must(t, err)
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			for _, path := range []string{"/", "/subscribe", "/healthz", "/admin/login", "/api/v1/me", "/metrics/x"} {
				if code, _ := get(path, "Bearer "+metricsToken); code != http.StatusNotFound {
					t.Errorf("token %q: %s on the metrics address: %d, want 404", token, path, code)
				}
			}
			if token != "" {
				if code, _ := get("/metrics", ""); code != http.StatusUnauthorized {
					t.Errorf("metrics address with a token, no token sent: %d, want 401", code)
				}
			}
			if code, body := get("/metrics", "Bearer "+metricsToken); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
				t.Errorf("token %q: /metrics on its own address: %d %.200s", token, code, body)
			}
		}
	})
}

// countingHasher is the real argon2id hasher, counting its work.
type countingHasher struct {
	app.Argon2id
	checks, hashes atomic.Int64
}

func (h *countingHasher) Check(hash, password string) bool {
	h.checks.Add(1)
	return h.Argon2id.Check(hash, password)
}

func (h *countingHasher) Hash(password string) (string, error) {
	h.hashes.Add(1)
	return h.Argon2id.Hash(password)
}

// TestSurfaceSignInEqualWork: every sign-in path does the same password
// work, one argon2id check, whether the address has an account or not,
// whether the password is right, wrong, empty or too long, and whether
// the source is throttled (then against a dummy hash); and an address
// without an account answers exactly like one with, failure by failure.
// (The work is counted rather than timed; BenchmarkSignInPaths in package
// app shows the times.)
func TestSurfaceSignInEqualWork(t *testing.T) {
	c := newConsole(t)
	h := &countingHasher{}
	c.auth.Passwords = h
	owner, marketer := c.emails[app.RoleOwner], c.emails[app.RoleMarketer]
	c.tryLogin(t, "warm-up@example.com", "wrong password") // makes the dummy hash once
	attempt := func(t *testing.T, email, password string) *http.Response {
		t.Helper()
		before, hashes := h.checks.Load(), h.hashes.Load()
		resp := c.tryLogin(t, email, password)
		if n := h.checks.Load() - before; n != 1 {
			t.Errorf("%s: %d password checks, want exactly 1", email, n)
		}
		if n := h.hashes.Load() - hashes; n != 0 {
			t.Errorf("%s: %d password hashes, want none", email, n)
		}
		return resp
	}
	t.Run("KnownAndUnknownAlike", func(t *testing.T) {
		for i := 1; i <= 4; i++ {
			known := attempt(t, owner, "wrong password")
			unknown := attempt(t, "nobody@example.com", "wrong password")
			if known.StatusCode != unknown.StatusCode || known.Header.Get("Retry-After") != unknown.Header.Get("Retry-After") {
				t.Errorf("failure %d: account %d (Retry-After %q), no account %d (Retry-After %q)", i, known.StatusCode,
					known.Header.Get("Retry-After"), unknown.StatusCode, unknown.Header.Get("Retry-After"))
			}
		}
	})
	t.Run("ThrottledRightPassword", func(t *testing.T) {
		if resp := attempt(t, owner, consolePassword); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("right password from a throttled source: %d, want 429", resp.StatusCode)
		}
	})
	t.Run("OtherPaths", func(t *testing.T) {
		for _, tc := range []struct{ email, password string }{
			{marketer, ""}, {"", "some password"}, {marketer, strings.Repeat("p", 5000)}, {marketer, "wrong password"},
			{"nobody-else@example.com", consolePassword},
		} {
			if resp := attempt(t, tc.email, tc.password); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%q/%d chars: %d, want 401", tc.email, len(tc.password), resp.StatusCode)
			}
		}
		if resp := attempt(t, marketer, consolePassword); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("right password: %d, want 303", resp.StatusCode)
		}
	})
}

// browser is a client of the console from one loopback address, with
// its own cookies.
type browser struct {
	addr, from string
	cookies    map[string]string
}

func newBrowser(addr, from string) *browser {
	return &browser{addr: addr, from: from, cookies: map[string]string{}}
}

func (b *browser) send(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	req.Header.Set("User-Agent", "SurfaceTest/1.0")
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(b.from)}, Timeout: 10 * time.Second}
	client := &http.Client{Timeout: 30 * time.Second,
		Transport:     &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req.URL.Scheme, req.URL.Host, req.RequestURI = "http", b.addr, ""
	resp, err := client.Do(req)
	must(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, k := range resp.Cookies() {
		if k.Value == "" || k.MaxAge < 0 {
			delete(b.cookies, k.Name)
		} else {
			b.cookies[k.Name] = k.Value
		}
	}
	return resp
}

// signIn opens the sign-in page and posts the form.
func (b *browser) signIn(t *testing.T, email, password string) *http.Response {
	t.Helper()
	b.send(t, httptest.NewRequest("GET", "/admin/login", nil))
	tok := b.cookies["__Host-nl_login_csrf"]
	if tok == "" {
		t.Fatal("no sign-in CSRF cookie")
	}
	return b.send(t, formPost("/admin/login", form("_csrf", tok, "email", email, "password", password, "next", "/admin")))
}

func retryAfter(t *testing.T, resp *http.Response) int {
	t.Helper()
	n, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("%d with Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	return n
}

// TestSurfaceSignInNoLockout: an outsider who knows an admin's address
// cannot keep that admin out. Failures slow down the source they come
// from, progressively; failures from many sources slow down every source
// that never signed in to the account; the admin's own address, and the
// browser that holds the account's device cookie wherever it is, still
// sign in.
func TestSurfaceSignInNoLockout(t *testing.T) {
	c := newConsole(t) // 3 failures in a row from one source make it wait
	addr := c.addr(t)
	owner := c.emails[app.RoleOwner]
	admin := newBrowser(addr, "127.0.0.2")
	if resp := admin.signIn(t, owner, consolePassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin signs in: %d", resp.StatusCode)
	}
	device := admin.cookies["__Host-nl_device"]
	if device == "" {
		t.Fatal("no device cookie after signing in")
	}

	// One attacker: its own source waits, longer after each failure.
	attacker := newBrowser(addr, "127.0.0.3")
	for i := 1; i <= 2; i++ {
		if resp := attacker.signIn(t, owner, "guess "+strconv.Itoa(i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	waits := []int{}
	for i := 0; i < 3; i++ {
		resp := attacker.signIn(t, owner, "guess again")
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("guess over the limit: %d, want 429", resp.StatusCode)
		}
		w := retryAfter(t, resp)
		waits = append(waits, w)
		if resp := attacker.signIn(t, owner, consolePassword); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("the right password from the waiting source: %d, want 429", resp.StatusCode)
		}
		c.clock.Add(time.Duration(w+1) * time.Second)
	}
	if !(waits[0] > 0 && waits[1] > waits[0] && waits[2] > waits[1]) {
		t.Errorf("waits %v: want them to grow", waits)
	}
	admin.cookies = map[string]string{} // a new browser at the admin's own address
	if resp := admin.signIn(t, owner, consolePassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin from their own address while one source is throttled: %d, want 303", resp.StatusCode)
	}

	// Many attackers: every source that never signed in waits...
	for i := 10; i < 22; i++ {
		newBrowser(addr, fmt.Sprintf("127.0.0.%d", i)).signIn(t, owner, "distributed guess")
	}
	fresh := newBrowser(addr, "127.0.0.50")
	if resp := fresh.signIn(t, owner, consolePassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a new source during a distributed attack: %d, want 429 (slowed)", resp.StatusCode)
	}
	// ...but not the admin's own address, nor the admin's browser behind
	// an address the attacker shares (a proxy, a café).
	admin.cookies = map[string]string{}
	if resp := admin.signIn(t, owner, consolePassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin from their own address during a distributed attack: %d, want 303", resp.StatusCode)
	}
	shared := newBrowser(addr, "127.0.0.3")
	shared.cookies["__Host-nl_device"] = device
	if resp := shared.signIn(t, owner, consolePassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin's browser at the attacker's address: %d, want 303", resp.StatusCode)
	}
	// A device cookie of another account, or a forged one, is no pass.
	forged := newBrowser(addr, "127.0.0.3")
	forged.cookies["__Host-nl_device"] = strings.Replace(device, ".", "x.", 1)
	if resp := forged.signIn(t, owner, consolePassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a forged device cookie at the throttled address: %d, want 429", resp.StatusCode)
	}
	other := newBrowser(addr, "127.0.0.3")
	other.cookies["__Host-nl_device"] = device
	if resp := other.signIn(t, c.emails[app.RoleMarketer], "wrong password"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the owner's device cookie on another account: %d, want 401", resp.StatusCode)
	}
}

var resetPassword = regexp.MustCompile(`id="reset-password"><p>[^<]*</p><p><code class="secret">([^<]+)</code>`)

// TestSurfaceOwnerResetsPassword: an owner gives another admin a new
// password, shown once; the old password stops working, the admin's
// sessions end, their API tokens are kept unless the owner revokes them
// too, any wait on the account is lifted, and the reset is audited. Nobody
// resets their own password this way.
func TestSurfaceOwnerResetsPassword(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	owner := c.login(t, app.RoleOwner)
	marketer := c.login(t, app.RoleMarketer)
	email := c.emails[app.RoleMarketer]
	token, err := c.auth.Admins.NewToken(ctx, email, "crm")
	must(t, err)
	mk, err := c.store.AdminByEmail(ctx, email)
	must(t, err)
	path := "/admin/users/" + strconv.FormatInt(mk.ID, 10) + "/password"
	for i := 0; i < 3; i++ { // the marketer's source waits now
		c.tryLogin(t, email, "forgotten password")
	}

	for _, revoke := range []bool{false, true} {
		t.Run(fmt.Sprintf("revokeTokens=%v", revoke), func(t *testing.T) {
			v := url.Values{}
			if revoke {
				v.Set("revoke_tokens", "yes")
			}
			resp, body := c.post(t, owner, path, v)
			m := resetPassword.FindStringSubmatch(body)
			if resp.StatusCode != http.StatusOK || m == nil {
				t.Fatalf("reset: %d, no new password shown: %.500s", resp.StatusCode, body)
			}
			if resp.Header.Get("Location") != "" || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
				t.Errorf("the password page may be cached or redirected: %v", resp.Header)
			}
			// Shown once: the users page does not show it again.
			if _, again := c.get(t, owner, "/admin/users"); strings.Contains(again, m[1]) {
				t.Error("the new password is shown again")
			}
			if resp, _ := c.get(t, marketer, "/admin/campaigns"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("the admin's session survived the reset: %d", resp.StatusCode)
			}
			if resp := c.tryLogin(t, email, c.passwords[app.RoleMarketer]); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("the old password: %d, want 401", resp.StatusCode)
			}
			c.passwords[app.RoleMarketer] = m[1]
			marketer = c.login(t, app.RoleMarketer) // the wait was lifted; the new password works
			if _, err := c.auth.Admins.Authenticate(ctx, token); (err != nil) != revoke {
				t.Errorf("API token after the reset (revoke %v): %v", revoke, err)
			}
			entries, err := c.store.ListAudit(ctx, app.AuditQuery{Action: "admin_password_reset", SubjectID: mk.ID, Limit: 1})
			must(t, err)
			want := "api tokens kept"
			if revoke {
				want = "api tokens revoked: 1"
			}
			if len(entries) != 1 || !strings.Contains(entries[0].Details, want) || !strings.Contains(entries[0].Details, "sessions ended: 1") {
				t.Errorf("audit %+v, want %q", entries, want)
			}
		})
	}
	me, err := c.store.AdminByEmail(ctx, c.emails[app.RoleOwner])
	must(t, err)
	resp, body := c.post(t, owner, "/admin/users/"+strconv.FormatInt(me.ID, 10)+"/password", nil)
	if resp.StatusCode != http.StatusConflict || resetPassword.MatchString(body) {
		t.Errorf("own password reset: %d, want 409", resp.StatusCode)
	}
}
