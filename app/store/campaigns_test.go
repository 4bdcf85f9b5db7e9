package store_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// subscriberCase is one person in the eligibility fixtures.
type subscriberCase struct {
	name       string
	status     app.SubscriberStatus
	consents   map[app.Purpose]bool
	suppressed bool
	erased     bool // email removed, as erasure leaves it
	// offers moves the person from the default marketing newsletter to
	// the newsletter "Offers" (offersNewsletter).
	offers bool
}

var all = map[app.Purpose]bool{app.PurposeProcessing: true, app.PurposeMarketing: true, app.PurposeCrossBorder: true}

var eligibilityCases = []subscriberCase{
	{name: "AllConsents", status: app.StatusActive, consents: all},
	{name: "NoCrossBorder", status: app.StatusActive, consents: map[app.Purpose]bool{app.PurposeProcessing: true, app.PurposeMarketing: true}},
	{name: "ProcessingOnly", status: app.StatusActive, consents: map[app.Purpose]bool{app.PurposeProcessing: true, app.PurposeCrossBorder: true}},
	{name: "MarketingWithdrawn", status: app.StatusActive, consents: map[app.Purpose]bool{app.PurposeProcessing: true, app.PurposeMarketing: false, app.PurposeCrossBorder: true}},
	{name: "ProcessingWithdrawn", status: app.StatusActive, consents: map[app.Purpose]bool{app.PurposeProcessing: false, app.PurposeMarketing: true, app.PurposeCrossBorder: true}},
	{name: "MarketingOnly", status: app.StatusActive, consents: map[app.Purpose]bool{app.PurposeMarketing: true}},
	{name: "Pending", status: app.StatusPending, consents: all},
	{name: "Blocked", status: app.StatusBlocked, consents: all},
	{name: "Erased", status: app.StatusErased, consents: all, erased: true},
	{name: "Suppressed", status: app.StatusActive, consents: all, suppressed: true},
	{name: "OffersOnly", status: app.StatusActive, consents: all, offers: true},
	{name: "OffersWithoutMarketing", status: app.StatusActive, consents: map[app.Purpose]bool{app.PurposeProcessing: true, app.PurposeMarketing: false, app.PurposeCrossBorder: true}, offers: true},
}

// offersNewsletter returns the marketing newsletter "Offers", creating it
// the first time.
func offersNewsletter(t *testing.T, s *store.Store) *app.Newsletter {
	t.Helper()
	ctx := context.Background()
	all, err := s.ListNewsletters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range all {
		if n.Name == "Offers" {
			return &n
		}
	}
	n := &app.Newsletter{Name: "Offers", Purpose: app.CampaignMarketing, Public: true}
	if err := s.CreateNewsletter(ctx, n); err != nil {
		t.Fatal(err)
	}
	return n
}

