package jobs

import (
	"fmt"
	"slices"
	"strings"
)

// ProductUse says how the queue's Redis database is in use by this
// product: tasks in its queues (in any state, finished ones included) and
// workers serving them, e.g. "critical: 1277 tasks; 2 worker processes". It is ""
// when the database holds neither, so that a benchmark may use it without
// taking, or leaving, anyone's tasks.
func (q *Queue) ProductUse() (string, error) {
	var use []string
	names, err := q.Inspector.Queues()
	if err != nil {
		return "", fmt.Errorf("list queues: %w", err)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ours := QueueWeights[name]; !ours {
			continue
		}
		info, err := q.Inspector.GetQueueInfo(name)
		if err != nil {
			return "", fmt.Errorf("queue %s: %w", name, err)
		}
		if n := info.Size + info.Completed; n > 0 {
			use = append(use, fmt.Sprintf("%s: %s", name, plural(n, "task")))
		}
	}
	servers, err := q.Inspector.Servers()
	if err != nil {
		return "", fmt.Errorf("list workers: %w", err)
	}
	workers := 0
	for _, s := range servers {
		for name := range s.Queues {
			if _, ours := QueueWeights[name]; ours {
				workers++
				break
			}
		}
	}
	if workers > 0 {
		use = append(use, plural(workers, "worker process"))
	}
	return strings.Join(use, "; "), nil
}

// plural writes n things: "1 task", "2 tasks", "2 worker processes".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	if strings.HasSuffix(thing, "s") {
		return fmt.Sprintf("%d %ses", n, thing)
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
