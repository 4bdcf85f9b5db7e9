package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/feedback"
	"newsletter/jobs"
)

// forgedBounce is a free-text "Undelivered Mail" from a mailer daemon that
// names an address and nothing we sent.
const forgedBounce = "From: Mail Delivery System <MAILER-DAEMON@mx.evil.example>\r\n" +
	"To: privacy@shop.example\r\n" +
	"Subject: Undelivered Mail Returned to Sender\r\n" +
	"Message-ID: <forged-bounce-1@mx.evil.example>\r\n" +
	"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n" +
	"\r\n" +
	"This is the mail system at host mx.evil.example.\r\n\r\n" +
	"I'm sorry to have to inform you that your message could not\r\n" +
	"be delivered to one or more recipients.\r\n\r\n" +
	"<victim@example.org>: host mx.example.org said: 550 5.1.1 User unknown\r\n"

// sentTo makes a marketing campaign, sends it (every eligible subscriber's
// delivery is recorded as sent, as the workers do) and returns the
// campaign and the Message-ID of sub's message, as the runner writes it:
// the delivery reference at the sender's domain.
func (in *inbox) sentTo(t *testing.T, sub *app.Subscriber) (*app.Campaign, string) {
	t.Helper()
	ctx := context.Background()
	uc := &app.Campaigns{Store: in.st}
	c, err := uc.Create(ctx, marketer, app.CampaignInput{Name: "Weekly", Subject: "Weekly deals", Purpose: app.CampaignMarketing,
		BodyHTML: "<p>Deals</p>"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Second)
	cur, err := in.st.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft},
		To: app.CampaignScheduled, SendAt: &at, BumpVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := in.st.StartCampaign(ctx, c.ID, cur.Version, time.Now()); err != nil || !ok {
		t.Fatalf("start campaign: %v %v", ok, err)
	}
	a := app.Audience{Purpose: app.CampaignMarketing}
	from, maxID, err := in.st.BeginMaterialization(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.st.MaterializeDeliveries(ctx, c.ID, a, from, maxID+1); err != nil {
		t.Fatal(err)
	}
	claim, err := in.st.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := in.st.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Lo: 0, Hi: 1 << 40, Limit: 1000, Audience: a})
	if err != nil {
		t.Fatal(err)
	}
	var outs []app.DeliveryOutcome
	msgID := ""
	for _, r := range rs {
		outs = append(outs, app.DeliveryOutcome{CampaignID: c.ID, DeliveryID: r.DeliveryID, Status: app.DeliverySent})
		if r.SubscriberID == sub.ID {
			msgID = in.svc.Signer.DeliveryRef(r.DeliveryID, c.ID) + "@shop.example"
		}
	}
	if err := in.st.RecordDeliveries(ctx, outs); err != nil {
		t.Fatal(err)
	}
	if msgID == "" {
		t.Fatalf("no delivery to subscriber %d", sub.ID)
	}
	return c, msgID
}

// bounceOf is a fixture report about the message we sent to the case's
// subscriber: the report's own id for that message is replaced by ours.
func bounceOf(file, fixtureID string) func(t *testing.T, in *inbox, sub *app.Subscriber) []byte {
	return func(t *testing.T, in *inbox, sub *app.Subscriber) []byte {
		t.Helper()
		_, msgID := in.sentTo(t, sub)
		raw := string(fixture(t, file))
		if !strings.Contains(raw, fixtureID) {
			t.Fatalf("%s has no %s", file, fixtureID)
		}
		return []byte(strings.ReplaceAll(raw, fixtureID, msgID))
	}
}

