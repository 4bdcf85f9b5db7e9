package loadgen_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"newsletter/internal/loadgen"
)

func TestRunIsBoundedAndCounts(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%10 == 0 {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(202)
	}))
	defer srv.Close()
	res := loadgen.Run(context.Background(), loadgen.Config{Concurrency: 4, Requests: 200, Duration: 10 * time.Second,
		Make: func(i int) loadgen.Request { return loadgen.Request{Method: "POST", URL: srv.URL, Body: []byte("x")} }})
	if res.Requests != 200 || hits.Load() != 200 {
		t.Fatalf("sent %d (server saw %d), want 200", res.Requests, hits.Load())
	}
	if res.Errors != 20 || res.FirstError != "status 500" {
		t.Fatalf("errors %d (%s), want 20", res.Errors, res.FirstError)
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Fatalf("latencies %s", res)
	}
	// Bounded by time when the count is large.
	res = loadgen.Run(context.Background(), loadgen.Config{Concurrency: 2, Requests: 1 << 30, Duration: 300 * time.Millisecond,
		Make: func(i int) loadgen.Request { return loadgen.Request{Method: "GET", URL: srv.URL} }})
	if res.Elapsed > 2*time.Second {
		t.Fatalf("ran %s, want about 300ms", res.Elapsed)
	}
}
