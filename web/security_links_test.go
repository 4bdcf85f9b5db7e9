package web_test

// Links in mail and the pages of personal data:
//
//   - TestSecurityBulkPreferencesLink: the preferences link of bulk mail,
//     and the long-lived links mailed before links were bound to an
//     address, open nothing and change nothing on any route of the
//     preference centre: they lead to one button that mails a fresh link
//     to the address on file, answering the same whoever they name, within
//     the limits of the other requests that mail such a link.
//   - TestSecurityMailedPreferencesLink: a mailed link opens the centre only
//     while it is fresh and its address is on file.
//   - TestSecurityRevocationNeedsConfirmation: revoking from the preference
//     centre takes a confirmation page, then a POST.
//   - TestSecurityUnsubscribeLinkErasesNobody: the unsubscribe link (bulk
//     mail, List-Unsubscribe) cannot revoke consent.
//   - TestSecurityPersonalDataNotCached: every page and answer that shows
//     personal data says Cache-Control: no-store.
//   - TestSecurityErasureEmptiesOutboxPage: after an erasure the embedded
//     outbox page lists no mail to the person.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/mail"
)

// preferencesMails counts the preferences links queued since the last
// call, per subscriber.
func (e *secEnv) preferencesMails(t *testing.T) map[int64]int {
	t.Helper()
	out := map[int64]int{}
	_, err := e.store.RelayOutbox(context.Background(), 1000, func(m app.OutboxMessage) error {
		if m.Kind == app.OutboxPreferences {
			var ref app.SubscriberRef
			if err := json.Unmarshal(m.Payload, &ref); err != nil {
				return err
			}
			out[ref.SubscriberID]++
		}
		return nil
	})
	must(t, err)
	return out
}

// personal are the pieces of e.active's data no page of a link that opens
// nothing may show.
func (e *secEnv) personal() []string {
	return []string{e.active.Email, strings.Split(e.active.Email, "@")[0], e.active.Name}
}

