package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

// TestConsoleFeedback: the campaign page shows the feedback counters and
// the warning of a complaint rate too high, the dashboard the rates; the
// lists name people by number for marketers and by address for privacy
// officers; an officer lifts a complaint suppression with a reason; the
// mail not acted on is listed.
func TestConsoleFeedback(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	angry := c.reader(t, "angry.reader@example.com")
	c.reader(t, "calm.reader@example.com")
	uc := &app.Campaigns{Store: c.store}
	camp, refs := sendToAll(t, c.store, uc, c.svc.Signer)
	_, err := c.svc.RecordWebhook(ctx, "r1", []app.FeedbackEvent{{Key: "1", Source: app.FeedbackFromSES, Kind: app.FeedbackComplaint,
		RefHints: []string{refs[angry.ID]}, Recipient: angry.Email}})
	must(t, err)
	id := fmt.Sprint(camp.ID)
	marketer, officer := c.login(t, app.RoleMarketer), c.login(t, app.RolePrivacyOfficer)

	resp, page := c.get(t, marketer, "/admin/campaigns/"+id+"?lang=en")
	if resp.StatusCode != 200 || !strings.Contains(page, `data-counter="complaints">1<`) || !strings.Contains(page, `id="complaints-high"`) ||
		!strings.Contains(page, `data-counter="unsubscribed">0<`) || !strings.Contains(page, "/admin/campaigns/"+id+"/outcomes?list=complaints") {
		t.Fatalf("campaign page: %d\n%.3000s", resp.StatusCode, page)
	}
	resp, page = c.get(t, marketer, "/admin?lang=ru")
	if resp.StatusCode != 200 || !strings.Contains(page, `id="campaign-rates"`) || !strings.Contains(page, "50,00%") {
		t.Fatalf("dashboard: %d", resp.StatusCode)
	}
	resp, page = c.get(t, marketer, "/admin/campaigns/"+id+"/outcomes?list=complaints")
	if resp.StatusCode != 200 || !strings.Contains(page, fmt.Sprintf("#%d", angry.ID)) || strings.Contains(page, angry.Email) {
		t.Fatalf("marketer's complaint list: %d", resp.StatusCode)
	}
	resp, page = c.get(t, officer, "/admin/campaigns/"+id+"/outcomes?list=complaints")
	if resp.StatusCode != 200 || !strings.Contains(page, angry.Email) {
		t.Fatalf("officer's complaint list: %d", resp.StatusCode)
	}
	if resp, _ := c.get(t, officer, "/admin/campaigns/"+id); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("officer on the campaign page: %d", resp.StatusCode)
	}

	if resp, page := c.post(t, officer, "/admin/suppressions/lift", url.Values{"key": {angry.Email}, "reason": {""}}); resp.StatusCode != 422 ||
		!strings.Contains(page, `id="lift-form"`) {
		t.Fatalf("lift without a reason: %d", resp.StatusCode)
	}
	if r, _ := c.store.SuppressionReason(ctx, angry.EmailHash); r != app.SuppressComplaint {
		t.Fatalf("suppression %q", r)
	}
	if resp, _ := c.post(t, officer, "/admin/suppressions/lift", url.Values{"key": {angry.EmailHash}, "reason": {"reported by mistake"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("lift: %d", resp.StatusCode)
	}
	if r, _ := c.store.SuppressionReason(ctx, angry.EmailHash); r != "" {
		t.Fatalf("still suppressed: %q", r)
	}
	if _, page := c.get(t, officer, "/admin/suppressions"); !strings.Contains(page, "reported by mistake") {
		t.Fatal("the lift is not listed with its reason")
	}

	raw := []byte("From: MAILER-DAEMON@evil.example\r\nSubject: Undelivered Mail\r\nMessage-ID: <forged-console@evil.example>\r\n\r\nx\r\n")
	inID, _, err := c.svc.ReceiveInbound(ctx, raw, app.InboundSource{Source: app.InboundWebhook, ReceivedAt: time.Now()})
	must(t, err)
	_, err = c.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: inID, Disposition: app.EmailIsBounce,
		Summary: &app.MessageSummary{From: "MAILER-DAEMON@evil.example", Subject: "Undelivered Mail"}})
	must(t, err)
	if resp, page := c.get(t, officer, "/admin/inbound?lang=en"); resp.StatusCode != 200 || !strings.Contains(page, "MAILER-DAEMON@evil.example") ||
		!strings.Contains(page, "It names no message we sent.") {
		t.Fatalf("mail not acted on: %d", resp.StatusCode)
	}
}
