package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// claimAll materializes a running campaign to n new subscribers and claims
// all its deliveries.
func claimAll(t *testing.T, s *store.Store, prefix string, n int) (*app.Campaign, []app.Recipient, int64) {
	t.Helper()
	ctx := context.Background()
	a := app.Audience{Purpose: app.CampaignInformational}
	for i := range n {
		addSubscriber(t, s, fmt.Sprintf("%s%d@example.com", prefix, i), subscriberCase{status: app.StatusActive, consents: all})
	}
	c := newCampaign(t, s, app.CampaignInformational)
	run(t, s, c, a, 1000)
	claim, err := s.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Hi: 1 << 40, Limit: n, Audience: a})
	if err != nil || len(rs) != n {
		t.Fatalf("claimed %d of %d, %v", len(rs), n, err)
	}
	return c, rs, claim
}

// TestConcurrentRecordsCount: results recorded by many commits at the same
// time, each of them twice (a retried commit), some failures among them,
// are each counted once: in the campaign, in the campaign list, and in the
// delivery rows.
func TestConcurrentRecordsCount(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const n, writers, group = 240, 8, 5
		c, rs, _ := claimAll(t, s, "cc", n)
		var wantSent, wantFailed int64
		outs := make([]app.DeliveryOutcome, n)
		for i, r := range rs {
			outs[i] = app.DeliveryOutcome{CampaignID: c.ID, DeliveryID: r.DeliveryID, Status: app.DeliverySent}
			if i%40 == 7 { // one group in eight holds a failure: the other way of recording
				outs[i].Status, outs[i].Code, outs[i].Error = app.DeliveryFailed, 550, "no"
				wantFailed++
			} else {
				wantSent++
			}
		}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for lo := w * group; lo < n; lo += writers * group {
					for range 2 {
						if err := s.RecordDeliveries(ctx, outs[lo:lo+group]); err != nil {
							t.Error(err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		cur, err := s.Campaign(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Sent != wantSent || cur.Failed != wantFailed {
			t.Errorf("campaign counts sent %d, failed %d; want %d, %d", cur.Sent, cur.Failed, wantSent, wantFailed)
		}
		list, err := s.ListCampaigns(ctx, app.CampaignFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range list {
			if l.ID == c.ID && (l.Sent != wantSent || l.Failed != wantFailed) {
				t.Errorf("campaign list counts sent %d, failed %d; want %d, %d", l.Sent, l.Failed, wantSent, wantFailed)
			}
		}
		got := map[string]int64{}
		for _, st := range deliveries(t, s, c.ID) {
			got[st]++
		}
		if got["sent"] != wantSent || got["failed"] != wantFailed {
			t.Errorf("delivery rows %v; want %d sent, %d failed", got, wantSent, wantFailed)
		}
	})
}

// TestRecordSentLeavesCampaignRowFree: on PostgreSQL, recording messages
// sent does not lock the campaign's row, so commits of results need not
// wait for each other (nor for a claim) on it: here the row stays locked by
// another transaction while the results are committed.
func TestRecordSentLeavesCampaignRowFree(t *testing.T) {
	s := open(t, store.Postgres)
	ctx := context.Background()
	c, rs, _ := claimAll(t, s, "rf", 3)
	db, err := s.DB()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT id FROM campaigns WHERE id = $1 FOR NO KEY UPDATE", c.ID); err != nil {
		t.Fatal(err)
	}
	// Waiting for the lock would last until this deadline, then fail.
	recCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var outs []app.DeliveryOutcome
	for _, r := range rs {
		outs = append(outs, app.DeliveryOutcome{CampaignID: c.ID, DeliveryID: r.DeliveryID, Status: app.DeliverySent})
	}
	if err := s.RecordDeliveries(recCtx, outs); err != nil {
		t.Fatalf("recording waited for the campaign's row: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if cur, err := s.Campaign(ctx, c.ID); err != nil || cur.Sent != 3 {
		t.Fatalf("sent %v, %v; want 3", cur, err)
	}
}

// TestStalledSeesRecordedProgress: a running campaign whose results were
// committed lately is not stalled, though its own row shows no progress;
// once those commits are old too, it is.
func TestStalledSeesRecordedProgress(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c, rs, claim := claimAll(t, s, "sp", 3)
		if err := s.RecordDeliveries(ctx, []app.DeliveryOutcome{{CampaignID: c.ID, DeliveryID: rs[0].DeliveryID,
			Status: app.DeliverySent}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReleaseDeliveryClaim(ctx, claim); err != nil { // two rows pending again, no claim alive
			t.Fatal(err)
		}
		db, _ := s.DB()
		old := time.Now().Add(-2 * time.Hour).UTC()
		ph, ph2 := "$1", "$2"
		if s.Dialect() == store.SQLite {
			ph, ph2 = "?", "?"
		}
		if _, err := db.Exec("UPDATE campaigns SET progress_at = "+ph+", updated_at = "+ph2, old, old); err != nil {
			t.Fatal(err)
		}
		stalled, err := s.StalledCampaigns(ctx, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if s.Dialect() == store.Postgres && len(stalled) != 0 {
			t.Fatalf("stalled %v, though a result was committed just now", stalled)
		}
		if _, err := db.Exec("UPDATE campaign_sent_shards SET progress_at = "+ph, old); err != nil {
			t.Fatal(err)
		}
		if stalled, err = s.StalledCampaigns(ctx, time.Hour); err != nil || len(stalled) != 1 || stalled[0].ID != c.ID {
			t.Fatalf("stalled %v, %v; want the campaign", stalled, err)
		}
	})
}
