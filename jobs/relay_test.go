package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app/store"
	"newsletter/internal/testenv"
	"newsletter/jobs"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T) *store.Store { return testenv.Store(t, store.Postgres) }

func connect(t *testing.T, url string) *jobs.Queue {
	t.Helper()
	q, err := jobs.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return q
}

// taskIDs lists the ids of every task in a queue, whatever its state.
func taskIDs(t *testing.T, q *jobs.Queue, queue string) map[string]int {
	t.Helper()
	ids := map[string]int{}
	list := []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		q.Inspector.ListPendingTasks, q.Inspector.ListScheduledTasks, q.Inspector.ListCompletedTasks,
		q.Inspector.ListRetryTasks, q.Inspector.ListActiveTasks,
	}
	for _, l := range list {
		tasks, err := l(queue, asynq.PageSize(1000))
		if err != nil {
			continue // queue not created yet
		}
		for _, ti := range tasks {
			ids[ti.ID]++
		}
	}
	return ids
}

func TestRelayEnqueuesEachRowOnce(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	q := connect(t, testenv.Redis(t))
	for i := 0; i < 5; i++ {
		if _, err := s.AddOutbox(ctx, jobs.TypeNoop, []byte(`{"n":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	r := jobs.NewRelay(s, q.Client, quietLog())
	n, err := r.RelayOnce(ctx)
	if err != nil || n != 5 {
		t.Fatalf("relayed %d, %v; want 5", n, err)
	}
	if n, err := r.RelayOnce(ctx); err != nil || n != 0 {
		t.Fatalf("second pass relayed %d, %v; want 0", n, err)
	}
	ids := taskIDs(t, q, jobs.QueueDefault)
	if len(ids) != 5 {
		t.Fatalf("queue holds %d tasks, want 5: %v", len(ids), ids)
	}
	for id, c := range ids {
		if c != 1 {
			t.Errorf("task %s present %d times", id, c)
		}
		if _, ok := jobs.OutboxID(id); !ok {
			t.Errorf("task id %q is not an outbox id", id)
		}
	}

	// A row relayed again (a crash after enqueue, before the commit) is
	// refused by the queue as a duplicate, not enqueued twice.
	if _, err := s.RequeueUnfinishedOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RelayOnce(ctx); err != nil || n != 5 {
		t.Fatalf("re-relay: %d, %v", n, err)
	}
	if got := taskIDs(t, q, jobs.QueueDefault); len(got) != 5 {
		t.Fatalf("after re-relay the queue holds %d tasks, want 5", len(got))
	}
}

func TestRelaySurvivesQueueOutage(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	redisSrv := testenv.StartRedisServer(t)
	redisSrv.Stop() // the queue is down when people subscribe
	q := connect(t, redisSrv.URL())
	for i := 0; i < 3; i++ {
		if _, err := s.AddOutbox(ctx, jobs.TypeNoop, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	r := jobs.NewRelay(s, q.Client, quietLog())
	if n, err := r.RelayOnce(ctx); err == nil || n != 0 {
		t.Fatalf("relay with the queue down: %d, %v; want an error and 0", n, err)
	}
	if backlog, _ := s.OutboxBacklog(ctx); backlog != 3 {
		t.Fatalf("backlog %d while the queue is down, want 3", backlog)
	}

	// The loop keeps trying; when the queue returns, every row arrives once.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(runCtx); close(done) }()
	time.Sleep(500 * time.Millisecond)
	redisSrv.Start()
	deadline := time.Now().Add(20 * time.Second)
	for {
		backlog, err := s.OutboxBacklog(ctx)
		if err == nil && backlog == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog still %d after the queue came back", backlog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	if ids := taskIDs(t, q, jobs.QueueDefault); len(ids) != 3 {
		t.Fatalf("queue holds %d tasks, want 3", len(ids))
	}
}

func TestWorkerMarksOutboxDone(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	q := connect(t, "") // embedded queue
	id, err := s.AddOutbox(ctx, jobs.TypeNoop, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan string, 10)
	w := jobs.NewWorker(q, jobs.WorkerOptions{Concurrency: 2, Log: quietLog(), Outbox: s},
		handlerFunc{jobs.TypeNoop, func(ctx context.Context, task *asynq.Task) error {
			tid, _ := asynq.GetTaskID(ctx)
			ran <- tid
			return nil
		}})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown()
	if _, err := jobs.NewRelay(s, q.Client, quietLog()).RelayOnce(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case tid := <-ran:
		if got, _ := jobs.OutboxID(tid); got != id {
			t.Fatalf("ran task %s, want outbox %d", tid, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("task did not run")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := s.RequeueUnfinishedOutbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break // done_at was set, nothing to requeue
		}
		if time.Now().After(deadline) {
			t.Fatal("outbox row never marked done")
		}
		time.Sleep(50 * time.Millisecond)
		if _, err := jobs.NewRelay(s, q.Client, quietLog()).RelayOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

type handlerFunc struct {
	typ string
	fn  func(context.Context, *asynq.Task) error
}

func (h handlerFunc) Type() string { return h.typ }
func (h handlerFunc) ProcessTask(ctx context.Context, t *asynq.Task) error {
	return h.fn(ctx, t)
}

// TestRelayRecreatesTasksTheQueueLost: the queue loses its data after the
// rows were relayed (a Redis restart without persistence, a failover to a
// replica that lagged). Once their lease runs out the rows are relayed
// again, in a process that did not restart, and each unfinished row's task
// runs once; a finished row is left alone.
func TestRelayRecreatesTasksTheQueueLost(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	q := connect(t, testenv.Redis(t))
	var ids []int64
	for i := 0; i < 4; i++ {
		id, err := s.AddOutbox(ctx, jobs.TypeNoop, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	r := jobs.NewRelay(s, q.Client, quietLog())
	r.Lease = time.Second
	if n, err := r.RelayOnce(ctx); err != nil || n != 4 {
		t.Fatalf("relayed %d, %v", n, err)
	}
	// The first row's task finished; then the queue loses everything.
	if err := s.MarkOutboxDone(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := q.Redis().FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if n, lost, err := r.RelayExpired(ctx); err != nil || n != 0 || lost != 0 {
		t.Fatalf("within the lease: relayed again %d (%d lost), %v; want none", n, lost, err)
	}

	var mu sync.Mutex
	ran := map[string]int{}
	w := jobs.NewWorker(q, jobs.WorkerOptions{Concurrency: 2, Log: quietLog(), Outbox: s},
		handlerFunc{jobs.TypeNoop, func(ctx context.Context, _ *asynq.Task) error {
			id, _ := asynq.GetTaskID(ctx)
			mu.Lock()
			ran[id]++
			mu.Unlock()
			return nil
		}})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(ran) }
	deadline := time.Now().Add(30 * time.Second)
	for count() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the 3 unfinished rows ran after the queue lost them", count())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(3 * r.Lease) // further leases run out: finished rows stay finished
	mu.Lock()
	defer mu.Unlock()
	for i, id := range ids {
		want := 1
		if i == 0 {
			want = 0
		}
		if got := ran[jobs.OutboxTaskPrefix+strconv.FormatInt(id, 10)]; got != want {
			t.Errorf("row %d ran %d times after the queue lost it, want %d", id, got, want)
		}
	}
}

// TestWorkerMarksOutboxDoneAfterLastAttempt: a task that failed for good
// counts as finished, so its row is not made into a task again; a task
// that will be retried does not.
func TestWorkerMarksOutboxDoneAfterLastAttempt(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	q := connect(t, testenv.Redis(t))
	id, err := s.AddOutbox(ctx, jobs.TypeNoop, []byte(`{}`)) // 3 retries (tasks.go)
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	w := jobs.NewWorker(q, jobs.WorkerOptions{Concurrency: 1, Log: quietLog(), Outbox: s},
		handlerFunc{jobs.TypeNoop, func(context.Context, *asynq.Task) error {
			runs.Add(1)
			return errors.New("always fails")
		}})
	r := jobs.NewRelay(s, q.Client, quietLog())
	r.Lease = time.Second
	if _, err := r.RelayOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// The retries of the queue wait 1, 2 and 4 seconds (and a fifth at most).
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown()
	deadline := time.Now().Add(60 * time.Second)
	for runs.Load() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the task did not run")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A failure with retries left leaves the row unfinished: once its
	// lease runs out it is offered to the queue again, which still
	// holds its task.
	time.Sleep(r.Lease)
	if n, lost, err := r.RelayExpired(ctx); err != nil || n != 1 || lost != 0 {
		t.Fatalf("after the first failure: relayed again %d (%d lost), %v; want 1, none lost", n, lost, err)
	}
	for runs.Load() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs in 60s, want 4", runs.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		time.Sleep(r.Lease)
		n, _, err := r.RelayExpired(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox row %d is still unfinished after its task failed for good", id)
		}
	}
}
