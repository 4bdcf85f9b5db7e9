package jobs_test

import (
	"context"
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
	p := &jobs.MailboxPoller{URL: url, Receiver: in.svc, Leases: in.st, Log: quietLog(), Owner: owner,
		Wait: time.Second, LeaseTTL: 3 * time.Second}
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
