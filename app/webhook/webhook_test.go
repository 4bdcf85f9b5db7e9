package webhook_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/webhook"
	"newsletter/internal/standardhooks"
)

// trusting lets a sender trust the test server's certificate.
func trusting(srv *httptest.Server) func(*http.Transport) {
	return func(t *http.Transport) {
		t.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	}
}

func message(t *testing.T, url string, secrets ...string) *app.WebhookMessage {
	t.Helper()
	body, err := app.Event{Type: app.EventConsentWithdrawn, At: time.Now(),
		Data: app.EventData{SubscriberID: 7, Purpose: app.PurposeMarketing, Channel: app.ChannelOneClick}}.Body()
	if err != nil {
		t.Fatal(err)
	}
	return &app.WebhookMessage{DeliveryID: 1, MessageID: "evt_42", URL: url, Secrets: secrets, Body: body}
}

func newSecret(t *testing.T) string {
	t.Helper()
	s, err := app.NewWebhookSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSendSigned posts to a real TLS server, which checks the signature as
// the Standard Webhooks specification says, with each of the secrets
// during a rotation.
func TestSendSigned(t *testing.T) {
	current, previous := newSecret(t), newSecret(t)
	var mu sync.Mutex
	var got []http.Header
	var bodies [][]byte
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r.Header.Clone()), append(bodies, b)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s := webhook.NewSender(webhook.Options{AllowPrivate: true, Transport: trusting(srv)})

	for _, tc := range []struct {
		name    string
		secrets []string
	}{{"OneSecret", []string{current}}, {"Rotating", []string{current, previous}}} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got, bodies = nil, nil
			mu.Unlock()
			m := message(t, srv.URL+"/hooks", tc.secrets...)
			a := s.Send(context.Background(), m, time.Now())
			if !a.Delivered || a.Code != http.StatusNoContent || a.Error != "" {
				t.Fatalf("attempt %+v", a)
			}
			if len(got) != 1 {
				t.Fatalf("%d requests", len(got))
			}
			h, body := got[0], bodies[0]
			if h.Get("webhook-id") != "evt_42" || h.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", h)
			}
			if string(body) != string(m.Body) {
				t.Errorf("body %s", body)
			}
			for _, secret := range tc.secrets {
				if err := standardhooks.Verify(secret, h, body, time.Now()); err != nil {
					t.Errorf("verify with %s: %v", secret[:10], err)
				}
			}
			if n := len(strings.Fields(h.Get("webhook-signature"))); n != len(tc.secrets) {
				t.Errorf("%d signatures for %d secrets", n, len(tc.secrets))
			}
			if err := standardhooks.Verify(newSecret(t), h, body, time.Now()); err == nil {
				t.Error("another secret verifies")
			}
			h.Set("webhook-id", "evt_43")
			if err := standardhooks.Verify(current, h, body, time.Now()); err == nil {
				t.Error("another id verifies")
			}
		})
	}
}

