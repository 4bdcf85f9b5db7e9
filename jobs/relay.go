package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
)

// OutboxStore is what the relay needs from the database.
type OutboxStore interface {
	RelayOutbox(ctx context.Context, limit int, send func(app.OutboxMessage) error) (int, error)
}

// OutboxTaskPrefix starts the task id of every task made from an outbox row.
const OutboxTaskPrefix = "outbox:"

// taskRetention keeps a finished task's id in Redis this long, so a row
// relayed again after a crash between enqueue and commit is refused as a
// duplicate instead of run twice.
const taskRetention = 24 * time.Hour

// Relay turns outbox rows into asynq tasks, each exactly once: the task id is
// the row id, so enqueueing a row twice is refused by the queue. While the
// queue is unreachable rows stay in the table and are relayed on its return.
type Relay struct {
	Store    OutboxStore
	Client   *asynq.Client
	Log      *slog.Logger
	Interval time.Duration // how often to look for new rows; default 200ms
	Batch    int           // rows per transaction; default 200
	wake     chan struct{}
}

// NewRelay returns a relay on store and client.
func NewRelay(store OutboxStore, client *asynq.Client, log *slog.Logger) *Relay {
	return &Relay{Store: store, Client: client, Log: log, Interval: 200 * time.Millisecond, Batch: 200, wake: make(chan struct{}, 1)}
}

// Wake asks the relay to look for rows now (after a commit in this process).
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	backoff := r.Interval
	down := false
	for {
		n, err := r.RelayOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !down {
				r.Log.Warn("outbox relay paused: queue or database unavailable", "err", err)
				down = true
			}
			backoff = min(backoff*2, 5*time.Second)
		default:
			if down {
				r.Log.Info("outbox relay resumed")
				down = false
			}
			backoff = r.Interval
			if n == r.Batch {
				continue // more waiting
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		case <-r.wake:
		}
	}
}

// RelayOnce relays one batch of rows and returns how many it relayed.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	return r.Store.RelayOutbox(ctx, r.Batch, func(m app.OutboxMessage) error {
		return r.enqueue(ctx, m)
	})
}

func (r *Relay) enqueue(ctx context.Context, m app.OutboxMessage) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	opts := append(TaskOptions(m.Kind), asynq.TaskID(OutboxTaskPrefix+strconv.FormatInt(m.ID, 10)), asynq.Retention(taskRetention))
	_, err := r.Client.EnqueueContext(ctx, asynq.NewTask(m.Kind, m.Payload), opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil // already enqueued by an earlier attempt
	}
	if err != nil {
		return fmt.Errorf("enqueue outbox %d (%s): %w", m.ID, m.Kind, err)
	}
	return nil
}

// OutboxID returns the outbox row id encoded in a task id, if any.
func OutboxID(taskID string) (int64, bool) {
	rest, ok := strings.CutPrefix(taskID, OutboxTaskPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil
}