// onNow returns the newsletters a subscriber is on now.
func onNow(t *testing.T, s *store.Store, id int64) []app.Newsletter {
	t.Helper()
	ms, err := s.Memberships(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return app.OnNow(ms)
}

// addSubscriber stores one case and returns the subscriber.
func addSubscriber(t *testing.T, s *store.Store, email string, c subscriberCase) *app.Subscriber {
	t.Helper()
	ctx := context.Background()
	sub := &app.Subscriber{Email: email, EmailHash: "hash:" + email, Name: "Person " + c.name, Locale: "en", Status: c.status}
	if err := s.CreateSubscriber(ctx, sub); err != nil {
		t.Fatal(err)
	}
	for p, g := range c.consents {
		if err := s.SetConsent(ctx, sub.ID, p, g, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if c.offers {
		def, err := s.DefaultNewsletter(ctx, app.CampaignMarketing)
		if err != nil {
			t.Fatal(err)
		}
		ev := app.Evidence{Channel: app.ChannelWeb}
		if _, err := s.JoinNewsletters(ctx, app.NewsletterChange{SubscriberID: sub.ID, NewsletterIDs: []int64{offersNewsletter(t, s).ID}, Evidence: ev}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LeaveNewsletters(ctx, app.NewsletterChange{SubscriberID: sub.ID, NewsletterIDs: []int64{def.ID}, Evidence: ev}); err != nil {
			t.Fatal(err)
		}
	}
	if c.suppressed {
		if err := s.Suppress(ctx, sub.EmailHash, app.SuppressManual, ""); err != nil {
			t.Fatal(err)
		}
	}
	if c.erased {
		sub.Email, sub.Name = "", ""
		if err := s.UpdateSubscriber(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	return sub
}

func newCampaign(t *testing.T, s *store.Store, purpose app.CampaignPurpose) *app.Campaign {
	t.Helper()
	c := &app.Campaign{Name: "Spring", Subject: "News", Purpose: purpose, BodyHTML: "<p>Hi</p>", Status: app.CampaignDraft}
	if err := s.CreateCampaign(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// run moves a campaign to running and materializes its deliveries in
// chunks of chunk subscriber ids.
func run(t *testing.T, s *store.Store, c *app.Campaign, a app.Audience, chunk int64) {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Second)
	cur, err := s.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft},
		To: app.CampaignScheduled, SendAt: &at, BumpVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.StartCampaign(ctx, c.ID, cur.Version, time.Now()); err != nil || !ok {
		t.Fatalf("start: %v %v", ok, err)
	}
	from, maxID, err := s.BeginMaterialization(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for lo := from; lo <= maxID; lo += chunk {
		if _, err := s.MaterializeDeliveries(ctx, c.ID, a, lo, lo+chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishMaterialization(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
}

// deliveries returns subscriber id -> delivery status of a campaign.
func deliveries(t *testing.T, s *store.Store, campaignID int64) map[int64]string {
	t.Helper()
	db, err := s.DB()
	if err != nil {
		t.Fatal(err)
	}
	q := "SELECT subscriber_id, status FROM deliveries WHERE campaign_id = $1"
	if s.Dialect() == store.SQLite {
		q = "SELECT subscriber_id, status FROM deliveries WHERE campaign_id = ?"
	}
	rows, err := db.Query(q, campaignID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var st string
		if err := rows.Scan(&id, &st); err != nil {
			t.Fatal(err)
		}
		out[id] = st
	}
	return out
}

func consentsOf(c subscriberCase) []app.Consent {
	var out []app.Consent
	for p, g := range c.consents {
		out = append(out, app.Consent{Purpose: p, Granted: g})
	}
	return out
}

// TestMaterializeFollowsAudience checks that the SQL audience rule agrees
// with app.Audience.Judge for every fixture, purpose and cross-border
// setting, and that materializing twice adds nothing.
func TestMaterializeFollowsAudience(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		subs := map[int64]subscriberCase{}
		for i, c := range eligibilityCases {
			sub := addSubscriber(t, s, fmt.Sprintf("p%d@example.com", i), c)
			subs[sub.ID] = c
		}
		offers := offersNewsletter(t, s)
		audiences := []app.Audience{}
		for _, purpose := range []app.CampaignPurpose{app.CampaignMarketing, app.CampaignInformational} {
			for _, cross := range []bool{false, true} {
				audiences = append(audiences, app.Audience{Purpose: purpose, CrossBorder: cross})
			}
		}
		audiences = append(audiences, app.Audience{Purpose: app.CampaignMarketing, Newsletters: []int64{offers.ID}},
			app.Audience{Purpose: app.CampaignMarketing, CrossBorder: true, Newsletters: []int64{offers.ID, offers.ID - 1}})
		for _, a := range audiences {
			purpose := a.Purpose
			{
				t.Run(fmt.Sprintf("%s/crossborder=%v/newsletters=%v", purpose, a.CrossBorder, a.Newsletters), func(t *testing.T) {
					c := newCampaign(t, s, purpose)
					run(t, s, c, a, 3)
					got := deliveries(t, s, c.ID)
					for id, sc := range subs {
						sub := &app.Subscriber{Status: sc.status, Email: "x@example.com"}
						if sc.erased {
							sub.Email = ""
						}
						want := a.Judge(sub, consentsOf(sc), onNow(t, s, id), sc.suppressed) == app.DeliverySending
						if _, ok := got[id]; ok != want {
							t.Errorf("%s: materialized=%v, want %v", sc.name, ok, want)
						}
					}
					before := len(got)
					if n, err := s.MaterializeDeliveries(ctx, c.ID, a, 0, 1<<40); err != nil || n != 0 {
						t.Fatalf("second materialization inserted %d, %v", n, err)
					}
					cur, _ := s.Campaign(ctx, c.ID)
					if cur.Recipients != int64(before) {
						t.Fatalf("recipients = %d, want %d", cur.Recipients, before)
					}
				})
			}
		}
	})
}

// TestClaimRechecksEligibility changes people after materialization: the
// claim must judge them as they are now.
func TestClaimRechecksEligibility(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := app.Audience{Purpose: app.CampaignMarketing}
		var subs []*app.Subscriber
		for i := 0; i < 6; i++ {
			subs = append(subs, addSubscriber(t, s, fmt.Sprintf("r%d@example.com", i), subscriberCase{name: "ok", status: app.StatusActive, consents: all}))
		}
		c := newCampaign(t, s, app.CampaignMarketing)
		run(t, s, c, a, 100)
		// After materialization: one opts out, one is blocked, one is
		// suppressed, one revokes processing.
		if err := s.SetConsent(ctx, subs[1].ID, app.PurposeMarketing, false, time.Now()); err != nil {
			t.Fatal(err)
		}
		subs[2].Status = app.StatusBlocked
		if err := s.UpdateSubscriber(ctx, subs[2]); err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, subs[3].EmailHash, app.SuppressHardBounce, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.SetConsent(ctx, subs[4].ID, app.PurposeProcessing, false, time.Now()); err != nil {
			t.Fatal(err)
		}
		claim, err := s.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Lo: 0, Hi: 1 << 40, Limit: 100, Audience: a})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range rs {
			got = append(got, r.SubscriberID)
			if r.Email == "" || r.Name == "" || r.Locale != "en" {
				t.Errorf("recipient %d lacks its data: %+v", r.SubscriberID, r)
			}
		}
		want := []int64{subs[0].ID, subs[5].ID}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("claimed %v, want %v", got, want)
		}
		st := deliveries(t, s, c.ID)
		for i, w := range []string{"sending", "opted_out", "skipped", "skipped", "opted_out", "sending"} {
			if st[subs[i].ID] != w {
				t.Errorf("subscriber %d: %s, want %s", i, st[subs[i].ID], w)
			}
		}
		cur, _ := s.Campaign(ctx, c.ID)
		if cur.Recipients != 6 || cur.Skipped != 2 || cur.OptedOut != 2 {
			t.Fatalf("counters %+v", cur.CampaignCounters)
		}
		// Nothing left to claim while these are held.
		if rs, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Lo: 0, Hi: 1 << 40, Limit: 100, Audience: a}); err != nil || len(rs) != 0 {
			t.Fatalf("second claim: %d rows, %v", len(rs), err)
		}
	})
}

// TestRecordDeliveries records every kind of outcome, twice.
func TestRecordDeliveries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := app.Audience{Purpose: app.CampaignInformational}
		for i := 0; i < 4; i++ {
			addSubscriber(t, s, fmt.Sprintf("o%d@example.com", i), subscriberCase{status: app.StatusActive, consents: all})
		}
		c := newCampaign(t, s, app.CampaignInformational)
		run(t, s, c, a, 2)
		claim, _ := s.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
		rs, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Hi: 1 << 40, Limit: 10, Audience: a})
		if err != nil || len(rs) != 4 {
			t.Fatalf("claimed %d, %v", len(rs), err)
		}
		retryAt := time.Now().Add(time.Hour)
		outs := []app.DeliveryOutcome{
			{CampaignID: c.ID, DeliveryID: rs[0].DeliveryID, Status: app.DeliverySent},
			{CampaignID: c.ID, DeliveryID: rs[1].DeliveryID, Status: app.DeliverySent},
			{CampaignID: c.ID, DeliveryID: rs[2].DeliveryID, Status: app.DeliveryFailed, Code: 550, Error: "smtp RCPT: 550 5.1.1 no such user",
				SuppressHash: "hash:o2@example.com"},
			{CampaignID: c.ID, DeliveryID: rs[3].DeliveryID, Status: app.DeliveryPending, RetryAt: retryAt, Code: 451, Error: "try later"},
		}
		for range 2 {
			if err := s.RecordDeliveries(ctx, outs); err != nil {
				t.Fatal(err)
			}
		}
		cur, _ := s.Campaign(ctx, c.ID)
		if cur.Sent != 2 || cur.Failed != 1 {
			t.Fatalf("counters %+v", cur.CampaignCounters)
		}
		if r, err := s.SuppressionReason(ctx, "hash:o2@example.com"); err != nil || r != app.SuppressHardBounce {
			t.Fatalf("suppression %q, %v", r, err)
		}
		next, err := s.NextRetryAt(ctx, c.ID, 0, 1<<40)
		if err != nil || next == nil || next.Sub(retryAt).Abs() > time.Second {
			t.Fatalf("next retry %v, %v; want %v", next, err, retryAt)
		}
		if n, err := s.ReleaseDeliveryClaim(ctx, claim); err != nil || n != 0 {
			t.Fatalf("release gave back %d, %v", n, err)
		}
		// The deferred delivery is not due: nothing to claim, not done.
		claim2, _ := s.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
		if rs, _ := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim2, Hi: 1 << 40, Limit: 10, Audience: a}); len(rs) != 0 {
			t.Fatalf("claimed a delivery before its retry time")
		}
		if done, _ := s.FinishCampaignIfDone(ctx, c.ID); done {
			t.Fatal("finished with a pending delivery")
		}
		// The failed one is listed, by subscriber id, with the server's answer.
		failed, err := s.FailedDeliveries(ctx, c.ID, 0, 10)
		if err != nil || len(failed) != 1 || failed[0].ID != outs[2].DeliveryID || failed[0].SMTPCode == 0 || failed[0].Error == "" {
			t.Fatalf("failed deliveries %+v, %v", failed, err)
		}
		if more, _ := s.FailedDeliveries(ctx, c.ID, failed[0].ID, 10); len(more) != 0 {
			t.Fatalf("paging after the last: %+v", more)
		}
		// Retrying failed deliveries reopens them.
		n, err := s.RetryFailedDeliveries(ctx, c.ID)
		if err != nil || n != 1 {
			t.Fatalf("retry failed: %d, %v", n, err)
		}
		cur2, _ := s.Campaign(ctx, c.ID)
		if cur2.Failed != 0 || cur2.Version != cur.Version+1 {
			t.Fatalf("after retry: %+v version %d", cur2.CampaignCounters, cur2.Version)
		}
		// The bounced address is suppressed now: the retry skips it.
		rs, err = s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim2, Hi: 1 << 40, Limit: 10, Audience: a})
		if err != nil || len(rs) != 0 || deliveries(t, s, c.ID)[rs2Sub(t, s, outs[2].DeliveryID)] != "skipped" {
			t.Fatalf("claimed after retry: %+v %v %v", rs, err, deliveries(t, s, c.ID))
		}
		// Make the deferred one due and send it: the campaign is done.
		db, _ := s.DB()
		if _, err := db.Exec("UPDATE deliveries SET next_attempt_at = NULL WHERE id = " + fmt.Sprint(outs[3].DeliveryID)); err != nil {
			t.Fatal(err)
		}
		rs, _ = s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim2, Hi: 1 << 40, Limit: 10, Audience: a})
		if len(rs) != 1 || rs[0].Attempts != 1 {
			t.Fatalf("claimed deferred: %+v", rs)
		}
		if err := s.RecordDeliveries(ctx, []app.DeliveryOutcome{{CampaignID: c.ID, DeliveryID: rs[0].DeliveryID, Status: app.DeliverySent}}); err != nil {
			t.Fatal(err)
		}
		if done, err := s.FinishCampaignIfDone(ctx, c.ID); err != nil || !done {
			t.Fatalf("not finished: %v", err)
		}
		cur, _ = s.Campaign(ctx, c.ID)
		if cur.Status != app.CampaignFinished || cur.Sent != 3 || cur.Failed != 0 || cur.Skipped != 1 || cur.FinishedAt == nil {
			t.Fatalf("final %+v %s", cur.CampaignCounters, cur.Status)
		}
	})
}

