package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
)

// Sweeper enforces retention and deadlines.
type Sweeper interface {
	Sweep(ctx context.Context) (app.SweepReport, error)
}

// SweepHandler runs the periodic privacy sweep.
type SweepHandler struct {
	Sweeper Sweeper
	Log     *slog.Logger
}

// Type implements Handler.
func (SweepHandler) Type() string { return TypeSweep }

// ProcessTask implements Handler.
func (h SweepHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	rep, err := h.Sweeper.Sweep(ctx)
	if err != nil {
		return err
	}
	h.Log.Info("sweep done", "pending_deleted", rep.PendingDeleted, "confirmations_deleted", rep.ConfirmationsDeleted,
		"destructions_purged", rep.DestructionsPurged, "outbox_purged", rep.OutboxPurged,
		"webhook_events_purged", rep.WebhookEventsPurged,
		"requests_overdue", rep.RequestsOverdue, "requests_due_soon", rep.RequestsDueSoon)
	return nil
}

// Periodic enqueues periodic tasks. Every process may run one: the task id
// is derived from the time slot, so each slot's task is enqueued once
// across all machines.
type Periodic struct {
	Client *asynq.Client
	Log    *slog.Logger
	Tasks  []PeriodicTask
}

// PeriodicTask is a task type run every Every.
type PeriodicTask struct {
	Type  string
	Every time.Duration
}

// Run enqueues each task at the start of each of its slots until ctx ends.
func (p *Periodic) Run(ctx context.Context) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		now := time.Now()
		for _, t := range p.Tasks {
			slot := now.Truncate(t.Every).Unix()
			id := fmt.Sprintf("periodic:%s:%d", t.Type, slot)
			_, err := p.Client.EnqueueContext(ctx, asynq.NewTask(t.Type, nil), append(TaskOptions(t.Type),
				asynq.TaskID(id), asynq.Retention(2*t.Every))...)
			if err != nil && err != asynq.ErrTaskIDConflict && ctx.Err() == nil {
				p.Log.Debug("periodic enqueue", "type", t.Type, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
