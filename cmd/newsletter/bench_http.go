package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"newsletter/app/config"
	"newsletter/internal/loadgen"
	"newsletter/jobs"
)

// benchHTTP loads POST /subscribe and the one-click POST /u/{token} at the
// given concurrencies and prints requests per second and latencies.
func benchHTTP(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench http", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	target := fs.String("url", "", "base URL of a running instance (default: start one with this environment)")
	conc := fs.String("concurrency", "32,64", "comma-separated concurrency levels")
	requests := fs.Int("requests", 20000, "most requests per run")
	duration := fs.Duration("duration", 20*time.Second, "longest run")
	only := fs.String("only", "", "run only subscribe or unsubscribe")
	mode := fs.String("mode", "serve", "what the started instance runs: serve (web and workers) or web (workers elsewhere)")
	if err := fs.Parse(args); err != nil {
		return usageError{"bench http: " + err.Error()}
	}
	var levels []int
	for _, c := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > 1024 {
			return usageError{fmt.Sprintf("bench http: bad concurrency %q", c)}
		}
		levels = append(levels, n)
	}
	if *requests < 1 || *requests > 1_000_000 || *duration <= 0 || *duration > 10*time.Minute {
		return usageError{"bench http: --requests must be 1..1000000 and --duration at most 10m"}
	}
	base := strings.TrimRight(*target, "/")
	if base == "" {
		var stop func()
		var err error
		if *mode != "serve" && *mode != "web" {
			return usageError{"bench http: --mode must be serve or web"}
		}
		if cfg.RedisURL != "" {
			// The instance's relay, and in serve mode its workers, use
			// this Redis database.
			q, err := jobs.Connect(cfg.RedisURL)
			if err != nil {
				return err
			}
			err = refuseProductQueue("http", q, cfg.RedisURL)
			q.Close()
			if err != nil {
				return err
			}
		}
		base, stop, err = startInstance(ctx, *mode, stderr)
		if err != nil {
			return err
		}
		defer stop()
	} else if u, err := parseLoopback(base); err != nil {
		return usageError{"bench http: " + err.Error()}
	} else {
		base = u
	}
	sys, err := build(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer sys.close()

	fmt.Fprintf(stdout, "machine: %s\ntarget: %s (%s database)\n", machine(), base, sys.store.Dialect())
	run := time.Now().UnixNano()
	for _, c := range levels {
		if *only == "" || *only == "subscribe" {
			res := loadgen.Run(ctx, loadgen.Config{Concurrency: c, Requests: *requests, Duration: *duration,
				Make: func(i int) loadgen.Request {
					body := fmt.Sprintf(`{"name":"Bench Person","email":"b%d-%d@bench.example","consent_processing":true,"consent_marketing":true,"form":"bench"}`, run, i)
					return loadgen.Request{Method: "POST", URL: base + "/subscribe", ContentType: "application/json", Body: []byte(body)}
				}})
			fmt.Fprintf(stdout, "subscribe    c=%-3d %s\n", c, res)
			if res.FirstError != "" {
				fmt.Fprintf(stdout, "             first error: %s\n", res.FirstError)
			}
		}
		if *only == "" || *only == "unsubscribe" {
			n := *requests
			ids, err := sys.store.CreateActiveSubscribers(ctx, fmt.Sprintf("u%d-%d", run, c), n, sys.signer.KeyedHash)
			if err != nil {
				return err
			}
			tokens := make([]string, len(ids))
			for i, id := range ids {
				tokens[i] = sys.links.UnsubscribeToken(id, 0)
			}
			res := loadgen.Run(ctx, loadgen.Config{Concurrency: c, Requests: n, Duration: *duration,
				Make: func(i int) loadgen.Request {
					return loadgen.Request{Method: "POST", URL: base + "/u/" + tokens[i%len(tokens)],
						ContentType: "application/x-www-form-urlencoded", Body: []byte("List-Unsubscribe=One-Click")}
				}})
			fmt.Fprintf(stdout, "unsubscribe  c=%-3d %s\n", c, res)
			if res.FirstError != "" {
				fmt.Fprintf(stdout, "             first error: %s\n", res.FirstError)
			}
		}
	}
	return nil
}

// parseLoopback accepts only loopback targets: the benchmark never loads
// another machine.
func parseLoopback(raw string) (string, error) {
	u, err := http.NewRequest("GET", raw, nil)
	if err != nil {
		return "", fmt.Errorf("bad --url: %w", err)
	}
	host := u.URL.Hostname()
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("--url must be on loopback (127.0.0.1, ::1 or localhost), not %q", host)
	}
	return strings.TrimRight(raw, "/"), nil
}

// startInstance starts `newsletter serve` (or `web`) with this environment on a free
// loopback port, without the per-IP and per-address subscription limits
// (all load comes from one address), and waits until it is ready.
func startInstance(ctx context.Context, mode string, stderr io.Writer) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	base := "http://" + addr
	cmd := exec.CommandContext(ctx, exe, mode)
	cmd.Env = append(os.Environ(), "NEWSLETTER_ADDR="+addr, "NEWSLETTER_BASE_URL="+base,
		"NEWSLETTER_LIMIT_IP=0", "NEWSLETTER_LIMIT_ADDRESS=0", "LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start instance: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base, stop, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("instance on %s not ready after 30s", base)
}
