package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
	appmail "newsletter/app/mail"
	"newsletter/jobs"
	"newsletter/templates"
)

// Hostile names: markup, a header break-out, a forged display name and an
// encoded word that would decode to a header. The forms refuse them, but
// older data, an import or a direct database change may still hold such a
// name: mail must carry it as inert text.
var hostileNames = []string{
	`<script>alert(1)</script>`,
	"Anna\r\nBcc: victim@example.com",
	"Анна\nBcc: victim@example.com",
	`"Eve" <eve@evil.example>, "x`,
	`=?utf-8?q?x=0D=0ABcc:_victim@example.com?=`,
	`O'Brien "><img src=x onerror=alert(1)>`,
}

// sentMail is one message read back from the outbox.
type sentMail struct {
	raw     string
	header  mail.Header
	to      []*mail.Address
	subject string
	html    string
	text    string
}

// readMail parses a message written by the outbox: headers, and the
// decoded parts of its multipart/alternative body.
func readMail(t *testing.T, path string) sentMail {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := sentMail{raw: string(raw), header: m.Header}
	if out.to, err = m.Header.AddressList("To"); err != nil {
		t.Fatalf("To %q: %v", m.Header.Get("To"), err)
	}
	if out.subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject %q: %v", m.Header.Get("Subject"), err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("Content-Type %q", m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/html"):
			out.html = string(b)
		case strings.HasPrefix(ct, "text/plain"):
			out.text = string(b)
		}
	}
	return out
}

// allowedHeaders are the fields a product message may carry.
var allowedHeaders = map[string]bool{
	"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
	"Content-Type": true, "List-Id": true, "List-Unsubscribe": true, "List-Unsubscribe-Post": true,
	"Auto-Submitted": true, "In-Reply-To": true, "References": true,
	// The delivery reference of a campaign message: ids and a keyed hash.
	"X-Newsletter-Ref": true,
}

// checkInert asserts that a hostile name changed nothing in the header and
// shows as text in the HTML part.
func checkInert(t *testing.T, m sentMail, to, name string) {
	t.Helper()
	for k := range m.header {
		if !allowedHeaders[k] {
			t.Errorf("unexpected header %s (name %q):\n%s", k, name, m.raw)
		}
	}
	if len(m.to) != 1 || m.to[0].Address != to {
		t.Errorf("To = %q, want only %s", m.header.Get("To"), to)
	}
	if strings.ContainsAny(m.subject, "\r\n") {
		t.Errorf("subject %q has a line break", m.subject)
	}
	if len(m.header["Subject"]) != 1 {
		t.Errorf("%d Subject fields", len(m.header["Subject"]))
	}
	if m.html == "" {
		t.Fatal("no HTML part")
	}
	for _, raw := range []string{"<script>alert(1)</script>", "<img src=x", `"><img`, "<eve@evil.example>"} {
		if strings.Contains(m.html, raw) {
			t.Errorf("HTML part carries %q unescaped", raw)
		}
	}
	if strings.Contains(name, "<script>") && !strings.Contains(m.html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("HTML part lacks the escaped name")
	}
}

// mailStore serves one confirmation and one subscriber to transactional
// mail.
type mailStore struct {
	conf *app.Confirmation
	sub  *app.Subscriber
}

func (s *mailStore) Confirmation(context.Context, int64) (*app.Confirmation, error) {
	return s.conf, nil
}
func (s *mailStore) Subscriber(context.Context, int64) (*app.Subscriber, error) { return s.sub, nil }
func (s *mailStore) ClaimMail(context.Context, string) (bool, error)            { return true, nil }
func (s *mailStore) FinishMail(_ context.Context, key, status, errText string) error {
	if status != "sent" {
		return &app.Error{Code: app.EINTERNAL, Message: key + ": " + status + ": " + errText}
	}
	return nil
}

