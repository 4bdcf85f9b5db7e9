package metrics

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Gauges of the state the database and the queue hold, read when
// Prometheus scrapes. Database counts are cached for StateTTL, so that
// scrapes of many processes cost a few cheap queries a minute; a read
// that fails leaves its gauge out of that scrape (the readiness gauge says
// what is down) rather than failing the whole scrape.

// StateTTL is how long a count read from the database is served again.
const StateTTL = 30 * time.Second

// stateTimeout bounds one read at scrape time.
const stateTimeout = 2 * time.Second

// RegisterRequestsOverdue adds newsletter_requests_overdue: open
// data-subject requests past their legal deadline, by kind. Every kind in
// kinds is reported, 0 when none is overdue.
func (m *Metrics) RegisterRequestsOverdue(kinds []string, count func(context.Context) (map[string]int64, error)) {
	desc := prometheus.NewDesc("newsletter_requests_overdue",
		"Open data-subject requests past their deadline, by kind.", []string{"kind"}, nil)
	c := &cached[map[string]int64]{ttl: StateTTL, read: count}
	m.Registry.MustRegister(collectorFunc{desc: desc, collect: func(ch chan<- prometheus.Metric) {
		n, err := c.get()
		if err != nil {
			return
		}
		for _, k := range kinds {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n[k]), k)
		}
		for k, v := range n {
			if !slices.Contains(kinds, k) {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(v), k)
			}
		}
	}})
}

// RegisterOutboxAge adds newsletter_outbox_oldest_unfinished_seconds: how
// long ago the oldest outbox row (a confirmation, a reply, an erasure...)
// that has not run to its end was written; 0 when none waits. It grows
// while the queue is unreachable, while mail keeps failing, and when a
// row's task was lost.
func (m *Metrics) RegisterOutboxAge(oldest func(context.Context) (time.Time, error)) {
	desc := prometheus.NewDesc("newsletter_outbox_oldest_unfinished_seconds",
		"Age of the oldest outbox row not yet done (0: none).", nil, nil)
	c := &cached[time.Time]{ttl: StateTTL, read: oldest}
	m.Registry.MustRegister(collectorFunc{desc: desc, collect: func(ch chan<- prometheus.Metric) {
		at, err := c.get()
		if err != nil {
			return
		}
		age := 0.0
		if !at.IsZero() {
			age = max(time.Since(at).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, age)
	}})
}

// Check is one dependency the readiness gauge pings.
type Check struct {
	Name string
	Ping func(context.Context) error
}

// RegisterReadiness adds newsletter_ready: 1 when a dependency (database,
// queue) answers its ping at scrape time, 0 when it does not.
func (m *Metrics) RegisterReadiness(checks ...Check) {
	desc := prometheus.NewDesc("newsletter_ready",
		"1 when the dependency answers (the checks of /readyz), else 0.", []string{"check"}, nil)
	m.Registry.MustRegister(collectorFunc{desc: desc, collect: func(ch chan<- prometheus.Metric) {
		ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
		defer cancel()
		var wg sync.WaitGroup
		up := make([]float64, len(checks))
		for i, c := range checks {
			wg.Go(func() {
				if c.Ping(ctx) == nil {
					up[i] = 1
				}
			})
		}
		wg.Wait()
		for i, c := range checks {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, up[i], c.Name)
		}
	}})
}

// cached serves a value read at most once per ttl; concurrent scrapes
// share one read.
type cached[T any] struct {
	ttl  time.Duration
	read func(context.Context) (T, error)

	mu  sync.Mutex
	val T
	at  time.Time
}

func (c *cached[T]) get() (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.ttl {
		return c.val, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	v, err := c.read(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	c.val, c.at = v, time.Now()
	return v, nil
}

// collectorFunc is a collector of one metric family.
type collectorFunc struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }
