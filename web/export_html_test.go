package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
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
