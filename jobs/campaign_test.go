package jobs_test

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
	"newsletter/internal/smtpsink"
	"newsletter/jobs"
)

var marketer = &app.Admin{ID: 1, Role: app.RoleMarketer}

// fastOptions keep tests quick: small batches and claims, short leases.
var fastOptions = jobs.CampaignOptions{BatchSize: 40, ClaimSize: 10, ChunkSize: 50, Lease: 3 * time.Second,
	Reconcile: 200 * time.Millisecond, Quiet: time.Second, RetryBase: 100 * time.Millisecond, RetryMax: time.Second}

func TestCampaignSendsOncePerEligibleRecipient(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 150)
	p, m := app.PurposeProcessing, app.PurposeMarketing
	e.addSubscriber(t, "nomarketing@example.com", app.StatusActive, p)
	e.addSubscriber(t, "blocked@example.com", app.StatusBlocked, p, m)
	e.addSubscriber(t, "pending@example.com", app.StatusPending, p, m)
	sup := e.addSubscriber(t, "suppressed@example.com", app.StatusActive, p, m)
	if err := e.st.Suppress(ctx, sup.EmailHash, app.SuppressManual, ""); err != nil {
		t.Fatal(err)
	}
	sink := newSink(t, nil)
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	e.startWorker(t, r)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	got := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	exactlyOnce(t, sink.Count(), want)
	if got.Recipients != 150 || got.Sent != 150 || got.Failed != 0 || got.Skipped != 0 || got.OptedOut != 0 {
		t.Fatalf("counters %+v", got.CampaignCounters)
	}
	if st := e.deliveryStatuses(t, c.ID); st["sent"] != 150 || len(st) != 1 {
		t.Fatalf("deliveries %v", st)
	}
}

func TestCampaignScheduledLaterStartsAtItsTime(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 20)
	sink := newSink(t, nil)
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	e.startWorker(t, r)
	c := e.createCampaign(t, app.CampaignInformational)
	at := time.Now().Add(1500 * time.Millisecond)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, &at); err != nil {
		t.Fatal(err)
	}
	// Rescheduling makes the first task outdated: one run, at the new time.
	at2 := time.Now().Add(2 * time.Second)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, &at2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if n := sink.Accepted(); n != 0 {
		t.Fatalf("%d messages before the send time", n)
	}
	got := e.waitStatus(t, c.ID, app.CampaignFinished, 20*time.Second)
	if got.StartedAt == nil || got.StartedAt.Before(at2.Add(-time.Second)) {
		t.Fatalf("started at %v, want about %v", got.StartedAt, at2)
	}
	exactlyOnce(t, sink.Count(), want)
}

func TestCampaignPauseResume(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 300)
	// A slow server, so that the pause lands mid-campaign.
	sink := newSink(t, func(s *smtpsink.Server) {
		s.OnMessage = func(*smtpsink.Envelope) string { time.Sleep(2 * time.Millisecond); return "" }
	})
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	e.startWorker(t, r)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "sending to start", func() bool { return sink.Accepted() >= 30 })
	if _, err := e.uc.Pause(ctx, marketer, c.ID); err != nil {
		t.Fatal(err)
	}
	// Claims in flight finish; then nothing moves.
	var stable int64
	waitFor(t, 10*time.Second, "sending to stop", func() bool {
		n := sink.Accepted()
		time.Sleep(300 * time.Millisecond)
		stable = n
		return sink.Accepted() == n
	})
	if stable >= 300 {
		t.Fatal("the pause came too late to test anything")
	}
	paused := e.campaign(t, c.ID)
	if paused.Status != app.CampaignPaused || paused.Sent != stable {
		t.Fatalf("paused campaign: %s, sent %d, server got %d", paused.Status, paused.Sent, stable)
	}
	if _, err := e.uc.Resume(ctx, marketer, c.ID); err != nil {
		t.Fatal(err)
	}
	got := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	exactlyOnce(t, sink.Count(), want)
	if got.Sent != 300 {
		t.Fatalf("sent %d", got.Sent)
	}
}

