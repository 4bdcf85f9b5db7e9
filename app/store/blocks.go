package store

import (
	"context"
	"fmt"
	"time"

	"newsletter/app"
)

func init() {
	// Personal data of the tables of migrations 0002 and 0004 that an
	// erasure destroys: free text about a person's dispute and requests,
	// and mail server replies, which often quote the address.
	eraseExtra = append(eraseExtra,
		`UPDATE block_events SET reason = '' WHERE subscriber_id = ?`,
		`UPDATE requests SET note = '' WHERE subscriber_id = ?`,
		`UPDATE deliveries SET error = '' WHERE subscriber_id = ?`,
	)
}

// SetBlocked blocks (pending, active or blocked -> blocked, with reason) or
// unblocks (blocked -> active, or pending if it never confirmed and holds
// no processing consent) a subscriber, touching only its status and block
// reason; it reports false when the subscriber is not in a state that
// allows the change.
func (s *Store) SetBlocked(ctx context.Context, subscriberID int64, blocked bool, reason string, at time.Time) (bool, error) {
	q, args := `UPDATE subscribers SET status = 'blocked', block_reason = ?, updated_at = ?
		WHERE id = ? AND status IN ('pending', 'active', 'blocked')`, []any{reason, at.UTC(), subscriberID}
	if !blocked {
		q, args = `UPDATE subscribers SET status = CASE WHEN confirmed_at IS NOT NULL OR EXISTS (SELECT 1 FROM consents c
			WHERE c.subscriber_id = subscribers.id AND c.purpose = 'processing' AND c.granted) THEN 'active' ELSE 'pending' END,
			block_reason = '', updated_at = ? WHERE id = ? AND status = 'blocked'`, []any{at.UTC(), subscriberID}
	}
	res := s.with(ctx).Exec(q, args...)
	if res.Error != nil {
		return false, fmt.Errorf("set blocked: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

type blockEventRow struct {
	ID           int64
	SubscriberID int64
	Action       string
	Reason       string
	RequestID    *int64
	Actor        string
	CreatedAt    time.Time
}

func (blockEventRow) TableName() string { return "block_events" }

// AddBlockEvent appends a block or unblock to a subscriber's history.
func (s *Store) AddBlockEvent(ctx context.Context, e *app.BlockEvent) error {
	at := e.CreatedAt
	if at.IsZero() {
		at = s.now()
	}
	r := blockEventRow{SubscriberID: e.SubscriberID, Action: e.Action, Reason: e.Reason, RequestID: e.RequestID,
		Actor: e.Actor, CreatedAt: at.UTC()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("add block event: %w", err)
	}
	e.ID, e.CreatedAt = r.ID, r.CreatedAt
	return nil
}

// BlockEvents returns a subscriber's blocks and unblocks, oldest first.
func (s *Store) BlockEvents(ctx context.Context, subscriberID int64) ([]app.BlockEvent, error) {
	var rows []blockEventRow
	if err := s.with(ctx).Where("subscriber_id = ?", subscriberID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read block events: %w", err)
	}
	out := make([]app.BlockEvent, len(rows))
	for i, r := range rows {
		out[i] = app.BlockEvent{ID: r.ID, SubscriberID: r.SubscriberID, Action: r.Action, Reason: r.Reason,
			RequestID: r.RequestID, Actor: r.Actor, CreatedAt: r.CreatedAt}
	}
	return out, nil
}
