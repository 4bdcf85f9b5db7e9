package jobs

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RateLimiter counts events per key in fixed windows in Redis, so a limit
// holds across every web process.
type RateLimiter struct {
	Redis redis.UniversalClient
	// Timeout bounds each check, so an unreachable Redis costs little.
	Timeout time.Duration
}

// Allow records one event for key and reports whether the count in the
// current window is within limit.
func (r *RateLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 300 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	slot := time.Now().UnixNano() / int64(window)
	k := key + ":" + strconv.FormatInt(slot, 36)
	pipe := r.Redis.Pipeline()
	incr := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, window+time.Second)
	if _, err := pipe.Exec(ctx); err != nil {
		return true, fmt.Errorf("rate limit: %w", err)
	}
	return incr.Val() <= int64(limit), nil
}
