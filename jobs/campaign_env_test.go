package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"newsletter/app"
	appmail "newsletter/app/mail"
	"newsletter/app/store"
	"newsletter/internal/smtpsink"
	"newsletter/internal/testenv"
	"newsletter/jobs"
	"newsletter/templates"
)

// testOperator is the operator of every campaign test.
var testOperator = app.Operator{Name: "Example Ltd", Email: "privacy@example.com", Address: "1 Main Street, Moscow",
	Country: "RU", SMTPCountry: "RU"}

const testSecret = "campaign-test-secret-0123456789abcdef"

// campaignEnv is a database, a queue and the use cases of campaigns.
type campaignEnv struct {
	dbURL    string
	redisURL string
	st       *store.Store
	db       *sql.DB
	q        *jobs.Queue
	signer   *app.Signer
	links    *app.Links
	uc       *app.Campaigns
}

func newCampaignEnv(t *testing.T) *campaignEnv {
	t.Helper()
	// A Redis server of the test's own: other packages' workers on a
	// shared database number would take campaign tasks.
	e := &campaignEnv{dbURL: testenv.Postgres(t), redisURL: testenv.StartRedisServer(t).URL()}
	ctx := context.Background()
	var err error
	if e.st, err = store.Open(ctx, e.dbURL, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	if _, err := e.st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if e.db, err = sql.Open("pgx", e.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	e.q = connect(t, e.redisURL)
	if e.signer, err = app.NewSigner([]byte(testSecret)); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://news.example.com")
	e.links = &app.Links{Base: base, Signer: e.signer}
	e.uc = &app.Campaigns{Store: e.st, Queue: &jobs.CampaignEnqueuer{Client: e.q.Client, Inspector: e.q.Inspector}, Signer: e.signer, Operator: testOperator}
	return e
}

var (
	pagesOnce sync.Once
	pages     *templates.Renderer
	pagesErr  error
)

// testPages are the product's templates, parsed once for the package.
func testPages(t testing.TB) *templates.Renderer {
	t.Helper()
	pagesOnce.Do(func() { pages, pagesErr = templates.New() })
	if pagesErr != nil {
		t.Fatal(pagesErr)
	}
	return pages
}

// runner returns a campaign runner sending through tr.
func (e *campaignEnv) runner(t *testing.T, tr appmail.Transport, opt jobs.CampaignOptions) *jobs.CampaignRunner {
	t.Helper()
	r, err := jobs.NewCampaignRunner(jobs.CampaignConfig{Store: e.st, Queue: &jobs.CampaignEnqueuer{Client: e.q.Client, Inspector: e.q.Inspector},
		Transport: tr, Links: e.links, Signer: e.signer, Operator: testOperator, From: "News <news@example.com>",
		Log: quietLog(), Options: opt, Layout: testPages(t)})
	if err != nil {
		t.Fatal(err)
	}
	e.uc.Tester = r
	return r
}

// startWorker runs a queue worker with r's handlers, and r's loops, until
// the returned stop is called (or the test ends).
func (e *campaignEnv) startWorker(t *testing.T, r *jobs.CampaignRunner) (stop func()) {
	t.Helper()
	return e.startWorkerN(t, r, 4)
}

// startWorkerN is startWorker with n concurrent task handlers.
func (e *campaignEnv) startWorkerN(t *testing.T, r *jobs.CampaignRunner, n int) (stop func()) {
	t.Helper()
	w := jobs.NewWorker(e.q, jobs.WorkerOptions{Concurrency: n, Log: quietLog(), ShutdownTimeout: 5 * time.Second}, r.Handlers()...)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	var once sync.Once
	stop = func() {
		once.Do(func() {
			w.Shutdown()
			cancel()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

// smtp returns a transport to addr (an SMTP URL).
func smtpTransport(t *testing.T, u string, dkim *appmail.DKIMSigner) appmail.Transport {
	t.Helper()
	tr, err := appmail.NewSMTP(appmail.SMTPConfig{URL: u, MaxConns: 4, Timeout: 5 * time.Second, DKIM: dkim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func newSink(t *testing.T, configure func(*smtpsink.Server)) *smtpsink.Server {
	t.Helper()
	s := &smtpsink.Server{CountRecipients: true}
	if configure != nil {
		configure(s)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seed adds n active subscribers u<i>@example.com (i from first) with the
// processing and marketing consents, in one statement, and returns their
// addresses.
func (e *campaignEnv) seed(t *testing.T, first, n int) []string {
	t.Helper()
	emails := make([]string, n)
	hashes := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("u%d@example.com", first+i)
		hashes[i] = e.signer.KeyedHash(emails[i])
	}
	_, err := e.db.Exec(`INSERT INTO subscribers (email, email_hash, name, locale, status, created_at, updated_at)
		SELECT v.email, v.hash, 'Person ' || v.n, CASE WHEN v.n % 2 = 0 THEN 'ru' ELSE 'en' END, 'active', now(), now()
		FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS v(email, hash, n)`, emails, hashes)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.db.Exec(`INSERT INTO consents (subscriber_id, purpose, granted, updated_at)
		SELECT s.id, p, true, now() FROM subscribers s CROSS JOIN (VALUES ('processing'), ('marketing')) v(p)
		WHERE s.email = ANY($1) ON CONFLICT DO NOTHING`, emails)
	if err != nil {
		t.Fatal(err)
	}
	return emails
}

// addSubscriber adds one subscriber with the given status and consents.
func (e *campaignEnv) addSubscriber(t *testing.T, email string, status app.SubscriberStatus, consents ...app.Purpose) *app.Subscriber {
	t.Helper()
	ctx := context.Background()
	s := &app.Subscriber{Email: email, EmailHash: e.signer.KeyedHash(email), Name: "Name of " + strings.Split(email, "@")[0],
		Locale: "en", Status: status}
	if err := e.st.CreateSubscriber(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, p := range consents {
		if err := e.st.SetConsent(ctx, s.ID, p, true, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

const testBody = `<!doctype html><html><body><p>Hello, {{.Name}}!</p><p>Our offers this week.</p>` +
	`<p><a href="{{.PreferencesURL}}">Preferences</a></p></body></html>`

// createCampaign makes a marketing draft.
func (e *campaignEnv) createCampaign(t *testing.T, purpose app.CampaignPurpose) *app.Campaign {
	t.Helper()
	c, err := e.uc.Create(context.Background(), &app.Admin{ID: 1, Role: app.RoleMarketer}, app.CampaignInput{
		Name: "Weekly", Subject: "Offers for {{.Name}}", Purpose: purpose, BodyHTML: testBody})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *campaignEnv) campaign(t *testing.T, id int64) *app.Campaign {
	t.Helper()
	c, err := e.st.Campaign(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *campaignEnv) waitStatus(t *testing.T, id int64, st app.CampaignStatus, timeout time.Duration) *app.Campaign {
	t.Helper()
	var c *app.Campaign
	waitFor(t, timeout, "campaign "+string(st), func() bool {
		c = e.campaign(t, id)
		return c.Status == st
	})
	return c
}

// exactlyOnce checks that each address got one message and nobody else got
// any.
func exactlyOnce(t *testing.T, got map[string]int, want []string) {
	t.Helper()
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
		if got[w] != 1 {
			t.Errorf("%s got %d messages, want 1", w, got[w])
		}
	}
	for addr, n := range got {
		if !wantSet[addr] {
			t.Errorf("%s got %d messages, want none", addr, n)
		}
	}
}

// deliveryStatuses counts a campaign's deliveries by status.
func (e *campaignEnv) deliveryStatuses(t *testing.T, id int64) map[string]int {
	t.Helper()
	rows, err := e.db.Query(`SELECT status, count(*) FROM deliveries WHERE campaign_id = $1 GROUP BY status`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}
