package inbound

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"newsletter/internal/testenv"
)

func TestParseIMAPURL(t *testing.T) {
	tests := []struct {
		url    string
		err    string // substring; "" = valid
		addr   string
		folder string
		mode   tlsMode
	}{
		{"imaps://user:pass@imap.example.com/INBOX", "", "imap.example.com:993", "INBOX", tlsImplicit},
		{"imaps://user:pass@imap.example.com", "", "imap.example.com:993", "INBOX", tlsImplicit},
		{"IMAPS://user%40example.com:p%40ss%2Fw@imap.example.com:1993/Requests%2FNew", "", "imap.example.com:1993", "Requests/New", tlsImplicit},
		{"imap://user:pass@imap.example.com/INBOX", "", "imap.example.com:143", "INBOX", tlsStartTLS},
		{"imap://user:pass@127.0.0.1:1143/INBOX", "", "127.0.0.1:1143", "INBOX", tlsNone},
		{"imap://user:pass@localhost/INBOX", "", "localhost:143", "INBOX", tlsNone},
		{"imap://user:pass@[::1]:1143/", "", "[::1]:1143", "INBOX", tlsNone},
		{"imap://user:pass@127.0.0.1/INBOX?tls=starttls", "", "127.0.0.1:143", "INBOX", tlsStartTLS},
		{"imap://user:pass@10.0.0.5/INBOX?tls=none", "", "10.0.0.5:143", "INBOX", tlsNone},
		{"imap://user:pass@imap.example.com:993/INBOX?tls=tls", "", "imap.example.com:993", "INBOX", tlsImplicit},
		{"imap://user:@imap.example.com/INBOX", "", "imap.example.com:143", "INBOX", tlsStartTLS},
		{"", "empty", "", "", 0},
		{"imap.example.com", "missing scheme", "", "", 0},
		{"pop3://user:pass@host/", "unsupported scheme", "", "", 0},
		{"imaps://user:pass@/INBOX", "missing host", "", "", 0},
		{"imaps://user:pass@host:0/INBOX", "invalid port", "", "", 0},
		{"imaps://user:pass@host:99999/INBOX", "invalid port", "", "", 0},
		{"imaps://host/INBOX", "missing user", "", "", 0},
		{"imaps://SECRETUSER@host/INBOX", "missing password", "", "", 0},
		{"imaps://SECRETUSER:SECRETPASS@host/INBOX?tls=maybe", "tls must be", "", "", 0},
		{"imaps://SECRETUSER:SECRETPASS@host/INBOX?timeout=5", "unknown parameter", "", "", 0},
		{"imaps://SECRET USER:SECRET%PASS@host/INBOX", "not a valid URL", "", "", 0},
		{"imaps://SECRETUSER:SECRETPASS@host:x/INBOX", "not a valid URL", "", "", 0},
	}
	for _, tt := range tests {
		cfg, err := parseIMAPURL(tt.url)
		if perr := ParseIMAPURL(tt.url); (perr == nil) != (err == nil) {
			t.Errorf("ParseIMAPURL and parseIMAPURL disagree on %q", tt.url)
		}
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want ~%q", tt.url, err, tt.err)
			}
			if err != nil {
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("%q: error %q reveals the credentials", tt.url, err)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.url, err)
			continue
		}
		if cfg.addr != tt.addr || cfg.folder != tt.folder || cfg.mode != tt.mode {
			t.Errorf("%q = %+v", tt.url, cfg)
		}
	}
	cfg, _ := parseIMAPURL("imaps://user%40example.com:p%40ss%2Fw@host/INBOX")
	if cfg.user != "user@example.com" || cfg.pass != "p@ss/w" {
		t.Errorf("credentials not decoded: %q %q", cfg.user, cfg.pass)
	}
}

func testMessage(i int) []byte {
	return []byte(fmt.Sprintf("From: Person %d <person%d@example.com>\r\n"+
		"To: privacy@shop.example\r\n"+
		"Subject: Cancel Newsletter with New Products, Services and Special Offers\r\n"+
		"Date: Mon, 5 Feb 2024 10:00:0%d +0000\r\n"+
		"Message-ID: <imap-%d@example.com>\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"\r\n"+
		"Please unsubscribe me (%d).\r\n", i, i, i, i, i))
}

