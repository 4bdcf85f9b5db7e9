package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"newsletter/app"
	"newsletter/internal/testenv"
)

// optoutEnv is the production stack with mail going to Mailpit and an
// operator address for emailed requests.
func optoutEnv(t *testing.T, mp *testenv.MailpitServer) map[string]string {
	env := productionEnv(t)
	env["SMTP_URL"] = mp.SMTPURL()
	env["OPERATOR_NAME"] = "Example LLC"
	env["OPERATOR_EMAIL"] = "privacy@example.com"
	env["MAIL_FROM"] = "Example News <news@example.com>"
	return env
}

// officerAuth creates a privacy officer and returns its API credentials.
func officerAuth(t *testing.T, env map[string]string) []string {
	t.Helper()
	if code, out, errOut := runCmd(t, env, "admin", "create", "--email", "officer@example.com", "--role", "privacy_officer"); code != 0 {
		t.Fatalf("admin create: %s %s", out, errOut)
	}
	_, token, _ := runCmd(t, env, "admin", "token", "--email", "officer@example.com")
	return []string{"Authorization", "Bearer " + strings.TrimSpace(token)}
}

// links signs links as the product under test does.
func links(t *testing.T, env map[string]string, base string) *app.Links {
	t.Helper()
	signer, err := app.NewSigner([]byte(env["NEWSLETTER_SECRET"]))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	return &app.Links{Base: u, Signer: signer}
}

