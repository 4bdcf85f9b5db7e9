package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"

	"newsletter/app"
	"newsletter/app/config"
	"newsletter/app/mail"
	"newsletter/app/store"
	"newsletter/internal/smtpsink"
	"newsletter/jobs"
	"newsletter/templates"
)

const benchUsage = `newsletter bench: the product's benchmarks

  newsletter bench http [--url URL] [--concurrency 32,64] [--requests N] [--duration D]
      subscriptions (POST /subscribe) and RFC 8058 one-click opt-outs (POST /u/{token})
      against a running instance (--url), or one it starts itself with this environment
      (not on a Redis database that holds the product's queues)
  newsletter bench send --recipients N [flags]
      a marketing campaign to N subscribers, half in English and half in Russian,
      in two languages with the mail layout, end to end on PostgreSQL and Redis
      (materialization, queue, claims, rendering, SMTP), to an SMTP sink on
      loopback; then the same sink fed directly by go-mail, and the ratio
  newsletter bench import [--rows N] [--batch N] [--database-url URL]
      newsletter import of N generated rows (default 100000), committed, into
      a PostgreSQL schema of its own (dropped at the end), or without a
      database URL into a temporary SQLite file
  newsletter bench materialize --recipients N [flags]
      the delivery rows of a campaign to N subscribers, on PostgreSQL
  newsletter bench audience [--recipients N] [--runs N] [--database-url URL] [--keep]
      the count of a campaign's audience (default 1000000 varied subscribers),
      with and without a segment, and the materialization to a segment, on PostgreSQL

  Flags of send and materialize:
  --database-url URL   PostgreSQL (default: DATABASE_URL); the bench works in a
                       schema of its own, dropped at the end
  --redis-url URL      Redis (default: REDIS_URL); a database that nothing else
                       uses: send refuses one that holds the product's queues
  --dkim none|rsa|ed25519   sign every message (send)
  --workers N          concurrent tasks (send; default 64), and the process's
                       slots: at most N messages sent and not yet recorded
  --conns N            SMTP connections (send; default 8)
  --claim N            deliveries claimed at once (send; default 200)
  --batch N            deliveries per batch task (send; default 2000)
  --raw N              messages of the raw go-mail run (send; default: recipients)
  --keep               keep the bench schema
`

// bench runs a benchmark command.
func bench(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"bench: want a benchmark name\n" + benchUsage}
	}
	switch args[0] {
	case "http":
		return benchHTTP(ctx, cfg, args[1:], stdout, stderr)
	case "import":
		return benchImport(ctx, cfg, args[1:], stdout)
	case "audience":
		return benchAudience(ctx, cfg, args[1:], stdout)
	case "send", "materialize":
		o, err := parseBenchFlags(cfg, args[0], args[1:])
		if err != nil {
			return err
		}
		if args[0] == "send" {
			return benchSend(ctx, o, stdout)
		}
		return benchMaterialize(ctx, o, stdout)
	default:
		return usageError{fmt.Sprintf("bench: unknown benchmark %q\n%s", args[0], benchUsage)}
	}
}

