package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// LogRedisTo sends the Redis client library's own messages (dial failures,
// the master a Sentinel names, a failover) to log instead of the standard
// error as plain text. The library keeps one logger per process, so this
// is called once, at start. Its messages name servers, never a person.
func LogRedisTo(log *slog.Logger) {
	redis.SetLogger(&redisLogger{log: log, every: 5 * time.Second})
}

// redisLogger logs the library's messages about Sentinel (which master it
// names) as they come, and its warnings at most once per period: while a
// server is down every connection attempt fails, and one line says it.
type redisLogger struct {
	log   *slog.Logger
	every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// Printf implements the library's logging interface.
func (l *redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	msg := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	if strings.HasPrefix(msg, "sentinel:") {
		l.log.InfoContext(ctx, "redis client", "detail", msg)
		return
	}
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.last) < l.every {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	l.log.WarnContext(ctx, "redis client", "detail", msg, "suppressed_since_last", suppressed)
}