// TestSendRefusesPrivateAddresses: without WEBHOOK_ALLOW_PRIVATE no
// connection reaches loopback addresses, named directly or through a host
// name; the check is made when dialling, after the name is resolved. A
// real server listens on loopback, and is never reached. (Other networks'
// addresses are checked by TestDialControl without dialling them.)
func TestSendRefusesPrivateAddresses(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	_, port, _ := net.SplitHostPort(u.Host)
	s := webhook.NewSender(webhook.Options{Transport: trusting(srv)})
	for _, target := range []string{
		"https://127.0.0.1:" + port,
		"https://localhost:" + port, // a name that resolves to loopback
		"https://[::1]:" + port,
		"https://[::ffff:127.0.0.1]:" + port,
		"https://0.0.0.0:" + port,
	} {
		t.Run(target, func(t *testing.T) {
			a := s.Send(context.Background(), message(t, target+"/hooks", newSecret(t)), time.Now())
			if a.Delivered || a.Code != 0 || !strings.Contains(a.Error, "not allowed") {
				t.Errorf("attempt %+v", a)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests", n)
	}
	// With private addresses allowed, the same server is reached.
	allowed := webhook.NewSender(webhook.Options{AllowPrivate: true, Transport: trusting(srv)})
	if a := allowed.Send(context.Background(), message(t, "https://127.0.0.1:"+port+"/hooks", newSecret(t)), time.Now()); !a.Delivered {
		t.Errorf("allowed: %+v", a)
	}
}

// TestSendCapsTheAnswer: an endless answer is read no further than the
// cap, and the attempt ends with the status it gave.
func TestSendCapsTheAnswer(t *testing.T) {
	const limit = 64 << 10
	written := make(chan int64, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		var n int64
		w.WriteHeader(http.StatusOK)
		for n < 1<<30 { // stops by itself, at 1 GiB, if never cut off
			k, err := w.Write(chunk)
			n += int64(k)
			if err != nil {
				break
			}
			w.(http.Flusher).Flush()
		}
		written <- n
	}))
	defer srv.Close()
	s := webhook.NewSender(webhook.Options{AllowPrivate: true, Transport: trusting(srv), MaxResponse: limit, Timeout: 2 * time.Minute})
	a := s.Send(context.Background(), message(t, srv.URL, newSecret(t)), time.Now())
	if !a.Delivered || a.Code != http.StatusOK || len(a.Excerpt) != webhook.ExcerptLen {
		t.Fatalf("attempt code %d delivered %v excerpt %d error %q", a.Code, a.Delivered, len(a.Excerpt), a.Error)
	}
	if n := <-written; n >= 1<<30 {
		t.Errorf("the server wrote the whole %d bytes: the answer was not cut off", n)
	}
}

// TestSendFailures: an answer outside 2xx, a redirect and a server that
// does not answer in time are failures, each said in a few words.
func TestSendFailures(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":"database down"}`)
		case "/redirect":
			http.Redirect(w, r, "https://169.254.169.254/latest/meta-data", http.StatusFound)
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	defer close(release)
	s := webhook.NewSender(webhook.Options{AllowPrivate: true, Transport: trusting(srv), Timeout: 300 * time.Millisecond})
	for _, tc := range []struct {
		path, err, excerpt string
		code               int
	}{
		{"/500", "answered 500", `{"error":"database down"}`, 500},
		{"/redirect", "answered 302", "", 302},
		{"/slow", "no answer in time", "", 0},
	} {
		t.Run(tc.path, func(t *testing.T) {
			a := s.Send(context.Background(), message(t, srv.URL+tc.path, newSecret(t)), time.Now())
			if a.Delivered || a.Code != tc.code || a.Error != tc.err || !strings.HasPrefix(a.Excerpt, tc.excerpt) {
				t.Errorf("attempt %+v", a)
			}
		})
	}
}

// TestDialControl: the check made at each connection, after the name is
// resolved, for every kind of address (called directly: a test never
// sends a packet to another network).
func TestDialControl(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		refused bool
	}{
		{"127.0.0.1:443", true},
		{"127.8.9.10:443", true},
		{"[::1]:443", true},
		{"[::ffff:127.0.0.1]:443", true},
		{"10.0.0.1:443", true},
		{"10.255.255.255:80", true},
		{"172.16.0.1:443", true},
		{"172.31.255.1:443", true},
		{"192.168.1.1:443", true},
		{"169.254.169.254:80", true},
		{"100.64.0.1:443", true},
		{"0.0.0.0:443", true},
		{"[::]:443", true},
		{"[fe80::1]:443", true},
		{"[fd00::1]:443", true},
		{"[ff02::1]:443", true},
		{"224.0.0.1:443", true},
		{"[::ffff:10.0.0.1]:443", true},
		{"93.184.215.14:443", false},
		{"172.32.0.1:443", false},
		{"[2606:4700::1111]:443", false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			err := webhook.DialControl(false)("tcp", tc.addr, nil)
			if (err != nil) != tc.refused {
				t.Errorf("refused %v, want %v (%v)", err != nil, tc.refused, err)
			}
			if err := webhook.DialControl(true)("tcp", tc.addr, nil); err != nil {
				t.Errorf("allowed: %v", err)
			}
		})
	}
}
