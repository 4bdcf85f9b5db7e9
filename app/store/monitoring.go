package store

import (
	"context"
	"fmt"
	"time"
)

// OverdueRequests counts the open requests whose deadline is before now,
// by kind (kinds without one are absent).
func (s *Store) OverdueRequests(ctx context.Context, now time.Time) (map[string]int64, error) {
	var rows []struct {
		Kind string
		N    int64
	}
	if err := s.with(ctx).Raw(`SELECT kind, count(*) AS n FROM requests WHERE `+openRequestSQL+` AND due_at < ? GROUP BY kind`,
		now.UTC()).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count overdue requests: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Kind] = r.N
	}
	return out, nil
}

// OldestUnfinishedOutbox returns when the oldest outbox row that has not
// run to its end (relayed or not) was written, or the zero time when every
// row has.
func (s *Store) OldestUnfinishedOutbox(ctx context.Context) (time.Time, error) {
	var rows []outboxRow
	if err := s.with(ctx).Select("id", "created_at").Where("done_at IS NULL").Order("id").Limit(1).Find(&rows).Error; err != nil {
		return time.Time{}, fmt.Errorf("oldest unfinished outbox row: %w", err)
	}
	if len(rows) == 0 {
		return time.Time{}, nil
	}
	return rows[0].CreatedAt, nil
}
