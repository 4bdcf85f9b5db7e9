package main

import (
	"context"
	"time"

	"newsletter/app"
	"newsletter/app/metrics"
)

// requestKinds are the kinds the overdue-requests gauge always reports.
var requestKinds = []string{string(app.KindMarketingOptout), string(app.KindDataUpdate), string(app.KindConsentRevocation),
	string(app.KindAccess), string(app.KindUnknown)}

// registerStateMetrics adds the gauges read from the database and the
// queue at scrape time: queue depth, overdue requests, the age of the
// oldest unfinished outbox row and readiness.
func (s *system) registerStateMetrics() {
	s.metrics.RegisterQueueDepth(s.queue.Depth)
	s.metrics.RegisterRequestsOverdue(requestKinds, func(ctx context.Context) (map[string]int64, error) {
		return s.store.OverdueRequests(ctx, time.Now())
	})
	s.metrics.RegisterOutboxAge(s.store.OldestUnfinishedOutbox)
	s.metrics.RegisterReadiness(metrics.Check{Name: "database", Ping: s.store.Ping}, metrics.Check{Name: "queue", Ping: s.queue.Ping})
}
