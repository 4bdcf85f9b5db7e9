package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// TestRecordSentDeliveries records messages of two campaigns that the
// server accepted, in one call, twice (a retried commit): each is counted
// once on its own campaign, and a delivery no longer sending is left as it
// is.
func TestRecordSentDeliveries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := app.Audience{Purpose: app.CampaignInformational}
		for i := 0; i < 3; i++ {
			addSubscriber(t, s, fmt.Sprintf("r%d@example.com", i), subscriberCase{status: app.StatusActive, consents: all})
		}
		var outs []app.DeliveryOutcome
		var camps []*app.Campaign
		for range 2 {
			c := newCampaign(t, s, app.CampaignInformational)
			run(t, s, c, a, 10)
			claim, _ := s.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
			rs, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Hi: 1 << 40, Limit: 10, Audience: a})
			if err != nil || len(rs) != 3 {
				t.Fatalf("claimed %d, %v", len(rs), err)
			}
			camps = append(camps, c)
			for _, r := range rs[:len(camps)] { // one of the first campaign, two of the second
				outs = append(outs, app.DeliveryOutcome{CampaignID: c.ID, DeliveryID: r.DeliveryID, Status: app.DeliverySent})
			}
		}
		for range 2 {
			if err := s.RecordDeliveries(ctx, outs); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range camps {
			cur, err := s.Campaign(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Sent != int64(i+1) {
				t.Errorf("campaign %d: sent %d, want %d", i+1, cur.Sent, i+1)
			}
			sent := 0
			for _, st := range deliveries(t, s, c.ID) {
				if st == string(app.DeliverySent) {
					sent++
				}
			}
			if sent != i+1 {
				t.Errorf("campaign %d: %d deliveries sent, want %d", i+1, sent, i+1)
			}
		}
	})
}