func TestCampaignCancel(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	e.seed(t, 1, 300)
	sink := newSink(t, func(s *smtpsink.Server) {
		s.OnMessage = func(*smtpsink.Envelope) string { time.Sleep(2 * time.Millisecond); return "" }
	})
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	e.startWorker(t, r)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "sending to start", func() bool { return sink.Accepted() >= 30 })
	if _, err := e.uc.Cancel(ctx, marketer, c.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	n := sink.Accepted()
	time.Sleep(700 * time.Millisecond)
	if sink.Accepted() != n || n >= 300 {
		t.Fatalf("still sending after cancel: %d then %d", n, sink.Accepted())
	}
	if _, err := e.uc.Resume(ctx, marketer, c.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("resume a cancelled campaign: %v", err)
	}
	got := e.campaign(t, c.ID)
	if got.Status != app.CampaignCancelled || got.Sent != n {
		t.Fatalf("cancelled campaign %s sent %d, server %d", got.Status, got.Sent, n)
	}
	for addr, k := range sink.Count() {
		if k != 1 {
			t.Errorf("%s got %d", addr, k)
		}
	}
}

// TestCampaignTemporaryThenOK: the server answers 451 to the first attempt
// for some recipients; they are retried with backoff and get one message.
func TestCampaignTemporaryThenOK(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 30)
	var refused atomic.Int64
	seen := map[string]bool{}
	sink := newSink(t, func(s *smtpsink.Server) {
		s.OnRcpt = func(rcpt string) string {
			if strings.HasSuffix(strings.Split(rcpt, "@")[0], "7") && !seen[rcpt] {
				seen[rcpt] = true // one connection at a time reaches a given address
				refused.Add(1)
				return "451 4.7.1 Greylisted, try again later"
			}
			return ""
		}
	})
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	e.startWorker(t, r)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	got := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	if refused.Load() != 3 {
		t.Fatalf("refused %d, want 3", refused.Load())
	}
	exactlyOnce(t, sink.Count(), want)
	if got.Sent != 30 || got.Failed != 0 {
		t.Fatalf("counters %+v", got.CampaignCounters)
	}
	var attempts int
	if err := e.db.QueryRow(`SELECT attempts FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
		WHERE s.email = 'u7@example.com' AND d.campaign_id = $1`, c.ID).Scan(&attempts); err != nil || attempts != 2 {
		t.Fatalf("attempts %d, %v; want 2", attempts, err)
	}
}

// TestCampaignPermanentFailures: 5xx answers are recorded as failures; a
// 5.1.1 puts the address's keyed hash on the suppression list; retrying
// failed deliveries sends the others again.
func TestCampaignPermanentFailures(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	e.seed(t, 1, 10)
	var reject atomic.Bool
	reject.Store(true)
	sink := newSink(t, func(s *smtpsink.Server) {
		s.OnRcpt = func(rcpt string) string {
			if rcpt == "u3@example.com" {
				return "550 5.1.1 <u3@example.com>: Recipient address rejected: User unknown"
			}
			return ""
		}
		s.OnMessage = func(env *smtpsink.Envelope) string {
			if env.To[0] == "u4@example.com" && reject.Load() {
				return "554 5.7.1 Message rejected as spam"
			}
			return ""
		}
	})
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	e.startWorker(t, r)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	got := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	if got.Sent != 8 || got.Failed != 2 {
		t.Fatalf("counters %+v", got.CampaignCounters)
	}
	var code int
	var msg string
	if err := e.db.QueryRow(`SELECT d.smtp_code, d.error FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
		WHERE s.email = 'u3@example.com'`).Scan(&code, &msg); err != nil {
		t.Fatal(err)
	}
	if code != 550 || !strings.Contains(msg, "5.1.1") || strings.Contains(msg, "@") {
		t.Fatalf("recorded %d %q (no address may be kept)", code, msg)
	}
	if reason, err := e.st.SuppressionReason(ctx, e.signer.KeyedHash("u3@example.com")); err != nil || reason != app.SuppressHardBounce {
		t.Fatalf("suppression %q, %v", reason, err)
	}
	if reason, _ := e.st.SuppressionReason(ctx, e.signer.KeyedHash("u4@example.com")); reason != "" {
		t.Fatalf("a spam rejection suppressed the address: %q", reason)
	}
	reject.Store(false)
	n, _, err := e.uc.RetryFailed(ctx, marketer, c.ID)
	if err != nil || n != 2 {
		t.Fatalf("retry failed: %d, %v", n, err)
	}
	got = e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	// u3 is suppressed now: skipped; u4 gets its message.
	if got.Sent != 9 || got.Failed != 0 || got.Skipped != 1 {
		t.Fatalf("after retry %+v", got.CampaignCounters)
	}
	cnt := sink.Count()
	if cnt["u4@example.com"] != 1 || cnt["u3@example.com"] != 0 {
		t.Fatalf("u4 %d, u3 %d", cnt["u4@example.com"], cnt["u3@example.com"])
	}
}

