package main_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/internal/standardhooks"
	"newsletter/internal/testenv"
)

// hookReceiver is an HTTPS endpoint with a certificate of a private
// authority (trusted by the product through SSL_CERT_FILE) that checks
// each request's signature from the Standard Webhooks specification.
type hookReceiver struct {
	url    string
	mu     sync.Mutex
	secret string
	got    map[string]int // verified requests per webhook-id
	types  []string
	bad    int
}

func startHookReceiver(t *testing.T, files testenv.TLSFiles) *hookReceiver {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	r := &hookReceiver{url: "https://" + ln.Addr().String() + "/hooks", got: map[string]int{}}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := standardhooks.Verify(r.secret, req.Header, body, time.Now()); err != nil {
			r.bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		r.got[req.Header.Get("webhook-id")]++
		if i := strings.Index(string(body), `"type":"`); i >= 0 {
			r.types = append(r.types, strings.SplitN(string(body)[i+8:], `"`, 2)[0])
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"received":true}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *hookReceiver) count() (total, bad int, got map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got = map[string]int{}
	for k, v := range r.got {
		got[k] = v
		total += v
	}
	return total, r.bad, got
}

// TestWebhooksConsoleEndToEnd: an owner registers an endpoint in the
// console of the real binary, a subscription is confirmed, the endpoint
// receives the signed events over HTTPS, the console shows the deliveries
// with their answers, and one is sent again from there; in English and
// Russian.
func TestWebhooksConsoleEndToEnd(t *testing.T) {
	ctx := browser(t)
	dir := t.TempDir()
	files := testenv.NewTLSFiles(t, t.TempDir())
	rcv := startHookReceiver(t, files)
	p := start(t, map[string]string{
		"NEWSLETTER_DATA_DIR":   dir,
		"ADMIN_EMAIL":           "owner@example.com",
		"ADMIN_PASSWORD":        "owner-password-123",
		"WEBHOOK_ALLOW_PRIVATE": "true", // the receiver is on loopback
		"SSL_CERT_FILE":         files.CA,
	})

	run(t, ctx, 30*time.Second, "sign in",
		chromedp.Navigate(p.base+"/admin"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "owner-password-123"),
		chromedp.Click(chromedp.CSS("#login-button")),
		chromedp.WaitVisible(chromedp.CSS("#subscriber-counts")),
	)
	// A refused form keeps what was typed and says why.
	run(t, ctx, 30*time.Second, "refused endpoint",
		chromedp.Navigate(p.base+"/admin/webhooks"),
		chromedp.WaitVisible(chromedp.CSS("#hook-url")),
		chromedp.SetValue(chromedp.CSS("#hook-url"), "ftp://hooks.example.com/in"),
		chromedp.Click(chromedp.CSS(`input[value="subscriber.confirmed"]`)),
		chromedp.Submit(chromedp.CSS("#hook-url")),
		chromedp.WaitVisible(chromedp.CSS(".field.invalid .error")),
	)
	if checked := value(t, ctx, "kept choice", chromedp.Evaluate[bool](`document.querySelector('input[value="subscriber.confirmed"]').checked`)); !checked {
		t.Error("the refused form lost the events chosen")
	}
	run(t, ctx, 30*time.Second, "register endpoint",
		chromedp.SetValue(chromedp.CSS("#hook-url"), rcv.url),
		chromedp.Click(chromedp.CSS(`input[value="consent.granted"]`)),
		chromedp.Submit(chromedp.CSS("#hook-url")),
		chromedp.WaitVisible(chromedp.CSS("#new-secret code.secret")),
	)
	secret := value(t, ctx, "secret", chromedp.Text(chromedp.CSS("#new-secret code.secret")))
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	rcv.mu.Lock()
	rcv.secret = strings.TrimSpace(secret)
	rcv.mu.Unlock()

	// A subscription confirmed: subscriber.confirmed and a consent.granted
	// for each of its two purposes.
	outbox := filepath.Join(dir, "outbox")
	link := subscribeAndConfirm(t, p, "irina@example.org", func() []byte {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if files, _ := filepath.Glob(filepath.Join(outbox, outboxMessages)); len(files) == 1 {
				raw, err := os.ReadFile(files[0])
				if err != nil {
					t.Fatal(err)
				}
				return raw
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("no .eml file in the outbox")
		return nil
	})
	if code, _ := do(t, "POST", link, "application/x-www-form-urlencoded", "", "User-Agent", agent); code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	rows := func(status string) int {
		return value(t, ctx, "count rows", chromedp.Evaluate[int](`document.querySelectorAll('#deliveries .badge.`+status+`').length`))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		run(t, ctx, 20*time.Second, "deliveries page", chromedp.Navigate(p.base+"/admin/webhooks"), chromedp.WaitVisible(chromedp.CSS("#webhooks")))
		if rows("delivered") == 3 {
			break
		}
		if time.Now().After(deadline) {
			total, bad, _ := rcv.count()
			t.Fatalf("the console shows %d delivered, %d pending (receiver: %d verified, %d bad)", rows("delivered"), rows("pending"), total, bad)
		}
		time.Sleep(300 * time.Millisecond)
	}
	total, bad, _ := rcv.count()
	if total != 3 || bad != 0 {
		t.Fatalf("receiver got %d verified and %d bad requests, want 3 and 0", total, bad)
	}
	answer := value(t, ctx, "answer", chromedp.Text(chromedp.CSS("#deliveries tbody tr:first-child")))
	if !strings.Contains(answer, "200") || !strings.Contains(answer, `{"received":true}`) {
		t.Errorf("delivery row %q lacks the answer", answer)
	}
	screenshot(t, ctx, "webhooks-en")

	// Send one again.
	run(t, ctx, 20*time.Second, "replay",
		chromedp.Click(chromedp.CSS("#deliveries tbody tr:first-child button")),
	)
	waitLocation(t, ctx, "ok=admin.ok.webhook.replayed")
	deadline = time.Now().Add(30 * time.Second)
	for {
		if total, _, got := rcv.count(); total == 4 {
			twice := 0
			for _, n := range got {
				if n == 2 {
					twice++
				}
			}
			if twice != 1 {
				t.Errorf("after one replay: %v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replay did not arrive")
		}
		time.Sleep(100 * time.Millisecond)
	}

	run(t, ctx, 20*time.Second, "Russian", chromedp.Navigate(p.base+"/admin/webhooks?lang=ru"), chromedp.WaitVisible(chromedp.CSS("#webhooks")))
	heading := value(t, ctx, "heading", chromedp.Text(chromedp.CSS("h1")))
	if heading != "Вебхуки" {
		t.Errorf("Russian heading %q", heading)
	}
	screenshot(t, ctx, "webhooks-ru")
}
