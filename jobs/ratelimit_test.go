package jobs_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"newsletter/internal/testenv"
	"newsletter/jobs"
)

// TestRateLimiterSlidingWindow: 5 events per 10 s. The limit holds across
// the edge of a window (fixed windows would let 5 more through a moment
// later), and frees up as the last window slides past the burst.
func TestRateLimiterSlidingWindow(t *testing.T) {
	t.Parallel()
	q := connect(t, testenv.Redis(t))
	var b [6]byte
	_, _ = rand.Read(b[:])
	key := "rl:test:" + hex.EncodeToString(b[:])
	const window = 10 * time.Second
	start := time.Now().Truncate(window).Add(-window) // a window's start, in the past: no other event shares it
	var at time.Time
	l := &jobs.RateLimiter{Redis: q.Redis(), Timeout: 2 * time.Second, Now: func() time.Time { return at }}
	allow := func(offset time.Duration) bool {
		t.Helper()
		at = start.Add(offset)
		ok, err := l.Allow(context.Background(), key, 5, window)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	tests := []struct {
		name   string
		offset time.Duration
		want   bool
	}{
		{"first", 9900 * time.Millisecond, true},
		{"second", 9900 * time.Millisecond, true},
		{"third", 9900 * time.Millisecond, true},
		{"fourth", 9900 * time.Millisecond, true},
		{"fifth", 9900 * time.Millisecond, true},
		{"over the limit", 9900 * time.Millisecond, false},
		// 6 events 0.6 s ago, the next window just begun: refused, where
		// a fixed window would start counting from 0.
		{"just after the edge", 10500 * time.Millisecond, false},
		// Almost a window later the burst is nearly out of it: 6 x 0.01
		// + 2 events.
		{"a window later", 19900 * time.Millisecond, true},
		{"long after", 45 * time.Second, true},
	}
	for _, tt := range tests {
		if got := allow(tt.offset); got != tt.want {
			t.Fatalf("%s (at %v): allowed %v, want %v", tt.name, tt.offset, got, tt.want)
		}
	}
}
