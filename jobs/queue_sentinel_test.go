package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/internal/testenv"
	"newsletter/jobs"
)

// TestQueueFollowsSentinelFailover: with a redis-sentinel:// REDIS_URL
// every user of the queue's Redis (the asynq client and inspector, the
// rate limiter, the readiness ping) reaches the master the Sentinels name,
// with the servers' and the Sentinels' passwords, and follows a replica
// that Sentinel promotes after the master is killed. Tasks the replica
// held before the kill are still there.
func TestQueueFollowsSentinelFailover(t *testing.T) {
	group := testenv.StartSentinelGroup(t, testenv.SentinelOptions{Replicas: 1, Sentinels: 1,
		Password: "server-pass/0123", SentinelPassword: "sentinel-pass&4567"})
	q := connect(t, group.URL())
	ctx := context.Background()
	if err := q.Ping(ctx); err != nil {
		t.Fatalf("ping through Sentinel: %v", err)
	}
	limiter := &jobs.RateLimiter{Redis: q.Redis(), Timeout: 2 * time.Second}
	// The limiter counts in windows aligned to the clock: a window of 1000
	// days keeps the few seconds of this test inside one window (an hour's
	// window would start anew at the full hour, in the middle of a run).
	const window = 1000 * 24 * time.Hour
	for i, want := range []bool{true, true, false} {
		ok, err := limiter.Allow(ctx, "rl:sentinel-test", 2, window)
		if err != nil || ok != want {
			t.Fatalf("limit before the failover, call %d: %v %v, want %v", i+1, ok, err, want)
		}
	}
	if _, err := q.Client.EnqueueContext(ctx, asynq.NewTask("test:kept", nil), asynq.TaskID("kept"), asynq.Queue(jobs.QueueDefault)); err != nil {
		t.Fatalf("enqueue through Sentinel: %v", err)
	}
	// The replica has the task and the counter before the master dies.
	replica := group.Server(group.ReplicaAddrs()[0])
	waitFor(t, 30*time.Second, "the replica to hold the task", func() bool {
		n, _ := replica.Exists(ctx, "asynq:{default}:t:kept").Result()
		return n == 1
	})

	old := group.KillMaster()
	if err := q.Ping(ctx); err == nil {
		t.Fatal("ping answered with the master killed and no failover yet")
	}
	promoted := group.WaitForFailover(old, 60*time.Second)
	t.Logf("master %s killed, %s promoted", old, promoted)
	waitFor(t, 30*time.Second, "the queue to reach the new master", func() bool { return q.Ping(ctx) == nil })

	info, err := q.Inspector.GetTaskInfo(jobs.QueueDefault, "kept")
	if err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("the task enqueued before the failover: %v %v", info, err)
	}
	if _, err := q.Client.EnqueueContext(ctx, asynq.NewTask("test:after", nil), asynq.TaskID("after"), asynq.Queue(jobs.QueueDefault)); err != nil {
		t.Fatalf("enqueue after the failover: %v", err)
	}
	if _, err := q.Client.EnqueueContext(ctx, asynq.NewTask("test:kept", nil), asynq.TaskID("kept"), asynq.Queue(jobs.QueueDefault)); err == nil {
		t.Fatal("a task id enqueued before the failover was taken again after it")
	}
	// The counter carried over: the limit still holds.
	if ok, err := limiter.Allow(ctx, "rl:sentinel-test", 2, window); err != nil || ok {
		t.Fatalf("limit after the failover: %v %v, want refused", ok, err)
	}
	depth, err := q.Depth()
	if err != nil || depth[jobs.QueueDefault] != 2 {
		t.Fatalf("queue depth after the failover: %v %v, want 2 in %s", depth, err, jobs.QueueDefault)
	}
}
