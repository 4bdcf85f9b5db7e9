package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

type outboxRow struct {
	ID        int64
	Kind      string
	Payload   string
	CreatedAt time.Time
	RelayedAt *time.Time
	DoneAt    *time.Time
}

func (outboxRow) TableName() string { return "outbox" }

// AddOutbox records a side effect; call it inside the transaction that makes
// the change, so the effect exists if and only if the change does.
func (s *Store) AddOutbox(ctx context.Context, kind string, payload []byte) (int64, error) {
	r := outboxRow{Kind: kind, Payload: string(payload), CreatedAt: s.now()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return 0, fmt.Errorf("add outbox %s: %w", kind, err)
	}
	return r.ID, nil
}

// RelayOutbox hands up to limit unrelayed rows, oldest first, to send and
// marks those that send accepted as relayed, in one transaction. On
// PostgreSQL rows locked by another relay are skipped, so several processes
// can relay at once. It stops at the first error of send and returns it
// together with the number relayed before it.
func (s *Store) RelayOutbox(ctx context.Context, limit int, send func(app.OutboxMessage) error) (int, error) {
	return s.relayOutbox(ctx, func(tx *gorm.DB) *gorm.DB {
		return tx.Where("relayed_at IS NULL").Order("id").Limit(limit)
	}, send)
}

// RelayExpiredOutbox is RelayOutbox for rows relayed before relayedBefore
// and never finished, longest waiting first: the queue may have lost their
// tasks (a Redis restart without persistence, a failover to a replica that
// lagged, eviction), and a task id it still holds refuses the copy. Each
// row relayed again starts a new lease.
func (s *Store) RelayExpiredOutbox(ctx context.Context, relayedBefore time.Time, limit int, send func(app.OutboxMessage) error) (int, error) {
	return s.relayOutbox(ctx, func(tx *gorm.DB) *gorm.DB {
		return tx.Where("done_at IS NULL AND relayed_at IS NOT NULL AND relayed_at < ?", relayedBefore.UTC()).
			Order("relayed_at, id").Limit(limit)
	}, send)
}

// relayOutbox hands the rows that pick selects to send and marks those it
// accepted as relayed now, in one transaction.
func (s *Store) relayOutbox(ctx context.Context, pick func(*gorm.DB) *gorm.DB, send func(app.OutboxMessage) error) (int, error) {
	relayed := 0
	var sendErr error
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		q := pick(tx)
		if s.dialect == Postgres {
			q = q.Clauses(forUpdateSkipLocked())
		}
		var rows []outboxRow
		if err := q.Find(&rows).Error; err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		var ids []int64
		for _, r := range rows {
			if err := send(app.OutboxMessage{ID: r.ID, Kind: r.Kind, Payload: []byte(r.Payload), CreatedAt: r.CreatedAt}); err != nil {
				sendErr = err
				break
			}
			ids = append(ids, r.ID)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Model(&outboxRow{}).Where("id IN ?", ids).Update("relayed_at", s.now()).Error; err != nil {
			return fmt.Errorf("mark outbox relayed: %w", err)
		}
		relayed = len(ids)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return relayed, sendErr
}

// MarkOutboxDone records that the task made from an outbox row finished.
func (s *Store) MarkOutboxDone(ctx context.Context, id int64) error {
	if err := s.with(ctx).Model(&outboxRow{}).Where("id = ? AND done_at IS NULL", id).Update("done_at", s.now()).Error; err != nil {
		return fmt.Errorf("mark outbox done: %w", err)
	}
	return nil
}

// RequeueUnfinishedOutbox makes relayed but unfinished rows eligible for
// relaying again. The embedded queue keeps nothing across restarts, so at
// start every task it held is re-created from the rows; handlers are
// idempotent and the task id makes a row's task unique.
func (s *Store) RequeueUnfinishedOutbox(ctx context.Context) (int64, error) {
	res := s.with(ctx).Model(&outboxRow{}).Where("relayed_at IS NOT NULL AND done_at IS NULL").Update("relayed_at", nil)
	if res.Error != nil {
		return 0, fmt.Errorf("requeue outbox: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// OutboxBacklog returns how many rows wait to be relayed.
func (s *Store) OutboxBacklog(ctx context.Context) (int64, error) {
	var n int64
	if err := s.with(ctx).Model(&outboxRow{}).Where("relayed_at IS NULL").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count outbox: %w", err)
	}
	return n, nil
}

// PurgeOutbox deletes finished rows older than before.
func (s *Store) PurgeOutbox(ctx context.Context, before time.Time) (int64, error) {
	res := s.with(ctx).Where("done_at IS NOT NULL AND done_at < ?", before).Delete(&outboxRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("purge outbox: %w", res.Error)
	}
	return res.RowsAffected, nil
}
