package jobs_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/internal/testenv"
	"newsletter/jobs"
)

func (in *inbox) storedMessages(t *testing.T) int {
	t.Helper()
	db, err := in.st.DB()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM inbound_messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// startPoller runs a poller until the returned stop is called.
func startPoller(t *testing.T, in *inbox, url, owner string) (stop func()) {
	t.Helper()
	return runPoller(t, &jobs.MailboxPoller{URL: url, Receiver: in.svc, Leases: in.st, Log: quietLog(), Owner: owner,
		Wait: time.Second, LeaseTTL: 3 * time.Second})
}

// runPoller runs p until the returned stop is called.
func runPoller(t *testing.T, p *jobs.MailboxPoller) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

func waitForMailbox(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMailboxPoller reads a real IMAP mailbox (Dovecot): every message is
// stored before it is moved to Processed, processed and answered once, a
// message stored before a crash is not processed again, one process reads
// at a time, and a restarted poller processes nothing twice.
func TestMailboxPoller(t *testing.T) {
	dv := testenv.Dovecot(t)
	in := newInbox(t)
	ctx := context.Background()
	in.subscriber(t, "olga.smirnova@gmail.com")
	in.subscriber(t, "emma.brown@icloud.com")
	in.subscriber(t, "ivan.petrov@yandex.ru") // answered: the address is on file

	// The last run stored this message, then crashed before moving it.
	crashed := fixture(t, "gmail_ru_reply_optout.eml")
	if _, _, err := in.svc.ReceiveInbound(ctx, crashed, app.InboundSource{Source: app.InboundIMAP}); err != nil {
		t.Fatal(err)
	}
	dv.Append(t, crashed)
	dv.Append(t, fixture(t, "apple_en_access.eml"))
	dv.Append(t, fixture(t, "ooo_en_outlook.eml"))

	stop := startPoller(t, in, dv.URL(), "first")
	waitForMailbox(t, "the mailbox to be read", func() bool {
		return dv.Count(t, "INBOX") == 0 && dv.Count(t, jobs.DefaultProcessedFolder) == 3
	})
	if n := in.storedMessages(t); n != 3 {
		t.Fatalf("%d messages stored, want 3", n)
	}
	in.drain(t)
	if n := len(in.tr.sent()); n != 2 {
		t.Fatalf("%d replies, want 2 (the opt-out and the access request; not the auto-reply)", n)
	}

	// One process at a time: another cannot take the mailbox while this
	// one runs.
	if ok, err := in.st.AcquireLease(ctx, jobs.MailboxLeaseName(dv.URL()), "intruder", time.Minute); err != nil || ok {
		t.Fatalf("a second process got the lease: %v %v", ok, err)
	}

	// New mail arrives while the poller waits (IDLE).
	dv.Append(t, fixture(t, "yandex_ru_update_koi8r.eml"))
	waitForMailbox(t, "the new message", func() bool { return dv.Count(t, jobs.DefaultProcessedFolder) == 4 })
	in.drain(t)
	if n := len(in.tr.sent()); n != 3 {
		t.Fatalf("%d replies after the new message, want 3", n)
	}

	// A restart: the same messages delivered again are only moved.
	stop()
	dv.Append(t, fixture(t, "apple_en_access.eml"))
	dv.Append(t, crashed)
	startPoller(t, in, dv.URL(), "second")
	waitForMailbox(t, "the redelivered messages", func() bool {
		return dv.Count(t, "INBOX") == 0 && dv.Count(t, jobs.DefaultProcessedFolder) == 6
	})
	in.drain(t)
	if n := in.storedMessages(t); n != 4 {
		t.Fatalf("%d messages stored after the restart, want 4", n)
	}
	if n := len(in.tr.sent()); n != 3 {
		t.Fatalf("%d replies after the restart, want still 3", n)
	}
}

// TestMailboxLeaseName: the lease names the mailbox, not the spelling of
// its URL: one lease for one mailbox whatever the host's case, the default
// port, the password (rotated worker by worker) or the transport parameter.
func TestMailboxLeaseName(t *testing.T) {
	base := jobs.MailboxLeaseName("imap://requests:old-secret@mail.example.com/INBOX")
	for _, u := range []string{
		"imap://requests:new-secret@mail.example.com/INBOX",
		"imap://requests:old-secret@Mail.Example.com:143/inbox?tls=starttls",
	} {
		if got := jobs.MailboxLeaseName(u); got != base {
			t.Errorf("lease of %q is %s, want %s", u, got, base)
		}
	}
	for _, u := range []string{
		"imap://requests:old-secret@mail.example.com/Archive",
		"imap://someone:old-secret@mail.example.com/INBOX",
		"imaps://requests:old-secret@mail.example.com/INBOX",
	} {
		if got := jobs.MailboxLeaseName(u); got == base {
			t.Errorf("lease of %q is the one of another mailbox", u)
		}
	}
	if strings.Contains(base, "secret") || strings.Contains(base, "requests") {
		t.Errorf("lease name %q reveals the URL", base)
	}
}

// deadOwner is the lease owner name of a process of this machine that is
// gone: with the pid of an exited child, or with this process's own pid
// (as a process restarted in a container has its predecessor's).
func deadOwner(t *testing.T, ownPid bool) string {
	t.Helper()
	parts := strings.Split(jobs.NewOwner(), "|")
	if len(parts) != 4 || parts[1] == "" {
		t.Skip("no process scope on this system")
	}
	pid := os.Getpid()
	if !ownPid {
		cmd := exec.Command("true")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		pid = cmd.Process.Pid
	}
	parts[2], parts[3] = strconv.Itoa(pid), "0123456789ab"
	return strings.Join(parts, "|")
}

// TestMailboxPollerTakesOverDeadHolder: a process that starts while the
// lease is still held by the process it replaces (killed, so it never
// released it) reads the mailbox at once instead of waiting for the lease
// to lapse (an hour here).
func TestMailboxPollerTakesOverDeadHolder(t *testing.T) {
	dv := testenv.Dovecot(t)
	in := newInbox(t)
	ctx := context.Background()
	in.subscriber(t, "olga.smirnova@gmail.com")
	name := jobs.MailboxLeaseName(dv.URL())
	for i, ownPid := range []bool{false, true} {
		holder := deadOwner(t, ownPid)
		if ok, err := in.st.AcquireLease(ctx, name, holder, time.Hour); err != nil || !ok {
			t.Fatalf("the predecessor's lease: %v %v", ok, err)
		}
		dv.Append(t, testMessageFor(i))
		stop := runPoller(t, &jobs.MailboxPoller{URL: dv.URL(), Receiver: in.svc, Leases: in.st, Log: quietLog(),
			Wait: time.Second, LeaseTTL: time.Hour})
		waitForMailbox(t, "the successor to read the mailbox", func() bool {
			return dv.Count(t, jobs.DefaultProcessedFolder) == i+1
		})
		if got, err := in.st.LeaseHolder(ctx, name); err != nil || got == holder || got == "" {
			t.Fatalf("lease holder %q %v after the takeover", got, err)
		}
		stop()
	}
	if n := in.storedMessages(t); n != 2 {
		t.Fatalf("%d messages stored, want 2", n)
	}
}

func testMessageFor(i int) []byte {
	return []byte("From: olga.smirnova@gmail.com\r\nTo: privacy@shop.example\r\nSubject: Unsubscribe\r\n" +
		"Message-ID: <takeover-" + strconv.Itoa(i) + "@gmail.com>\r\n\r\nPlease unsubscribe me.\r\n")
}

// TestMailboxPollerWithoutIdle reads a mailbox whose server has no IDLE:
// the poller polls, and every message is stored and moved once.
func TestMailboxPollerWithoutIdle(t *testing.T) {
	dv := testenv.Dovecot(t, testenv.DovecotWithoutIdle)
	in := newInbox(t)
	in.subscriber(t, "olga.smirnova@gmail.com")
	startPoller(t, in, dv.URL(), "polling")
	for i := 0; i < 3; i++ {
		dv.Append(t, testMessageFor(i))
		waitForMailbox(t, "the polled message", func() bool { return dv.Count(t, jobs.DefaultProcessedFolder) == i+1 })
	}
	if n := in.storedMessages(t); n != 3 {
		t.Fatalf("%d messages stored, want 3", n)
	}
}

// records keeps the log records of a test.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}

// count counts the records of level whose message starts with msg.
func (r *records) count(level slog.Level, msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.recs {
		if rec.Level == level && strings.HasPrefix(rec.Message, msg) {
			n++
		}
	}
	return n
}

// TestMailboxPollerOutage: a server outage is logged as a warning, and the
// mailbox being reachable again at info; mail that arrived meanwhile is
// read.
func TestMailboxPollerOutage(t *testing.T) {
	dv := testenv.Dovecot(t)
	in := newInbox(t)
	in.subscriber(t, "olga.smirnova@gmail.com")
	logs := &records{}
	runPoller(t, &jobs.MailboxPoller{URL: dv.URL(), Receiver: in.svc, Leases: in.st, Log: slog.New(logs),
		Owner: "outage", Wait: time.Second, LeaseTTL: 3 * time.Second})
	dv.Append(t, testMessageFor(0))
	waitForMailbox(t, "the first message", func() bool { return dv.Count(t, jobs.DefaultProcessedFolder) == 1 })
	if n := logs.count(slog.LevelInfo, "mailbox: reachable again"); n != 0 {
		t.Fatalf("%d reachable-again records before any outage", n)
	}

	dv.Stop()
	waitForMailbox(t, "the outage to be noticed", func() bool { return logs.count(slog.LevelWarn, "mailbox:") > 0 })
	dv.Start(t)
	dv.Append(t, testMessageFor(1))
	waitForMailbox(t, "the message sent during the outage", func() bool { return dv.Count(t, jobs.DefaultProcessedFolder) == 2 })
	waitForMailbox(t, "the info record", func() bool { return logs.count(slog.LevelInfo, "mailbox: reachable again") == 1 })
}

// TestMailboxPollerBadHeaderLine: a message delivered to the mailbox with a
// header line that lacks a colon (a badly written gateway) is read as a
// mail client reads it: the opt-out is acted on and answered.
func TestMailboxPollerBadHeaderLine(t *testing.T) {
	dv := testenv.Dovecot(t)
	in := newInbox(t)
	ctx := context.Background()
	sub := in.subscriber(t, "boris.ivanov@example.ru")
	dv.Append(t, fixture(t, "gateway_ru_optout_bad_header.eml"))
	startPoller(t, in, dv.URL(), "gateway")
	waitForMailbox(t, "the message", func() bool { return dv.Count(t, jobs.DefaultProcessedFolder) == 1 })
	in.drain(t)
	reqs, err := in.st.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].Kind != app.KindMarketingOptout || reqs[0].Status != app.RequestCompleted {
		t.Fatalf("requests %+v, want one completed opt-out", reqs)
	}
	if in.consent(t, sub.ID, app.PurposeMarketing) {
		t.Error("marketing still granted")
	}
	if n := len(in.tr.sent()); n != 1 {
		t.Errorf("%d replies, want 1", n)
	}
}
