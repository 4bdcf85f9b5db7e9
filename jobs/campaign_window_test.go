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

// delayedRecords is a campaign store whose result commits take delay (a
// database under load), and which counts the results it committed.
type delayedRecords struct {
	jobs.CampaignStore
	delay     time.Duration
	committed atomic.Int64
}

func (s *delayedRecords) RecordDeliveries(ctx context.Context, outs []app.DeliveryOutcome) error {
	time.Sleep(s.delay)
	if err := s.CampaignStore.RecordDeliveries(ctx, outs); err != nil {
		return err
	}
	s.committed.Add(int64(len(outs)))
	return nil
}

// overlappingRecords is a campaign store whose first result commit waits
// until a second one has started: it finishes only if commits of results
// can be under way at the same time. Each commit takes delay; it counts
// the results it committed.
type overlappingRecords struct {
	*delayedRecords
	calls  atomic.Int64
	second chan struct{}
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
	return s.delayedRecords.RecordDeliveries(ctx, outs)
}

// runWatched sends a marketing campaign through st with senders senders to
// an SMTP sink that checks, as it accepts each message, how many it
// accepted whose result is not committed yet (committed counts those
// that are). It returns the sink, the finished campaign and the most
// messages accepted and not recorded at one moment.
func (e *campaignEnv) runWatched(t *testing.T, st jobs.CampaignStore, committed *atomic.Int64, senders int) (*smtpsink.Server, *app.Campaign, int64) {
	t.Helper()
	return e.runWatchedWith(t, st, committed, senders, fastOptions)
}

// runWatchedWith is runWatched with the options opt (Senders set to
// senders).
func (e *campaignEnv) runWatchedWith(t *testing.T, st jobs.CampaignStore, committed *atomic.Int64, senders int,
	opt jobs.CampaignOptions) (*smtpsink.Server, *app.Campaign, int64) {
	t.Helper()
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
			worst = max(worst, accepted-committed.Load())
			return ""
		}
	})
	opt.Senders = senders
	r, err := jobs.NewCampaignRunner(jobs.CampaignConfig{Store: st, Queue: &jobs.CampaignEnqueuer{Client: e.q.Client, Inspector: e.q.Inspector},
		Transport: smtpTransport(t, sink.URL(), nil), Links: e.links, Signer: e.signer, Operator: testOperator,
		From: "News <news@example.com>", Log: quietLog(), Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	e.startWorkerN(t, r, senders)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(context.Background(), marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	done := e.waitStatus(t, c.ID, app.CampaignFinished, 90*time.Second)
	mu.Lock()
	defer mu.Unlock()
	return sink, done, worst
}

// TestUnrecordedMessagesBoundedBySenders: however slow the database, a
// process never has more messages accepted by the SMTP server and not yet
// recorded than it has senders, so a crash resends at most that many.
func TestUnrecordedMessagesBoundedBySenders(t *testing.T) {
	t.Parallel()
	const senders = 4
	e := newCampaignEnv(t)
	want := e.seed(t, 1, 240)
	st := &delayedRecords{CampaignStore: e.st, delay: 40 * time.Millisecond}
	sink, _, worst := e.runWatched(t, st, &st.committed, senders)
	exactlyOnce(t, sink.Count(), want)
	t.Logf("at most %d messages accepted and not yet recorded, with %d senders", worst, senders)
	if worst > senders {
		t.Fatalf("%d messages were accepted by the server and not recorded at one moment; the bound is %d (the senders)", worst, senders)
	}
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
	want := e.seed(t, 1, 180)
	st := &overlappingRecords{delayedRecords: &delayedRecords{CampaignStore: e.st, delay: 30 * time.Millisecond},
		second: make(chan struct{})}
	sink, done, worst := e.runWatched(t, st, &st.committed, senders)
	exactlyOnce(t, sink.Count(), want)
	if done.Sent != int64(len(want)) || done.Failed != 0 {
		t.Errorf("campaign counts sent %d, failed %d; want %d, 0", done.Sent, done.Failed, len(want))
	}
	if got := e.deliveryStatuses(t, done.ID); got[string(app.DeliverySent)] != len(want) {
		t.Errorf("delivery rows %v; want %d sent", got, len(want))
	}
	t.Logf("%d commits; at most %d messages accepted and not yet recorded, with %d senders", st.calls.Load(), worst, senders)
	if worst > senders {
		t.Fatalf("%d messages were accepted by the server and not recorded at one moment; the bound is %d (the senders)", worst, senders)
	}
}

// TestBatchSendsAheadWithinSlots: a batch does not wait for the commit of
// its previous result when the process has a slot free: a campaign of one
// batch, whose commits are slow, has as many messages accepted and not
// yet recorded at one moment as the process has slots, and never more.
func TestBatchSendsAheadWithinSlots(t *testing.T) {
	t.Parallel()
	const senders = 4
	e := newCampaignEnv(t)
	want := e.seed(t, 1, 24)
	st := &delayedRecords{CampaignStore: e.st, delay: 300 * time.Millisecond}
	opt := fastOptions
	opt.BatchSize = 1000 // every delivery in one batch: one task sends them all
	sink, done, worst := e.runWatchedWith(t, st, &st.committed, senders, opt)
	exactlyOnce(t, sink.Count(), want)
	if done.Sent != int64(len(want)) {
		t.Errorf("campaign counts sent %d; want %d", done.Sent, len(want))
	}
	if worst > senders {
		t.Fatalf("%d messages were accepted by the server and not recorded at one moment; the bound is %d (the slots)", worst, senders)
	}
	if worst < senders {
		t.Fatalf("at most %d messages accepted and not recorded at one moment: the batch waited for its commits with %d slots free",
			worst, senders-worst)
	}
}
