package app

import (
	"context"
	"fmt"
	"time"
)

// DestructionRetention is how long destruction records are kept (order
// No. 179: three years).
const DestructionRetention = 3 * 365 * 24 * time.Hour

// SweepReport counts what one sweep did.
type SweepReport struct {
	PendingDeleted       int   `json:"pending_deleted"`
	ConfirmationsDeleted int64 `json:"confirmations_deleted"`
	DestructionsPurged   int64 `json:"destructions_purged"`
	OutboxPurged         int64 `json:"outbox_purged"`
	// WebhookEventsPurged counts event webhooks' events older than
	// WebhookEventRetention deleted with their deliveries.
	WebhookEventsPurged int64 `json:"webhook_events_purged"`
	// RequestsOverdue and RequestsDueSoon count the requests this sweep
	// flagged (flagged_at) as past their deadline or close to it.
	RequestsOverdue int64 `json:"requests_overdue"`
	RequestsDueSoon int64 `json:"requests_due_soon"`
	// Scrubbed counts the erasures whose residue this sweep removed from
	// the database files (ScrubErasures).
	Scrubbed int `json:"scrubbed"`
}

// Sweep enforces the retention rules: subscriptions never confirmed within
// PendingTTL are deleted with everything they hold (unconfirmed personal
// data is not kept), old confirmation links with their data go, destruction
// records older than three years and finished outbox rows are purged, and
// open requests that are overdue or due soon are flagged. Every step is a
// conditional statement, so sweeps running on several machines at once do
// each thing once. (Raw emailed requests have their own sweep:
// SweepInbound.)
func (s *Retention) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.Now.Now()
	cutoff := now.Add(-s.PendingTTL)
	var deleted []int64
	for {
		ids, err := s.Store.Retention().ExpiredPending(ctx, cutoff, 500)
		if err != nil {
			return rep, err
		}
		for _, id := range ids {
			ok, err := s.Store.Retention().DeletePendingSubscriber(ctx, id)
			if err != nil {
				return rep, err
			}
			if ok {
				rep.PendingDeleted++
				deleted = append(deleted, id)
			}
		}
		if len(ids) < 500 {
			break
		}
	}
	// Their confirmation mail, in the embedded mode, goes too.
	if s.MailFiles != nil && len(deleted) > 0 {
		if _, err := s.MailFiles.EraseMailTo(ctx, deleted); err != nil {
			return rep, fmt.Errorf("sweep: %w", err)
		}
	}
	var err error
	if rep.ConfirmationsDeleted, err = s.Store.Retention().DeleteConfirmationsBefore(ctx, cutoff); err != nil {
		return rep, err
	}
	if rep.DestructionsPurged, err = s.Store.Retention().PurgeDestructions(ctx, now.Add(-DestructionRetention)); err != nil {
		return rep, err
	}
	if rep.OutboxPurged, err = s.Store.Retention().PurgeOutbox(ctx, now.Add(-7*24*time.Hour)); err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	if rep.WebhookEventsPurged, err = s.Store.Events().PurgeWebhookEvents(ctx, now.Add(-WebhookEventRetention)); err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	if rep.RequestsOverdue, rep.RequestsDueSoon, err = s.Register.FlagDeadlines(ctx); err != nil {
		return rep, err
	}
	if rep.Scrubbed, err = s.ScrubErasures(ctx, rep.PendingDeleted > 0); err != nil {
		return rep, err
	}
	return rep, nil
}

// ScrubErasures removes, once for all the erasures since the last time,
// what they left in the database files and beside them: on PostgreSQL the
// dead tuples (VACUUM of the tables an erasure touches; it cannot run in a
// transaction, and costs a pass over those tables, so it runs only when
// erasures happened, or force is set for rows deleted otherwise), on
// SQLite the write-ahead log; and, in the embedded mode, mail files of the
// erased people written after their erasure by a send already under way.
// It returns how many erasures it covered.
func (s *Retention) ScrubErasures(ctx context.Context, force bool) (int, error) {
	mark, err := s.Store.Retention().ScrubMark(ctx)
	if err != nil {
		return 0, err
	}
	var done []Destruction
	for {
		ds, err := s.Store.Retention().Destructions(ctx, mark, 1000)
		if err != nil {
			return 0, err
		}
		done = append(done, ds...)
		if len(ds) < 1000 {
			break
		}
		mark = ds[len(ds)-1].ID
	}
	if len(done) == 0 && !force {
		return 0, nil
	}
	if len(done) > 0 {
		mark = done[len(done)-1].ID
	}
	if s.MailFiles != nil && len(done) > 0 {
		ids := make([]int64, len(done))
		for i, d := range done {
			ids[i] = d.SubscriberID
		}
		if _, err := s.MailFiles.EraseMailTo(ctx, ids); err != nil {
			return 0, fmt.Errorf("scrub: %w", err)
		}
	}
	if err := s.Store.Retention().Scrub(ctx, mark, s.Now.Now()); err != nil {
		return 0, err
	}
	return len(done), nil
}
