package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    SMTPEndpoint
		wantErr string
	}{
		{raw: "smtp://mail.example.com", want: SMTPEndpoint{Host: "mail.example.com", Port: 587, TLS: TLSStartTLS}},
		{raw: "smtp://u%40x:p%3Ass@mail.example.com:587", want: SMTPEndpoint{Host: "mail.example.com", Port: 587, Username: "u@x", Password: "p:ss", TLS: TLSStartTLS}},
		{raw: "smtp://mail.example.com:465", want: SMTPEndpoint{Host: "mail.example.com", Port: 465, TLS: TLSImplicit}},
		{raw: "smtps://mail.example.com", want: SMTPEndpoint{Host: "mail.example.com", Port: 465, TLS: TLSImplicit}},
		{raw: "smtps://mail.example.com:2465", want: SMTPEndpoint{Host: "mail.example.com", Port: 2465, TLS: TLSImplicit}},
		{raw: "smtp://relay:25", want: SMTPEndpoint{Host: "relay", Port: 25, TLS: TLSNone}},
		{raw: "smtp://mailpit:1025", want: SMTPEndpoint{Host: "mailpit", Port: 1025, TLS: TLSNone}},
		{raw: "smtp://mail.example.com:2525", want: SMTPEndpoint{Host: "mail.example.com", Port: 2525, TLS: TLSStartTLS}},
		{raw: "smtp://relay:25?tls=starttls", want: SMTPEndpoint{Host: "relay", Port: 25, TLS: TLSStartTLS}},
		{raw: "smtp://127.0.0.1:2525?tls=none", want: SMTPEndpoint{Host: "127.0.0.1", Port: 2525, TLS: TLSNone}},
		{raw: "smtp://mail.example.com?tls=tls", want: SMTPEndpoint{Host: "mail.example.com", Port: 465, TLS: TLSImplicit}},
		{raw: "smtp://mail.example.com?tls=none", want: SMTPEndpoint{Host: "mail.example.com", Port: 25, TLS: TLSNone}},
		{raw: "SMTP://[::1]:1025/", want: SMTPEndpoint{Host: "::1", Port: 1025, TLS: TLSNone}},
		{raw: "http://mail.example.com", wantErr: `unsupported scheme "http"`},
		{raw: "smtp://mail.example.com?tls=ssl", wantErr: "tls must be starttls, tls or none"},
		{raw: "smtps://mail.example.com?tls=starttls", wantErr: "smtps:// means tls=tls"},
		{raw: "smtp://mail.example.com:0", wantErr: "not a port number"},
		{raw: "smtp://mail.example.com:99999", wantErr: "not a port number"},
		{raw: "smtp://:25", wantErr: "no host"},
		{raw: "smtp://mail.example.com/path", wantErr: "must not have a path"},
		{raw: "smtp://mail.example.com?timeout=5", wantErr: `parameter "timeout"`},
		{raw: "mail.example.com:25", wantErr: "scheme"},
		{raw: "", wantErr: "empty"},
		{raw: "smtp://user:sec ret@host:25", wantErr: "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseSMTPURL(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "sec ret") {
					t.Errorf("error reveals the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	ep, _ := ParseSMTPURL("smtp://user:secret@host:587")
	if s := ep.String(); strings.Contains(s, "secret") {
		t.Errorf("String() reveals the password: %s", s)
	}
}

// testMessage returns a small message for address to.
func testMessage(i int, to string) *Message {
	return &Message{
		From:      "Example <news@example.com>",
		To:        to,
		Subject:   fmt.Sprintf("Message %d", i),
		HTML:      fmt.Sprintf("<p>Hello number %d</p>", i),
		MessageID: fmt.Sprintf("m%d.%d@example.com", i, time.Now().UnixNano()),
	}
}

// newTestSMTP returns a transport to url, closed at the end of the test.
func newTestSMTP(t testing.TB, cfg SMTPConfig) *SMTPTransport {
	t.Helper()
	tr, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

func TestSMTPResultClassification(t *testing.T) {
	for _, mode := range []string{"Sequential", "Pipelining", "PipeliningLenientData"} {
		t.Run(mode, func(t *testing.T) {
			srv := newFakeSMTP(t)
			srv.pipelining = mode != "Sequential"
			srv.lenientData = mode == "PipeliningLenientData"
			testSMTPResultClassification(t, srv)
		})
	}
}

func testSMTPResultClassification(t *testing.T, srv *fakeSMTP) {
	var greylisted sync.Once
	srv.rcpt = func(_ int, addr string) string {
		switch addr {
		case "<grey@example.org>":
			reply := "250 2.1.5 OK"
			greylisted.Do(func() { reply = "451 4.7.1 <grey@example.org>: Greylisted, try again later" })
			return reply
		case "<unknown@example.org>":
			return "550 5.1.1 <unknown@example.org>: Recipient address rejected: User unknown"
		case "<plain@example.org>":
			return "550 No such user here"
		case "<full@example.org>":
			return "552 5.2.2 Mailbox full"
		case "<busy@example.org>":
			return "450 Mailbox busy"
		}
		return "250 2.1.5 OK"
	}
	srv.eom = func(_ int, msg []byte) string {
		if bytes.Contains(msg, []byte("Subject: Message 7")) {
			return "554 5.7.1 Message rejected as spam"
		}
		return "250 2.0.0 queued"
	}
	tr := newTestSMTP(t, SMTPConfig{URL: srv.url(), Timeout: 5 * time.Second})

	addrs := []string{"grey@example.org", "ok@example.org", "unknown@example.org", "plain@example.org",
		"full@example.org", "busy@example.org", "not-an-address", "ok2@example.org", "ok3@example.org"}
	msgs := make([]*Message, len(addrs))
	for i, a := range addrs {
		msgs[i] = testMessage(i, a)
	}
	results := tr.Send(context.Background(), msgs)
	if len(results) != len(msgs) {
		t.Fatalf("%d results for %d messages", len(results), len(msgs))
	}
	want := []Result{
		{Temporary: true, Code: 451, EnhancedCode: "4.7.1"},
		{},
		{Permanent: true, NoSuchUser: true, Code: 550, EnhancedCode: "5.1.1"},
		{Permanent: true, NoSuchUser: true, Code: 550},
		{Permanent: true, Code: 552, EnhancedCode: "5.2.2"},
		{Temporary: true, Code: 450},
		{Permanent: true},
		{Permanent: true, Code: 554, EnhancedCode: "5.7.1"},
		{},
	}
	for i, r := range results {
		w := want[i]
		if (r.Err == nil) != (i == 1 || i == 8) {
			t.Errorf("%s: Err = %v", addrs[i], r.Err)
		}
		if r.Temporary != w.Temporary || r.Permanent != w.Permanent || r.NoSuchUser != w.NoSuchUser ||
			r.Code != w.Code || r.EnhancedCode != w.EnhancedCode {
			t.Errorf("%s: got %+v, want %+v", addrs[i], r, w)
		}
		if r.Err != nil && strings.Contains(r.Err.Error(), "@example.org") {
			t.Errorf("%s: error %q contains the address", addrs[i], r.Err)
		}
	}
	var se *SMTPError
	if !errors.As(results[2].Err, &se) || se.Command != "RCPT" || !strings.Contains(se.Message, "User unknown") {
		t.Errorf("results[2].Err = %#v", results[2].Err)
	}
	if !errors.As(results[7].Err, &se) || se.Command != "EOM" {
		t.Errorf("results[7].Err = %#v", results[7].Err)
	}
	if !errors.Is(results[6].Err, ErrInvalidMessage) {
		t.Errorf("results[6].Err = %v, want ErrInvalidMessage", results[6].Err)
	}
	conns, stored := srv.stats()
	if conns != 1 || stored != 2 {
		t.Errorf("conns = %d, stored = %d; want 1 connection, 2 messages", conns, stored)
	}

	// The caller retries the greylisted message later: it goes through, on
	// the same connection.
	res := tr.Send(context.Background(), []*Message{msgs[0]})
	if !res[0].OK() {
		t.Fatalf("retry: %+v", res[0])
	}
	if conns, stored := srv.stats(); conns != 1 || stored != 3 {
		t.Errorf("after retry: conns = %d, stored = %d; want 1, 3", conns, stored)
	}
	srv.mu.Lock()
	env := srv.envelope[2]
	srv.mu.Unlock()
	if env != "<news@example.com> -> <grey@example.org>" {
		t.Errorf("envelope = %q", env)
	}
}

func TestSMTPReturnPath(t *testing.T) {
	srv := newFakeSMTP(t)
	tr := newTestSMTP(t, SMTPConfig{URL: srv.url()})
	m := testMessage(1, "a@example.org")
	m.ReturnPath = "bounces+d1@example.com"
	if r := tr.Send(context.Background(), []*Message{m}); !r[0].OK() {
		t.Fatal(r[0].Err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.envelope[0] != "<bounces+d1@example.com> -> <a@example.org>" {
		t.Errorf("envelope = %q", srv.envelope[0])
	}
}

func TestSMTPRedialsDroppedIdleConnection(t *testing.T) {
	srv := newFakeSMTP(t)
	tr := newTestSMTP(t, SMTPConfig{URL: srv.url(), MaxConns: 1})
	ctx := context.Background()
	if r := tr.Send(ctx, []*Message{testMessage(1, "a@example.org")}); !r[0].OK() {
		t.Fatal(r[0].Err)
	}
	srv.dropAll() // the server times the idle connection out
	time.Sleep(50 * time.Millisecond)
	r := tr.Send(ctx, []*Message{testMessage(2, "b@example.org"), testMessage(3, "c@example.org")})
	for i, res := range r {
		if !res.OK() {
			t.Errorf("message %d after the server dropped the connection: %+v", i, res)
		}
	}
	if conns, stored := srv.stats(); conns != 2 || stored != 3 {
		t.Errorf("conns = %d, stored = %d; want 2, 3", conns, stored)
	}
}

func TestSMTPRedialsAfter421(t *testing.T) {
	srv := newFakeSMTP(t)
	srv.eom = func(n int, _ []byte) string {
		if n == 0 {
			return "421 4.3.2 Service shutting down"
		}
		return "250 2.0.0 queued"
	}
	tr := newTestSMTP(t, SMTPConfig{URL: srv.url()})
	r := tr.Send(context.Background(), []*Message{testMessage(1, "a@example.org"), testMessage(2, "b@example.org")})
	if !r[0].Temporary || r[0].Code != 421 {
		t.Errorf("first = %+v, want temporary 421", r[0])
	}
	if !r[1].OK() {
		t.Errorf("second = %+v, want sent on a new connection", r[1])
	}
	if conns, stored := srv.stats(); conns != 2 || stored != 1 {
		t.Errorf("conns = %d, stored = %d; want 2, 1", conns, stored)
	}
}

func TestSMTPConcurrentSends(t *testing.T) {
	srv := newFakeSMTP(t)
	tr := newTestSMTP(t, SMTPConfig{URL: srv.url(), MaxConns: 3})
	const workers, perBatch = 8, 25
	var wg sync.WaitGroup
	failures := make(chan string, workers*perBatch)
	for w := range workers {
		wg.Go(func() {
			msgs := make([]*Message, perBatch)
			for i := range msgs {
				msgs[i] = testMessage(w*1000+i, fmt.Sprintf("r%d.%d@example.org", w, i))
			}
			for i, r := range tr.Send(context.Background(), msgs) {
				if !r.OK() {
					failures <- fmt.Sprintf("worker %d message %d: %v", w, i, r.Err)
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	conns, stored := srv.stats()
	if stored != workers*perBatch {
		t.Errorf("stored %d messages, want %d", stored, workers*perBatch)
	}
	if conns > 3 {
		t.Errorf("%d connections, want at most MaxConns=3", conns)
	}
	seen := map[string]bool{}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, raw := range srv.received {
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		id := m.Header.Get("Message-Id")
		if seen[id] {
			t.Errorf("%s delivered twice", id)
		}
		seen[id] = true
	}
}

func TestSMTPRateLimit(t *testing.T) {
	srv := newFakeSMTP(t)
	tr := newTestSMTP(t, SMTPConfig{URL: srv.url(), RatePerSecond: 100}) // burst 10
	msgs := make([]*Message, 30)
	for i := range msgs {
		msgs[i] = testMessage(i, "a@example.org")
	}
	start := time.Now()
	for _, r := range tr.Send(context.Background(), msgs) {
		if !r.OK() {
			t.Fatal(r.Err)
		}
	}
	// 30 messages with a burst of 10 at 100/s cannot take less than 200ms.
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("30 messages at 100/s took %v", d)
	}
}

func TestSMTPContextCancelled(t *testing.T) {
	srv := newFakeSMTP(t)
	tr := newTestSMTP(t, SMTPConfig{URL: srv.url()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, r := range tr.Send(ctx, []*Message{testMessage(1, "a@example.org"), testMessage(2, "b@example.org")}) {
		if !r.Temporary || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("result = %+v, want temporary context.Canceled", r)
		}
	}
	if _, stored := srv.stats(); stored != 0 {
		t.Errorf("%d messages sent with a cancelled context", stored)
	}
}

func TestSMTPUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	tr := newTestSMTP(t, SMTPConfig{URL: "smtp://" + addr + "?tls=none", Timeout: 2 * time.Second})
	for _, r := range tr.Send(context.Background(), []*Message{testMessage(1, "a@example.org"), testMessage(2, "b@example.org")}) {
		if !r.Temporary || r.Err == nil || r.Permanent {
			t.Errorf("result = %+v, want temporary", r)
		}
	}
}

func TestSMTPStartTLSRequired(t *testing.T) {
	srv := newFakeSMTP(t) // offers no STARTTLS
	tr := newTestSMTP(t, SMTPConfig{URL: "smtp://" + srv.ln.Addr().String() + "?tls=starttls"})
	r := tr.Send(context.Background(), []*Message{testMessage(1, "a@example.org")})
	if r[0].OK() || !r[0].Temporary {
		t.Errorf("result = %+v, want a temporary failure without STARTTLS", r[0])
	}
	if _, stored := srv.stats(); stored != 0 {
		t.Error("message sent in clear text although starttls was required")
	}
}

func TestSMTPClosed(t *testing.T) {
	srv := newFakeSMTP(t)
	tr := newTestSMTP(t, SMTPConfig{URL: srv.url()})
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	r := tr.Send(context.Background(), []*Message{testMessage(1, "a@example.org")})
	if r[0].OK() {
		t.Error("sent on a closed transport")
	}
}

func TestSMTPSendsSignedBytes(t *testing.T) {
	for _, pipelining := range []bool{false, true} {
		t.Run(fmt.Sprint("pipelining=", pipelining), func(t *testing.T) {
			srv := newFakeSMTP(t)
			srv.pipelining = pipelining
			testSMTPSendsSignedBytes(t, srv)
		})
	}
}

func testSMTPSendsSignedBytes(t *testing.T, srv *fakeSMTP) {
	signer, err := NewDKIMSigner("example.com", "s1", ed25519PEM(t))
	if err != nil {
		t.Fatal(err)
	}
	tr := newTestSMTP(t, SMTPConfig{URL: srv.url(), DKIM: signer})
	m := testMessage(1, "a@example.org")
	m.ListUnsubscribeURL = "https://example.com/u/tok"
	m.HTML = "<p>.leading dot line</p>\n.\n..\n<p>end</p>" // dot-stuffing must not alter the body
	m.Text = ".\n.. two dots\n.\r\n"
	if r := tr.Send(context.Background(), []*Message{m}); !r[0].OK() {
		t.Fatal(r[0].Err)
	}
	srv.mu.Lock()
	raw := srv.received[0]
	srv.mu.Unlock()
	if v := verifyDKIM(t, raw, signer); v.Err != nil {
		t.Fatalf("received message does not verify: %v", v.Err)
	}
	p := parse(t, raw)
	if p.parts["text/html"] != strings.ReplaceAll(m.HTML, "\n", "\r\n") {
		t.Errorf("HTML = %q, want %q", p.parts["text/html"], m.HTML)
	}
	if got := p.parts["text/plain"]; got != ".\r\n.. two dots\r\n.\r\n" {
		t.Errorf("text = %q", got)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Result
	}{
		{"Nil", nil, Result{}},
		{"Invalid", fmt.Errorf("x: %w", ErrInvalidMessage), Result{Permanent: true}},
		{"Network", errors.New("connection reset"), Result{Temporary: true}},
		{"Context", context.DeadlineExceeded, Result{Temporary: true}},
		{"5.1.2", newSMTPError("RCPT", 550, "5.1.2 Bad destination system"), Result{Permanent: true, NoSuchUser: true, Code: 550, EnhancedCode: "5.1.2"}},
		{"5.7.1", newSMTPError("RCPT", 550, "5.7.1 Relaying denied"), Result{Permanent: true, Code: 550, EnhancedCode: "5.7.1"}},
		{"UserUnknownNoESC", newSMTPError("RCPT", 550, "User unknown in local recipient table"), Result{Permanent: true, NoSuchUser: true, Code: 550}},
		{"PolicyNoESC", newSMTPError("RCPT", 550, "Rejected by policy"), Result{Permanent: true, Code: 550}},
		{"4xxUserUnknown", newSMTPError("RCPT", 450, "4.1.1 User unknown (try later)"), Result{Temporary: true, Code: 450, EnhancedCode: "4.1.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.err)
			got.Err = nil
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	e := newSMTPError("RCPT", 550, "5.1.1 <bob@example.org>: Recipient address rejected:\nsecond line bob@example.org")
	if strings.Contains(e.Error(), "bob@") || e.Error() != "smtp RCPT: 550 5.1.1 [address] Recipient address rejected:" {
		t.Errorf("Error() = %q", e.Error())
	}
}