func TestMailboxAgainstDovecot(t *testing.T) {
	srv := testenv.Dovecot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	for i := 1; i <= 3; i++ {
		srv.Append(t, testMessage(i))
	}
	mb, err := DialMailbox(ctx, srv.URL())
	if err != nil {
		t.Fatalf("DialMailbox: %v\n%s", err, srv.Log())
	}
	defer mb.Close()
	if mb.Folder() != "INBOX" || mb.UIDValidity() == 0 || !mb.SupportsIdle() {
		t.Errorf("folder %q uidvalidity %d idle %v", mb.Folder(), mb.UIDValidity(), mb.SupportsIdle())
	}

	// Fetch with a limit returns the oldest first.
	two, err := mb.Fetch(ctx, 2)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(two) != 2 || two[0].UID >= two[1].UID {
		t.Fatalf("Fetch(2) = %d messages", len(two))
	}

	all, err := mb.Fetch(ctx, 0)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(all) != 3 {
		t.Fatalf("Fetch = %d messages, want 3", len(all))
	}
	for i, f := range all {
		if string(f.Raw) != string(testMessage(i+1)) {
			t.Errorf("message %d raw differs:\n%q", i+1, f.Raw)
		}
		if f.Received.IsZero() || time.Since(f.Received) > time.Hour {
			t.Errorf("message %d received %v", i+1, f.Received)
		}
		m, err := Parse(f.Raw)
		if err != nil || m.MessageID != fmt.Sprintf("imap-%d@example.com", i+1) || Classify(m.Subject).Kind != optout {
			t.Errorf("message %d parsed as %+v, %v", i+1, m, err)
		}
	}
	// Fetch does not mark messages seen, and fetching again gives the same.
	again, err := mb.Fetch(ctx, 10)
	if err != nil || len(again) != 3 || again[2].UID != all[2].UID {
		t.Fatalf("second Fetch = %d, %v", len(again), err)
	}

	// Move into a folder that does not exist yet.
	if n := srv.Count(t, "Processed"); n != 0 {
		t.Fatalf("Processed has %d before", n)
	}
	for _, f := range all {
		if err := mb.Move(ctx, f.UID, "Processed"); err != nil {
			t.Fatalf("Move: %v", err)
		}
	}
	if err := mb.Move(ctx, all[0].UID, "Processed"); err != nil {
		t.Errorf("moving a message that is gone: %v", err)
	}
	if err := mb.Move(ctx, all[0].UID, "INBOX"); err == nil {
		t.Error("move into the source folder accepted")
	}
	if n := srv.Count(t, "INBOX"); n != 0 {
		t.Errorf("INBOX has %d after moves", n)
	}
	if n := srv.Count(t, "Processed"); n != 3 {
		t.Errorf("Processed has %d, want 3", n)
	}
	if left, err := mb.Fetch(ctx, 0); err != nil || len(left) != 0 {
		t.Errorf("Fetch after moves = %d, %v", len(left), err)
	}

	// Wait without mail returns after maxWait.
	start := time.Now()
	if err := mb.Wait(ctx, 700*time.Millisecond); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if d := time.Since(start); d < 600*time.Millisecond || d > 20*time.Second {
		t.Errorf("Wait without mail took %v", d)
	}

	// Wait returns promptly when a message arrives during IDLE.
	appended := make(chan error, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		appended <- appendRaw(srv, testMessage(4))
	}()
	start = time.Now()
	if err := mb.Wait(ctx, time.Minute); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if err := <-appended; err != nil {
		t.Fatalf("append: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Wait took %v after new mail", d)
	}
	got, err := mb.Fetch(ctx, 0)
	if err != nil || len(got) != 1 || !strings.Contains(string(got[0].Raw), "imap-4@example.com") {
		t.Fatalf("Fetch after Wait = %d, %v", len(got), err)
	}
	if err := mb.Move(ctx, got[0].UID, "Processed"); err != nil {
		t.Fatalf("Move into existing folder: %v", err)
	}

	// A cancelled Wait ends IDLE cleanly: the mailbox still works.
	wctx, wcancel := context.WithCancel(ctx)
	go func() { time.Sleep(300 * time.Millisecond); wcancel() }()
	if err := mb.Wait(wctx, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Wait = %v", err)
	}
	if _, err := mb.Fetch(ctx, 0); err != nil {
		t.Fatalf("Fetch after cancelled Wait: %v", err)
	}

	if err := mb.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := mb.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := mb.Fetch(ctx, 0); err == nil {
		t.Error("Fetch after Close succeeded")
	}
}

func TestDialMailboxErrors(t *testing.T) {
	srv := testenv.Dovecot(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	u, _ := url.Parse(srv.URL())
	u.User = url.UserPassword(srv.User, "wrong-secret-value")
	_, err := DialMailbox(ctx, u.String())
	if err == nil || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("bad password: %v", err)
	}

	u.User = url.UserPassword(srv.User, srv.Password)
	u.Path = "/No/Such/Folder"
	if _, err := DialMailbox(ctx, u.String()); err == nil {
		t.Error("missing folder accepted")
	}

	if _, err := DialMailbox(ctx, "imap://u:p@127.0.0.1:1/INBOX"); err == nil {
		t.Error("closed port accepted")
	}
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := DialMailbox(cctx, srv.URL()); err == nil {
		t.Error("cancelled context accepted")
	}
}