// rs2Sub returns the subscriber of a delivery.
func rs2Sub(t *testing.T, s *store.Store, deliveryID int64) int64 {
	t.Helper()
	db, _ := s.DB()
	var id int64
	if err := db.QueryRow("SELECT subscriber_id FROM deliveries WHERE id = " + fmt.Sprint(deliveryID)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestExpiredClaimIsTakenOver: the rows of a claim whose lease ran out go to
// the next claimer; those of a live claim do not.
func TestExpiredClaimIsTakenOver(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := app.Audience{Purpose: app.CampaignInformational}
		for i := 0; i < 4; i++ {
			addSubscriber(t, s, fmt.Sprintf("e%d@example.com", i), subscriberCase{status: app.StatusActive, consents: all})
		}
		c := newCampaign(t, s, app.CampaignInformational)
		run(t, s, c, a, 100)
		live, _ := s.CreateDeliveryClaim(ctx, c.ID, "live", time.Hour)
		dead, _ := s.CreateDeliveryClaim(ctx, c.ID, "dead", -time.Second)
		if rs, _ := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: live, Hi: 1 << 40, Limit: 2, Audience: a}); len(rs) != 2 {
			t.Fatalf("live claimed %d", len(rs))
		}
		if rs, _ := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: dead, Hi: 1 << 40, Limit: 10, Audience: a}); len(rs) != 2 {
			t.Fatalf("dead claimed %d", len(rs))
		}
		stalled, err := s.StalledCampaigns(ctx, 0)
		if err != nil || len(stalled) != 1 || stalled[0].ID != c.ID {
			t.Fatalf("stalled %v, %v", stalled, err)
		}
		if ok, _ := s.BumpCampaignVersion(ctx, c.ID, stalled[0].Version); !ok {
			t.Fatal("bump refused")
		}
		if ok, _ := s.BumpCampaignVersion(ctx, c.ID, stalled[0].Version); ok {
			t.Fatal("second bump of the same round accepted")
		}
		next, _ := s.CreateDeliveryClaim(ctx, c.ID, "next", time.Hour)
		rs, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: next, Hi: 1 << 40, Limit: 10, Audience: a})
		if err != nil || len(rs) != 2 {
			t.Fatalf("took over %d, %v", len(rs), err)
		}
		if n, _ := s.RenewDeliveryClaims(ctx, "live", time.Hour); n != 1 {
			t.Fatalf("renewed %d", n)
		}
		if n, _ := s.PurgeDeliveryClaims(ctx, time.Now()); n != 1 {
			t.Fatalf("purged %d claims, want the dead one", n)
		}
		if n, _ := s.ReleaseDeliveryClaim(ctx, live); n != 2 {
			t.Fatalf("released %d", n)
		}
	})
}

