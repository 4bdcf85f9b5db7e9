package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisAddr is the shared Redis server; override with TEST_REDIS_ADDR.
func RedisAddr() string {
	if a := os.Getenv("TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

var (
	dbMu   sync.Mutex
	dbNext = 1
)

// Redis returns the URL of a Redis database number that this test owns: it
// is flushed before use and after. Database numbers are spread over test
// packages by process id, so packages running in parallel do not collide.
func Redis(t testing.TB) string {
	t.Helper()
	dbMu.Lock()
	n := 1 + (os.Getpid()*7+dbNext)%15
	dbNext++
	dbMu.Unlock()
	url := fmt.Sprintf("redis://%s/%d", RedisAddr(), n)
	opt, _ := redis.ParseURL(url)
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		skipOrFail(t, "redis not reachable: %v", err)
	}
	c.FlushDB(ctx)
	t.Cleanup(func() {
		c.FlushDB(context.Background())
		c.Close()
	})
	return url
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RedisServer is a throwaway redis-server process that a test may stop and
// start again (fault tests), on its own port.
type RedisServer struct {
	Port int
	t    testing.TB
	cmd  *exec.Cmd
}

// StartRedisServer starts a private redis-server on a free port.
func StartRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		skipOrFail(t, "redis-server not installed")
	}
	r := &RedisServer{Port: FreePort(t), t: t}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the server's redis:// URL.
func (r *RedisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.Port) }

// Start starts the server (again) and waits until it answers.
func (r *RedisServer) Start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(r.Port)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("redis-server did not start on %s", addr)
}

// Stop kills the server.
func (r *RedisServer) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}
