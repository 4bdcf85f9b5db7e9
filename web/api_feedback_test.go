package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

// feedbackAPI is the API over the embedded database with campaigns and
// privacy operations.
type feedbackAPI struct {
	*apiServer
	st  *store.Store
	svc *testenv.UseCases
	uc  *app.Campaigns
}

func newFeedbackAPI(t *testing.T) *feedbackAPI {
	t.Helper()
	p := newAPIParts(t)
	f := &feedbackAPI{st: p.st, svc: p.svc, uc: &app.Campaigns{Store: p.st}}
	deps := p.deps()
	deps.Campaigns, deps.Feedback = f.uc, p.svc
	f.apiServer = p.serve(deps)
	return f
}

// sent makes a marketing campaign whose deliveries to every active
// subscriber were sent, and returns it with each subscriber's reference.
func (f *feedbackAPI) sent(t *testing.T) (*app.Campaign, map[int64]string) {
	t.Helper()
	return sendToAll(t, f.st, f.uc, f.svc.Signer)
}

// sendToAll makes a marketing campaign and records its delivery to every
// eligible subscriber as sent, as the workers do; it returns the campaign
// and each subscriber's delivery reference.
func sendToAll(t *testing.T, st *store.Store, uc *app.Campaigns, signer *app.Signer) (*app.Campaign, map[int64]string) {
	t.Helper()
	ctx := context.Background()
	c, err := uc.Create(ctx, &app.Admin{ID: 1}, app.CampaignInput{Name: "Sent campaign", Subject: "News", Purpose: app.CampaignMarketing,
		BodyHTML: "<p>Hi</p>"})
	must(t, err)
	at := time.Now().Add(-time.Second)
	cur, err := st.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft},
		To: app.CampaignScheduled, SendAt: &at, BumpVersion: true})
	must(t, err)
	_, err = st.StartCampaign(ctx, c.ID, cur.Version, time.Now())
	must(t, err)
	a := app.Audience{Purpose: app.CampaignMarketing}
	from, maxID, err := st.BeginMaterialization(ctx, c.ID)
	must(t, err)
	_, err = st.MaterializeDeliveries(ctx, c.ID, a, from, maxID+1)
	must(t, err)
	must(t, st.FinishMaterialization(ctx, c.ID))
	claim, err := st.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
	must(t, err)
	rs, err := st.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Lo: 0, Hi: 1 << 40, Limit: 100, Audience: a})
	must(t, err)
	refs := map[int64]string{}
	var outs []app.DeliveryOutcome
	for _, r := range rs {
		refs[r.SubscriberID] = signer.DeliveryRef(r.DeliveryID, c.ID)
		outs = append(outs, app.DeliveryOutcome{CampaignID: c.ID, DeliveryID: r.DeliveryID, Status: app.DeliverySent})
	}
	must(t, st.RecordDeliveries(ctx, outs))
	_, err = st.FinishCampaignIfDone(ctx, c.ID)
	must(t, err)
	return c, refs
}

func (f *feedbackAPI) subscriber(t *testing.T, email string) *app.Subscriber {
	t.Helper()
	ctx := context.Background()
	s := &app.Subscriber{Email: email, EmailHash: f.svc.Signer.KeyedHash(email), Name: "Name of " + email, Locale: "en", Status: app.StatusActive}
	must(t, f.st.CreateSubscriber(ctx, s))
	for _, p := range []app.Purpose{app.PurposeProcessing, app.PurposeMarketing} {
		must(t, f.st.SetConsent(ctx, s.ID, p, true, time.Now()))
	}
	return s
}

// TestCampaignFeedbackAPI: the counters of GET /api/v1/campaigns/{id}, and
// the lists behind them by subscriber id for marketers, with name and
// address for privacy officers.
func TestCampaignFeedbackAPI(t *testing.T) {
	f := newFeedbackAPI(t)
	ctx := context.Background()
	angry := f.subscriber(t, "angry@example.com")
	bounced := f.subscriber(t, "bounced@example.com")
	c, refs := f.sent(t)
	_, err := f.svc.RecordWebhook(ctx, "r1", []app.FeedbackEvent{
		{Key: "1", Source: app.FeedbackFromSendGrid, Kind: app.FeedbackComplaint, RefHints: []string{refs[angry.ID]}, Recipient: angry.Email},
		{Key: "2", Source: app.FeedbackFromSendGrid, Kind: app.FeedbackHardBounce, RefHints: []string{refs[bounced.ID]}, Recipient: bounced.Email},
	})
	must(t, err)
	id := fmt.Sprint(c.ID)
	code, got := f.call(t, app.RoleMarketer, "GET", "/api/v1/campaigns/"+id, "")
	if code != 200 || got["complaints"] != float64(1) || got["bounced"] != float64(1) || got["bounced_hard"] != float64(1) ||
		got["unsubscribed"] != float64(0) || got["sent"] != float64(2) {
		t.Fatalf("campaign: %d %v", code, got)
	}

	for _, tc := range []struct {
		role   app.Role
		people bool
	}{{app.RoleMarketer, false}, {app.RolePrivacyOfficer, true}, {app.RoleOwner, true}} {
		code, got := f.call(t, tc.role, "GET", "/api/v1/campaigns/"+id+"/outcomes/complaints", "")
		list, _ := got["outcomes"].([]any)
		if code != 200 || len(list) != 1 {
			t.Fatalf("%s: %d %v", tc.role, code, got)
		}
		row := list[0].(map[string]any)
		_, hasEmail := row["email"]
		if row["subscriber_id"] != float64(angry.ID) || row["kind"] != "complaint" || hasEmail != tc.people ||
			(tc.people && row["email"] != "angry@example.com") {
			t.Errorf("%s sees %v", tc.role, row)
		}
	}
	if code, got := f.call(t, app.RoleMarketer, "GET", "/api/v1/campaigns/"+id+"/outcomes/everything", ""); code != 422 || got["fields"] == nil {
		t.Errorf("unknown list: %d %v", code, got)
	}
	if code, _ := f.call(t, app.RoleMarketer, "GET", "/api/v1/campaigns/424242/outcomes/bounced", ""); code != 404 {
		t.Errorf("missing campaign: %d", code)
	}
}