func TestSecurityBulkPreferencesLink(t *testing.T) {
	e := newSecEnv(t)
	now := time.Now()
	links := map[string]string{
		"Bulk": e.svc.Links.PreferencesRequestToken(e.active.ID),
		"Old": e.svc.Signer.Sign(app.Token{Purpose: app.TokenPreferences, SubscriberID: e.active.ID,
			IssuedAt: now.Add(-30 * 24 * time.Hour), ExpiresAt: now.Add(60 * 24 * time.Hour)}),
	}
	e.preferencesMails(t)
	for name, token := range links {
		t.Run(name, func(t *testing.T) {
			base := "/preferences/" + token
			before := e.snapshot(t)
			attempts := []*http.Request{
				httptest.NewRequest("GET", base, nil),
				httptest.NewRequest("GET", base+"/export", nil),
				httptest.NewRequest("GET", base+"/revoke", nil),
				formPost(base, form("action", "profile", "name", "Someone Else", "phone", "")),
				formPost(base, form("action", "email", "email", "thief@example.net")),
				formPost(base, form("action", "revoke")),
				formPost(base+"/revoke", form("confirm", "yes")),
			}
			for _, req := range attempts {
				what := req.Method + " " + req.URL.Path[len(base):]
				resp, body := e.do(t, req)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="preferences-mail"`) ||
					!strings.Contains(body, `name="action" value="mail"`) {
					t.Fatalf("%s: %d, want the page that mails a link:\n%.400s", what, resp.StatusCode, body)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("%s answers %s", what, ct)
				}
				for _, p := range e.personal() {
					if strings.Contains(body, p) {
						t.Errorf("%s shows %q", what, p)
					}
				}
			}
			unchanged(t, before, e.snapshot(t))
			if n := e.preferencesMails(t); len(n) != 0 {
				t.Fatalf("pages queued mail: %v", n)
			}

			// The button mails a fresh link to the address on file.
			resp, body := e.do(t, formPost(base, form("action", "mail")))
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Check your inbox") {
				t.Fatalf("mail a link: %d %.300s", resp.StatusCode, body)
			}
			if n := e.preferencesMails(t); n[e.active.ID] != 1 || len(n) != 1 {
				t.Fatalf("mail a link queued %v", n)
			}
		})
	}

	// The same page and the same answer whoever the link names; mail only
	// for a person who may get it.
	var pages, answers []string
	for _, id := range []int64{e.active.ID, e.pending.ID, e.erasedID, e.blocked.ID, 987654} {
		token := e.svc.Links.PreferencesRequestToken(id)
		_, page := e.do(t, httptest.NewRequest("GET", "/preferences/"+token, nil))
		pages = append(pages, strings.ReplaceAll(page, token, "TOKEN"))
		resp, answer := e.do(t, formPost("/preferences/"+token, form("action", "mail")))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("mail a link for %d: %d", id, resp.StatusCode)
		}
		answers = append(answers, answer)
	}
	for i := range pages {
		if pages[i] != pages[0] || answers[i] != answers[0] {
			t.Fatalf("the answers differ by whom the link names:\n%s\n---\n%s", pages[i], pages[0])
		}
	}
	if n := e.preferencesMails(t); n[e.active.ID] != 1 || n[e.blocked.ID] != 1 || len(n) != 2 {
		t.Fatalf("mail queued %v, want one for the active and one for the blocked person", n)
	}

	// Limited like POST /preferences: three links an hour per person,
	// whichever page asks (this one, or the unsubscribe page).
	e.lim.reset()
	token := e.svc.Links.PreferencesRequestToken(e.active.ID)
	unsubscribe := "/u/" + e.svc.Links.UnsubscribeToken(e.active.ID, e.campID)
	for i, req := range []*http.Request{
		formPost("/preferences/"+token, form("action", "mail")),
		formPost(unsubscribe, form("choice", "preferences")),
		formPost("/preferences/"+e.svc.Links.PreferencesRequestToken(e.active.ID), form("action", "mail")),
	} {
		if resp, body := e.do(t, req); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d within the limit: %d %.200s", i+1, resp.StatusCode, body)
		}
	}
	e.preferencesMails(t)
	for _, req := range []*http.Request{formPost("/preferences/"+token, form("action", "mail")), formPost(unsubscribe, form("choice", "preferences"))} {
		if resp, _ := e.do(t, req); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s past the limit: %d, want 429", req.URL.Path, resp.StatusCode)
		}
	}
	if n := e.preferencesMails(t); len(n) != 0 {
		t.Fatalf("mail queued past the limit: %v", n)
	}
}

func TestSecurityMailedPreferencesLink(t *testing.T) {
	e := newSecEnv(t)
	now := time.Now()
	good := e.svc.Links.PreferencesToken(e.active)
	resp, body := e.do(t, httptest.NewRequest("GET", "/preferences/"+good, nil))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, e.active.Email) {
		t.Fatalf("a mailed link: %d %.300s", resp.StatusCode, body)
	}
	tk, err := e.svc.Signer.Verify(good, app.TokenPreferences, now)
	must(t, err)
	if tk.ExpiresAt.After(now.Add(app.DefaultPreferencesTTL)) || tk.AddressTag == "" {
		t.Fatalf("a mailed link %+v: not bound, or lives longer than %s", tk, app.DefaultPreferencesTTL)
	}
	bad := map[string]string{
		"Expired": e.svc.Signer.Sign(app.Token{Purpose: app.TokenPreferences, SubscriberID: e.active.ID,
			IssuedAt: now.Add(-5 * time.Hour), ExpiresAt: now.Add(-time.Hour), AddressTag: e.svc.Signer.AddressTag(e.active.Email)}),
		"OtherAddress": e.svc.Signer.Sign(app.Token{Purpose: app.TokenPreferences, SubscriberID: e.active.ID,
			IssuedAt: now, ExpiresAt: now.Add(time.Hour), AddressTag: e.svc.Signer.AddressTag("previous@example.com")}),
	}
	before := e.snapshot(t)
	for name, token := range bad {
		for _, req := range []*http.Request{
			httptest.NewRequest("GET", "/preferences/"+token, nil),
			httptest.NewRequest("GET", "/preferences/"+token+"/export", nil),
			formPost("/preferences/"+token+"/revoke", form("confirm", "yes")),
			formPost("/preferences/"+token, form("action", "profile", "name", "Someone Else")),
		} {
			resp, body := e.do(t, req)
			if resp.StatusCode != http.StatusBadRequest || strings.Contains(body, e.active.Email) {
				t.Errorf("%s %s %s: %d, want 400 without the data", name, req.Method, req.URL.Path, resp.StatusCode)
			}
		}
	}
	unchanged(t, before, e.snapshot(t))
}

func TestSecurityRevocationNeedsConfirmation(t *testing.T) {
	e := newSecEnv(t)
	sub := e.fixture.reader(t, "revoke-me@example.com") // reads Russian
	token := e.svc.Links.PreferencesToken(sub)
	base := "/preferences/" + token
	_, centre := e.do(t, httptest.NewRequest("GET", base, nil))
	if !strings.Contains(centre, `href="`+base+`/revoke"`) || strings.Contains(centre, `value="revoke"`) {
		t.Fatalf("the centre's revoke control is not a link to the confirmation page:\n%s", centre)
	}
	e.confirmationsOrNone(t)
	before := e.snapshot(t)
	for _, req := range []*http.Request{
		formPost(base, form("action", "revoke")), // the centre's old one-press form
		httptest.NewRequest("GET", base+"/revoke", nil),
		formPost(base+"/revoke", form()),
		formPost(base+"/revoke", form("confirm", "no")),
	} {
		resp, body := e.do(t, req)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="preferences-revoke"`) ||
			!strings.Contains(body, "необратимо") || !strings.Contains(body, `name="confirm" value="yes"`) ||
			!strings.Contains(body, sub.Email) {
			t.Fatalf("%s %s: %d, want the confirmation page:\n%.600s", req.Method, req.URL.Path, resp.StatusCode, body)
		}
	}
	unchanged(t, before, e.snapshot(t))
	req := formPost(base+"/revoke", form("confirm", "yes"))
	if resp, body := e.do(t, req); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Согласие отозвано") {
		t.Fatalf("confirmed: %d %.300s", resp.StatusCode, body)
	}
	if g := e.fixture.granted(t, sub.ID); g[app.PurposeProcessing] || g[app.PurposeMarketing] {
		t.Fatalf("consents after the confirmed revocation: %v", g)
	}
	reqs, err := e.store.QueryRequests(context.Background(), app.RequestQuery{SubscriberID: sub.ID})
	must(t, err)
	if len(reqs) != 1 || reqs[0].Kind != app.KindConsentRevocation {
		t.Fatalf("requests %+v", reqs)
	}
}

// confirmationsOrNone drains the outbox.
func (e *secEnv) confirmationsOrNone(t *testing.T) {
	t.Helper()
	_, err := e.store.RelayOutbox(context.Background(), 1000, func(app.OutboxMessage) error { return nil })
	must(t, err)
}

func TestSecurityUnsubscribeLinkErasesNobody(t *testing.T) {
	e := newSecEnv(t)
	path := "/u/" + e.svc.Links.UnsubscribeToken(e.active.ID, e.campID)
	_, page := e.do(t, httptest.NewRequest("GET", path, nil))
	if strings.Contains(page, `value="all"`) || !strings.Contains(page, `value="preferences"`) {
		t.Fatalf("the unsubscribe page:\n%s", page)
	}
	before := e.snapshot(t)
	for _, asJSON := range []bool{false, true} {
		req := formPost(path, form("choice", "all"))
		if asJSON {
			req = jsonPost(path, `{"choice":"all"}`)
		}
		if resp, body := e.do(t, req); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("choice all (json %v): %d %.200s", asJSON, resp.StatusCode, body)
		}
	}
	unchanged(t, before, e.snapshot(t))
}

