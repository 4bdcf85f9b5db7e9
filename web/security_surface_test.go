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
	"strings"
	"sync"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/web"
)

// listenFixture serves f on a loopback port of its own.
func listenFixture(t *testing.T, f *fixture) string {
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
	addr := listenFixture(t, f)
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
			f := newFixture(t, func(d *web.Deps) { d.FormOrigins = origins })
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
	f := newFixture(t, func(d *web.Deps) {
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
	link, _ := url.Parse(f.svc.Links.Preferences(sub.ID))
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