// TestForgedBounceChangesNothing: a delivery report that names no message
// we sent suppresses nobody and is nobody's request; the privacy officer
// still finds it among the mail not acted on.
func TestForgedBounceChangesNothing(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	victim := in.subscriber(t, "victim@example.org")
	m := in.receive(t, []byte(forgedBounce))
	if m.Status != app.InboundDone {
		t.Fatalf("message %s, want done", m.Status)
	}
	if reason, err := in.st.SuppressionReason(ctx, victim.EmailHash); err != nil || reason != "" {
		t.Fatalf("forged bounce suppressed the victim: %q %v", reason, err)
	}
	if m.RequestID != nil || m.SubscriberID != nil {
		t.Errorf("forged bounce recorded for request %v subscriber %v", m.RequestID, m.SubscriberID)
	}
	if !in.consent(t, victim.ID, app.PurposeMarketing) {
		t.Error("forged bounce withdrew a consent")
	}
	if m.Outcome != app.EmailIsUnproven {
		t.Errorf("outcome %q, want %q", m.Outcome, app.EmailIsUnproven)
	}
	items, err := in.svc.InboundNotActed(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != m.ID || items[0].Message == nil || items[0].Message.Subject != "Undelivered Mail Returned to Sender" ||
		items[0].Message.Text != "" {
		t.Fatalf("not acted on: %+v", items)
	}
}

// TestBounceProofs: a report is believed only with a valid reference of a
// sent delivery, and a bounce only for that delivery's recipient.
func TestBounceProofs(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	gone := in.subscriber(t, "Gone.User@example.org")
	other := in.subscriber(t, "someone.else@example.org")
	petrov := in.subscriber(t, "petrov.old@example.ru")
	_, otherID := in.sentTo(t, other)
	c, petrovID := in.sentTo(t, petrov)
	ref := strings.TrimSuffix(petrovID, "@shop.example")
	dsn := string(fixture(t, "dsn_postfix_permanent.eml"))
	const fixtureID = "campaign-12.delivery-345@shop.example"

	suppression := func(sub *app.Subscriber) string {
		r, err := in.st.SuppressionReason(ctx, sub.EmailHash)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name, raw string
	}{
		// Our message to someone else, reported as failed for Gone.User.
		{"OtherRecipient", strings.ReplaceAll(dsn, fixtureID, otherID)},
		// A made-up reference for a delivery.
		{"ForgedRef", strings.ReplaceAll(dsn, fixtureID, ref[:len(ref)-4]+"beef@shop.example")},
		// The fixture as it is: not our Message-ID at all.
		{"NotOurs", dsn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := in.receive(t, []byte(strings.ReplaceAll(tc.raw, "Message-Id: <", "Message-Id: <"+tc.name)))
			if m.Outcome != app.EmailIsUnproven || m.SubscriberID != nil {
				t.Errorf("outcome %s subscriber %v, want %s", m.Outcome, m.SubscriberID, app.EmailIsUnproven)
			}
			if r := suppression(gone); r != "" {
				t.Errorf("suppressed: %q", r)
			}
			if r := suppression(other); r != "" {
				t.Errorf("the delivery's own recipient suppressed: %q", r)
			}
		})
	}

	// A free-text report without the returned message, sent to our VERP
	// return path: the envelope sender names the delivery.
	ru := strings.Replace(string(fixture(t, "bounce_ru_freetext.eml")), "To: newsletter@shop.example",
		"To: newsletter+"+ref+"@shop.example", 1)
	m := in.receive(t, []byte(ru))
	if m.Outcome != app.EmailIsBounce || m.Verification != app.VerifiedDeliveryRef || m.SubscriberID == nil || *m.SubscriberID != petrov.ID {
		t.Fatalf("VERP bounce: outcome %s verification %s subscriber %v", m.Outcome, m.Verification, m.SubscriberID)
	}
	if r := suppression(petrov); r != app.SuppressHardBounce {
		t.Fatalf("VERP bounce: suppression %q", r)
	}
	got, err := (&app.Campaigns{Store: in.st}).Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounced != 1 || got.BouncedHard != 1 {
		t.Errorf("campaign feedback %+v", got.CampaignFeedback)
	}
}

