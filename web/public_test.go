package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

func TestSubscribeValidationJSON(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{"Valid", `{"name":"Anna","email":"anna@example.com","consent_processing":true}`, 202, nil},
		{"MissingEverything", `{}`, 422, []string{"name", "email", "consent_processing"}},
		{"BadEmail", `{"name":"Anna","email":"anna@","consent_processing":"yes"}`, 422, []string{"email"}},
		{"BadPhone", `{"name":"Anna","email":"a@example.com","phone":"12","consent_processing":true}`, 422, []string{"phone"}},
		{"NameWithMarkup", `{"name":"<script>","email":"b@example.com","consent_processing":true}`, 422, []string{"name"}},
		// The name rule of the form, the API and the import (app/normalize.go).
		{"NameWithDigit", `{"name":"Anna Test0","email":"e@example.com","consent_processing":true}`, 202, nil},
		{"NameWithPhoneNumber", `{"name":"Call 88005553535","email":"f@example.com","consent_processing":true}`, 422, []string{"name"}},
		{"NoProcessingConsent", `{"name":"Anna","email":"c@example.com","consent_marketing":true}`, 422, []string{"consent_processing"}},
		{"NotJSON", `{"name":`, 422, nil},
		// A site that posts its whole form as JSON sends fields nobody
		// reads: the subscription still goes through.
		{"ExtraFields", `{"name":"Anna","email":"d@example.com","consent_processing":"on","website":"","ts":"x","_csrf":"y","submit":"Subscribe"}`, 202, nil},
		{"WrongType", `{"name":"Anna","email":["d@example.com"],"consent_processing":true}`, 422, []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.do(t, jsonPost("/subscribe", tt.body))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			var got struct {
				Status string            `json:"status"`
				Error  string            `json:"error"`
				Fields map[string]string `json:"fields"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("not JSON: %s", body)
			}
			if tt.status == 202 && got.Status != "confirmation_sent" {
				t.Fatalf("body %s", body)
			}
			if tt.status == 422 && got.Error == "" {
				t.Fatalf("no error message: %s", body)
			}
			for _, field := range tt.fields {
				if got.Fields[field] == "" {
					t.Errorf("no message for %s: %s", field, body)
				}
			}
			if len(got.Fields) != len(tt.fields) {
				t.Errorf("fields %v, want exactly %v", got.Fields, tt.fields)
			}
		})
	}
}

func TestSubscribeFormShowsErrorsAndKeepsInput(t *testing.T) {
	f := newFixture(t)
	resp, body := f.do(t, formPost("/subscribe", url.Values{"name": {"Анна <b>"}, "email": {"anna@@example"},
		"phone": {"+7 912"}, "consent_marketing": {"yes"}, "locale": {"ru"}}))
	if resp.StatusCode != 422 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{`value="Анна &lt;b&gt;"`, `value="anna@@example"`, `id="consent_marketing" name="consent_marketing" value="yes" checked`,
		`id="email-error"`, `lang="ru"`, `aria-invalid="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(body, "<b>") {
		t.Error("input not escaped")
	}
}

// TestSubscribeSameAnswer: the answer reveals nothing about the address.
func TestSubscribeSameAnswer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	body := func(email string) string {
		return `{"name":"Anna","email":"` + email + `","consent_processing":true}`
	}
	_, first := f.do(t, jsonPost("/subscribe", body("known@example.com")))
	must(t, f.store.Tx(ctx, func(tx app.Store) error { return nil }))
	for _, email := range []string{"known@example.com", "KNOWN@example.com", "unknown@example.com"} {
		resp, got := f.do(t, jsonPost("/subscribe", body(email)))
		if resp.StatusCode != 202 || got != first {
			t.Fatalf("%s: %d %s, want %s", email, resp.StatusCode, got, first)
		}
	}
}

func TestSubscribeHoneypotAndFillTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	resp, _ := f.do(t, formPost("/subscribe", url.Values{"name": {"Bot"}, "email": {"bot@example.com"},
		"consent_processing": {"yes"}, "website": {"http://spam.example"}}))
	if resp.StatusCode != 200 {
		t.Fatalf("honeypot answer %d", resp.StatusCode)
	}
	if _, err := f.store.SubscriberByEmail(ctx, "bot@example.com"); !app.IsNotFound(err) {
		t.Fatal("a honeypot submission was recorded")
	}
	// A form sent faster than a person can fill it in is shown again.
	_, page := f.do(t, httptest.NewRequest("GET", "/subscribe", nil))
	stamp := between(page, `name="ts" value="`, `"`)
	resp, body := f.do(t, formPost("/subscribe", url.Values{"name": {"Fast"}, "email": {"fast@example.com"},
		"consent_processing": {"yes"}, "ts": {stamp}}))
	if resp.StatusCode != 422 || !strings.Contains(body, `value="fast@example.com"`) {
		t.Fatalf("too-fast form: %d", resp.StatusCode)
	}
	time.Sleep(1100 * time.Millisecond)
	resp, _ = f.do(t, formPost("/subscribe", url.Values{"name": {"Slow Person"}, "email": {"slow@example.com"},
		"consent_processing": {"yes"}, "ts": {stamp}}))
	if resp.StatusCode != 200 {
		t.Fatalf("form after a human delay: %d", resp.StatusCode)
	}
	if _, err := f.store.SubscriberByEmail(ctx, "slow@example.com"); err != nil {
		t.Fatalf("subscription not recorded: %v", err)
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}