func TestSecurityPersonalDataNotCached(t *testing.T) {
	e := newSecEnv(t)
	prefs := "/preferences/" + e.svc.Links.PreferencesToken(e.active)
	sub := id(e.victim.ID)
	type check struct {
		path string
		as   routeKind
	}
	for _, c := range []check{
		{prefs, kindLink},
		{prefs + "/export", kindLink},
		{prefs + "/revoke", kindLink},
		{"/u/" + e.svc.Links.UnsubscribeToken(e.active.ID, e.campID), kindLink},
		{"/admin/subscribers", kindAdmin},
		{"/admin/subscribers/" + sub, kindAdmin},
		{"/admin/subscribers/" + sub + "/export", kindAdmin},
		{"/api/v1/subscribers", kindAPI},
		{"/api/v1/subscribers?email=" + e.victim.Email, kindAPI},
		{"/api/v1/subscribers/" + sub, kindAPI},
		{"/api/v1/subscribers/" + sub + "/export", kindAPI},
		{"/api/v1/requests", kindAPI},
		{"/api/v1/destructions", kindAPI},
		{"/api/v1/suppressions", kindAPI},
		{"/api/v1/audit", kindAPI},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		if c.as != kindLink {
			req = e.as(secRoute{kind: c.as}, app.RoleOwner, req)
		}
		resp, body := e.do(t, req)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %.200s", c.path, resp.StatusCode, body)
			continue
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", c.path, cc)
		}
	}
}