// mailTo waits for the newest message to addr in Mailpit and returns it raw.
func mailTo(t *testing.T, mp *testenv.MailpitServer, addr, subjectPart string) []byte {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		msgs, _ := mp.Messages(ctx)
		for _, m := range msgs {
			if len(m.To) > 0 && strings.EqualFold(m.To[0], addr) && strings.Contains(m.Subject, subjectPart) {
				raw, err := mp.Raw(ctx, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				return raw
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no message to %s with %q in the subject", addr, subjectPart)
	return nil
}

// activate subscribes email with marketing consent, confirms it and returns
// the subscriber's id.
func activate(t *testing.T, p *proc, mp *testenv.MailpitServer, auth []string, email string) int64 {
	t.Helper()
	link := subscribeAndConfirm(t, p, email, func() []byte { return mailTo(t, mp, email, "") })
	if code, _ := do(t, "POST", link, "application/x-www-form-urlencoded", "", "User-Agent", agent); code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	return int64(apiSubscriber(t, p, auth, email)["id"].(float64))
}

// subscriberByID reads a subscriber's detail through the API.
func subscriberByID(t *testing.T, p *proc, auth []string, id int64) map[string]any {
	t.Helper()
	code, body := get(fmt.Sprintf("%s/api/v1/subscribers/%d", p.base, id), auth...)
	if code != 200 {
		t.Fatalf("subscriber %d: %d %s", id, code, body)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// consent returns whether a purpose is granted, and its history.
func consent(d map[string]any, purpose string) (bool, []map[string]any) {
	cs, _ := d["consents"].([]any)
	for _, c := range cs {
		m := c.(map[string]any)
		if m["purpose"] == purpose {
			var hist []map[string]any
			for _, h := range m["history"].([]any) {
				hist = append(hist, h.(map[string]any))
			}
			return m["granted"] == true, hist
		}
	}
	return false, nil
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOneClickEndToEnd: RFC 8058 one-click unsubscribe against the running
// product, in both body encodings; GET changes nothing; forged and altered
// links are refused.
func TestOneClickEndToEnd(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	env := optoutEnv(t, mp)
	auth := officerAuth(t, env)
	p := start(t, env)
	id := activate(t, p, mp, auth, "reader@example.com")
	lk := links(t, env, p.base)
	link := lk.Unsubscribe(id, 42)

	code, page := do(t, "GET", link, "", "", "User-Agent", "LinkScanner/1.0")
	if code != 200 || !strings.Contains(page, `id="unsubscribe-marketing"`) {
		t.Fatalf("GET: %d", code)
	}
	if granted, _ := consent(subscriberByID(t, p, auth, id), "marketing"); !granted {
		t.Fatal("GET unsubscribed")
	}

	var mp1 bytes.Buffer
	w := multipart.NewWriter(&mp1)
	_ = w.WriteField("List-Unsubscribe", "One-Click")
	_ = w.Close()
	for _, enc := range []struct{ contentType, body string }{
		{"application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"},
		{w.FormDataContentType(), mp1.String()},
	} {
		code, body := do(t, "POST", link, enc.contentType, enc.body, "User-Agent", "Mailbox-Provider/1.0")
		if code != 200 || !strings.Contains(body, "unsubscribed") {
			t.Fatalf("one-click (%s): %d %q (want 200, never a redirect)", enc.contentType, code, body)
		}
	}
	d := subscriberByID(t, p, auth, id)
	granted, hist := consent(d, "marketing")
	withdrawals := 0
	for _, h := range hist {
		if h["action"] == "withdrawn" {
			withdrawals++
			if h["channel"] != "one_click" || h["request_id"] == nil {
				t.Errorf("withdrawal %v", h)
			}
		}
	}
	if granted || withdrawals != 1 || d["status"] != "active" {
		t.Fatalf("after one-click twice: granted %v, %d withdrawals, status %v", granted, withdrawals, d["status"])
	}

	token := link[strings.LastIndexByte(link, '/')+1:]
	flipped := []byte(token)
	flipped[5] = map[bool]byte{true: 'B', false: 'A'}[flipped[5] == 'A']
	forged, _ := app.NewSigner([]byte("not-the-products-secret-0123456789abcdef"))
	for name, bad := range map[string]string{
		"altered": string(flipped),
		"forged":  forged.Sign(app.Token{Purpose: app.TokenUnsubscribe, SubscriberID: id, IssuedAt: time.Now()}),
	} {
		if code, page := do(t, "GET", p.base+"/u/"+bad, "", ""); code != 400 || !strings.Contains(page, `action="/preferences"`) {
			t.Errorf("%s link page: %d", name, code)
		}
		if code, body := do(t, "POST", p.base+"/u/"+bad, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click",
			"Accept", "application/json"); code != 400 || !strings.Contains(body, "invalid_link") {
			t.Errorf("%s one-click: %d %s", name, code, body)
		}
	}
	// The webhook is off without INBOUND_TOKEN.
	if code, _ := do(t, "POST", p.base+"/inbound/mime", "message/rfc822", "Subject: x\r\n\r\nx", "Authorization", "Bearer x"); code != 404 {
		t.Fatalf("webhook without INBOUND_TOKEN: %d, want 404", code)
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// request is an emailed request as the operator's server delivers it, with
// its Authentication-Results.
func request(from, subject, messageID, body string, verified bool) []byte {
	ar := "Authentication-Results: mx.operator.test; dmarc=fail header.from=example.org\r\n"
	if verified {
		ar = "Authentication-Results: mx.operator.test; dkim=pass header.d=example.org; dmarc=pass header.from=example.org\r\n"
	}
	return []byte(ar + "From: " + from + "\r\nTo: privacy@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <" + messageID +
		">\r\nDate: Mon, 5 Feb 2024 10:00:00 +0300\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
}

func header(t *testing.T, raw []byte, key string) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return r.Header.Get(key)
}

// TestEmailedRequestsEndToEnd: requests mailed to the operator reach the
// product through the IMAP mailbox (Dovecot) and the webhook, are acted on
// and answered in their thread (read from Mailpit); auto-replies and
// bounces are not answered; after a restart nothing is processed twice.
func TestEmailedRequestsEndToEnd(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	dv := testenv.Dovecot(t)
	env := optoutEnv(t, mp)
	env["IMAP_URL"] = dv.URL()
	env["INBOUND_TOKEN"] = "inbound-test-token"
	env["INBOUND_TRUSTED_AUTHSERV_ID"] = "mx.operator.test"
	auth := officerAuth(t, env)
	p := start(t, env)
	olga := activate(t, p, mp, auth, "olga@example.org")
	ivan := activate(t, p, mp, auth, "ivan@example.org")
	if err := mp.DeleteAll(context.Background()); err != nil {
		t.Fatal(err)
	}

	optout := request("Olga <olga@example.org>", "Re: Отказ от рассылки о новых продуктах, услугах и специальных предложениях",
		"optout-1@example.org", "Больше не присылайте, спасибо.", false)
	ooo := append([]byte("Auto-Submitted: auto-replied\r\n"), request("olga@example.org",
		"Automatic reply: Cancel Newsletter with New Products, Services and Special Offers", "ooo-1@example.org", "I am away.", false)...)
	dsn, err := os.ReadFile(filepath.Join("..", "..", "app", "inbound", "testdata", "dsn_postfix_permanent.eml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range [][]byte{optout, ooo, dsn} {
		dv.Append(t, raw)
	}

	revoke := string(request("Ivan <ivan@example.org>", "Revoking the Agreement to Personal Data Processing", "revoke-1@example.org",
		"Please delete my data.", true))
	hook := p.base + "/inbound/mime"
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "Bearer inbound-test-token": 202} {
		h := []string{}
		if auth != "" {
			h = []string{"Authorization", auth}
		}
		if code, body := do(t, "POST", hook, "message/rfc822", revoke, h...); code != want {
			t.Fatalf("webhook with %q: %d %s, want %d", auth, code, body, want)
		}
	}

	// Answers in the thread, in the language of the request, marked as
	// automatic; the revocation's answer leaves before the erasure.
	replyOptout := mailTo(t, mp, "olga@example.org", "Re:")
	if header(t, replyOptout, "In-Reply-To") != "<optout-1@example.org>" || header(t, replyOptout, "Auto-Submitted") != "auto-replied" ||
		!strings.Contains(mailBody(t, replyOptout), "рекламу") {
		t.Fatalf("opt-out reply:\n%s", replyOptout)
	}
	replyRevoke := mailTo(t, mp, "ivan@example.org", "Re:")
	if header(t, replyRevoke, "In-Reply-To") != "<revoke-1@example.org>" || !strings.Contains(mailBody(t, replyRevoke), "last message") {
		t.Fatalf("revocation reply:\n%s", replyRevoke)
	}
	waitUntil(t, "the revoking person's erasure", func() bool { return subscriberByID(t, p, auth, ivan)["status"] == "erased" })
	waitUntil(t, "the mailbox to be read", func() bool {
		return dv.Count(t, "INBOX") == 0 && dv.Count(t, "Processed") == 3
	})
	if granted, _ := consent(subscriberByID(t, p, auth, olga), "marketing"); granted {
		t.Fatal("marketing consent still granted after the emailed opt-out")
	}
	time.Sleep(time.Second) // nothing else may arrive: no answer to the auto-reply or the bounce
	if n, _ := mp.Count(context.Background()); n != 2 {
		t.Fatalf("%d messages in Mailpit, want the 2 replies", n)
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}

	// Restart; the opt-out is delivered again (same Message-ID) with a new
	// request: only the new one is answered.
	p2 := start(t, env)
	dv.Append(t, optout)
	dv.Append(t, request("olga@example.org", "Доступ к персональным данным", "access-1@example.org", "Что вы обо мне храните?", true))
	access := mailTo(t, mp, "olga@example.org", "Доступ")
	if !strings.Contains(mailBody(t, access), "/preferences/") {
		t.Fatalf("access reply without a link:\n%s", access)
	}
	waitUntil(t, "the redelivery to be moved", func() bool { return dv.Count(t, "Processed") == 5 })
	time.Sleep(time.Second)
	if n, _ := mp.Count(context.Background()); n != 3 {
		t.Fatalf("%d messages in Mailpit after the restart, want 3: the redelivered opt-out is not answered again", n)
	}
	if code := p2.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
