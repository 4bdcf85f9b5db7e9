package app_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app"
)

// sentCampaign is a marketing campaign whose deliveries to people were
// claimed and recorded as sent (or skipped), as the workers do.
type sentCampaign struct {
	c        *app.Campaign
	delivery map[int64]int64 // subscriber id -> delivery id
}

func (e *env) sendCampaign(t *testing.T, before func()) *sentCampaign {
	t.Helper()
	ctx := context.Background()
	uc := &app.Campaigns{Store: e.store}
	c, err := uc.Create(ctx, &app.Admin{ID: 1, Role: app.RoleMarketer}, app.CampaignInput{Name: "Spring", Subject: "News",
		Purpose: app.CampaignMarketing, BodyHTML: "<p>Hi {{.Name}}</p>"})
	must(t, err)
	a := app.Audience{Purpose: app.CampaignMarketing}
	e.startMaterialized(t, c, a)
	must(t, e.store.FinishMaterialization(ctx, c.ID))
	if before != nil {
		before()
	}
	claim, err := e.store.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
	must(t, err)
	rs, err := e.store.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Lo: 0, Hi: 1 << 40, Limit: 1000, Audience: a})
	must(t, err)
	sc := &sentCampaign{c: c, delivery: map[int64]int64{}}
	var outs []app.DeliveryOutcome
	for _, r := range rs {
		sc.delivery[r.SubscriberID] = r.DeliveryID
		outs = append(outs, app.DeliveryOutcome{CampaignID: c.ID, DeliveryID: r.DeliveryID, Status: app.DeliverySent})
	}
	must(t, e.store.RecordDeliveries(ctx, outs))
	return sc
}

// ref is the delivery reference of the message sc sent to sub, as a
// provider echoes it.
func (sc *sentCampaign) ref(e *env, sub *app.Subscriber) []string {
	return []string{"<" + e.svc.Signer.DeliveryRef(sc.delivery[sub.ID], sc.c.ID) + "@example.com>"}
}

func (e *env) suppression(t *testing.T, email string) string {
	t.Helper()
	r, err := e.store.SuppressionReason(context.Background(), e.svc.Signer.KeyedHash(email))
	must(t, err)
	return r
}

func (e *env) marketing(t *testing.T, id int64) bool {
	t.Helper()
	cs, err := e.store.Consents(context.Background(), id)
	must(t, err)
	for _, c := range cs {
		if c.Purpose == app.PurposeMarketing {
			return c.Granted
		}
	}
	return false
}

