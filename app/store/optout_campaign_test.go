package store_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// TestOptOutBetweenMaterializationAndSend: a person who leaves the
// newsletter (one-click) after a marketing campaign made their delivery
// row, but before the batch sends it, gets no message: the claim at send
// time judges membership and consent again.
func TestOptOutBetweenMaterializationAndSend(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		signer, err := app.NewSigner([]byte("optout-campaign-test-secret-0123456789"))
		if err != nil {
			t.Fatal(err)
		}
		base, _ := url.Parse("https://news.example.com")
		links := &app.Links{Base: base, Signer: signer}
		svc := &app.Subscriptions{Core: &app.Core{Store: s, Signer: signer, Links: links}}

		marketing := map[app.Purpose]bool{app.PurposeProcessing: true, app.PurposeMarketing: true}
		leaving := addSubscriber(t, s, "leaving@example.com", subscriberCase{name: "Leaving", status: app.StatusActive, consents: marketing})
		staying := addSubscriber(t, s, "staying@example.com", subscriberCase{name: "Staying", status: app.StatusActive, consents: marketing})

		c := &app.Campaign{Name: "Sale", Subject: "Sale", Purpose: app.CampaignMarketing, BodyHTML: "<p>Sale</p>", Status: app.CampaignDraft}
		if err := s.CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
		audience := app.Audience{Purpose: app.CampaignMarketing}
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
		if n, err := s.MaterializeDeliveries(ctx, c.ID, audience, from, maxID+1); err != nil || n != 2 {
			t.Fatalf("materialized %d, %v; want 2", n, err)
		}

		// The one-click answer comes between materialization and send.
		token := links.UnsubscribeToken(leaving.ID, c.ID)
		if err := svc.OneClickUnsubscribe(ctx, token, app.Evidence{IP: "192.0.2.1", UserAgent: "MailProvider/1.0"}); err != nil {
			t.Fatal(err)
		}

		claim, err := s.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		recipients, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Lo: 0, Hi: 1 << 40,
			Limit: 100, Audience: audience})
		if err != nil {
			t.Fatal(err)
		}
		if len(recipients) != 1 || recipients[0].SubscriberID != staying.ID {
			t.Fatalf("recipients at send time: %+v, want only the one who stayed", recipients)
		}
		if st := deliveries(t, s, c.ID)[leaving.ID]; st != string(app.DeliveryOptedOut) {
			t.Fatalf("delivery of the person who left: %s, want opted_out", st)
		}
		got, err := s.Campaign(ctx, c.ID)
		if err != nil || got.OptedOut != 1 {
			t.Fatalf("campaign counters %+v %v", got, err)
		}
		// The one-click left the campaign's newsletter, recorded with the
		// campaign; no request, and the consent stays.
		evs, err := s.NewsletterEvents(ctx, leaving.ID)
		if err != nil || len(evs) == 0 {
			t.Fatalf("newsletter events %+v %v", evs, err)
		}
		last := evs[len(evs)-1]
		if last.Action != app.NewsletterLeft || last.Channel != app.ChannelOneClick || last.CampaignID == nil || *last.CampaignID != c.ID {
			t.Fatalf("leave %+v", last)
		}
		if reqs, err := s.QueryRequests(ctx, app.RequestQuery{SubscriberID: leaving.ID}); err != nil || len(reqs) != 0 {
			t.Fatalf("requests %+v %v: leaving a newsletter is no request", reqs, err)
		}
	})
}
