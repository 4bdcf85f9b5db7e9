package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// TestWebhookEventsWithTheirChange: each change that is an event records
// it, for the endpoints that asked, in the transaction of the change: a
// rollback leaves no event, delivery or outbox row; an endpoint that did
// not ask gets nothing.
func TestWebhookEventsWithTheirChange(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		all := make([]app.EventType, len(app.EventTypes))
		copy(all, app.EventTypes)
		every := &app.WebhookEndpoint{URL: "https://a.example.com/in", Events: all, Secret: "whsec_AAAA", CreatedAt: time.Now()}
		must(t, s.CreateWebhookEndpoint(ctx, every))
		other := &app.WebhookEndpoint{URL: "https://b.example.com/in", Events: []app.EventType{app.EventCampaignFinished},
			Secret: "whsec_BBBB", CreatedAt: time.Now()}
		must(t, s.CreateWebhookEndpoint(ctx, other))

		sub := &app.Subscriber{Email: "olga@example.com", Name: "Olga", Status: app.StatusActive}
		must(t, s.CreateSubscriber(ctx, sub))

		// A transaction that fails records nothing.
		boom := errors.New("boom")
		err := s.Tx(ctx, func(tx app.Store) error {
			must(t, tx.Subscribers().AddConsentEvent(ctx, &app.ConsentEvent{SubscriberID: sub.ID, Purpose: app.PurposeMarketing,
				Action: app.ConsentGranted, Evidence: app.Evidence{Channel: app.ChannelWeb}}))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if list := hookDeliveries(t, s, every.ID); len(list) != 0 {
			t.Fatalf("after a rollback: %v", list)
		}

		// The changes.
		must(t, s.AddConsentEvent(ctx, &app.ConsentEvent{SubscriberID: sub.ID, Purpose: app.PurposeMarketing,
			Action: app.ConsentGranted, Evidence: app.Evidence{Channel: app.ChannelWeb}}))
		must(t, s.AddConsentEvent(ctx, &app.ConsentEvent{SubscriberID: sub.ID, Purpose: app.PurposeMarketing,
			Action: app.ConsentConfirmed, Evidence: app.Evidence{Channel: app.ChannelWeb}})) // no event of its own
		now := time.Now().UTC()
		r := &app.Request{SubscriberID: &sub.ID, Kind: app.KindAccess, Channel: app.ChannelEmail, Status: app.RequestReceived, ReceivedAt: now}
		must(t, s.CreateRequest(ctx, r))
		r.Status, r.CompletedAt = app.RequestCompleted, &now
		must(t, s.UpdateRequest(ctx, r))
		must(t, s.UpdateRequest(ctx, r)) // completed already: no second event
		must(t, s.Tx(ctx, func(tx app.Store) error { return tx.Retention().ErasePersonalData(ctx, sub.ID, now) }))
		_, err = s.AddFeedbackEvent(ctx, &app.FeedbackRecord{Key: "ses:1", Source: "ses", Kind: app.FeedbackComplaint,
			SubscriberID: &sub.ID, OccurredAt: now})
		must(t, err)
		added, err := s.AddFeedbackEvent(ctx, &app.FeedbackRecord{Key: "ses:1", Source: "ses", Kind: app.FeedbackComplaint,
			SubscriberID: &sub.ID, OccurredAt: now})
		if err != nil || added {
			t.Fatalf("the same complaint again: %v %v", added, err)
		}
		_, err = s.AddFeedbackEvent(ctx, &app.FeedbackRecord{Key: "ses:2", Source: "ses", Kind: app.FeedbackSoftBounce, OccurredAt: now})
		must(t, err)

		var got []app.EventType
		for _, d := range hookDeliveries(t, s, every.ID) {
			got = append(got, d.EventType)
			if d.Status != app.WebhookPending || d.Attempts != 0 {
				t.Errorf("new delivery %+v", d)
			}
		}
		slices.Reverse(got)
		want := []app.EventType{app.EventConsentGranted, app.EventRequestCreated, app.EventRequestCompleted,
			app.EventSubscriberErased, app.EventDeliveryComplained, app.EventDeliveryBounced}
		if !slices.Equal(got, want) {
			t.Errorf("events\n got %v\nwant %v", got, want)
		}
		if list := hookDeliveries(t, s, other.ID); len(list) != 0 {
			t.Errorf("the endpoint that asked for none of these got %v", list)
		}

		// Each delivery has its outbox row, and a claimed one is held.
		rows := 0
		_, err = s.RelayOutbox(ctx, 100, func(m app.OutboxMessage) error {
			if m.Kind == app.OutboxWebhook {
				rows++
			}
			return nil
		})
		must(t, err)
		if rows != len(want) {
			t.Errorf("%d outbox rows for %d deliveries", rows, len(want))
		}
		d := hookDeliveries(t, s, every.ID)[0]
		m, ok, err := s.ClaimWebhookDelivery(ctx, d.ID, now, time.Minute)
		if err != nil || !ok || m.MessageID == "" || len(m.Secrets) != 1 {
			t.Fatalf("claim: %+v %v %v", m, ok, err)
		}
		if _, ok, err := s.ClaimWebhookDelivery(ctx, d.ID, now.Add(time.Second), time.Minute); err != nil || ok {
			t.Errorf("claimed twice: %v %v", ok, err)
		}
		must(t, s.RecordWebhookAttempt(ctx, d.ID, app.WebhookAttempt{At: now, Code: 204, Delivered: true}))
		if m, ok, err := s.ClaimWebhookDelivery(ctx, d.ID, now.Add(time.Second), time.Minute); err != nil || !ok || m.Status != app.WebhookDelivered {
			t.Errorf("a delivered one: %+v %v %v", m, ok, err)
		}

		// A rotation signs with both secrets until its time is up.
		must(t, s.RotateWebhookSecret(ctx, every.ID, "whsec_CCCC", now.Add(time.Hour)))
		must(t, s.ReplayWebhookDelivery(ctx, d.ID))
		m, _, err = s.ClaimWebhookDelivery(ctx, d.ID, now, time.Minute)
		if err != nil || !slices.Equal(m.Secrets, []string{"whsec_CCCC", "whsec_AAAA"}) {
			t.Errorf("during a rotation: %v %v", m.Secrets, err)
		}
		must(t, s.RecordWebhookAttempt(ctx, d.ID, app.WebhookAttempt{At: now, Error: "x"}))
		m, _, err = s.ClaimWebhookDelivery(ctx, d.ID, now.Add(2*time.Hour), time.Minute)
		if err != nil || !slices.Equal(m.Secrets, []string{"whsec_CCCC"}) {
			t.Errorf("after a rotation: %v %v", m.Secrets, err)
		}

		// Old events go with their deliveries.
		if n, err := s.PurgeWebhookEvents(ctx, now.Add(-time.Hour)); err != nil || n != 0 {
			t.Errorf("purged %d recent events, %v", n, err)
		}
		if n, err := s.PurgeWebhookEvents(ctx, now.Add(time.Hour)); err != nil || n != int64(len(want)) {
			t.Errorf("purged %d of %d old events, %v", n, len(want), err)
		}
		if list := hookDeliveries(t, s, every.ID); len(list) != 0 {
			t.Errorf("deliveries of purged events: %v", list)
		}

		// Deleting the endpoint takes its deliveries.
		must(t, s.DeleteWebhookEndpoint(ctx, every.ID))
		if _, _, err := s.ClaimWebhookDelivery(ctx, d.ID, now, time.Minute); !app.IsNotFound(err) {
			t.Errorf("claim after delete: %v", err)
		}
	})
}

func hookDeliveries(t *testing.T, s *store.Store, endpointID int64) []app.WebhookDelivery {
	t.Helper()
	list, err := s.WebhookDeliveries(context.Background(), endpointID, 100)
	must(t, err)
	return list
}