// TestDeliveryFeedbackCounters: webhook bounces and complaints, opt-outs by
// the campaign's links and skips at send time each land in the right
// counter, once, on both engines; the lists behind the counters name
// subscribers by id for marketers and by name for privacy officers.
func TestDeliveryFeedbackCounters(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		hard := e.activeSubscriber(t, "hard@example.com")
		soft := e.activeSubscriber(t, "soft@example.com")
		angry := e.activeSubscriber(t, "angry@example.com")
		leaver := e.activeSubscriber(t, "leaver@example.com")
		later := e.activeSubscriber(t, "later@example.com")
		blocked := e.activeSubscriber(t, "blocked@example.com")
		suppressed := e.activeSubscriber(t, "suppressed@example.com")
		optedOut := e.activeSubscriber(t, "optedout@example.com")
		sc := e.sendCampaign(t, func() {
			_, err := e.svc.Block(ctx, officer, blocked.ID, app.BlockInput{Reason: "disputed"})
			must(t, err)
			_, err = e.svc.SuppressManually(ctx, officer, "suppressed@example.com", "")
			must(t, err)
			_, err = e.store.WithdrawMarketing(ctx, optedOut.ID, 0, app.Evidence{Channel: app.ChannelWeb})
			must(t, err)
		})
		if len(sc.delivery) != 5 {
			t.Fatalf("%d deliveries sent, want 5", len(sc.delivery))
		}

		res, err := e.svc.RecordWebhook(ctx, "request-1", []app.FeedbackEvent{
			{Key: "e1", Source: app.FeedbackFromSES, Kind: app.FeedbackHardBounce, RefHints: sc.ref(e, hard), Recipient: "hard@example.com", Status: "5.1.1"},
			{Key: "e2", Source: app.FeedbackFromSES, Kind: app.FeedbackSoftBounce, RefHints: sc.ref(e, soft), Recipient: "soft@example.com", Status: "4.2.2"},
			{Key: "e3", Source: app.FeedbackFromSES, Kind: app.FeedbackComplaint, RefHints: sc.ref(e, angry), Recipient: "angry@example.com"},
		})
		must(t, err)
		if res.Applied != 3 {
			t.Fatalf("result %+v, want 3 applied", res)
		}
		// The provider retries the same events in a new request: recorded
		// once.
		res, err = e.svc.RecordWebhook(ctx, "request-2", []app.FeedbackEvent{
			{Key: "e1", Source: app.FeedbackFromSES, Kind: app.FeedbackHardBounce, RefHints: sc.ref(e, hard), Recipient: "hard@example.com", Status: "5.1.1"},
			{Key: "e3", Source: app.FeedbackFromSES, Kind: app.FeedbackComplaint, RefHints: sc.ref(e, angry), Recipient: "angry@example.com"},
		})
		must(t, err)
		if res.Applied != 0 || res.Duplicates != 2 {
			t.Fatalf("retried events: %+v, want 2 duplicates", res)
		}
		// A replayed request is refused and does nothing.
		_, err = e.svc.RecordWebhook(ctx, "request-1", []app.FeedbackEvent{
			{Key: "e9", Source: app.FeedbackFromSES, Kind: app.FeedbackHardBounce, RefHints: sc.ref(e, later), Recipient: "later@example.com"},
		})
		if app.ErrorCode(err) != app.EFORBIDDEN {
			t.Fatalf("replayed request: %v, want forbidden", err)
		}
		if r := e.suppression(t, "later@example.com"); r != "" {
			t.Fatalf("a replayed request suppressed: %q", r)
		}

		if r := e.suppression(t, "hard@example.com"); r != app.SuppressHardBounce {
			t.Errorf("hard bounce: suppression %q", r)
		}
		if r := e.suppression(t, "soft@example.com"); r != "" {
			t.Errorf("soft bounce suppressed: %q", r)
		}
		if r := e.suppression(t, "angry@example.com"); r != app.SuppressComplaint {
			t.Errorf("complaint: suppression %q", r)
		}
		if e.marketing(t, angry.ID) || !e.marketing(t, hard.ID) {
			t.Error("want the complainer's advertising consent withdrawn, and only theirs")
		}
		reqs, err := e.svc.Requests(ctx, app.RequestQuery{SubscriberID: angry.ID})
		must(t, err)
		if len(reqs) != 1 || reqs[0].Kind != app.KindMarketingOptout || reqs[0].Channel != app.ChannelComplaint ||
			reqs[0].Status != app.RequestCompleted || reqs[0].CampaignID == nil || *reqs[0].CampaignID != sc.c.ID {
			t.Fatalf("complaint requests %+v", reqs)
		}

		// Two opt-outs through the campaign's one-click link (one twice),
		// one through its unsubscribe page.
		tok := e.svc.Links.UnsubscribeToken(leaver.ID, sc.c.ID)
		must(t, e.svc.OneClickUnsubscribe(ctx, tok, app.Evidence{}))
		must(t, e.svc.OneClickUnsubscribe(ctx, tok, app.Evidence{}))
		_, err = e.svc.Unsubscribe(ctx, e.svc.Links.UnsubscribeToken(later.ID, sc.c.ID), app.UnsubscribeMarketing, app.Evidence{})
		must(t, err)

		uc := &app.Campaigns{Store: e.store}
		got, err := uc.Get(ctx, sc.c.ID)
		must(t, err)
		f := got.CampaignFeedback
		if f.Unsubscribed != 2 || f.Bounced != 2 || f.BouncedHard != 1 || f.BouncedSoft != 1 || f.Complaints != 1 {
			t.Errorf("feedback %+v", f)
		}
		want := map[string]int64{app.SkipBlocked: 1, app.SkipSuppressed: 1, app.SkipOptedOut: 1}
		if len(f.SkippedReasons) != len(want) {
			t.Errorf("skipped reasons %v, want %v", f.SkippedReasons, want)
		}
		for k, n := range want {
			if f.SkippedReasons[k] != n {
				t.Errorf("skipped %s = %d, want %d", k, f.SkippedReasons[k], n)
			}
		}
		if got.Skipped != 2 || got.OptedOut != 1 || got.Sent != 5 {
			t.Errorf("counters %+v", got.CampaignCounters)
		}
		list, err := uc.List(ctx, app.CampaignFilter{})
		must(t, err)
		if len(list) != 1 || list[0].Complaints != 1 || list[0].Unsubscribed != 2 {
			t.Errorf("listed feedback %+v", list[0].CampaignFeedback)
		}

		marketer := &app.Admin{ID: 2, Role: app.RoleMarketer}
		for list, wantIDs := range map[string][]int64{
			app.OutcomeBounced:      {hard.ID, soft.ID},
			app.OutcomeComplaints:   {angry.ID},
			app.OutcomeUnsubscribed: {leaver.ID, later.ID},
			app.OutcomeSkipped:      {blocked.ID, suppressed.ID, optedOut.ID},
			app.OutcomeFailed:       nil,
		} {
			rows, err := uc.Outcomes(ctx, marketer, sc.c.ID, list, 0, 100)
			must(t, err)
			ids := map[int64]bool{}
			for _, r := range rows {
				if r.SubscriberID != nil {
					ids[*r.SubscriberID] = true
				}
				if r.Name != "" || r.Email != "" {
					t.Errorf("%s: a marketer sees personal data: %+v", list, r)
				}
			}
			if len(rows) != len(wantIDs) {
				t.Errorf("%s: %d entries, want %d: %+v", list, len(rows), len(wantIDs), rows)
			}
			for _, id := range wantIDs {
				if !ids[id] {
					t.Errorf("%s: subscriber %d missing: %+v", list, id, rows)
				}
			}
		}
		rows, err := uc.Outcomes(ctx, officer, sc.c.ID, app.OutcomeComplaints, 0, 100)
		must(t, err)
		if len(rows) != 1 || rows[0].Email != "angry@example.com" || rows[0].Name == "" || rows[0].Source != app.FeedbackFromSES {
			t.Errorf("officer's complaint list %+v", rows)
		}
		if _, err := uc.Outcomes(ctx, marketer, sc.c.ID, "everyone", 0, 100); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("unknown list: %v", err)
		}
	})
}

