package main_test

import (
	"strings"
	"testing"

	"github.com/hibiken/asynq"
)

// TestBenchRefusesTheProductsQueue: the benchmarks that use Redis refuse,
// with exit code 2 and a line saying why, a Redis database that holds the
// product's queues (a worker of the bench would take their tasks, and fail
// those it has no handler for); the product's task is left as it was. On
// a database of its own the send benchmark runs, and runs again.
func TestBenchRefusesTheProductsQueue(t *testing.T) {
	t.Parallel()
	env := productionEnv(t)
	web := start(t, env, "web")
	body := `{"name":"Waiting Person","email":"waiting@example.com","consent_processing":true}`
	if code, resp := do(t, "POST", web.base+"/subscribe", "application/json", body); code != 202 {
		t.Fatalf("subscribe: %d %s", code, resp)
	}
	opt, err := asynq.ParseRedisURI(env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	pending := func() int {
		info, err := insp.GetQueueInfo("critical")
		if err != nil {
			return 0
		}
		return info.Pending
	}
	waitUntil(t, "the confirmation task", func() bool { return pending() == 1 })
	if code := web.terminate(t); code != 0 {
		t.Fatalf("web exit %d", code)
	}

	for _, args := range [][]string{
		{"bench", "send", "--recipients", "50"},
		{"bench", "http", "--requests", "10", "--concurrency", "2"},
	} {
		code, out, errOut := runCmd(t, env, args...)
		if code != 2 || !strings.Contains(errOut, "critical: 1 task") || !strings.Contains(errOut, "Redis database") {
			t.Errorf("%s with the product's queue: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		if strings.Contains(errOut, "test-secret") {
			t.Errorf("%s printed the secret", strings.Join(args, " "))
		}
	}
	if n := pending(); n != 1 {
		t.Fatalf("the product's confirmation task: %d pending after the refused benchmarks, want 1", n)
	}

	// A Redis database of its own: the benchmark runs, and leaves nothing
	// that would stop it from running again.
	own := withEnv(env, "REDIS_URL", productionEnv(t)["REDIS_URL"])
	for i := range 2 {
		code, out, errOut := runCmd(t, own, "bench", "send", "--recipients", "200", "--raw", "50")
		if code != 0 || !strings.Contains(out, "msgs/s") {
			t.Fatalf("bench send, run %d, on a Redis database of its own: exit %d\n%s%s", i+1, code, out, errOut)
		}
	}
}