// TestLiftSuppressionAPI: a privacy officer lifts a complaint suppression
// with a reason; without one, or as a marketer, nothing changes.
func TestLiftSuppressionAPI(t *testing.T) {
	f := newFeedbackAPI(t)
	ctx := context.Background()
	sub := f.subscriber(t, "angry@example.com")
	_, err := f.svc.RecordWebhook(ctx, "", []app.FeedbackEvent{{Key: "1", Source: app.FeedbackFromPostmark, Kind: app.FeedbackComplaint,
		Recipient: sub.Email}})
	must(t, err)
	hash := f.svc.Signer.KeyedHash(sub.Email)
	if code, got := f.call(t, app.RolePrivacyOfficer, "POST", "/api/v1/suppressions/lift", `{"email":"angry@example.com","reason":""}`); code != 422 ||
		got["fields"].(map[string]any)["reason"] == nil {
		t.Fatalf("without a reason: %d %v", code, got)
	}
	if code, _ := f.call(t, app.RoleMarketer, "POST", "/api/v1/suppressions/"+hash+"/lift", `{"reason":"asked"}`); code != 403 {
		t.Fatalf("marketer: %d", code)
	}
	if code, got := f.call(t, app.RolePrivacyOfficer, "DELETE", "/api/v1/suppressions/"+hash, ""); code != 409 {
		t.Fatalf("removing a complaint: %d %v", code, got)
	}
	code, got := f.call(t, app.RolePrivacyOfficer, "POST", "/api/v1/suppressions/"+hash+"/lift", `{"reason":"reported by mistake, the person says"}`)
	if code != 200 || got["previous_reason"] != app.SuppressComplaint || got["email_hash"] != hash || got["subscriber_id"] != float64(sub.ID) {
		t.Fatalf("lift: %d %v", code, got)
	}
	if r, _ := f.st.SuppressionReason(ctx, hash); r != "" {
		t.Fatalf("still suppressed: %q", r)
	}
	code, got = f.call(t, app.RolePrivacyOfficer, "GET", "/api/v1/suppressions/lifts", "")
	if lifts, _ := got["lifts"].([]any); code != 200 || len(lifts) != 1 {
		t.Fatalf("lifts: %d %v", code, got)
	}
	code, got = f.call(t, app.RolePrivacyOfficer, "GET", "/api/v1/audit?action="+app.AuditSuppressionLifted, "")
	if entries, _ := got["entries"].([]any); code != 200 || len(entries) != 1 {
		t.Fatalf("audit: %d %v", code, got)
	}
}

// TestInboundNotActedAPI: a report that proved nothing is listed for the
// privacy officer, and only for them.
func TestInboundNotActedAPI(t *testing.T) {
	f := newFeedbackAPI(t)
	ctx := context.Background()
	raw := []byte("From: MAILER-DAEMON@evil.example\r\nSubject: Undelivered Mail\r\nMessage-ID: <forged@evil.example>\r\n\r\n550 5.1.1 victim@example.com\r\n")
	id, _, err := f.svc.ReceiveInbound(ctx, raw, app.InboundSource{Source: app.InboundWebhook})
	must(t, err)
	_, err = f.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: id, Disposition: app.EmailIsBounce,
		Feedback: []app.FeedbackEvent{{Source: app.FeedbackFromReport, Kind: app.FeedbackHardBounce, Recipient: "victim@example.com"}},
		Summary:  &app.MessageSummary{From: "MAILER-DAEMON@evil.example", Subject: "Undelivered Mail"}})
	must(t, err)
	code, got := f.call(t, app.RolePrivacyOfficer, "GET", "/api/v1/inbound", "")
	msgs, _ := got["messages"].([]any)
	if code != 200 || len(msgs) != 1 {
		t.Fatalf("%d %v", code, got)
	}
	m := msgs[0].(map[string]any)
	if m["outcome"] != app.EmailIsUnproven || m["message"].(map[string]any)["subject"] != "Undelivered Mail" {
		t.Errorf("message %v", m)
	}
	if code, _ := f.call(t, app.RoleMarketer, "GET", "/api/v1/inbound", ""); code != 403 {
		t.Errorf("marketer: %d", code)
	}
}
