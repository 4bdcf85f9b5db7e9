package main

import (
	"fmt"
	"net/url"

	"newsletter/jobs"
)

// refuseProductQueue stops a benchmark whose Redis database holds the
// product's queues: its worker would take their tasks (and fail those it
// has no handler for), and its own tasks would mix with theirs.
func refuseProductQueue(name string, q *jobs.Queue, redisURL string) error {
	use, err := q.ProductUse()
	if err != nil {
		return fmt.Errorf("bench %s: look at the Redis database: %w", name, err)
	}
	if use == "" {
		return nil
	}
	return usageError{fmt.Sprintf("bench %s: the Redis database %s holds this product's queues (%s); "+
		"a benchmark would take their tasks. Give it a Redis database that nothing else uses (--redis-url or REDIS_URL, "+
		"e.g. another database number), or empty that one if it only holds what an earlier benchmark left",
		name, redisName(redisURL), use)}
}

// redisName is a Redis URL without its credentials, for messages.
func redisName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}
