package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"newsletter/internal/testenv"
)

// mailBody returns the decoded text of every text part of a raw message.
func mailBody(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	var out strings.Builder
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		b, _ := io.ReadAll(p.Body)
		out.Write(b)
		out.WriteString("\n")
	}
	return out.String()
}

// outboxMessages matches the complete messages of the embedded outbox: it
// writes each to a hidden ".tmp-*.eml" file first and renames it once
// written, and filepath.Glob's "*" would match that file half-written.
const outboxMessages = "[0-9]*.eml"

var confirmLink = regexp.MustCompile(`https?://[^\s"<>]+/confirm/[A-Za-z0-9_-]+`)

func do(t *testing.T, method, url, contentType, body string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const agent = "OptInTest/1.0 (e2e)"

// subscribeAndConfirm runs the double opt-in against a running product;
// readMail returns the raw confirmation message once it has arrived.
func subscribeAndConfirm(t *testing.T, p *proc, email string, readMail func() []byte) string {
	t.Helper()
	body := `{"name":"Anna Petrova","email":"` + email + `","phone":"+7 912 345 67 89","consent_processing":true,"consent_marketing":true,"form":"e2e","page":"https://example.com/landing"}`
	code, resp := do(t, "POST", p.base+"/subscribe", "application/json", body, "User-Agent", agent)
	if code != 202 || !strings.Contains(resp, `"confirmation_sent"`) {
		t.Fatalf("subscribe: %d %s", code, resp)
	}
	raw := readMail()
	text := mailBody(t, raw)
	link := confirmLink.FindString(text)
	if link == "" {
		t.Fatalf("no confirmation link in the mail:\n%s", text)
	}
	if !strings.HasPrefix(link, p.base) {
		t.Fatalf("link %s is not on %s", link, p.base)
	}
	// A GET (a mail scanner following the link) shows a button and
	// confirms nothing.
	code, page := do(t, "GET", link, "", "", "User-Agent", "LinkScanner/1.0")
	if code != 200 || !strings.Contains(page, `id="confirm-button"`) {
		t.Fatalf("GET confirm: %d", code)
	}
	return link
}

func TestOptInEndToEnd(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	env := productionEnv(t)
	env["SMTP_URL"] = mp.SMTPURL()
	env["OPERATOR_NAME"] = "Example LLC"
	env["MAIL_FROM"] = "Example News <news@example.com>"
	if code, out, errOut := runCmd(t, env, "admin", "create", "--email", "officer@example.com", "--role", "privacy_officer"); code != 0 {
		t.Fatalf("admin create: %s %s", out, errOut)
	}
	_, token, _ := runCmd(t, env, "admin", "token", "--email", "officer@example.com")
	auth := []string{"Authorization", "Bearer " + strings.TrimSpace(token)}
	p := start(t, env)

	if code, page := do(t, "GET", p.base+"/subscribe", "", ""); code != 200 || !strings.Contains(page, `name="consent_processing"`) {
		t.Fatalf("GET /subscribe: %d", code)
	}
	link := subscribeAndConfirm(t, p, "Anna.Petrova@Example.com", func() []byte {
		msgs := mp.WaitForCount(t, 1, 20*time.Second)
		if msgs[0].Subject == "" || !strings.Contains(strings.ToLower(msgs[0].To[0]), "anna.petrova@example.com") {
			t.Fatalf("confirmation message %+v", msgs[0])
		}
		raw, err := mp.Raw(context.Background(), msgs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	})

	sub := apiSubscriber(t, p, auth, "anna.petrova@example.com")
	if sub["status"] != "pending" {
		t.Fatalf("status after GET of the link: %v, want pending", sub["status"])
	}
	code, page := do(t, "POST", link, "application/x-www-form-urlencoded", "", "User-Agent", agent)
	if code != 200 || !strings.Contains(page, `id="message"`) {
		t.Fatalf("POST confirm: %d %s", code, page)
	}
	sub = apiSubscriber(t, p, auth, "anna.petrova@example.com")
	if sub["status"] != "active" || sub["phone"] != "+79123456789" {
		t.Fatalf("after confirmation: %v", sub)
	}
	consents := sub["consents"].([]any)
	if len(consents) != 2 {
		t.Fatalf("consents %v", consents)
	}
	for _, c := range consents {
		for _, e := range c.(map[string]any)["history"].([]any) {
			ev := e.(map[string]any)
			if ev["ip"] != "127.0.0.1" || ev["user_agent"] != agent || ev["policy_version"] != "2026-11" || ev["form_id"] != "e2e" {
				t.Errorf("event lacks evidence: %v", ev)
			}
		}
	}
	// The same answer for a known address; no second subscriber.
	code, resp := do(t, "POST", p.base+"/subscribe", "application/json",
		`{"name":"Other Name","email":"anna.petrova@example.com","consent_processing":true}`)
	if code != 202 || !strings.Contains(resp, `"confirmation_sent"`) {
		t.Fatalf("second subscribe: %d %s", code, resp)
	}
	if sub := apiSubscriber(t, p, auth, "anna.petrova@example.com"); sub["name"] != "Anna Petrova" {
		t.Fatalf("name changed without confirmation: %v", sub["name"])
	}
	mp.WaitForCount(t, 2, 20*time.Second)
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// apiSubscriber finds a subscriber by email through the API and returns its detail.
func apiSubscriber(t *testing.T, p *proc, auth []string, email string) map[string]any {
	t.Helper()
	code, body := get(p.base+"/api/v1/subscribers?email="+email, auth...)
	if code != 200 {
		t.Fatalf("list subscribers: %d %s", code, body)
	}
	var list struct {
		Subscribers []map[string]any `json:"subscribers"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Subscribers) != 1 {
		t.Fatalf("list: %v %s", err, body)
	}
	id := list.Subscribers[0]["id"].(float64)
	code, body = get(p.base+"/api/v1/subscribers/"+jsonNumber(id), auth...)
	if code != 200 {
		t.Fatalf("subscriber: %d %s", code, body)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(int64(f))
	return string(b)
}

func TestOptInEmbedded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := start(t, map[string]string{"NEWSLETTER_DATA_DIR": dir})
	outbox := filepath.Join(dir, "outbox")
	link := subscribeAndConfirm(t, p, "boris@example.org", func() []byte {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			files, _ := filepath.Glob(filepath.Join(outbox, outboxMessages))
			if len(files) == 1 {
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
	code, page := do(t, "POST", link, "application/json", "", "Accept", "application/json")
	if code != 200 || !strings.Contains(page, `"subscriber_status":"active"`) {
		t.Fatalf("POST confirm: %d %s", code, page)
	}
	code, page = do(t, "POST", link, "", "")
	if code != 400 || !strings.Contains(page, "already been used") && !strings.Contains(page, "уже использована") {
		t.Fatalf("second confirm: %d", code)
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func newJSONRequest(url, body string) (*http.Request, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}