// TestConcurrentClaimsAreDisjoint runs claimers in parallel over one range:
// together they take every row once.
func TestConcurrentClaimsAreDisjoint(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := app.Audience{Purpose: app.CampaignInformational}
		const n = 300
		for i := 0; i < n; i++ {
			addSubscriber(t, s, fmt.Sprintf("c%d@example.com", i), subscriberCase{status: app.StatusActive, consents: map[app.Purpose]bool{app.PurposeProcessing: true}})
		}
		c := newCampaign(t, s, app.CampaignInformational)
		run(t, s, c, a, 1000)
		var (
			mu  sync.Mutex
			got []int64
			wg  sync.WaitGroup
		)
		for w := 0; w < 4; w++ {
			wg.Go(func() {
				claim, err := s.CreateDeliveryClaim(ctx, c.ID, fmt.Sprint("w", w), time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				for {
					rs, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Hi: 1 << 40, Limit: 7, Audience: a})
					if err != nil {
						t.Error(err)
						return
					}
					if len(rs) == 0 {
						return
					}
					mu.Lock()
					for _, r := range rs {
						got = append(got, r.DeliveryID)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] {
				t.Fatalf("delivery %d claimed twice", got[i])
			}
		}
		if len(got) != n {
			t.Fatalf("claimed %d, want %d", len(got), n)
		}
	})
}