// appendRaw appends from any goroutine (testenv's Append needs the test's).
func appendRaw(srv *testenv.DovecotServer, raw []byte) error {
	c, err := imapclient.DialInsecure(srv.Addr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(srv.User, srv.Password).Wait(); err != nil {
		return err
	}
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err = cmd.Wait()
	return err
}

func TestMailboxIdentity(t *testing.T) {
	same := []string{
		"imap://requests:secret@mail.example.com/INBOX",
		"imap://requests:rotated@MAIL.Example.COM:143/inbox",
		"imap://requests:secret@mail.example.com:143?tls=starttls",
		"imap://requests:secret@mail.example.com./Inbox?tls=none",
	}
	want, err := MailboxIdentity(same[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range same[1:] {
		got, err := MailboxIdentity(u)
		if err != nil || got != want {
			t.Errorf("MailboxIdentity(%q) = %q, %v; want the identity of %q", u, got, err, same[0])
		}
	}
	other := []string{
		"imap://other:secret@mail.example.com/INBOX",
		"imap://requests:secret@mail2.example.com/INBOX",
		"imap://requests:secret@mail.example.com:1143/INBOX",
		"imaps://requests:secret@mail.example.com/INBOX", // port 993
		"imap://requests:secret@mail.example.com/Requests",
	}
	seen := map[string]string{want: same[0]}
	for _, u := range other {
		got, err := MailboxIdentity(u)
		if err != nil {
			t.Fatalf("MailboxIdentity(%q): %v", u, err)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("%q and %q have one identity", u, prev)
		}
		seen[got] = u
		if strings.Contains(got, "secret") {
			t.Errorf("identity of %q holds the password", u)
		}
	}
	if _, err := MailboxIdentity("pop3://u:p@host/"); err == nil {
		t.Error("an invalid URL has an identity")
	}
}

// TestMailboxPollsWithoutIdle: on a server without IDLE each Fetch sees the
// mail that arrived before it, not one poll later.
func TestMailboxPollsWithoutIdle(t *testing.T) {
	srv := testenv.Dovecot(t, testenv.DovecotWithoutIdle)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mb, err := DialMailbox(ctx, srv.URL())
	if err != nil {
		t.Fatalf("DialMailbox: %v\n%s", err, srv.Log())
	}
	defer mb.Close()
	if mb.SupportsIdle() {
		t.Fatal("the server announces IDLE")
	}
	for i := 1; i <= 2; i++ {
		if got, err := mb.Fetch(ctx, 0); err != nil || len(got) != i-1 {
			t.Fatalf("before message %d: Fetch = %d, %v", i, len(got), err)
		}
		if err := appendRaw(srv, testMessage(i)); err != nil {
			t.Fatal(err)
		}
		got, err := mb.Fetch(ctx, 0)
		if err != nil || len(got) != i {
			t.Fatalf("the Fetch after message %d arrived returned %d messages, %v", i, len(got), err)
		}
	}
}

// TestMailboxMoveExpunged: moving a message that another connection has
// already moved away (NO [EXPUNGEISSUED]) is done, not an error, and the
// connection goes on working.
func TestMailboxMoveExpunged(t *testing.T) {
	srv := testenv.Dovecot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv.Append(t, testMessage(1))
	srv.Append(t, testMessage(2))
	mb, err := DialMailbox(ctx, srv.URL())
	if err != nil {
		t.Fatalf("DialMailbox: %v\n%s", err, srv.Log())
	}
	defer mb.Close()
	got, err := mb.Fetch(ctx, 0)
	if err != nil || len(got) != 2 {
		t.Fatalf("Fetch = %d, %v", len(got), err)
	}

	// Another reader (a mail client, a second process) moves the first one.
	other := srv.Client(t)
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := other.Create("Elsewhere", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Move(imap.UIDSetNum(imap.UID(got[0].UID)), "Elsewhere").Wait(); err != nil {
		t.Fatal(err)
	}

	if err := mb.Move(ctx, got[0].UID, "Processed"); err != nil {
		t.Fatalf("moving a message expunged by another connection: %v", err)
	}
	if err := mb.Move(ctx, got[1].UID, "Processed"); err != nil {
		t.Fatalf("the next move on the same connection: %v", err)
	}
	if left, err := mb.Fetch(ctx, 0); err != nil || len(left) != 0 {
		t.Fatalf("Fetch after the moves = %d, %v", len(left), err)
	}
	if n, e := srv.Count(t, "Processed"), srv.Count(t, "Elsewhere"); n != 1 || e != 1 {
		t.Errorf("Processed %d, Elsewhere %d; want 1 and 1", n, e)
	}
}
