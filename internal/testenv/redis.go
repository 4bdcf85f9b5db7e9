package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
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

// Redis returns the URL of a Redis database number that this test owns
// until it ends: numbers 1 to 15 are claimed with a lock key in database 0,
// so test processes running in parallel never share one (a worker of one
// test would otherwise run another test's tasks). The database is flushed
// before use and after. When every number is taken, it waits.
func Redis(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	lockClient := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: 0})
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := lockClient.Ping(pingCtx).Err(); err != nil {
		lockClient.Close()
		skipOrFail(t, "redis not reachable: %v", err)
	}
	owner := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	deadline := time.Now().Add(3 * time.Minute)
	for {
		for n := 1; n <= 15; n++ {
			key := fmt.Sprintf("newsletter-test:db:%d", n)
			ok, err := lockClient.SetNX(ctx, key, owner, 2*time.Minute).Result()
			if err != nil {
				lockClient.Close()
				t.Fatalf("claim redis database: %v", err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: n})
			c.FlushDB(ctx)
			// Keep the claim alive while the test runs; a claim left by a
			// killed test process expires within two minutes.
			stop := make(chan struct{})
			go func() {
				tick := time.NewTicker(30 * time.Second)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						lockClient.Expire(context.Background(), key, 2*time.Minute)
					}
				}
			}()
			t.Cleanup(func() {
				close(stop)
				c.FlushDB(context.Background())
				c.Close()
				// Release only our own claim.
				if v, _ := lockClient.Get(context.Background(), key).Result(); v == owner {
					lockClient.Del(context.Background(), key)
				}
				lockClient.Close()
			})
			return fmt.Sprintf("redis://%s/%d", RedisAddr(), n)
		}
		if time.Now().After(deadline) {
			lockClient.Close()
			t.Fatal("no free redis database number for 3 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
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