// TestClaimsOpenedMidStatementAreRespected runs claimers in parallel over
// one range, each opening a new claim for every few rows, as batches that
// start while others claim do. A claim opened after another claimer's
// statement began is invisible to that statement; its rows must still not
// be taken over as if their claim had lapsed.
func TestClaimsOpenedMidStatementAreRespected(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := app.Audience{Purpose: app.CampaignInformational}
		const n = 400
		for i := 0; i < n; i++ {
			addSubscriber(t, s, fmt.Sprintf("f%d@example.com", i), subscriberCase{status: app.StatusActive, consents: map[app.Purpose]bool{app.PurposeProcessing: true}})
		}
		c := newCampaign(t, s, app.CampaignInformational)
		run(t, s, c, a, 1000)
		var (
			mu  sync.Mutex
			got = map[int64]int64{} // delivery -> claim
			wg  sync.WaitGroup
		)
		for w := 0; w < 8; w++ {
			wg.Go(func() {
				for {
					claim, err := s.CreateDeliveryClaim(ctx, c.ID, fmt.Sprint("w", w), time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					rs, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Hi: 1 << 40, Limit: 3, Audience: a})
					if err != nil {
						t.Error(err)
						return
					}
					if len(rs) == 0 {
						return
					}
					mu.Lock()
					for _, r := range rs {
						if first, dup := got[r.DeliveryID]; dup {
							t.Errorf("delivery %d claimed by claim %d and again by claim %d", r.DeliveryID, first, claim)
						}
						got[r.DeliveryID] = claim
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(got) != n {
			t.Fatalf("claimed %d, want %d", len(got), n)
		}
	})
}

// TestCampaignTransitions covers drafts, scheduling and the refusals.
func TestCampaignTransitions(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newCampaign(t, s, app.CampaignMarketing)
		c.Subject = "Edited"
		if err := s.UpdateCampaignDraft(ctx, c); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		sc, err := s.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft},
			To: app.CampaignScheduled, SendAt: &at, BumpVersion: true})
		if err != nil || sc.Status != app.CampaignScheduled || sc.Version != 1 || !sc.SendAt.Equal(at) || sc.Subject != "Edited" {
			t.Fatalf("scheduled: %+v, %v", sc, err)
		}
		if err := s.UpdateCampaignDraft(ctx, c); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("edit after scheduling: %v", err)
		}
		if due, _ := s.DueCampaigns(ctx, time.Now()); len(due) != 0 {
			t.Fatalf("due too early: %v", due)
		}
		due, _ := s.DueCampaigns(ctx, at.Add(time.Second))
		if len(due) != 1 || due[0] != (app.CampaignRound{ID: c.ID, Version: 1}) {
			t.Fatalf("due %v", due)
		}
		if ok, _ := s.StartCampaign(ctx, c.ID, 1, time.Now()); ok {
			t.Fatal("started before its time")
		}
		if ok, _ := s.StartCampaign(ctx, c.ID, 0, at); ok {
			t.Fatal("started by an outdated round")
		}
		if ok, _ := s.StartCampaign(ctx, c.ID, 1, at); !ok {
			t.Fatal("not started")
		}
		if _, err := s.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft}, To: app.CampaignScheduled}); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("schedule a running campaign: %v", err)
		}
		if _, err := s.TransitionCampaign(ctx, 999999, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft}, To: app.CampaignScheduled}); !app.IsNotFound(err) {
			t.Fatalf("missing campaign: %v", err)
		}
		list, err := s.ListCampaigns(ctx, app.CampaignFilter{Status: app.CampaignRunning})
		if err != nil || len(list) != 1 || list[0].ID != c.ID {
			t.Fatalf("list %v, %v", list, err)
		}
	})
}
