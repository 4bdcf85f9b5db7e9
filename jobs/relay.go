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
	RelayExpiredOutbox(ctx context.Context, relayedBefore time.Time, limit int, send func(app.OutboxMessage) error) (int, error)
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
// The queue may also lose what it was given (Redis restarted without
// persistence, a failover to a replica that lagged, eviction): a row
// relayed but not finished within Lease is relayed again, which the task
// id refuses while the queue still holds the task.
type Relay struct {
	Store    OutboxStore
	Client   *asynq.Client
	Log      *slog.Logger
	Interval time.Duration // how often to look for new rows; default 200ms
	Batch    int           // rows per transaction; default 200
	Lease    time.Duration // how long a relayed row may stay unfinished; default DefaultOutboxLease
	wake     chan struct{}
}

// DefaultOutboxLease is how long a relayed outbox row may stay unfinished
// before it is relayed again.
const DefaultOutboxLease = 2 * time.Minute

// NewRelay returns a relay on store and client.
func NewRelay(store OutboxStore, client *asynq.Client, log *slog.Logger) *Relay {
	return &Relay{Store: store, Client: client, Log: log, Interval: 200 * time.Millisecond, Batch: 200,
		Lease: DefaultOutboxLease, wake: make(chan struct{}, 1)}
}

// Wake asks the relay to look for rows now (after a commit in this process).
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends. It looks for new rows every Interval (or when
// woken), and for rows whose lease ran out every eighth of a lease.
func (r *Relay) Run(ctx context.Context) {
	backoff := r.Interval
	down := false
	var expiredAt time.Time // when rows whose lease ran out were last looked for
	for {
		n, err := r.RelayOnce(ctx)
		if err == nil && time.Since(expiredAt) >= r.lease()/8 {
			var m, lost int
			if m, lost, err = r.RelayExpired(ctx); err == nil {
				expiredAt = time.Now()
				if lost > 0 {
					r.Log.Warn("the queue had lost tasks of outbox rows; enqueued them again", "tasks", lost)
				}
				if m == r.Batch {
					expiredAt = time.Time{} // more waiting
				}
				n = max(n, m)
			}
		}
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
		_, err := r.enqueue(ctx, m)
		return err
	})
}

// RelayExpired relays again one batch of rows relayed more than a lease ago
// and not finished. It returns how many it relayed, and of those how many
// the queue no longer held (their tasks are new).
func (r *Relay) RelayExpired(ctx context.Context) (relayed, lost int, err error) {
	relayed, err = r.Store.RelayExpiredOutbox(ctx, time.Now().Add(-r.lease()), r.Batch, func(m app.OutboxMessage) error {
		created, err := r.enqueue(ctx, m)
		if created {
			lost++
		}
		return err
	})
	return relayed, lost, err
}

// lease is Lease, or the default when unset.
func (r *Relay) lease() time.Duration {
	if r.Lease <= 0 {
		return DefaultOutboxLease
	}
	return r.Lease
}

// enqueue makes the task of a row, and reports whether it is new: false
// when the queue holds the row's task already.
func (r *Relay) enqueue(ctx context.Context, m app.OutboxMessage) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	opts := append(TaskOptions(m.Kind), asynq.TaskID(OutboxTaskPrefix+strconv.FormatInt(m.ID, 10)), asynq.Retention(taskRetention))
	_, err := r.Client.EnqueueContext(ctx, asynq.NewTask(m.Kind, m.Payload), opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return false, nil // already enqueued by an earlier attempt
	}
	if err != nil {
		return false, fmt.Errorf("enqueue outbox %d (%s): %w", m.ID, m.Kind, err)
	}
	return true, nil
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
