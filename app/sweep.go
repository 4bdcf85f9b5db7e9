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
	// RequestsOverdue and RequestsDueSoon count the requests this sweep
	// flagged (flagged_at) as past their deadline or close to it.
	RequestsOverdue int64 `json:"requests_overdue"`
	RequestsDueSoon int64 `json:"requests_due_soon"`
}

// Sweep enforces the retention rules: subscriptions never confirmed within
// PendingTTL are deleted with everything they hold (unconfirmed personal
// data is not kept), old confirmation links with their data go, destruction
// records older than three years and finished outbox rows are purged, and
// open requests that are overdue or due soon are flagged. Every step is a
// conditional statement, so sweeps running on several machines at once do
// each thing once. (Raw emailed requests have their own sweep:
// SweepInbound.)
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.now()
	cutoff := now.Add(-s.PendingTTL)
	for {
		ids, err := s.Store.ExpiredPending(ctx, cutoff, 500)
		if err != nil {
			return rep, err
		}
		for _, id := range ids {
			ok, err := s.Store.DeletePendingSubscriber(ctx, id)
			if err != nil {
				return rep, err
			}
			if ok {
				rep.PendingDeleted++
			}
		}
		if len(ids) < 500 {
			break
		}
	}
	var err error
	if rep.ConfirmationsDeleted, err = s.Store.DeleteConfirmationsBefore(ctx, cutoff); err != nil {
		return rep, err
	}
	if rep.DestructionsPurged, err = s.Store.PurgeDestructions(ctx, now.Add(-DestructionRetention)); err != nil {
		return rep, err
	}
	if rep.OutboxPurged, err = s.Store.PurgeOutbox(ctx, now.Add(-7*24*time.Hour)); err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	if rep.RequestsOverdue, rep.RequestsDueSoon, err = s.FlagDeadlines(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}
