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

// TestRelayExpiredOutbox: rows relayed before the cutoff and not finished
// are handed over again, longest waiting first, and start a new lease;
// unrelayed, finished and recently relayed rows are not; a refused row
// keeps its old lease.
func TestRelayExpiredOutbox(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		add := func() int64 {
			id, err := s.AddOutbox(ctx, "test:kind", []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		relay := func(f func(context.Context, int, func(app.OutboxMessage) error) (int, error), refuse int64) []int64 {
			t.Helper()
			var got []int64
			_, err := f(ctx, 10, func(m app.OutboxMessage) error {
				if m.ID == refuse {
					return errors.New("queue down")
				}
				got = append(got, m.ID)
				return nil
			})
			if err != nil && refuse == 0 {
				t.Fatal(err)
			}
			return got
		}
		expired := func(before time.Time) func(context.Context, int, func(app.OutboxMessage) error) (int, error) {
			return func(ctx context.Context, limit int, send func(app.OutboxMessage) error) (int, error) {
				return s.RelayExpiredOutbox(ctx, before, limit, send)
			}
		}
		a, b, c := add(), add(), add()
		if got := relay(s.RelayOutbox, 0); !slices.Equal(got, []int64{a, b, c}) {
			t.Fatalf("relayed %v", got)
		}
		if err := s.MarkOutboxDone(ctx, b); err != nil {
			t.Fatal(err)
		}
		fresh := add() // never relayed: RelayOutbox's, not this one's
		if got := relay(expired(time.Now().Add(-time.Hour)), 0); len(got) != 0 {
			t.Fatalf("rows relayed within the lease relayed again: %v", got)
		}
		time.Sleep(10 * time.Millisecond)
		cutoff := time.Now()
		if got := relay(expired(cutoff), c); !slices.Equal(got, []int64{a}) {
			t.Fatalf("expired rows relayed again: %v, want [%d] (the queue refused %d)", got, a, c)
		}
		// a started a new lease; c, refused, still waits; b is finished.
		if got := relay(expired(cutoff), 0); !slices.Equal(got, []int64{c}) {
			t.Fatalf("second pass: %v, want [%d]", got, c)
		}
		if got := relay(s.RelayOutbox, 0); !slices.Equal(got, []int64{fresh}) {
			t.Fatalf("new rows: %v, want [%d]", got, fresh)
		}
	})
}
