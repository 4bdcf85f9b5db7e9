package store

import (
	"context"
	"fmt"

	"newsletter/app"
)

// CreateActiveSubscribers inserts n active subscribers with processing and
// marketing consent, addressed PREFIX-i@bench.example, for benchmarks; it
// returns their ids. hash gives the keyed hash of an address.
func (s *Store) CreateActiveSubscribers(ctx context.Context, prefix string, n int, hash func(string) string) ([]int64, error) {
	ids := make([]int64, 0, n)
	t := s.now()
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		rows := make([]subscriberRow, 0, hi-lo)
		for i := lo; i < hi; i++ {
			email := fmt.Sprintf("%s-%d@bench.example", prefix, i)
			name := fmt.Sprintf("Bench %d", i)
			h := hash(email)
			rows = append(rows, subscriberRow{Email: &email, EmailHash: &h, Name: &name, Locale: "en",
				Status: string(app.StatusActive), CreatedAt: t, UpdatedAt: t, ConfirmedAt: &t})
		}
		err := s.tx(ctx, func(tx *Store) error {
			db := tx.with(ctx)
			if err := db.Create(&rows).Error; err != nil {
				return err
			}
			consents := make([]consentRow, 0, 2*len(rows))
			for _, r := range rows {
				for _, p := range []app.Purpose{app.PurposeProcessing, app.PurposeMarketing} {
					consents = append(consents, consentRow{SubscriberID: r.ID, Purpose: string(p), Granted: true, UpdatedAt: t})
				}
			}
			return db.Create(&consents).Error
		})
		if err != nil {
			return nil, fmt.Errorf("create bench subscribers: %w", err)
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}