// TestCampaignOptOutBeforeClaimWins: an opt-out committed after the
// deliveries were materialized but before the batch claims them wins.
func TestCampaignOptOutBeforeClaimWins(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 20)
	sink := newSink(t, nil)
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	c := e.createCampaign(t, app.CampaignMarketing)
	sc, err := e.uc.Schedule(ctx, marketer, c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Dispatch by hand: materialize, no worker yet.
	task, _ := jobs.NewCampaignDispatchTask(jobs.CampaignDispatchPayload{CampaignID: c.ID, Version: sc.Version})
	if err := r.Handlers()[0].ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	var optedOut, blocked int64
	_ = e.db.QueryRow(`SELECT id FROM subscribers WHERE email = 'u5@example.com'`).Scan(&optedOut)
	_ = e.db.QueryRow(`SELECT id FROM subscribers WHERE email = 'u6@example.com'`).Scan(&blocked)
	if err := e.st.SetConsent(ctx, optedOut, app.PurposeMarketing, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec(`UPDATE subscribers SET status = 'blocked' WHERE id = $1`, blocked); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t, r)
	got := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	var rest []string
	for _, w := range want {
		if w != "u5@example.com" && w != "u6@example.com" {
			rest = append(rest, w)
		}
	}
	exactlyOnce(t, sink.Count(), rest)
	if got.Recipients != 20 || got.Sent != 18 || got.OptedOut != 1 || got.Skipped != 1 {
		t.Fatalf("counters %+v", got.CampaignCounters)
	}
}

// TestCampaignBatchRetry interrupts a batch mid-way (its context ends while
// the server holds a message) and runs the same task again, as asynq's retry
// does: every recipient gets one message.
func TestCampaignBatchRetry(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 60)
	var sink *smtpsink.Server
	var seen atomic.Int64
	held := make(chan struct{})
	sink = newSink(t, func(s *smtpsink.Server) {
		s.OnMessage = func(*smtpsink.Envelope) string {
			if seen.Add(1) == 25 {
				s.Hold() // the next message waits at its start
				close(held)
			}
			return ""
		}
	})
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go r.Run(runCtx)
	c := e.createCampaign(t, app.CampaignMarketing)
	sc, err := e.uc.Schedule(ctx, marketer, c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	dispatch, _ := jobs.NewCampaignDispatchTask(jobs.CampaignDispatchPayload{CampaignID: c.ID, Version: sc.Version})
	if err := r.Handlers()[0].ProcessTask(ctx, dispatch); err != nil {
		t.Fatal(err)
	}
	batch, _ := jobs.NewCampaignBatchTask(jobs.CampaignBatchPayload{CampaignID: c.ID, Version: sc.Version, Lo: 0, Hi: 1 << 40})
	taskCtx, cancel := context.WithCancel(ctx)
	go func() {
		<-held
		time.Sleep(200 * time.Millisecond) // the client now waits for the server
		cancel()
	}()
	if err := r.Handlers()[1].ProcessTask(taskCtx, batch); err == nil {
		t.Fatal("interrupted batch reported success")
	}
	sink.Release()
	if st := e.deliveryStatuses(t, c.ID); st["sending"] != 0 || st["pending"] == 0 {
		t.Fatalf("after the interruption: %v", st)
	}
	if err := r.Handlers()[1].ProcessTask(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// And once more, as a duplicate delivery of the task would.
	if err := r.Handlers()[1].ProcessTask(ctx, batch); err != nil {
		t.Fatal(err)
	}
	exactlyOnce(t, sink.Count(), want)
	if got := e.campaign(t, c.ID); got.Status != app.CampaignFinished || got.Sent != 60 {
		t.Fatalf("campaign %s sent %d", got.Status, got.Sent)
	}
}

// TestCampaignDeadClaimTakenOver: a claim whose worker vanished (its lease
// runs out) is taken over by a new round of the reconciliation.
func TestCampaignDeadClaimTakenOver(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 50)
	sink := newSink(t, nil)
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	c := e.createCampaign(t, app.CampaignMarketing)
	sc, err := e.uc.Schedule(ctx, marketer, c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	dispatch, _ := jobs.NewCampaignDispatchTask(jobs.CampaignDispatchPayload{CampaignID: c.ID, Version: sc.Version})
	if err := r.Handlers()[0].ProcessTask(ctx, dispatch); err != nil {
		t.Fatal(err)
	}
	// A worker on another machine claims 15 rows and dies.
	dead, err := e.st.CreateDeliveryClaim(ctx, c.ID, "elsewhere|other-boot|1|x", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := e.st.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: dead, Hi: 1 << 40, Limit: 15,
		Audience: app.Audience{Purpose: app.CampaignMarketing}})
	if err != nil || len(rs) != 15 {
		t.Fatalf("dead claim took %d, %v", len(rs), err)
	}
	e.startWorker(t, r)
	e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	exactlyOnce(t, sink.Count(), want)
}

