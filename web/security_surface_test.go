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
