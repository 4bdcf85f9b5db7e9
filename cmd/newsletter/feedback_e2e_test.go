package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"newsletter/internal/testenv"
	"newsletter/internal/webhooktest"
)

// TestCampaignFeedbackEndToEnd: one campaign sent through the production
// stack (PostgreSQL, Redis, Mailpit), then an opt-out by its one-click
// link, one by its List-Unsubscribe mailto, a hard bounce by a provider's
// webhook, an ARF complaint by mail and a forged bounce by mail; the API
// counts each where it belongs, once.
func TestCampaignFeedbackEndToEnd(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	env := optoutEnv(t, mp)
	env["INBOUND_TOKEN"] = "inbound-test-token"
	env["MAILGUN_WEBHOOK_SIGNING_KEY"] = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
	env["MAIL_RETURN_PATH"] = "bounces@example.com"
	auth := officerAuth(t, env)
	if code, out, errOut := runCmd(t, env, "admin", "create", "--email", "marketer@example.com", "--role", "marketer"); code != 0 {
		t.Fatalf("admin create: %s %s", out, errOut)
	}
	_, token, _ := runCmd(t, env, "admin", "token", "--email", "marketer@example.com")
	mkt := []string{"Authorization", "Bearer " + strings.TrimSpace(token)}
	p := start(t, env)

	people := []string{"oneclick@example.org", "mailto@example.org", "bounced@example.org", "complainer@example.org", "quiet@example.org"}
	ids := map[string]int64{}
	for _, email := range people {
		ids[email] = activate(t, p, mp, auth, email)
	}
	ctx := context.Background()
	if err := mp.DeleteAll(ctx); err != nil {
		t.Fatal(err)
	}

	code, body := do(t, "POST", p.base+"/api/v1/campaigns", "application/json",
		`{"name":"Spring","subject":"Spring offers","purpose":"marketing","body_html":"<p>Hello {{.Name}}</p>"}`, mkt...)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	var camp map[string]any
	_ = json.Unmarshal([]byte(body), &camp)
	campURL := fmt.Sprintf("%s/api/v1/campaigns/%v", p.base, camp["id"])
	if code, body := do(t, "POST", campURL+"/schedule", "application/json", `{}`, mkt...); code != 200 {
		t.Fatalf("schedule: %d %s", code, body)
	}
	campaign := func() map[string]any {
		code, body := get(campURL, mkt...)
		if code != 200 {
			t.Fatalf("campaign: %d %s", code, body)
		}
		var c map[string]any
		_ = json.Unmarshal([]byte(body), &c)
		return c
	}
	waitUntil(t, "the campaign to finish", func() bool { return campaign()["status"] == "finished" })

	// What each person got: the Message-ID, the List-Unsubscribe URIs and
	// the envelope sender that names the delivery.
	type sentMsg struct{ messageID, oneClick, mailto, returnPath string }
	sent := map[string]sentMsg{}
	luRe := regexp.MustCompile(`<(https?://[^>]+)>,\s*<(mailto:[^>]+)>`)
	for _, email := range people {
		raw := mailTo(t, mp, email, "Spring offers")
		lu := luRe.FindStringSubmatch(strings.Join(strings.Fields(header(t, raw, "List-Unsubscribe")), " "))
		if lu == nil {
			t.Fatalf("List-Unsubscribe of %s: %q", email, header(t, raw, "List-Unsubscribe"))
		}
		m := sentMsg{messageID: strings.Trim(header(t, raw, "Message-Id"), "<>"), oneClick: lu[1], mailto: lu[2]}
		ref := header(t, raw, "X-Newsletter-Ref")
		if ref == "" || !strings.HasPrefix(m.messageID, ref+"@") {
			t.Fatalf("%s: Message-ID %q, X-Newsletter-Ref %q", email, m.messageID, ref)
		}
		m.returnPath = mailpitReturnPath(t, mp, email)
		if m.returnPath != "bounces+"+ref+"@example.com" {
			t.Errorf("%s: envelope sender %q, want the VERP address of %s", email, m.returnPath, ref)
		}
		sent[email] = m
	}

	// 1. One-click, twice (one opt-out).
	for i := 0; i < 2; i++ {
		if code, body := do(t, "POST", sent["oneclick@example.org"].oneClick, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"); code != 200 {
			t.Fatalf("one-click: %d %s", code, body)
		}
	}
	// 2. The mailto of List-Unsubscribe, as a mail client sends it.
	mu, _ := url.Parse(sent["mailto@example.org"].mailto)
	optout := request("mailto@example.org", mu.Query().Get("subject"), "optout-mailto-1@example.org", "", false)
	inbound := func(raw []byte) {
		t.Helper()
		if code, body := do(t, "POST", p.base+"/inbound/mime", "message/rfc822", string(raw), "Authorization", "Bearer inbound-test-token"); code != 202 {
			t.Fatalf("inbound: %d %s", code, body)
		}
	}
	inbound(optout)
	// 3. A hard bounce reported by the provider's webhook.
	mg := &webhooktest.Mailgun{Key: env["MAILGUN_WEBHOOK_SIGNING_KEY"]}
	hook := mg.Event("failed", "permanent", "bounced@example.org", sent["bounced@example.org"].messageID, "", "mg-e2e-1", "mg-e2e-token-1", time.Now())
	if code, body := do(t, "POST", p.base+"/webhooks/mailgun", "application/json", string(hook)); code != 200 {
		t.Fatalf("mailgun webhook: %d %s", code, body)
	}
	if code, _ := do(t, "POST", p.base+"/webhooks/mailgun", "application/json", string(hook)); code != 403 {
		t.Fatalf("replayed webhook: %d, want 403", code)
	}
	if code, _ := do(t, "POST", p.base+"/webhooks/sendgrid", "application/json", `[]`); code != 404 {
		t.Fatalf("webhook of a provider not configured: %d, want 404", code)
	}
	// 4. A complaint by mail, in the Abuse Reporting Format.
	arf, err := os.ReadFile(filepath.Join("..", "..", "app", "inbound", "testdata", "arf_abuse_report.eml"))
	if err != nil {
		t.Fatal(err)
	}
	inbound([]byte(strings.ReplaceAll(string(arf), "campaign-15.delivery-77@shop.example", sent["complainer@example.org"].messageID)))
	// 5. A forged bounce naming the quiet reader and nothing we sent.
	inbound([]byte("From: Mail Delivery System <MAILER-DAEMON@mx.evil.example>\r\nTo: privacy@example.com\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <forged-e2e@mx.evil.example>\r\n\r\n" +
		"<quiet@example.org>: host mx.example.org said: 550 5.1.1 User unknown\r\n"))

	waitUntil(t, "the feedback to be counted", func() bool {
		c := campaign()
		return c["unsubscribed"] == float64(2) && c["complaints"] == float64(1) && c["bounced"] == float64(1)
	})
	// The forged bounce is among the mail not acted on.
	waitUntil(t, "the forged bounce to be processed", func() bool {
		code, body := get(p.base+"/api/v1/inbound", auth...)
		return code == 200 && strings.Contains(body, `"outcome":"unproven_report"`) && strings.Contains(body, "mx.evil.example")
	})
	c := campaign()
	for k, want := range map[string]float64{"recipients": 5, "sent": 5, "failed": 0, "skipped": 0, "opted_out": 0,
		"unsubscribed": 2, "bounced": 1, "bounced_hard": 1, "bounced_soft": 0, "complaints": 1} {
		if c[k] != want {
			t.Errorf("%s = %v, want %v", k, c[k], want)
		}
	}

	// The lists behind the counters name the right people: by id for the
	// marketer, by address for the privacy officer.
	list := func(name string, h []string) []map[string]any {
		code, body := get(campURL+"/outcomes/"+name, h...)
		if code != 200 {
			t.Fatalf("outcomes %s: %d %s", name, code, body)
		}
		var out struct{ Outcomes []map[string]any }
		_ = json.Unmarshal([]byte(body), &out)
		return out.Outcomes
	}
	for name, want := range map[string][]string{
		"unsubscribed": {"oneclick@example.org", "mailto@example.org"},
		"bounced":      {"bounced@example.org"},
		"complaints":   {"complainer@example.org"},
	} {
		got := map[int64]bool{}
		for _, o := range list(name, mkt) {
			if _, ok := o["email"]; ok {
				t.Errorf("%s: the marketer sees an address", name)
			}
			got[int64(o["subscriber_id"].(float64))] = true
		}
		emails := map[string]bool{}
		for _, o := range list(name, auth) {
			emails[fmt.Sprint(o["email"])] = true
		}
		if len(got) != len(want) || len(emails) != len(want) {
			t.Errorf("%s: ids %v, addresses %v, want %v", name, got, emails, want)
		}
		for _, w := range want {
			if !got[ids[w]] || !emails[w] {
				t.Errorf("%s lacks %s", name, w)
			}
		}
	}
	if granted, _ := consent(subscriberByID(t, p, auth, ids["complainer@example.org"]), "marketing"); granted {
		t.Error("the complainer's advertising consent is still granted")
	}
	if granted, _ := consent(subscriberByID(t, p, auth, ids["quiet@example.org"]), "marketing"); !granted {
		t.Error("the forged bounce withdrew a consent")
	}
	if code, body := get(p.base+"/api/v1/suppressions", auth...); code != 200 || !strings.Contains(body, `"hard_bounce":1`) ||
		!strings.Contains(body, `"complaint":1`) {
		t.Errorf("suppressions: %d %s", code, body)
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// mailpitReturnPath reads the envelope sender Mailpit recorded for the
// newest message to addr.
func mailpitReturnPath(t *testing.T, mp *testenv.MailpitServer, addr string) string {
	t.Helper()
	msgs, err := mp.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if len(m.To) == 0 || !strings.EqualFold(m.To[0], addr) {
			continue
		}
		resp, err := http.Get(mp.APIURL() + "/api/v1/message/" + url.PathEscape(m.ID))
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ ReturnPath string }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		return out.ReturnPath
	}
	t.Fatalf("no message to %s", addr)
	return ""
}
