// Package loadgen sends HTTP load to a server on loopback, bounded in count
// and time, and measures throughput and latency.
package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request to send.
type Request struct {
	Method      string
	URL         string
	ContentType string
	Body        []byte
	Header      http.Header
}

// Config bounds a run.
type Config struct {
	Concurrency int
	// Requests is the most requests sent; the run stops at whichever of
	// Requests and Duration comes first.
	Requests int
	Duration time.Duration
	// Make builds the i-th request.
	Make func(i int) Request
	// OK reports whether a status is a success (default: 2xx).
	OK func(status int) bool
}

// Result is what a run measured.
type Result struct {
	Requests int
	Errors   int
	// FirstError describes the first failure, if any.
	FirstError string
	Elapsed    time.Duration
	P50, P90   time.Duration
	P99, Max   time.Duration
}

// PerSecond is the rate of successful requests.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// String formats the result on one line.
func (r Result) String() string {
	return fmt.Sprintf("%d requests, %d errors, %.1fs, %.0f req/s, p50 %s, p90 %s, p99 %s, max %s",
		r.Requests, r.Errors, r.Elapsed.Seconds(), r.PerSecond(), round(r.P50), round(r.P90), round(r.P99), round(r.Max))
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

// Run sends the load and waits for the answers.
func Run(ctx context.Context, cfg Config) Result {
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.OK == nil {
		cfg.OK = func(s int) bool { return s >= 200 && s < 300 }
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: cfg.Concurrency * 2, MaxIdleConnsPerHost: cfg.Concurrency * 2, IdleConnTimeout: time.Minute},
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	defer client.CloseIdleConnections()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		lat      = make([]time.Duration, 0, 1<<16)
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			localErrs := 0
			localFirst := ""
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if cfg.Requests > 0 && i >= cfg.Requests {
					break
				}
				r := cfg.Make(i)
				req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
				if err != nil {
					localErrs++
					continue
				}
				for k, v := range r.Header {
					req.Header[k] = v
				}
				if r.ContentType != "" {
					req.Header.Set("Content-Type", r.ContentType)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						break // the run ended mid-request: not counted
					}
					localErrs++
					if localFirst == "" {
						localFirst = err.Error()
					}
					local = append(local, time.Since(t0))
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local = append(local, time.Since(t0))
				if !cfg.OK(resp.StatusCode) {
					localErrs++
					if localFirst == "" {
						localFirst = fmt.Sprintf("status %d", resp.StatusCode)
					}
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += localErrs
			if firstErr == "" {
				firstErr = localFirst
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := Result{Requests: len(lat), Errors: errs, FirstError: firstErr, Elapsed: time.Since(start)}
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pick := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
		res.P50, res.P90, res.P99, res.Max = pick(0.50), pick(0.90), pick(0.99), lat[len(lat)-1]
	}
	return res
}
