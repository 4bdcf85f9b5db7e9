package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"newsletter/app"
	"newsletter/internal/smtpsink"
)

// The tests in this file run the real binary: `newsletter worker`
// processes on the test's PostgreSQL database and Redis database, sending
// to an SMTP sink that counts messages per recipient. They kill workers
// with SIGKILL, restart them, run two at once, and lose the queue.

var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "newsletter-jobs-bin"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// binary builds cmd/newsletter once (without the race detector: the
// property under test is the protocol, and speed keeps the tests short).
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "newsletter")
		out, err := exec.Command("go", "build", "-o", binPath, "newsletter/cmd/newsletter").CombinedOutput()
		if err != nil {
			binError = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// workerProc is one `newsletter worker` process.
type workerProc struct {
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{}
}

func (e *campaignEnv) startWorkerProc(t *testing.T, sink *smtpsink.Server) *workerProc {
	t.Helper()
	p := &workerProc{done: make(chan struct{})}
	p.cmd = exec.Command(binary(t), "worker")
	p.cmd.Env = append(os.Environ(),
		"DATABASE_URL="+e.dbURL, "REDIS_URL="+e.redisURL, "SMTP_URL="+sink.URL(),
		"NEWSLETTER_SECRET="+testSecret, "NEWSLETTER_BASE_URL=https://news.example.com",
		"NEWSLETTER_DATA_DIR="+t.TempDir(), "NEWSLETTER_WORKERS=4", "MAIL_FROM=News <news@example.com>",
		"OPERATOR_NAME="+testOperator.Name, "OPERATOR_EMAIL="+testOperator.Email, "OPERATOR_ADDRESS="+testOperator.Address,
		"OPERATOR_COUNTRY=RU", "SMTP_COUNTRY=RU", "LOG_LEVEL=info", "ADMIN_EMAIL=", "ADMIN_PASSWORD=", "IMAP_URL=")
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("worker %d output:\n%s", p.cmd.Process.Pid, p.out.String())
		}
	})
	waitFor(t, 30*time.Second, "the worker to start", func() bool {
		select {
		case <-p.done:
			t.Fatalf("worker exited:\n%s", p.out.String())
		default:
		}
		return strings.Contains(p.out.String(), "processing queues")
	})
	return p
}

// kill ends the process with SIGKILL: no cleanup of any kind.
func (p *workerProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process with SIGTERM and waits for its shutdown.
func (p *workerProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop on SIGTERM")
	}
}

// slowSink answers each message after a short pause, so that a campaign of
// a few thousand lasts long enough to interrupt.
func slowSink(t *testing.T) *smtpsink.Server {
	return newSink(t, func(s *smtpsink.Server) {
		s.OnMessage = func(*smtpsink.Envelope) string { time.Sleep(time.Millisecond); return "" }
	})
}

// TestWorkerKilledMidCampaign kills the only worker with SIGKILL in the
// middle of a campaign and starts a new one: every recipient gets exactly
// one message. The kill happens while the SMTP server holds its answer to
// the start of a message, outside the documented window between a
// server's OK and the commit of its row (package notes, README "Sending
// guarantees"); rows that the dead worker held are taken over.
func TestWorkerKilledMidCampaign(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 2000)
	sink := slowSink(t)
	w1 := e.startWorkerProc(t, sink)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "500 messages", func() bool { return sink.Accepted() >= 500 })
	sink.Hold()
	time.Sleep(500 * time.Millisecond) // every result the worker got is committed by now
	w1.kill()
	st := e.deliveryStatuses(t, c.ID)
	if st["sending"] == 0 || st["pending"] == 0 {
		t.Fatalf("the kill did not land mid-campaign: %v", st)
	}
	if got := e.campaign(t, c.ID).Sent; got != sink.Accepted() {
		t.Fatalf("recorded %d sent, the server accepted %d", got, sink.Accepted())
	}
	sink.Release()
	e.startWorkerProc(t, sink)
	done := e.waitStatus(t, c.ID, app.CampaignFinished, 45*time.Second)
	exactlyOnce(t, sink.Count(), want)
	if done.Sent != 2000 {
		t.Fatalf("sent %d", done.Sent)
	}
}

// TestTwoWorkerProcesses sends one campaign with two worker processes.
func TestTwoWorkerProcesses(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 2000)
	sink := slowSink(t)
	e.startWorkerProc(t, sink)
	e.startWorkerProc(t, sink)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, c.ID, app.CampaignFinished, 45*time.Second)
	exactlyOnce(t, sink.Count(), want)
	var owners int
	if err := e.db.QueryRow(`SELECT count(DISTINCT owner) FROM delivery_claims`).Scan(&owners); err != nil {
		t.Fatal(err)
	}
	if owners != 0 {
		t.Fatalf("%d owners still hold claims after the campaign", owners)
	}
}

// TestPauseResumeAcrossRestart pauses a campaign, stops its worker while
// paused, and resumes with a new worker process.
func TestPauseResumeAcrossRestart(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 1500)
	sink := slowSink(t)
	w1 := e.startWorkerProc(t, sink)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "300 messages", func() bool { return sink.Accepted() >= 300 })
	if _, err := e.uc.Pause(ctx, marketer, c.ID); err != nil {
		t.Fatal(err)
	}
	w1.stop(t)
	n := sink.Accepted()
	if n >= 1500 {
		t.Fatal("the pause came after the end")
	}
	if got := e.campaign(t, c.ID); got.Sent != n || got.Status != app.CampaignPaused {
		t.Fatalf("paused: %s, recorded %d, server %d", got.Status, got.Sent, n)
	}
	e.startWorkerProc(t, sink)
	time.Sleep(500 * time.Millisecond)
	if sink.Accepted() != n {
		t.Fatal("a paused campaign is being sent")
	}
	if _, err := e.uc.Resume(ctx, marketer, c.ID); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, c.ID, app.CampaignFinished, 45*time.Second)
	exactlyOnce(t, sink.Count(), want)
}

// TestScheduleSurvivesLostQueue schedules a campaign for later, then loses
// every task in Redis (as the embedded queue does on restart) and starts
// two workers after the send time: the reconciliation of both finds the
// campaign due, and it is sent once.
func TestScheduleSurvivesLostQueue(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 500)
	sink := newSink(t, nil)
	c := e.createCampaign(t, app.CampaignInformational)
	at := time.Now().Add(time.Second)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, &at); err != nil {
		t.Fatal(err)
	}
	opt, err := redis.ParseURL(e.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	if err := rc.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(at))
	e.startWorkerProc(t, sink)
	e.startWorkerProc(t, sink)
	e.waitStatus(t, c.ID, app.CampaignFinished, 45*time.Second)
	exactlyOnce(t, sink.Count(), want)
}
