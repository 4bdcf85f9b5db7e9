package store_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// TestOverdueRequests counts open requests past their deadline by kind;
// closed ones, ones due later and ones without a deadline do not count.
func TestOverdueRequests(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		past, future := now.Add(-time.Hour), now.Add(time.Hour)
		for _, r := range []app.Request{
			{Kind: app.KindConsentRevocation, Status: app.RequestReceived, DueAt: &past},
			{Kind: app.KindConsentRevocation, Status: app.RequestAwaitingConfirmation, DueAt: &past},
			{Kind: app.KindAccess, Status: app.RequestNeedsReview, DueAt: &past},
			{Kind: app.KindAccess, Status: app.RequestCompleted, DueAt: &past},
			{Kind: app.KindDataUpdate, Status: app.RequestRejected, DueAt: &past},
			{Kind: app.KindDataUpdate, Status: app.RequestReceived, DueAt: &future},
			{Kind: app.KindUnknown, Status: app.RequestNeedsReview},
		} {
			r.Channel, r.ReceivedAt = app.ChannelAPI, now.Add(-48*time.Hour)
			if err := s.CreateRequest(ctx, &r); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.OverdueRequests(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["consent_revocation"] != 2 || got["access"] != 1 {
			t.Fatalf("overdue %v, want consent_revocation 2, access 1", got)
		}
		if got, err := s.OverdueRequests(ctx, now.Add(2*time.Hour)); err != nil || got["data_update"] != 1 {
			t.Fatalf("two hours later: %v %v, want the data update too", got, err)
		}
	})
}

// TestOldestUnfinishedOutbox: the time of the oldest row that has not run
// to its end, relayed or not; zero when every row has.
func TestOldestUnfinishedOutbox(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if at, err := s.OldestUnfinishedOutbox(ctx); err != nil || !at.IsZero() {
			t.Fatalf("empty outbox: %v %v", at, err)
		}
		var ids []int64
		for i := 0; i < 3; i++ {
			id, err := s.AddOutbox(ctx, "test:kind", []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		first, err := s.OldestUnfinishedOutbox(ctx)
		if err != nil || first.IsZero() || time.Since(first) > time.Minute {
			t.Fatalf("oldest of three new rows: %v %v", first, err)
		}
		if _, err := s.RelayOutbox(ctx, 2, func(app.OutboxMessage) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if at, err := s.OldestUnfinishedOutbox(ctx); err != nil || !at.Equal(first) {
			t.Fatalf("relayed but not done: %v %v, want %v", at, err, first)
		}
		for _, id := range ids[:2] {
			if err := s.MarkOutboxDone(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		third, err := s.OldestUnfinishedOutbox(ctx)
		if err != nil || third.Before(first) || third.IsZero() {
			t.Fatalf("after two rows finished: %v %v", third, err)
		}
		if err := s.MarkOutboxDone(ctx, ids[2]); err != nil {
			t.Fatal(err)
		}
		if at, err := s.OldestUnfinishedOutbox(ctx); err != nil || !at.IsZero() {
			t.Fatalf("every row done: %v %v", at, err)
		}
	})
}