// TestWebhookEventWithoutDelivery: a provider's word about mail that was
// not a campaign delivery (a confirmation) still suppresses the address it
// names, and counts on no campaign.
func TestWebhookEventWithoutDelivery(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "gone@example.com")
		forged := []string{"d999.c1.0123456789abcdef@example.com"}
		res, err := e.svc.RecordWebhook(ctx, "", []app.FeedbackEvent{
			{Key: "x1", Source: app.FeedbackFromPostmark, Kind: app.FeedbackHardBounce, RefHints: forged, Recipient: "gone@example.com"},
			{Key: "x2", Source: app.FeedbackFromPostmark, Kind: app.FeedbackComplaint, Recipient: "nobody-we-know@example.com"},
			{Key: "x3", Source: app.FeedbackFromPostmark, Kind: "delivered", Recipient: "gone@example.com"},
		})
		must(t, err)
		if res.Applied != 2 || res.Ignored != 1 {
			t.Fatalf("result %+v", res)
		}
		if r := e.suppression(t, "gone@example.com"); r != app.SuppressHardBounce {
			t.Errorf("suppression %q", r)
		}
		if r := e.suppression(t, "nobody-we-know@example.com"); r != app.SuppressComplaint {
			t.Errorf("complaint about an unknown address: suppression %q", r)
		}
		if !e.marketing(t, sub.ID) {
			t.Error("a bounce withdrew a consent")
		}
	})
}

