package jobs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RateLimiter counts events per key in Redis, so a limit holds across
// every web process. It estimates the events of the last window as a
// sliding window does: the count of the current fixed window plus the
// previous one's, weighted by how much of it the last window still
// covers. A client therefore cannot get twice the limit through around
// the edge of a window, as fixed windows let it; two counters per key
// and one round trip per event.
type RateLimiter struct {
	Redis redis.UniversalClient
	// Timeout bounds each check, so an unreachable Redis costs little.
	Timeout time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Allow records one event for key and reports whether the events of the
// last window, this one included, are within limit. Refused events count
// too: a client that keeps trying stays refused.
func (r *RateLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 300 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	ns := now().UnixNano()
	slot := ns / int64(window)
	covered := 1 - float64(ns%int64(window))/float64(window) // of the previous window
	cur := key + ":" + strconv.FormatInt(slot, 36)
	pipe := r.Redis.Pipeline()
	incr := pipe.Incr(ctx, cur)
	pipe.Expire(ctx, cur, 2*window+time.Second)
	prev := pipe.Get(ctx, key+":"+strconv.FormatInt(slot-1, 36))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return true, fmt.Errorf("rate limit: %w", err)
	}
	before, err := prev.Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return true, fmt.Errorf("rate limit: %w", err)
	}
	return float64(before)*covered+float64(incr.Val()) <= float64(limit), nil
}
