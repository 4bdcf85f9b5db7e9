package jobs

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
	"newsletter/app/metrics"
)

// DoneMarker records that an outbox row's task finished.
type DoneMarker interface {
	MarkOutboxDone(ctx context.Context, id int64) error
}

// Handler is one task type's handler.
type Handler interface {
	// Type is the task type handled.
	Type() string
	ProcessTask(ctx context.Context, t *asynq.Task) error
}

// Worker runs the queue's task handlers.
type Worker struct {
	srv *asynq.Server
	mux *asynq.ServeMux
}

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Concurrency     int
	ShutdownTimeout time.Duration
	Log             *slog.Logger
	Metrics         *metrics.Metrics
	Outbox          DoneMarker
}

// NewWorker returns a worker for q running handlers.
func NewWorker(q *Queue, opt WorkerOptions, handlers ...Handler) *Worker {
	if opt.ShutdownTimeout == 0 {
		opt.ShutdownTimeout = 20 * time.Second
	}
	srv := asynq.NewServer(q.Opt, asynq.Config{
		Concurrency:              opt.Concurrency,
		Queues:                   QueueWeights,
		ShutdownTimeout:          opt.ShutdownTimeout,
		Logger:                   slogAdapter{opt.Log.With("component", "queue")},
		LogLevel:                 asynq.WarnLevel,
		DelayedTaskCheckInterval: time.Second,
		RetryDelayFunc:           retryDelay,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			n, _ := asynq.GetRetryCount(ctx)
			opt.Log.Warn("task failed", "type", t.Type(), "task_id", id, "retry", n, "err", err)
		}),
	})
	mux := asynq.NewServeMux()
	mux.Use(observe(opt.Metrics), markDone(opt.Outbox, opt.Log))
	for _, h := range handlers {
		mux.Handle(h.Type(), h)
	}
	return &Worker{srv: srv, mux: mux}
}

// retryDelay backs off exponentially from one second (1, 2, 4, ... s) up to
// ten minutes, with up to 20% jitter, so a short outage of the mail server
// or the database is ridden out in seconds and a long one costs little.
// Webhook deliveries follow their own schedule (webhookRetryDelay).
func retryDelay(n int, _ error, t *asynq.Task) time.Duration {
	if t != nil && t.Type() == app.OutboxWebhook {
		return webhookRetryDelay(n)
	}
	d := 10 * time.Minute
	if n < 10 {
		d = min(time.Duration(1<<n)*time.Second, d)
	}
	return d + time.Duration(rand.Int64N(int64(d/5)+1))
}

// Start starts processing in the background.
func (w *Worker) Start() error { return w.srv.Start(w.mux) }

// Shutdown stops fetching new tasks and waits (bounded) for running ones.
func (w *Worker) Shutdown() { w.srv.Shutdown() }

func observe(m *metrics.Metrics) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if m != nil {
				result := "ok"
				if err != nil {
					result = "error"
				}
				m.Tasks.WithLabelValues(t.Type(), result).Inc()
			}
			return err
		})
	}
}

// markDone records the completion of tasks made from outbox rows, so the
// relay can re-create the ones that never finished (the queue may lose
// them). A task that failed for good counts as finished: the queue keeps it
// among its archived tasks, and making it again would only fail again.
func markDone(store DoneMarker, log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if err != nil && !errors.Is(err, asynq.SkipRetry) && !lastAttempt(ctx) {
				return err
			}
			if store == nil {
				return err
			}
			taskID, _ := asynq.GetTaskID(ctx)
			if id, ok := OutboxID(taskID); ok {
				if markErr := store.MarkOutboxDone(ctx, id); markErr != nil {
					log.Warn("mark outbox done", "outbox_id", id, "err", markErr)
				}
			}
			return err
		})
	}
}

// lastAttempt reports whether the running task has no retry left.
func lastAttempt(ctx context.Context) bool {
	retried, ok := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	return ok && ok2 && retried >= maxRetry
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmtArgs(args)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmtArgs(args)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmtArgs(args)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmtArgs(args)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmtArgs(args)) }

func fmtArgs(args []any) string {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s
		}
	}
	return slogSprint(args...)
}
