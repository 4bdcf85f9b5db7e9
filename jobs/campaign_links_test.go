package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message/mail"

	"newsletter/app"
	appmail "newsletter/app/mail"
	"newsletter/app/store"
	"newsletter/jobs"
)

var linkRE = regexp.MustCompile(`http://localhost:8080/[^\s"'<>]+`)

// messageLinks returns every link of ours in a stored message: in its
// headers (List-Unsubscribe) and in its decoded text and HTML parts.
func messageLinks(t *testing.T, raw []byte) []string {
	t.Helper()
	r, err := gomessage.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	fields := r.Header.Fields()
	for fields.Next() {
		all.WriteString(fields.Value() + "\n")
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		all.WriteString("\n")
	}
	return linkRE.FindAllString(strings.ReplaceAll(all.String(), "&amp;", "&"), -1)
}

// TestCampaignLinksOpenNoPersonalData sends a campaign whose body uses
// every merge URL and reads every link of the message as its reader
// would: none opens the preference centre (the data, the export, a change
// of address or a revocation), whoever holds the message.
func TestCampaignLinksOpenNoPersonalData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, "", filepath.Join(dir, "newsletter.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	q := connect(t, "")
	signer, _ := app.NewSigner([]byte(testSecret))
	base, _ := url.Parse("http://localhost:8080")
	links := &app.Links{Base: base, Signer: signer}
	svc := &app.Subscriptions{Core: &app.Core{Store: st, Signer: signer, Links: links}}
	const email = "reader@example.com"
	s := &app.Subscriber{Email: email, EmailHash: signer.KeyedHash(email), Name: "Rita Reader", Locale: "en", Status: app.StatusActive}
	if err := st.CreateSubscriber(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, p := range []app.Purpose{app.PurposeProcessing, app.PurposeMarketing} {
		if err := st.SetConsent(ctx, s.ID, p, true, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	outbox := filepath.Join(dir, "outbox")
	enq := &jobs.CampaignEnqueuer{Client: q.Client, Inspector: q.Inspector}
	r, err := jobs.NewCampaignRunner(jobs.CampaignConfig{Store: st, Queue: enq, Transport: appmail.NewFileOutbox(outbox, nil),
		Links: links, Signer: signer, Operator: testOperator, From: "Newsletter <newsletter@localhost>",
		Log: quietLog(), Options: fastOptions})
	if err != nil {
		t.Fatal(err)
	}
	uc := &app.Campaigns{Store: st, Queue: enq, Tester: r}
	e := &campaignEnv{st: st, q: q}
	e.startWorker(t, r)
	c, err := uc.Create(ctx, marketer, app.CampaignInput{Name: "Links", Subject: "News", Purpose: app.CampaignMarketing,
		BodyHTML: `<p>Hello {{.Name}}</p><p><a href="{{.PreferencesURL}}">Preferences</a> <a href="{{.UnsubscribeURL}}">Unsubscribe</a></p>`,
		BodyText: "Hello {{.Name}}\nPreferences: {{.PreferencesURL}}\nUnsubscribe: {{.UnsubscribeURL}}\n"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	if done := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second); done.Sent != 1 {
		t.Fatalf("sent %d", done.Sent)
	}
	files, err := os.ReadDir(outbox)
	if err != nil || len(files) != 1 {
		t.Fatalf("outbox: %v %v", files, err)
	}
	raw, err := os.ReadFile(filepath.Join(outbox, files[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	found := messageLinks(t, raw)
	var prefs, unsub int
	for _, link := range found {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		segs := strings.Split(strings.Trim(u.Path, "/"), "/")
		token := segs[len(segs)-1]
		switch {
		case len(segs) == 2 && segs[0] == "preferences":
			prefs++
			if _, err := svc.Preferences(ctx, token); !errors.Is(err, app.ErrPreferencesByMail) {
				t.Errorf("%s opens the preference centre: %v", link, err)
			}
			if _, err := svc.ExportForToken(ctx, token); !errors.Is(err, app.ErrPreferencesByMail) {
				t.Errorf("%s exports the data: %v", link, err)
			}
			if err := svc.Revoke(ctx, token, app.Evidence{}); !errors.Is(err, app.ErrPreferencesByMail) {
				t.Errorf("%s revokes: %v", link, err)
			}
		case len(segs) == 2 && segs[0] == "u":
			unsub++
			if _, err := svc.Preferences(ctx, token); !errors.Is(err, app.ErrTokenInvalid) {
				t.Errorf("%s opens the preference centre: %v", link, err)
			}
		default:
			if strings.Contains(u.Path, "/preferences") || strings.Contains(u.Path, "/revoke") {
				t.Errorf("unexpected link %s", link)
			}
		}
	}
	// The body's link in both parts, and the footer's; the unsubscribe
	// link in both parts, the footer and List-Unsubscribe.
	if prefs < 2 || unsub < 3 {
		t.Fatalf("found %d preferences and %d unsubscribe links in %v", prefs, unsub, found)
	}
	got, err := st.Subscriber(ctx, s.ID)
	if err != nil || got.Status != app.StatusActive {
		t.Fatalf("the links changed the person: %+v %v", got, err)
	}
}
