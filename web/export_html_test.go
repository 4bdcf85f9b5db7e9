package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

// TestAdminExportHTML: the printable export shows every value of the JSON
// export, in the console's language, as a document of its own (no
// external resources), never cached, never indexed, and is audited.
func TestAdminExportHTML(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := c.store.SetConsent(ctx, c.subID, app.PurposeMarketing, true, at); err != nil {
		t.Fatal(err)
	}
	if err := c.store.AddConsentEvent(ctx, &app.ConsentEvent{SubscriberID: c.subID, Purpose: app.PurposeMarketing, Action: app.ConsentGranted,
		Evidence: app.Evidence{At: at, Channel: app.ChannelWeb, IP: "203.0.113.9", UserAgent: "Mozilla/5.0 <Test & Co>",
			FormID: "footer-form", Page: "https://shop.example/news?a=1&b=2", PolicyVersion: "2026-01"},
		ConsentText: "I agree to receive news & offers."}); err != nil {
		t.Fatal(err)
	}
	sid := c.subID
	due := at.Add(30 * 24 * time.Hour)
	if err := c.store.CreateRequest(ctx, &app.Request{SubscriberID: &sid, Kind: app.KindAccess, Channel: app.ChannelPhone,
		Status: app.RequestReceived, ReceivedAt: at, DueAt: &due, Verification: "called back on file number", Note: "asked what we hold"}); err != nil {
		t.Fatal(err)
	}
	s := c.login(t, app.RolePrivacyOfficer)
	path := "/admin/subscribers/" + strconv.FormatInt(c.subID, 10)
	if _, page := c.get(t, s, path); !strings.Contains(page, `href="`+path+`/export.html"`) {
		t.Fatal("no printable export on the subscriber page")
	}
	resp, raw := c.get(t, s, path+"/export")
	if resp.StatusCode != 200 {
		t.Fatalf("JSON export: %d", resp.StatusCode)
	}
	resp, doc := c.get(t, s, path+"/export.html")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("HTML export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if !strings.Contains(resp.Header.Get("X-Robots-Tag"), "noindex") || !strings.Contains(doc, `name="robots" content="noindex`) {
		t.Error("the export may be indexed")
	}
	for _, ext := range []string{"<script", "<link", "src=", "url(", "@import"} {
		if strings.Contains(doc, ext) {
			t.Errorf("the document loads something: %s", ext)
		}
	}
	if !strings.Contains(doc, "@media print") {
		t.Error("no print style")
	}
	var x map[string]any
	if err := json.Unmarshal([]byte(raw), &x); err != nil {
		t.Fatal(err)
	}
	checked := 0
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(key+"."+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", key, i), e)
			}
		case string:
			if v == "" {
				return
			}
			want := html.EscapeString(v)
			if when, err := time.Parse(time.RFC3339Nano, v); err == nil {
				want = when.UTC().Format("2006-01-02 15:04")
			}
			if !strings.Contains(doc, want) {
				t.Errorf("%s: %q not in the document", key, want)
			}
			checked++
		case float64:
			if !strings.Contains(doc, strconv.FormatFloat(v, 'f', -1, 64)) {
				t.Errorf("%s: %v not in the document", key, v)
			}
			checked++
		}
	}
	walk("export", x)
	if checked < 25 {
		t.Errorf("only %d values checked: %s", checked, raw)
	}
	for _, words := range []string{"Your personal data", "Marketing", "telephone", "Access", "given"} {
		if !strings.Contains(doc, words) {
			t.Errorf("%q not in the document", words)
		}
	}
	req, _ := http.NewRequest("GET", path+"/export.html?lang=ru", nil)
	if _, ru := c.send(t, s, req); !strings.Contains(ru, "Ваши персональные данные") || !strings.Contains(ru, `lang="ru"`) {
		t.Error("no Russian document")
	}
	entries, err := c.store.ListAudit(ctx, app.AuditQuery{Action: app.AuditSubscriberExported})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 2 {
		t.Errorf("export not audited: %+v", entries)
	}
}

// TestExportMailedLink: the console mails the person a link to their
// export (audited, queued with ids only); the link opens the printable
// export and a JSON download, never cached or indexed; after seven days,
// or once the address has changed, it is refused with a page in the
// person's language.
func TestExportMailedLink(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	c.svc.Now, c.svc.Links.Now = c.clock.Now, c.clock.Now
	sub, err := c.store.Subscriber(ctx, c.subID)
	if err != nil {
		t.Fatal(err)
	}
	sub.Locale = "ru"
	if err := c.store.UpdateSubscriber(ctx, sub); err != nil {
		t.Fatal(err)
	}
	m := c.login(t, app.RoleMarketer)
	path := "/admin/subscribers/" + strconv.FormatInt(c.subID, 10)
	if resp, _ := c.post(t, m, path+"/export/mail", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a marketer mailed an export: %d", resp.StatusCode)
	}
	s := c.login(t, app.RolePrivacyOfficer)
	resp, _ := c.post(t, s, path+"/export/mail", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path+"?ok=admin.ok.export_mailed" {
		t.Fatalf("mail the export: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	entries, err := c.store.ListAudit(ctx, app.AuditQuery{Action: app.AuditSubscriberExportMailed})
	if err != nil || len(entries) != 1 || entries[0].SubjectID != c.subID {
		t.Fatalf("audit %+v %v", entries, err)
	}
	db, err := c.store.DB()
	if err != nil {
		t.Fatal(err)
	}
	var payload string
	if err := db.QueryRowContext(ctx, "SELECT payload FROM outbox WHERE kind = $1", app.OutboxExportMail).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	if payload != fmt.Sprintf(`{"subscriber_id":%d}`, c.subID) || strings.Contains(payload, "@") || strings.Contains(payload, "Anna") {
		t.Errorf("queued payload %s, want the subscriber id only", payload)
	}

	// An access request's page offers the same, and leads back to it.
	sid := c.subID
	req := &app.Request{SubscriberID: &sid, Kind: app.KindAccess, Channel: app.ChannelPhone, Status: app.RequestReceived,
		ReceivedAt: c.clock.Now(), Verification: "operator"}
	if err := c.store.CreateRequest(ctx, req); err != nil {
		t.Fatal(err)
	}
	reqPath := "/admin/requests/" + strconv.FormatInt(req.ID, 10)
	if _, page := c.get(t, s, reqPath); !strings.Contains(page, `id="export-mail-form"`) || !strings.Contains(page, `action="`+path+`/export/mail"`) {
		t.Fatal("the access request's page does not offer to mail the export")
	}
	resp, _ = c.post(t, s, path+"/export/mail", url.Values{"request": {strconv.FormatInt(req.ID, 10)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != reqPath+"?ok=admin.ok.export_mailed" {
		t.Fatalf("mail the export from the request: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := c.get(t, s, reqPath+"?ok=admin.ok.export_mailed"); !strings.Contains(page, "A link to the export is on its way") {
		t.Error("no confirmation on the request's page")
	}

	// The link the mail carries (jobs.ExportMail signs it the same way).
	link := strings.TrimPrefix(c.svc.Links.Export(sub), "https://news.example.com")
	resp, doc := c.fixture.do(t, httptestGet(link))
	if resp.StatusCode != 200 || !strings.Contains(doc, "anna.petrova@example.com") || !strings.Contains(doc, `lang="ru"`) ||
		!strings.Contains(doc, "Ваши персональные данные") {
		t.Fatalf("the link: %d %.300s", resp.StatusCode, doc)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(resp.Header.Get("X-Robots-Tag"), "noindex") {
		t.Errorf("headers %v", resp.Header)
	}
	resp, raw := c.fixture.do(t, httptestGet(link+"/json"))
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(raw, `"email":"anna.petrova@example.com"`) {
		t.Fatalf("the JSON download: %d %s", resp.StatusCode, raw)
	}

	// Six days on it still opens; eight days on it has expired.
	c.clock.Add(6 * 24 * time.Hour)
	if resp, _ := c.fixture.do(t, httptestGet(link)); resp.StatusCode != 200 {
		t.Fatalf("six days on: %d", resp.StatusCode)
	}
	c.clock.Add(2 * 24 * time.Hour)
	for _, p := range []string{link, link + "/json"} {
		resp, body := c.fixture.do(t, httptestGet(p))
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "anna.petrova") {
			t.Errorf("%s after expiry: %d", p, resp.StatusCode)
		}
	}
	if _, body := c.fixture.do(t, httptestGet(link)); !strings.Contains(body, "Срок действия ссылки истёк") {
		t.Errorf("the expiry page is not in the person's language: %.400s", body)
	}

	// A fresh link dies with a change of address.
	link = strings.TrimPrefix(c.svc.Links.Export(sub), "https://news.example.com")
	sub.Email = "anna.new@example.com"
	if err := c.store.UpdateSubscriber(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if resp, body := c.fixture.do(t, httptestGet(link)); resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "anna.new") {
		t.Errorf("after a change of address: %d", resp.StatusCode)
	}
}

func httptestGet(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }
