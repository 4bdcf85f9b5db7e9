package jobs_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/internal/smtpsink"
	"newsletter/jobs"
)

// slowRecords is a campaign store whose result commits take delay (a
// database under load), and which counts the results it committed.
type slowRecords struct {
	jobs.CampaignStore
	delay     time.Duration
	committed atomic.Int64
}

func (s *slowRecords) RecordDeliveries(ctx context.Context, outs []app.DeliveryOutcome) error {
	time.Sleep(s.delay)
	if err := s.CampaignStore.RecordDeliveries(ctx, outs); err != nil {
		return err
	}
	s.committed.Add(int64(len(outs)))
	return nil
}

// TestUnrecordedMessagesBoundedBySenders: however slow the database, a
// process never has more messages accepted by the SMTP server and not yet
// recorded than it has senders, so a crash resends at most that many. The
// sink checks, as it accepts each message, how many it accepted whose
// result is not committed yet.
func TestUnrecordedMessagesBoundedBySenders(t *testing.T) {
	t.Parallel()
	const senders = 4
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 240)
	st := &slowRecords{CampaignStore: e.st, delay: 40 * time.Millisecond}
	var (
		mu       sync.Mutex
		accepted int64
		worst    int64
	)
	sink := newSink(t, func(s *smtpsink.Server) {
		s.OnMessage = func(*smtpsink.Envelope) string {
			mu.Lock()
			defer mu.Unlock()
			accepted++ // this one, about to be accepted
			worst = max(worst, accepted-st.committed.Load())
			return ""
		}
	})
	opt := fastOptions
	opt.Senders = senders
	r, err := jobs.NewCampaignRunner(jobs.CampaignConfig{Store: st, Queue: &jobs.CampaignEnqueuer{Client: e.q.Client, Inspector: e.q.Inspector},
		Transport: smtpTransport(t, sink.URL(), nil), Links: e.links, Signer: e.signer, Operator: testOperator,
		From: "News <news@example.com>", Log: quietLog(), Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	e.startWorkerN(t, r, senders)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, c.ID, app.CampaignFinished, 90*time.Second)
	exactlyOnce(t, sink.Count(), want)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("at most %d messages accepted and not yet recorded, with %d senders", worst, senders)
	if worst > senders {
		t.Fatalf("%d messages were accepted by the server and not recorded at one moment; the bound is %d (the senders)", worst, senders)
	}
}

// overlappingRecords is a campaign store whose first result commit waits
// until a second one has started: it finishes only if commits of results
// can be under way at the same time. Each commit takes delay (a database
// under load); it counts the results it committed.
type overlappingRecords struct {
	jobs.CampaignStore
	delay     time.Duration
	calls     atomic.Int64
	second    chan struct{}
	committed atomic.Int64
}

func (s *overlappingRecords) RecordDeliveries(ctx context.Context, outs []app.DeliveryOutcome) error {
	switch s.calls.Add(1) {
	case 1:
		select {
		case <-s.second:
		case <-ctx.Done():
			return ctx.Err()
		}
	case 2:
		close(s.second)
	}
	time.Sleep(s.delay)
	if err := s.CampaignStore.RecordDeliveries(ctx, outs); err != nil {
		return err
	}
	s.committed.Add(int64(len(outs)))
	return nil
}

// TestOverlappingCommitsKeepBoundAndCounts: results are committed by
// several transactions under way at the same time (the campaign would
// never finish otherwise: the first commit waits for a second to start),
// and still a process never has more messages accepted and not recorded
// than it has senders, everyone gets one message, and the campaign counts
// each once.
func TestOverlappingCommitsKeepBoundAndCounts(t *testing.T) {
	t.Parallel()
	const senders = 6
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 180)
	st := &overlappingRecords{CampaignStore: e.st, delay: 30 * time.Millisecond, second: make(chan struct{})}
	var (
		mu       sync.Mutex
		accepted int64
		worst    int64
	)
	sink := newSink(t, func(s *smtpsink.Server) {
		s.OnMessage = func(*smtpsink.Envelope) string {
			mu.Lock()
			defer mu.Unlock()
			accepted++
			worst = max(worst, accepted-st.committed.Load())
			return ""
		}
	})
	opt := fastOptions
	opt.Senders = senders
	r, err := jobs.NewCampaignRunner(jobs.CampaignConfig{Store: st, Queue: &jobs.CampaignEnqueuer{Client: e.q.Client, Inspector: e.q.Inspector},
		Transport: smtpTransport(t, sink.URL(), nil), Links: e.links, Signer: e.signer, Operator: testOperator,
		From: "News <news@example.com>", Log: quietLog(), Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	e.startWorkerN(t, r, senders)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	done := e.waitStatus(t, c.ID, app.CampaignFinished, 90*time.Second)
	exactlyOnce(t, sink.Count(), want)
	if done.Sent != int64(len(want)) || done.Failed != 0 {
		t.Errorf("campaign counts sent %d, failed %d; want %d, 0", done.Sent, done.Failed, len(want))
	}
	if got := e.deliveryStatuses(t, c.ID); got[string(app.DeliverySent)] != len(want) {
		t.Errorf("delivery rows %v; want %d sent", got, len(want))
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d commits; at most %d messages accepted and not yet recorded, with %d senders", st.calls.Load(), worst, senders)
	if worst > senders {
		t.Fatalf("%d messages were accepted by the server and not recorded at one moment; the bound is %d (the senders)", worst, senders)
	}
}