// TestSecurityErasureEmptiesOutboxPage: in the embedded mode, once a person
// is erased the owner's outbox page lists no mail to them, and their
// message can no longer be opened.
func TestSecurityErasureEmptiesOutboxPage(t *testing.T) {
	e := newSecEnv(t)
	ctx := context.Background()
	files := mail.NewFileOutbox(e.outbox, nil)
	files.TagRecipients(e.svc.Signer.AddressTag)
	e.svc.MailFiles = files
	sub := e.fixture.reader(t, "outbox-person@example.com")
	for i, m := range []*mail.Message{
		{To: sub.Email, ToName: "Olga Outbox", SubscriberID: sub.ID},
		{To: sub.Email, ToName: "Olga Outbox"}, // before she subscribed
		{To: e.active.Email, ToName: "Someone Else", SubscriberID: e.active.ID},
	} {
		m.From, m.Subject, m.Text, m.MessageID = "News <news@example.com>", "Hello", "Hello", fmt.Sprintf("page%d@example.com", i)
		if r := files.Send(ctx, []*mail.Message{m})[0]; !r.OK() {
			t.Fatal(r.Err)
		}
	}
	owner := func(path string) string {
		t.Helper()
		req := e.as(secRoute{kind: kindAdmin}, app.RoleOwner, httptest.NewRequest("GET", path, nil))
		resp, body := e.do(t, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return body
	}
	if page := owner("/admin/outbox"); !strings.Contains(page, sub.Email) || !strings.Contains(page, e.active.Email) {
		t.Fatalf("the outbox page before the erasure:\n%s", page)
	}
	req := e.as(secRoute{kind: kindAPI}, app.RoleOwner, jsonPost("/api/v1/subscribers/"+id(sub.ID)+"/erase", `{"reason":"asked"}`))
	if resp, body := e.do(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("erase: %d %s", resp.StatusCode, body)
	}
	page := owner("/admin/outbox")
	if strings.Contains(page, sub.Email) || strings.Contains(page, "Olga Outbox") {
		t.Fatalf("the outbox page lists the erased person:\n%s", page)
	}
	if !strings.Contains(page, e.active.Email) {
		t.Fatalf("the erasure removed someone else's mail:\n%s", page)
	}
}
