package jobs_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	appmail "newsletter/app/mail"
	"newsletter/app/store"
	"newsletter/jobs"
)

// TestCampaignEmbeddedMode sends a campaign the way `newsletter` runs with
// nothing configured: SQLite, the in-process queue, and .eml files.
func TestCampaignEmbeddedMode(t *testing.T) {
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
	var want []string
	for i := range 30 {
		email := fmt.Sprintf("e%d@example.com", i)
		s := &app.Subscriber{Email: email, EmailHash: signer.KeyedHash(email), Name: "E", Locale: "ru", Status: app.StatusActive}
		if err := st.CreateSubscriber(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := st.SetConsent(ctx, s.ID, app.PurposeProcessing, true, time.Now()); err != nil {
			t.Fatal(err)
		}
		want = append(want, email)
	}
	outbox := filepath.Join(dir, "outbox")
	enq := &jobs.CampaignEnqueuer{Client: q.Client, Inspector: q.Inspector}
	opt := fastOptions
	opt.RecoverOnStart = true
	r, err := jobs.NewCampaignRunner(jobs.CampaignConfig{Store: st, Queue: enq, Transport: appmail.NewFileOutbox(outbox, nil),
		Links: &app.Links{Base: base, Signer: signer}, Signer: signer, Operator: testOperator, From: "Newsletter <newsletter@localhost>",
		Log: quietLog(), Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	uc := &app.Campaigns{Store: st, Queue: enq, Tester: r}
	e := &campaignEnv{st: st, q: q}
	e.startWorker(t, r)
	c, err := uc.Create(ctx, marketer, app.CampaignInput{Name: "N", Subject: "Новости", Purpose: app.CampaignInformational, BodyHTML: testBody})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	done := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	if done.Sent != 30 {
		t.Fatalf("sent %d", done.Sent)
	}
	files, err := os.ReadDir(outbox)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(outbox, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\r\n") {
			if to, ok := strings.CutPrefix(line, "To: "); ok {
				got[strings.Trim(to[strings.LastIndexByte(to, ' ')+1:], "<>")]++
			}
		}
		if !strings.Contains(string(b), "List-Unsubscribe: <http://localhost:8080/u/") {
			t.Fatalf("no List-Unsubscribe in %s", f.Name())
		}
	}
	exactlyOnce(t, got, want)
}