// parseBenchFlags reads the flags of bench send and bench materialize;
// the database and Redis default to DATABASE_URL and REDIS_URL.
func parseBenchFlags(cfg *config.Config, name string, args []string) (benchOptions, error) {
	fs := flag.NewFlagSet("bench "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := benchOptions{}
	fs.IntVar(&o.recipients, "recipients", 100000, "subscribers in the campaign")
	fs.StringVar(&o.databaseURL, "database-url", cfg.DatabaseURL, "PostgreSQL URL")
	fs.StringVar(&o.redisURL, "redis-url", cfg.RedisURL, "Redis URL")
	fs.StringVar(&o.dkim, "dkim", "none", "none, rsa or ed25519")
	fs.IntVar(&o.workers, "workers", 64, "concurrent tasks")
	fs.IntVar(&o.conns, "conns", 8, "SMTP connections")
	fs.IntVar(&o.claim, "claim", 200, "deliveries claimed at once")
	fs.Int64Var(&o.batch, "batch", 2000, "deliveries per batch task")
	fs.IntVar(&o.raw, "raw", 0, "messages of the raw go-mail run")
	fs.BoolVar(&o.keep, "keep", false, "keep the bench schema")
	if err := fs.Parse(args); err != nil {
		return o, usageError{fmt.Sprintf("bench %s: %v\n%s", name, err, benchUsage)}
	}
	switch {
	case o.databaseURL == "" || (name == "send" && o.redisURL == ""):
		return o, usageError{"bench " + name + ": PostgreSQL and Redis are required: set DATABASE_URL and REDIS_URL or pass --database-url and --redis-url"}
	case o.recipients < 1:
		return o, usageError{"bench " + name + ": --recipients must be at least 1"}
	case o.workers < 1 || o.conns < 1 || o.claim < 1 || o.batch < 1:
		return o, usageError{"bench " + name + ": --workers, --conns, --claim and --batch must be at least 1"}
	}
	if o.raw <= 0 {
		o.raw = o.recipients
	}
	return o, nil
}

type benchOptions struct {
	recipients  int
	databaseURL string
	redisURL    string
	dkim        string
	workers     int
	conns       int
	claim       int
	batch       int64
	raw         int
	keep        bool
}

// benchBody is a campaign of about 8 KB in table layout, the size of a
// typical newsletter; benchBodyRU is its Russian translation.
var benchBody, benchBodyRU = benchBodyIn(benchEN), benchBodyIn(benchRU)

// benchText is the wording of the bench campaign in one language.
type benchText struct{ hello, item, offer, more, product, preferences string }

var (
	benchEN = benchText{hello: "Hello, {{.Name}}!", item: "New %d: special offer",
		offer: "We are glad to present new products and services. ", more: "Read more about", product: "product %d on our site",
		preferences: "Preferences"}
	benchRU = benchText{hello: "Здравствуйте, {{.Name}}!", item: "Новинка %d: специальное предложение",
		offer: "Мы рады представить новые продукты и услуги. ", more: "Подробнее о", product: "продукте %d на нашем сайте",
		preferences: "Настройки"}
)

func benchBodyIn(t benchText) string {
	var b strings.Builder
	b.WriteString(`<table width="100%" cellpadding="0" cellspacing="0" role="presentation"><tr><td align="center">`)
	b.WriteString(`<p style="font-family:Arial,sans-serif;font-size:16px">` + t.hello + `</p>`)
	for i := range 12 {
		fmt.Fprintf(&b, `<table width="600" role="presentation"><tr><td style="font-family:Arial,sans-serif;font-size:16px;line-height:24px;color:#222">`+
			`<h2 style="margin:0 0 8px">`+t.item+`</h2><p style="margin:0 0 16px">`+t.offer+
			t.more+` <a href="https://example.com/p/%d?utm_source=newsletter">`+t.product+`</a>.</p></td></tr></table>`, i, i, i)
	}
	b.WriteString(`<p><a href="{{.PreferencesURL}}">` + t.preferences + `</a></p></td></tr></table>`)
	return b.String()
}

// benchDB is a PostgreSQL schema of the bench's own.
type benchDB struct {
	st     *store.Store
	schema string
	keep   bool
}

func openBenchDB(ctx context.Context, databaseURL string, keep bool) (*benchDB, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	schema := "nlbench_" + hex.EncodeToString(b[:])
	admin, err := store.Open(ctx, databaseURL, "")
	if err != nil {
		return nil, err
	}
	sqlDB, _ := admin.DB()
	_, err = sqlDB.ExecContext(ctx, "CREATE SCHEMA "+schema)
	admin.Close()
	if err != nil {
		return nil, fmt.Errorf("create bench schema: %w", err)
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	d := &benchDB{schema: schema, keep: keep}
	if d.st, err = store.Open(ctx, u.String(), ""); err != nil {
		return nil, err
	}
	if _, err := d.st.Migrate(ctx); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *benchDB) close() {
	if !d.keep {
		if sqlDB, err := d.st.DB(); err == nil {
			_, _ = sqlDB.Exec("DROP SCHEMA " + d.schema + " CASCADE")
		}
	}
	d.st.Close()
}

// seed adds n active subscribers with processing and marketing consent,
// every second one in Russian, the others in English.
func (d *benchDB) seed(ctx context.Context, n int) error {
	sqlDB, _ := d.st.DB()
	if _, err := sqlDB.ExecContext(ctx, `INSERT INTO subscribers (email, email_hash, name, locale, status, created_at, updated_at)
		SELECT 'bench' || g || '@example.com', 'bench:' || g,
			CASE WHEN g % 2 = 0 THEN 'Участник ' ELSE 'Person ' END || g,
			CASE WHEN g % 2 = 0 THEN 'ru' ELSE 'en' END, 'active', now(), now()
		FROM generate_series(1, $1::int) g`, n); err != nil {
		return fmt.Errorf("seed subscribers: %w", err)
	}
	if _, err := sqlDB.ExecContext(ctx, `INSERT INTO consents (subscriber_id, purpose, granted, updated_at)
		SELECT s.id, v.p, true, now() FROM subscribers s CROSS JOIN (VALUES ('processing'), ('marketing')) v(p)`); err != nil {
		return fmt.Errorf("seed consents: %w", err)
	}
	// Everyone is on the default newsletter of each purpose, as the
	// consents make them.
	if _, err := sqlDB.ExecContext(ctx, `INSERT INTO newsletter_members (subscriber_id, newsletter_id, channel, joined_at)
		SELECT s.id, n.id, 'import', now() FROM subscribers s CROSS JOIN newsletters n WHERE n.is_default`); err != nil {
		return fmt.Errorf("seed newsletter members: %w", err)
	}
	if _, err := sqlDB.ExecContext(ctx, `ANALYZE subscribers; ANALYZE consents; ANALYZE newsletter_members`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

func benchSigner() *app.Signer {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, _ := app.NewSigner(key)
	return s
}

// benchDKIM makes a throwaway signing key of the given kind.
func benchDKIM(kind string) (*mail.DKIMSigner, error) {
	var der []byte
	var err error
	switch kind {
	case "none", "":
		return nil, nil
	case "rsa":
		var k *rsa.PrivateKey
		if k, err = rsa.GenerateKey(rand.Reader, 2048); err == nil {
			der, err = x509.MarshalPKCS8PrivateKey(k)
		}
	case "ed25519":
		var k ed25519.PrivateKey
		if _, k, err = ed25519.GenerateKey(rand.Reader); err == nil {
			der, err = x509.MarshalPKCS8PrivateKey(k)
		}
	default:
		return nil, fmt.Errorf("--dkim must be none, rsa or ed25519")
	}
	if err != nil {
		return nil, err
	}
	return mail.NewDKIMSigner("example.com", "bench", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func benchSend(ctx context.Context, o benchOptions, stdout io.Writer) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	queue, err := jobs.Connect(o.redisURL)
	if err != nil {
		return err
	}
	defer queue.Close()
	if err := refuseProductQueue("send", queue, o.redisURL); err != nil {
		return err
	}
	db, err := openBenchDB(ctx, o.databaseURL, o.keep)
	if err != nil {
		return err
	}
	defer db.close()
	fmt.Fprintf(stdout, "bench send: seeding %d subscribers in schema %s\n", o.recipients, db.schema)
	if err := db.seed(ctx, o.recipients); err != nil {
		return err
	}
	sink := &smtpsink.Server{}
	if err := sink.Start(); err != nil {
		return err
	}
	defer sink.Close()
	dkim, err := benchDKIM(o.dkim)
	if err != nil {
		return err
	}
	tr, err := mail.NewSMTP(mail.SMTPConfig{URL: sink.URL(), MaxConns: o.conns, Timeout: campaignSMTPTimeout, DKIM: dkim})
	if err != nil {
		return err
	}
	defer tr.Close()
	signer := benchSigner()
	base, _ := url.Parse("https://news.example.com")
	links := &app.Links{Base: base, Signer: signer}
	op := app.Operator{Name: "Example Ltd", Email: "privacy@example.com", Address: "1 Main Street, Moscow", Country: "RU", SMTPCountry: "RU"}
	enq := &jobs.CampaignEnqueuer{Client: queue.Client, Inspector: queue.Inspector}
	pages, err := templates.New()
	if err != nil {
		return err
	}
	runner, err := jobs.NewCampaignRunner(jobs.CampaignConfig{Store: db.st, Queue: enq, Transport: tr, Links: links,
		Signer: signer, Operator: op, From: "News <news@example.com>", Log: log,
		Layout: pages, Layouts: (&app.Layouts{Core: &app.Core{Store: db.st}}).MailLayouts,
		Options: jobs.CampaignOptions{BatchSize: o.batch, ClaimSize: o.claim, Senders: o.workers}})
	if err != nil {
		return err
	}
	uc := &app.Campaigns{Store: db.st, Queue: enq, Tester: runner}
	// Two languages, each subscriber's own, in the mail layout (every HTML
	// message is laid out in it).
	c, err := uc.Create(ctx, nil, app.CampaignInput{Name: "Bench", Subject: "Special offers for {{.Name}}",
		Purpose: app.CampaignMarketing, BodyHTML: benchBody, Translations: map[string]app.CampaignTranslation{
			app.LocaleRU: {Subject: "Специальные предложения для {{.Name}}", Body: benchBodyRU}}})
	if err != nil {
		return err
	}
	worker := jobs.NewWorker(queue, jobs.WorkerOptions{Concurrency: o.workers, Log: log}, runner.Handlers()...)
	if err := worker.Start(); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { runner.Run(runCtx) })
	stopWorker := func() {
		worker.Shutdown()
		cancel()
		wg.Wait()
	}

	runtime.GC()
	start := time.Now()
	if _, err := uc.Schedule(ctx, nil, c.ID, nil); err != nil {
		stopWorker()
		return err
	}
	var done *app.Campaign
	for {
		if done, err = db.st.Campaign(ctx, c.ID); err != nil {
			stopWorker()
			return err
		}
		if done.Status == app.CampaignFinished {
			break
		}
		if ctx.Err() != nil {
			stopWorker()
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	peak := peakRSS()
	stopWorker()
	if done.Sent != int64(o.recipients) || sink.Accepted() != int64(o.recipients) {
		return fmt.Errorf("sent %d, the sink accepted %d, want %d", done.Sent, sink.Accepted(), o.recipients)
	}
	e2e := float64(o.recipients) / elapsed.Seconds()
	var mat time.Duration
	if done.StartedAt != nil && done.MaterializedAt != nil {
		mat = done.MaterializedAt.Sub(*done.StartedAt)
	}

	// The same sink fed directly by go-mail: the same message, one go-mail
	// client per connection, no database, no queue.
	rendered, err := benchRender(c, op, links)
	if err != nil {
		return err
	}
	rawElapsed, err := benchRawGoMail(ctx, sink.Addr(), o.raw, o.conns, rendered)
	if err != nil {
		return err
	}
	raw := float64(o.raw) / rawElapsed.Seconds()

	fmt.Fprintf(stdout, "machine          %s\n", machine())
	fmt.Fprintf(stdout, "setup            PostgreSQL and Redis; SMTP sink on loopback; two languages (half en, half ru) with the mail layout; DKIM %s; %d SMTP connections; %d workers; claim %d; batch %d\n",
		o.dkim, o.conns, o.workers, o.claim, o.batch)
	fmt.Fprintf(stdout, "recipients       %d\n", o.recipients)
	fmt.Fprintf(stdout, "materialization  %.2f s\n", mat.Seconds())
	fmt.Fprintf(stdout, "seconds          %.2f (schedule to finished, materialization included)\n", elapsed.Seconds())
	fmt.Fprintf(stdout, "msgs/s           %.0f\n", e2e)
	fmt.Fprintf(stdout, "peak memory      %.0f MB (VmHWM of this process: worker, queue client and sink)\n", float64(peak)/(1<<20))
	fmt.Fprintf(stdout, "raw go-mail      %.0f msgs/s (%d messages in %.2f s, %d connections)\n", raw, o.raw, rawElapsed.Seconds(), o.conns)
	fmt.Fprintf(stdout, "ratio            %.0f %%\n", 100*e2e/raw)
	return nil
}

// benchRender renders the campaign's message for one recipient, for the
// raw go-mail run.
func benchRender(c *app.Campaign, op app.Operator, links *app.Links) (app.RenderedMail, error) {
	pages, err := templates.New()
	if err != nil {
		return app.RenderedMail{}, err
	}
	tpl, err := app.CompileCampaign(c, op, mail.HTMLToText, app.Frame{Layout: pages})
	if err != nil {
		return app.RenderedMail{}, err
	}
	tpl.SetPrivacyURL(links.Page("/privacy"))
	return tpl.Render("en", app.MergeFields{Name: "Person 1", UnsubscribeURL: links.Unsubscribe(1, c.ID), PreferencesURL: links.PreferencesRequest(1)})
}

// benchRawGoMail sends n messages to addr with go-mail over conns
// connections and returns how long it took. go-mail signs nothing, so the
// raw rate is always unsigned.
func benchRawGoMail(ctx context.Context, addr string, n, conns int, r app.RenderedMail) (time.Duration, error) {
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			c, err := gomail.NewClient(host, gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithTimeout(campaignSMTPTimeout))
			if err != nil {
				fail(err)
				return
			}
			if err := c.DialWithContext(ctx); err != nil {
				fail(err)
				return
			}
			defer c.Close()
			const group = 50
			msgs := make([]*gomail.Msg, 0, group)
			for {
				i := next.Add(group) - group
				if i >= int64(n) {
					break
				}
				msgs = msgs[:0]
				for j := i; j < min(i+group, int64(n)); j++ {
					m := gomail.NewMsg()
					if err := m.From("News <news@example.com>"); err != nil {
						fail(err)
						return
					}
					if err := m.To(fmt.Sprintf("raw%d@example.com", j)); err != nil {
						fail(err)
						return
					}
					m.Subject(r.Subject)
					m.SetMessageID()
					m.SetBodyString(gomail.TypeTextPlain, r.Text)
					m.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
					msgs = append(msgs, m)
				}
				if err := c.Send(msgs...); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, fmt.Errorf("raw go-mail: %w", firstErr)
	}
	return time.Since(start), nil
}

// benchMaterialize times the materialization of a campaign's deliveries.
func benchMaterialize(ctx context.Context, o benchOptions, stdout io.Writer) error {
	db, err := openBenchDB(ctx, o.databaseURL, o.keep)
	if err != nil {
		return err
	}
	defer db.close()
	fmt.Fprintf(stdout, "bench materialize: seeding %d subscribers in schema %s\n", o.recipients, db.schema)
	if err := db.seed(ctx, o.recipients); err != nil {
		return err
	}
	c := &app.Campaign{Name: "Bench", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: "<p>x</p>", Status: app.CampaignDraft}
	if err := db.st.CreateCampaign(ctx, c); err != nil {
		return err
	}
	now := time.Now()
	if _, err := db.st.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft},
		To: app.CampaignScheduled, SendAt: &now, BumpVersion: true}); err != nil {
		return err
	}
	if _, err := db.st.StartCampaign(ctx, c.ID, 1, time.Now()); err != nil {
		return err
	}
	a := app.Audience{Purpose: app.CampaignMarketing}
	start := time.Now()
	from, maxID, err := db.st.BeginMaterialization(ctx, c.ID)
	if err != nil {
		return err
	}
	const chunk = 50000
	var total int64
	for lo := from; lo <= maxID; lo += chunk {
		n, err := db.st.MaterializeDeliveries(ctx, c.ID, a, lo, min(lo+chunk, maxID+1))
		if err != nil {
			return err
		}
		total += n
	}
	if err := db.st.FinishMaterialization(ctx, c.ID); err != nil {
		return err
	}
	elapsed := time.Since(start)
	if total != int64(o.recipients) {
		return fmt.Errorf("materialized %d deliveries, want %d", total, o.recipients)
	}
	fmt.Fprintf(stdout, "machine          %s\n", machine())
	fmt.Fprintf(stdout, "deliveries       %d (chunks of %d subscriber ids)\n", total, chunk)
	fmt.Fprintf(stdout, "seconds          %.2f\n", elapsed.Seconds())
	fmt.Fprintf(stdout, "rows/s           %.0f\n", float64(total)/elapsed.Seconds())
	return nil
}