// TestCampaignDispatchIsIdempotent: duplicated dispatch tasks of one round
// and outdated rounds send nothing twice.
func TestCampaignDispatchIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 40)
	sink := newSink(t, nil)
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	c := e.createCampaign(t, app.CampaignMarketing)
	sc, err := e.uc.Schedule(ctx, marketer, c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	for v := sc.Version - 1; v <= sc.Version; v++ {
		for range 2 {
			task, _ := jobs.NewCampaignDispatchTask(jobs.CampaignDispatchPayload{CampaignID: c.ID, Version: v})
			if err := r.Handlers()[0].ProcessTask(ctx, task); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := e.campaign(t, c.ID); got.Recipients != 40 {
		t.Fatalf("recipients %d", got.Recipients)
	}
	// Extra copies of every batch task: asynq may deliver a task again.
	for _, id := range []string{"a", "b"} {
		task, _ := jobs.NewCampaignBatchTask(jobs.CampaignBatchPayload{CampaignID: c.ID, Version: sc.Version, Lo: 0, Hi: 1 << 40, Seq: 100})
		if _, err := e.q.Client.Enqueue(task, asynq.TaskID("extra-"+id)); err != nil {
			t.Fatal(err)
		}
	}
	e.startWorker(t, r)
	e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	exactlyOnce(t, sink.Count(), want)
}

// TestCampaignTestSend sends a test to two addresses at once.
func TestCampaignTestSend(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	sink := newSink(t, func(s *smtpsink.Server) { s.Keep = true })
	e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	c := e.createCampaign(t, app.CampaignMarketing)
	if err := e.uc.SendTest(ctx, marketer, c.ID, []string{"a@example.org", "b@example.org", "A@example.org"}); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	if !strings.Contains(string(msgs[0].Data), "Subject: [Test] Offers for Test") {
		t.Fatalf("test message:\n%s", msgs[0].Data)
	}
	if err := e.uc.SendTest(ctx, marketer, c.ID, []string{"Someone <a@example.org>"}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("named address accepted: %v", err)
	}
}

// TestCampaignTestSendEachLanguage sends one test message per language of
// a two-language campaign to each address, each in its language.
func TestCampaignTestSendEachLanguage(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	sink := newSink(t, func(s *smtpsink.Server) { s.Keep = true })
	e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	c, err := e.uc.Create(ctx, &app.Admin{ID: 1, Role: app.RoleMarketer}, app.CampaignInput{Name: "Two", Subject: "News",
		Purpose: app.CampaignMarketing, Locale: "en", Format: app.FormatMarkdown, Body: "Hello {{.Name}}",
		Translations: map[string]app.CampaignTranslation{"ru": {Subject: "Новости", Body: "Привет, {{.Name}}"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.uc.SendTest(ctx, marketer, c.ID, []string{"a@example.org"}); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	var subjects []string
	for _, m := range msgs {
		parsed, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		s, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	if want := []string{"[Test EN] News", "[Test RU] Новости"}; !slices.Equal(subjects, want) {
		t.Fatalf("subjects %q, want %q", subjects, want)
	}
}