// TestLiftSuppression: a privacy officer lifts a bounce or complaint
// suppression with a reason, audited; never an erasure's; never without a
// reason; and erasure blanks the reason.
func TestLiftSuppression(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "bounced@example.com")
		_, err := e.svc.RecordWebhook(ctx, "", []app.FeedbackEvent{
			{Key: "b1", Source: app.FeedbackFromMailgun, Kind: app.FeedbackHardBounce, Recipient: "bounced@example.com"}})
		must(t, err)
		if _, err := e.svc.LiftSuppression(ctx, officer, "bounced@example.com", " "); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("lift without a reason: %v", err)
		}
		if err := e.svc.RemoveSuppression(ctx, officer, "bounced@example.com"); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("remove of a bounce: %v", err)
		}
		l, err := e.svc.LiftSuppression(ctx, officer, "Bounced@Example.com", "the mailbox was full for a week")
		must(t, err)
		if l.PreviousReason != app.SuppressHardBounce || l.SubscriberID == nil || *l.SubscriberID != sub.ID {
			t.Fatalf("lift %+v", l)
		}
		if r := e.suppression(t, "bounced@example.com"); r != "" {
			t.Fatalf("still suppressed: %q", r)
		}
		if _, err := e.svc.LiftSuppression(ctx, officer, "bounced@example.com", "again"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("second lift: %v", err)
		}
		audit, err := e.svc.Audit(ctx, app.AuditQuery{Action: app.AuditSuppressionLifted})
		must(t, err)
		if len(audit) != 1 || audit[0].Actor != "admin:7" || audit[0].SubjectID != l.ID || audit[0].Details != app.SuppressHardBounce {
			t.Fatalf("audit %+v", audit)
		}
		lifts, err := e.svc.SuppressionLifts(ctx, 0, 10)
		must(t, err)
		if len(lifts) != 1 || lifts[0].Reason != "the mailbox was full for a week" {
			t.Fatalf("lifts %+v", lifts)
		}

		gone := e.activeSubscriber(t, "gone@example.com")
		must(t, e.svc.Erase(ctx, gone.ID, 0, "test"))
		if _, err := e.svc.LiftSuppression(ctx, officer, "gone@example.com", "asked"); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("lift of an erasure: %v", err)
		}
		must(t, e.svc.Erase(ctx, sub.ID, 0, "test"))
		lifts, err = e.svc.SuppressionLifts(ctx, 0, 10)
		must(t, err)
		if len(lifts) != 1 || lifts[0].Reason != "" {
			t.Fatalf("the lift's reason survived the erasure: %+v", lifts)
		}
	})
}

// TestComplaintAfterAddressChange: a provider's complaint about one of our
// deliveries withdraws the advertising consent of its recipient even when
// they changed their address since; the address it names is suppressed.
func TestComplaintAfterAddressChange(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "old.address@example.com")
		sc := e.sendCampaign(t, nil)
		sub.Email, sub.EmailHash = "new.address@example.com", e.svc.Signer.KeyedHash("new.address@example.com")
		must(t, e.store.UpdateSubscriber(ctx, sub))
		res, err := e.svc.RecordWebhook(ctx, "", []app.FeedbackEvent{{Key: "c1", Source: app.FeedbackFromSendGrid,
			Kind: app.FeedbackComplaint, RefHints: sc.ref(e, sub), Recipient: "old.address@example.com"}})
		must(t, err)
		if res.Applied != 1 || e.marketing(t, sub.ID) {
			t.Fatalf("result %+v, marketing still %v", res, e.marketing(t, sub.ID))
		}
		if r := e.suppression(t, "old.address@example.com"); r != app.SuppressComplaint {
			t.Errorf("old address: %q", r)
		}
		if r := e.suppression(t, "new.address@example.com"); r != "" {
			t.Errorf("new address: %q", r)
		}
	})
}