// TestARFComplaintByMail: a feedback-loop report naming a message we sent
// withdraws the advertising consent, records the opt-out (channel
// complaint) and suppresses the address; the same report about a message
// we did not send does nothing.
func TestARFComplaintByMail(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	reader := in.subscriber(t, "reader@mailbox.example")
	const fixtureID = "campaign-15.delivery-77@shop.example"
	arf := string(fixture(t, "arf_abuse_report.eml"))

	m := in.receive(t, []byte(arf))
	if m.Outcome != app.EmailIsUnproven || !in.consent(t, reader.ID, app.PurposeMarketing) {
		t.Fatalf("a report about mail we did not send: outcome %s", m.Outcome)
	}

	c, msgID := in.sentTo(t, reader)
	raw := strings.ReplaceAll(arf, fixtureID, msgID)
	raw = strings.Replace(raw, "<arf-7781.", "<arf-7782.", 1)
	m = in.receive(t, []byte(raw))
	if m.Outcome != app.EmailIsComplaint || m.RequestID == nil || m.SubscriberID == nil || *m.SubscriberID != reader.ID {
		t.Fatalf("complaint: outcome %s request %v subscriber %v", m.Outcome, m.RequestID, m.SubscriberID)
	}
	if in.consent(t, reader.ID, app.PurposeMarketing) || !in.consent(t, reader.ID, app.PurposeProcessing) {
		t.Error("want the advertising consent withdrawn, processing kept")
	}
	r, err := in.st.Request(ctx, *m.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != app.KindMarketingOptout || r.Channel != app.ChannelComplaint || r.Status != app.RequestCompleted ||
		r.CampaignID == nil || *r.CampaignID != c.ID || r.InboundID == nil || *r.InboundID != m.ID {
		t.Errorf("request %+v", r)
	}
	if reason, _ := in.st.SuppressionReason(ctx, reader.EmailHash); reason != app.SuppressComplaint {
		t.Errorf("suppression %q", reason)
	}
	if n := len(in.tr.sent()); n != 0 {
		t.Errorf("%d replies to a feedback report", n)
	}
	got, err := (&app.Campaigns{Store: in.st}).Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Complaints != 1 || got.Unsubscribed != 0 {
		t.Errorf("campaign feedback %+v", got.CampaignFeedback)
	}

	// A "not spam" report about the same message counts as nothing, and
	// says why.
	notSpam := strings.Replace(strings.Replace(raw, "Feedback-Type: abuse", "Feedback-Type: not-spam", 1), "<arf-7782.", "<arf-7783.", 1)
	m = in.receive(t, []byte(notSpam))
	if m.Outcome != app.EmailIsUnproven || !strings.HasSuffix(m.VerificationDetail, "reports no failure or complaint") {
		t.Errorf("not-spam report: %s %q", m.Outcome, m.VerificationDetail)
	}
	if got, _ := (&app.Campaigns{Store: in.st}).Get(ctx, c.ID); got.Complaints != 1 {
		t.Errorf("complaints %d after a not-spam report", got.Complaints)
	}
}

// TestCampaignMessageNamesItsDelivery: every campaign message carries its
// delivery reference in the Message-ID, in X-Newsletter-Ref, in the
// headers the configured providers echo, and (VERP) in the envelope
// sender.
func TestCampaignMessageNamesItsDelivery(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	e.seed(t, 1, 3)
	tr := &capture{}
	r, err := jobs.NewCampaignRunner(jobs.CampaignConfig{Store: e.st, Queue: &jobs.CampaignEnqueuer{Client: e.q.Client, Inspector: e.q.Inspector},
		Transport: tr, Links: e.links, Signer: e.signer, Operator: testOperator, From: "News <news@example.com>",
		ReturnPath: "bounces@example.com", RefHeaders: feedback.EchoHeaders([]string{feedback.Mailgun, feedback.Postmark}),
		Log: quietLog(), Options: fastOptions})
	if err != nil {
		t.Fatal(err)
	}
	e.startWorker(t, r)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(context.Background(), marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	msgs := tr.sent()
	if len(msgs) != 3 {
		t.Fatalf("%d messages", len(msgs))
	}
	seen := map[int64]bool{}
	for _, m := range msgs {
		ref := m.Headers[app.DeliveryRefHeader]
		got, ok := e.signer.FindDeliveryRef(ref)
		if !ok || got.CampaignID != c.ID || seen[got.DeliveryID] {
			t.Fatalf("reference %q: %+v %v", ref, got, ok)
		}
		seen[got.DeliveryID] = true
		if m.MessageID != ref+"@example.com" || m.ReturnPath != "bounces+"+ref+"@example.com" ||
			m.Headers["X-Mailgun-Variables"] != `{"newsletter_ref":"`+ref+`"}` || m.Headers["X-PM-Metadata-newsletter_ref"] != ref {
			t.Errorf("message %q return path %q headers %v", m.MessageID, m.ReturnPath, m.Headers)
		}
		if _, ok := m.Headers["X-SMTPAPI"]; ok {
			t.Error("a header for a provider that is not configured")
		}
	}
}
