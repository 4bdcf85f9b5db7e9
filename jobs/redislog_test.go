package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRedisLoggerThrottlesWarnings: while a server is down the library
// warns at every connection attempt; one line per period is logged, with
// the number left out, and messages about Sentinel always are.
func TestRedisLoggerThrottlesWarnings(t *testing.T) {
	var buf bytes.Buffer
	l := &redisLogger{log: slog.New(slog.NewTextHandler(&buf, nil)), every: time.Hour}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %s", 5, "connection refused")
	}
	l.Printf(ctx, "sentinel: new master=%q addr=%q", "m", "127.0.0.1:6380")
	l.last = time.Now().Add(-2 * time.Hour) // the period is over
	l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %s", 5, "connection refused")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{
		`level=WARN msg="redis client" detail="connection pool: failed to dial after 5 attempts: connection refused" suppressed_since_last=0`,
		`level=INFO msg="redis client" detail="sentinel: new master=\"m\" addr=\"127.0.0.1:6380\""`,
		`suppressed_since_last=4`,
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d: %s\nwant it to contain %s", i+1, lines[i], want)
		}
	}
}
