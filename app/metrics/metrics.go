// Package metrics defines the Prometheus metrics of the product on a
// registry of its own (no global state).
package metrics

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the product's counters and gauges.
type Metrics struct {
	Registry     *prometheus.Registry
	HTTPRequests *prometheus.CounterVec
	HTTPDuration *prometheus.HistogramVec
	MailSent     *prometheus.CounterVec
	MailFailed   *prometheus.CounterVec
	Tasks        *prometheus.CounterVec
}

// New registers the metrics on a new registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsletter_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "newsletter_http_request_duration_seconds", Help: "HTTP request duration by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
		MailSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsletter_mail_sent_total", Help: "Messages accepted by the mail server, by kind.",
		}, []string{"kind"}),
		MailFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsletter_mail_failed_total", Help: "Messages that failed, by kind and class (temporary, permanent).",
		}, []string{"kind", "class"}),
		Tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsletter_tasks_total", Help: "Background tasks run, by type and result.",
		}, []string{"type", "result"}),
	}
	m.Registry.MustRegister(m.HTTPRequests, m.HTTPDuration, m.MailSent, m.MailFailed, m.Tasks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// RegisterQueueDepth adds a gauge of waiting tasks per queue, read from depth
// at scrape time.
func (m *Metrics) RegisterQueueDepth(depth func() (map[string]int, error)) {
	m.Registry.MustRegister(&queueCollector{depth: depth, desc: prometheus.NewDesc(
		"newsletter_queue_depth", "Tasks waiting per queue (pending, scheduled, retrying, active).", []string{"queue"}, nil)})
}

type queueCollector struct {
	depth func() (map[string]int, error)
	desc  *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect reads the depth, waiting at most stateTimeout: a queue that
// does not answer (a network partition) leaves the depth out of the scrape
// instead of holding the whole scrape up.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	type result struct {
		d   map[string]int
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := c.depth()
		done <- result{d, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(stateTimeout):
		r.err = fmt.Errorf("queue depth: no answer within %v", stateTimeout)
	}
	if r.err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, r.err)
		return
	}
	d := r.d
	for q, n := range d {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), q)
	}
}