// TestSecurityTransactionalMailEscapesNames renders the confirmation,
// address change and preferences messages through the real templates and
// the real message builder, for every hostile name, in both languages.
func TestSecurityTransactionalMailEscapesNames(t *testing.T) {
	pages, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := app.NewSigner([]byte(testSecret))
	base, _ := url.Parse("https://news.example.com")
	ctx := context.Background()
	for i, name := range hostileNames {
		for _, loc := range []string{"en", "ru"} {
			for _, kind := range []string{app.ConfirmSubscribe, app.ConfirmEmailChange, "preferences"} {
				dir := t.TempDir()
				to := "reader@example.org"
				st := &mailStore{
					conf: &app.Confirmation{ID: int64(i + 1), SubscriberID: 7, Kind: kind, Email: to, Name: name, Locale: loc,
						Purposes: []app.Purpose{app.PurposeProcessing}, ExpiresAt: time.Now().Add(time.Hour)},
					sub: &app.Subscriber{ID: 7, Email: to, Name: name, Locale: loc, Status: app.StatusActive},
				}
				tr := &jobs.Transactional{Store: st, Render: pages, Transport: appmail.NewFileOutbox(dir, nil),
					Links: &app.Links{Base: base, Signer: signer}, From: "News <news@example.com>", Operator: testOperator,
					PendingTTL: 24 * time.Hour, Log: quietLog()}
				var h jobs.Handler = jobs.ConfirmationMail{Transactional: tr}
				payload, _ := json.Marshal(app.ConfirmationRef{ConfirmationID: st.conf.ID})
				if kind == "preferences" {
					h = jobs.PreferencesMail{Transactional: tr}
					payload, _ = json.Marshal(app.SubscriberRef{SubscriberID: 7})
				}
				if err := h.ProcessTask(ctx, asynq.NewTask(h.Type(), payload)); err != nil {
					t.Fatalf("%s %s %q: %v", kind, loc, name, err)
				}
				files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
				if len(files) != 1 {
					t.Fatalf("%s %s %q: %d messages", kind, loc, name, len(files))
				}
				checkInert(t, readMail(t, files[0]), to, name)
			}
		}
	}
}

// TestSecurityCampaignMailEscapesNames sends a real campaign whose subject
// and body merge the name (in the title, in text, in a link's text and in
// a table cell; the merge-field rule refuses it in attributes and URLs) to
// recipients with hostile names: each gets exactly one message, to them
// alone, with the name inert.
func TestSecurityCampaignMailEscapesNames(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	recipients := map[string]string{}
	for i, name := range hostileNames {
		email := "hostile" + string(rune('a'+i)) + "@example.org"
		sub := &app.Subscriber{Email: email, EmailHash: e.signer.KeyedHash(email), Name: name, Locale: []string{"en", "ru"}[i%2],
			Status: app.StatusActive}
		if err := e.st.CreateSubscriber(ctx, sub); err != nil {
			t.Fatal(err)
		}
		for _, p := range []app.Purpose{app.PurposeProcessing, app.PurposeMarketing} {
			if err := e.st.SetConsent(ctx, sub.ID, p, true, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		recipients[email] = name
	}
	dir := t.TempDir()
	e.startWorker(t, e.runner(t, appmail.NewFileOutbox(dir, nil), fastOptions))
	c, err := e.uc.Create(ctx, marketer, app.CampaignInput{Name: "Hostile", Subject: "News for {{.Name}}", Purpose: app.CampaignMarketing,
		BodyHTML: `<!doctype html><html><head><title>For {{.Name}}</title></head><body><p>Hello, {{.Name}}!</p><p><img alt="" src="https://example.com/a.png">` +
			`<a href="https://example.com/offer">an offer for {{.Name}}</a></p><table><tr><td>{{.Name}}</td></tr></table></body></html>`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	got := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	if got.Sent != int64(len(recipients)) || got.Failed != 0 {
		t.Fatalf("counters %+v", got.CampaignCounters)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != len(recipients) {
		t.Fatalf("%d messages, want %d", len(files), len(recipients))
	}
	seen := map[string]bool{}
	for _, f := range files {
		m := readMail(t, f)
		if len(m.to) != 1 {
			t.Fatalf("To %q", m.header.Get("To"))
		}
		to := m.to[0].Address
		name, ok := recipients[to]
		if !ok || seen[to] {
			t.Fatalf("message to %s: unknown or twice", to)
		}
		seen[to] = true
		checkInert(t, m, to, name)
		if want := "News for " + strings.Join(strings.Fields(name), " "); m.subject != want {
			t.Errorf("subject %q, want %q", m.subject, want)
		}
		if m.header.Get("List-Unsubscribe") == "" {
			t.Errorf("no List-Unsubscribe")
		}
	}
}