func TestSubscribeRateLimitPerAddress(t *testing.T) {
	f := newFixture(t)
	var last *http.Response
	for i := 0; i < 6; i++ {
		last, _ = f.do(t, jsonPost("/subscribe", `{"name":"Anna","email":"flood@example.com","consent_processing":true}`))
	}
	if last.StatusCode != 429 {
		t.Fatalf("sixth subscription of one address in an hour: %d, want 429", last.StatusCode)
	}
	resp, _ := f.do(t, jsonPost("/subscribe", `{"name":"Anna","email":"other@example.com","consent_processing":true}`))
	if resp.StatusCode != 202 {
		t.Fatalf("another address: %d", resp.StatusCode)
	}
}

func TestEmbeddedFormOrigins(t *testing.T) {
	f := newFixture(t)
	v := url.Values{"name": {"Anna"}, "email": {"embed@example.com"}, "consent_processing": {"yes"}}
	r := formPost("/subscribe", v)
	r.Header.Set("Origin", "https://www.example.com")
	resp, _ := f.do(t, r)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "https://www.example.com/thanks" {
		t.Fatalf("allowed origin: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://www.example.com" {
		t.Errorf("no CORS header for an allowed origin")
	}
	r = formPost("/subscribe", v)
	r.Header.Set("Origin", "https://evil.example.net")
	if resp, _ := f.do(t, r); resp.StatusCode != 403 {
		t.Fatalf("foreign origin: %d, want 403", resp.StatusCode)
	}
	pre := httptest.NewRequest("OPTIONS", "/subscribe", nil)
	pre.Header.Set("Origin", "https://www.example.com")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	if resp, _ := f.do(t, pre); resp.StatusCode != 204 {
		t.Fatalf("preflight: %d", resp.StatusCode)
	}
}

func TestPublicPagesSetNoCookies(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/subscribe", "/privacy", "/preferences", "/confirm/garbage", "/healthz", "/nope"} {
		resp, _ := f.do(t, httptest.NewRequest("GET", path, nil))
		if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("%s sets cookies %v", path, c)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s CSP %q", path, csp)
		}
	}
}

func TestPrivacyPages(t *testing.T) {
	f := newFixture(t)
	resp, body := f.do(t, httptest.NewRequest("GET", "/privacy?lang=ru", nil))
	if resp.StatusCode != 200 || !strings.Contains(body, "Текст Example LLC.") {
		t.Fatalf("current policy: %d %s", resp.StatusCode, body)
	}
	must(t, (&app.Admins{Store: f.store}).PublishPolicy(context.Background(), &app.Admin{ID: 1},
		&app.PolicyVersion{Version: "v2", BodyEN: "New text.", BodyRU: "Новый текст."}))
	_, body = f.do(t, httptest.NewRequest("GET", "/privacy?lang=en", nil))
	if !strings.Contains(body, "New text.") || !strings.Contains(body, `/privacy/v1`) {
		t.Fatalf("after publishing v2: %s", body)
	}
	resp, body = f.do(t, httptest.NewRequest("GET", "/privacy/v1?lang=en", nil))
	if resp.StatusCode != 200 || !strings.Contains(body, "Text of Example LLC.") {
		t.Fatalf("old version: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, httptest.NewRequest("GET", "/privacy/v9", nil)); resp.StatusCode != 404 {
		t.Fatalf("unknown version: %d", resp.StatusCode)
	}
}

func TestBadLinks(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/confirm/AAAA", "/preferences/x.y", "/preferences/" + strings.Repeat("A", 300)} {
		resp, body := f.do(t, httptest.NewRequest("GET", path, nil))
		if resp.StatusCode != 400 || !strings.Contains(body, `action="/preferences"`) {
			t.Errorf("%s: %d, want 400 with a preferences form", path, resp.StatusCode)
		}
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept", "application/json")
		if resp, body := f.do(t, r); resp.StatusCode != 400 || !strings.Contains(body, `"invalid_link"`) {
			t.Errorf("%s JSON: %d %s", path, resp.StatusCode, body)
		}
	}
}

func TestPreferencesLinkSameAnswer(t *testing.T) {
	f := newFixture(t)
	_, a := f.do(t, formPost("/preferences", url.Values{"email": {"nobody@example.com"}}))
	_, b := f.do(t, formPost("/preferences", url.Values{"email": {"also-nobody@example.com"}}))
	if a != b {
		t.Fatal("different answers for unknown addresses")
	}
	resp, _ := f.do(t, formPost("/preferences", url.Values{"email": {"not-an-address"}}))
	if resp.StatusCode != 422 {
		t.Fatalf("bad address: %d", resp.StatusCode)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAnalyticsOnlyWhenConfigured(t *testing.T) {
	f := newFixture(t)
	_, body := f.do(t, httptest.NewRequest("GET", "/subscribe", nil))
	if strings.Contains(body, "stats-consent") || strings.Contains(body, "<script") {
		t.Fatal("a script on a public page with no analytics configured")
	}
	f = newFixture(t, func(d *setup) { d.AnalyticsSrc = "https://stats.example.net/s.js" })
	resp, body := f.do(t, httptest.NewRequest("GET", "/subscribe", nil))
	if !strings.Contains(body, `data-src="https://stats.example.net/s.js"`) || !strings.Contains(body, `<script src="/static/consent.js" defer></script>`) {
		t.Fatal("no consent banner with analytics configured")
	}
	if strings.Contains(body, `<script src="https://stats.example.net`) {
		t.Fatal("the analytics script loads before the visitor allows it")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' https://stats.example.net;") {
		t.Fatalf("CSP %q", csp)
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Fatalf("cookies %v", c)
	}
}
