package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MailpitServer is a Mailpit process started for one test: an SMTP server
// that keeps every message, and an HTTP API to read them back.
type MailpitServer struct {
	smtpAddr string
	apiURL   string
	http     *http.Client
}

// MailpitMessage is the summary Mailpit lists for one message.
type MailpitMessage struct {
	ID        string
	MessageID string
	From      string // address only
	FromName  string
	To        []string // addresses only
	Subject   string
	Username  string // the SMTP AUTH user that sent it, if any
}

// Mailpit starts Mailpit on free loopback ports and stops it when the test
// ends. Extra command-line flags (such as "--smtp-auth-accept-any") are
// passed on. The binary is looked up on PATH, then in $GOPATH/bin (install it
// with `go install github.com/axllent/mailpit@v1.33.1`). When it is missing
// the test is skipped, unless the environment variable CI is set: then it
// fails, so that CI never skips silently.
func Mailpit(t testing.TB, extraArgs ...string) *MailpitServer {
	t.Helper()
	bin := mailpitBinary()
	if bin == "" {
		skipOrFail(t, "mailpit not found on PATH or in $GOPATH/bin; install it with: go install github.com/axllent/mailpit@v1.33.1")
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := startMailpit(t, bin, extraArgs)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("start mailpit: %v", lastErr)
	return nil
}

// startMailpit runs one Mailpit process; a port taken between choosing and
// binding makes it fail, and the caller tries again.
func startMailpit(t testing.TB, bin string, extraArgs []string) (*MailpitServer, error) {
	smtpPort, err := mailpitFreePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := mailpitFreePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	s := &MailpitServer{
		smtpAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort)),
		apiURL:   "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		http:     &http.Client{Timeout: 10 * time.Second},
	}
	args := append([]string{
		"--smtp", s.smtpAddr,
		"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--max", "0",
		"--smtp-disable-rdns",
		"--disable-version-check",
		"--quiet",
	}, extraArgs...)
	cmd := exec.Command(bin, args...)
	logFile, err := os.Create(filepath.Join(dir, "mailpit.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		if s.ready() {
			break
		}
		select {
		case <-exited:
			out, _ := os.ReadFile(logFile.Name())
			return nil, fmt.Errorf("mailpit exited: %s", strings.TrimSpace(string(out)))
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, errors.New("mailpit did not become ready within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(stop)
	return s, nil
}

// ready reports whether both the API and the SMTP port answer.
func (s *MailpitServer) ready() bool {
	resp, err := s.http.Get(s.apiURL + "/readyz")
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", s.smtpAddr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// SMTPURL returns the URL to send to this server: smtp://127.0.0.1:PORT?tls=none.
func (s *MailpitServer) SMTPURL() string {
	return "smtp://" + s.smtpAddr + "?tls=none"
}

// SMTPAddr returns the SMTP server's host:port.
func (s *MailpitServer) SMTPAddr() string { return s.smtpAddr }

// APIURL returns the base URL of Mailpit's HTTP API and web UI.
func (s *MailpitServer) APIURL() string { return s.apiURL }

// mailpitAddress is net/mail.Address as Mailpit's JSON writes it.
type mailpitAddress struct {
	Name    string
	Address string
}

// Messages returns the summaries of all stored messages, newest first.
func (s *MailpitServer) Messages(ctx context.Context) ([]MailpitMessage, error) {
	const page = 500
	var out []MailpitMessage
	for start := 0; ; start += page {
		var body struct {
			Total    int `json:"total"`
			Messages []struct {
				ID        string
				MessageID string
				From      *mailpitAddress
				To        []mailpitAddress
				Subject   string
				Username  string
			} `json:"messages"`
		}
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(page)}}
		if err := s.getJSON(ctx, "/api/v1/messages?"+q.Encode(), &body); err != nil {
			return nil, err
		}
		for _, m := range body.Messages {
			mm := MailpitMessage{ID: m.ID, MessageID: m.MessageID, Subject: m.Subject, Username: m.Username}
			if m.From != nil {
				mm.From, mm.FromName = m.From.Address, m.From.Name
			}
			for _, a := range m.To {
				mm.To = append(mm.To, a.Address)
			}
			out = append(out, mm)
		}
		if len(body.Messages) < page || start+page >= body.Total {
			return out, nil
		}
	}
}

// Count returns the number of stored messages.
func (s *MailpitServer) Count(ctx context.Context) (int, error) {
	var body struct {
		Total int `json:"total"`
	}
	if err := s.getJSON(ctx, "/api/v1/messages?limit=1", &body); err != nil {
		return 0, err
	}
	return body.Total, nil
}

// Raw returns the message with Mailpit's id exactly as it was received.
func (s *MailpitServer) Raw(ctx context.Context, id string) ([]byte, error) {
	resp, err := s.do(ctx, http.MethodGet, "/api/v1/message/"+url.PathEscape(id)+"/raw")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// MailpitParts are the HTML and text parts of a stored message.
type MailpitParts struct {
	HTML, Text string
}

// Parts returns the HTML and text parts of the message with Mailpit's id.
func (s *MailpitServer) Parts(ctx context.Context, id string) (MailpitParts, error) {
	var p MailpitParts
	err := s.getJSON(ctx, "/api/v1/message/"+url.PathEscape(id), &p)
	return p, err
}

// MailpitHTMLCheck is Mailpit's HTML compatibility check of a message
// (caniemail's data): the share of mail clients that support what the
// HTML uses, and the features that lower it.
type MailpitHTMLCheck struct {
	Total struct {
		Supported, Partial, Unsupported float64
		Nodes                           int
	}
	Warnings []struct {
		Slug  string
		Title string
		Score struct {
			Found                           int
			Supported, Partial, Unsupported float64
		}
	}
}

// HTMLCheck runs Mailpit's HTML compatibility check on a stored message.
func (s *MailpitServer) HTMLCheck(ctx context.Context, id string) (MailpitHTMLCheck, error) {
	var c MailpitHTMLCheck
	err := s.getJSON(ctx, "/api/v1/message/"+url.PathEscape(id)+"/html-check", &c)
	return c, err
}

// DeleteAll deletes every stored message.
func (s *MailpitServer) DeleteAll(ctx context.Context) error {
	resp, err := s.do(ctx, http.MethodDelete, "/api/v1/messages")
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// WaitForCount polls until at least n messages are stored and returns them;
// it fails the test when they have not all arrived within timeout, or when
// more than n arrived.
func (s *MailpitServer) WaitForCount(t testing.TB, n int, timeout time.Duration) []MailpitMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got := 0
	for {
		c, err := s.Count(ctx)
		if err == nil {
			got = c
			if c >= n {
				break
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("mailpit: %d messages after %v, want %d (last error: %v)", got, timeout, n, err)
		case <-time.After(25 * time.Millisecond):
		}
	}
	msgs, err := s.Messages(context.Background())
	if err != nil {
		t.Fatalf("mailpit: list messages: %v", err)
	}
	if len(msgs) != n {
		t.Fatalf("mailpit: %d messages, want exactly %d", len(msgs), n)
	}
	return msgs
}

// getJSON GETs an API path and decodes the JSON answer into v.
func (s *MailpitServer) getJSON(ctx context.Context, path string, v any) error {
	resp, err := s.do(ctx, http.MethodGet, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("mailpit %s: decode: %w", path, err)
	}
	return nil
}

// do sends an API request and fails on a non-2xx status.
func (s *MailpitServer) do(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.apiURL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mailpit %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_ = resp.Body.Close()
		return nil, fmt.Errorf("mailpit %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	return resp, nil
}

// mailpitBinary finds the mailpit executable, or returns "".
func mailpitBinary() string {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, p := range filepath.SplitList(gopath) {
		dirs = append(dirs, filepath.Join(p, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "mailpit")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// mailpitFreePort asks the kernel for a free TCP port on the loopback interface.
func mailpitFreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
