package metrics

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// gathered is every sample of the registry, as name{label="value"} -> value.
func gathered(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "newsletter_") {
			continue
		}
		for _, s := range mf.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			out[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = s.GetGauge().GetValue()
		}
	}
	return out
}

func TestStateGauges(t *testing.T) {
	m := New()
	reads := 0
	overdue := map[string]int64{"consent_revocation": 2}
	m.RegisterRequestsOverdue([]string{"access", "consent_revocation"}, func(context.Context) (map[string]int64, error) {
		reads++
		return overdue, nil
	})
	oldest := time.Now().Add(-90 * time.Second)
	m.RegisterOutboxAge(func(context.Context) (time.Time, error) { return oldest, nil })
	m.RegisterReadiness(Check{Name: "database", Ping: func(context.Context) error { return nil }},
		Check{Name: "queue", Ping: func(context.Context) error { return errors.New("connection refused") }})

	got := gathered(t, m)
	age := got["newsletter_outbox_oldest_unfinished_seconds{}"]
	delete(got, "newsletter_outbox_oldest_unfinished_seconds{}")
	want := map[string]float64{
		`newsletter_requests_overdue{kind="access"}`:             0,
		`newsletter_requests_overdue{kind="consent_revocation"}`: 2,
		`newsletter_ready{check="database"}`:                     1,
		`newsletter_ready{check="queue"}`:                        0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("gauges %v\nwant %v", got, want)
	}
	if age < 90 || age > 3600 {
		t.Fatalf("outbox age %v, want about 90s", age)
	}
	// The count is cached: a second scrape reads the database no more.
	overdue = map[string]int64{"access": 5}
	if got := gathered(t, m); got[`newsletter_requests_overdue{kind="consent_revocation"}`] != 2 || reads != 1 {
		t.Fatalf("second scrape: %v, %d reads", got, reads)
	}
	// A kind the list does not name is reported too.
	m2 := New()
	m2.RegisterRequestsOverdue(nil, func(context.Context) (map[string]int64, error) { return map[string]int64{"new_kind": 1}, nil })
	if got := gathered(t, m2); got[`newsletter_requests_overdue{kind="new_kind"}`] != 1 {
		t.Fatalf("unlisted kind: %v", got)
	}
	m3 := New()
	m3.RegisterOutboxAge(func(context.Context) (time.Time, error) { return time.Time{}, nil })
	if got := gathered(t, m3); got["newsletter_outbox_oldest_unfinished_seconds{}"] != 0 || len(got) != 1 {
		t.Fatalf("nothing unfinished: %v", got)
	}
}

// TestStateGaugeLeftOutOnError: a count that cannot be read is left out of
// the scrape, without failing it; once the source answers it is back.
func TestStateGaugeLeftOutOnError(t *testing.T) {
	m := New()
	var err error = errors.New("database down")
	m.RegisterRequestsOverdue([]string{"access"}, func(context.Context) (map[string]int64, error) {
		return map[string]int64{}, err
	})
	if got := gathered(t, m); len(got) != 0 {
		t.Fatalf("with the database down: %v, want nothing", got)
	}
	err = nil
	if got := gathered(t, m); len(got) != 1 || got[`newsletter_requests_overdue{kind="access"}`] != 0 {
		t.Fatalf("after recovery: %v", got)
	}
}

// TestQueueDepthThatDoesNotAnswer: a queue that does not answer (a network
// partition) leaves its depth out of the scrape; the scrape goes on.
func TestQueueDepthThatDoesNotAnswer(t *testing.T) {
	m := New()
	release := make(chan struct{})
	defer close(release)
	m.RegisterQueueDepth(func() (map[string]int, error) {
		<-release
		return map[string]int{"critical": 1}, nil
	})
	m.RegisterReadiness(Check{Name: "database", Ping: func(context.Context) error { return nil }})
	mfs, err := m.Registry.Gather()
	if err == nil || !strings.Contains(err.Error(), "queue depth: no answer") {
		t.Fatalf("gather error %v, want the queue depth's", err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	if names["newsletter_queue_depth"] || !names["newsletter_ready"] {
		t.Fatalf("families %v: want the readiness gauge and no queue depth", names)
	}
}
