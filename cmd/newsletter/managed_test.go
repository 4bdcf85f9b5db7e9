package main_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"newsletter/internal/smtpsink"
	"newsletter/internal/testenv"
)

// TestSmallDatabasePool: with DATABASE_MAX_CONNS=4, as on a managed
// PostgreSQL with few connections, a web and a worker process never hold
// more than 4 connections each, and the work still gets done: concurrent
// subscriptions are answered and confirmed, a campaign finishes.
func TestSmallDatabasePool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sink := &smtpsink.Server{CountRecipients: true}
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	env := productionEnv(t)
	env["SMTP_URL"] = sink.URL()
	env["NEWSLETTER_LIMIT_IP"] = "0"
	env["DATABASE_MAX_CONNS"] = "4"
	db, err := sql.Open("pgx", env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, _ := url.Parse(env["DATABASE_URL"])
	dbName := strings.TrimPrefix(u.Path, "/")
	named := func(name string) map[string]string {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		e["DATABASE_URL"] = env["DATABASE_URL"] + "&application_name=" + name
		return e
	}
	web := start(t, named("nl-web"), "web")
	worker := startWorker(t, named("nl-worker"))

	var (
		mu   sync.Mutex
		most = map[string]int{}
	)
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(50 * time.Millisecond):
			}
			rows, err := db.QueryContext(ctx, `SELECT application_name, count(*) FROM pg_stat_activity
				WHERE datname = $1 AND application_name LIKE 'nl-%' GROUP BY 1`, dbName)
			if err != nil {
				continue
			}
			for rows.Next() {
				var name string
				var n int
				if rows.Scan(&name, &n) == nil {
					mu.Lock()
					most[name] = max(most[name], n)
					mu.Unlock()
				}
			}
			rows.Close()
		}
	}()

	var wg sync.WaitGroup
	var refused []string
	for w := 0; w < 16; w++ {
		wg.Go(func() {
			for i := 0; i < 10; i++ {
				email := fmt.Sprintf("pool%d-%d@example.com", w, i)
				if code, body := postJSON(web.base+"/subscribe", `{"name":"Pool Test","email":"`+email+`","consent_processing":true}`); code != 202 {
					mu.Lock()
					refused = append(refused, fmt.Sprintf("%s: %d %s", email, code, body))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(refused) > 0 {
		t.Fatalf("%d subscriptions refused, e.g. %s", len(refused), refused[0])
	}
	waitLong(t, "160 confirmations", 2*time.Minute, func() bool { return sink.Accepted() >= 160 })

	const people = 400
	importPeople(t, env, "m", people)
	auth := marketerAuth(t, env)
	camp := apiJSON(t, "POST", web.base+"/api/v1/campaigns",
		`{"name":"Pool","subject":"Pool news","purpose":"marketing","body_html":"<p>News.</p>","body_text":"News."}`, auth, 201)
	campURL := fmt.Sprintf("%s/api/v1/campaigns/%s", web.base, jsonNumber(camp["id"].(float64)))
	apiJSON(t, "POST", campURL+"/schedule", "", auth, 200)
	var c map[string]any
	waitLong(t, "the campaign to finish", 3*time.Minute, func() bool {
		c = apiJSON(t, "GET", campURL, "", auth, 200)
		return c["status"] == "finished"
	})
	close(stopSampling)
	<-sampled
	if c["sent"] != float64(people) || sink.Accepted() != 160+people {
		t.Errorf("campaign sent %v, %d messages in all; want %d and %d", c["sent"], sink.Accepted(), people, 160+people)
	}
	t.Logf("most connections held: %v", most)
	for _, name := range []string{"nl-web", "nl-worker"} {
		if most[name] < 1 || most[name] > 4 {
			t.Errorf("%s held at most %d connections, want 1 to 4", name, most[name])
		}
	}
	for _, p := range []*proc{web, worker} {
		if code := p.terminate(t); code != 0 {
			t.Errorf("exit %d", code)
		}
	}
}

// TestPostgresOverTLS: a DATABASE_URL with sslmode=verify-full, as managed
// PostgreSQL services give, with the provider's authority in sslrootcert:
// migrations and the web process run over TLS with the server's
// certificate and host name verified; another authority is refused.
func TestPostgresOverTLS(t *testing.T) {
	t.Parallel()
	pg, files := testenv.StartPostgresClusterTLS(t)
	env := productionEnv(t)
	base := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=verify-full", pg.Port)
	env["DATABASE_URL"] = base + "&sslrootcert=" + url.QueryEscape(files.CA) + "&application_name=nl-tls"
	if code, out, errOut := runCmd(t, env, "migrate"); code != 0 || !strings.Contains(out, "schema version") {
		t.Fatalf("migrate over TLS: %d %s %s", code, out, errOut)
	}
	p := start(t, env, "web")
	if code, body := get(p.base + "/readyz"); code != 200 {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	db, err := sql.Open("pgx", base+"&sslrootcert="+url.QueryEscape(files.CA))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var plain, encrypted int
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE NOT s.ssl), count(*) FILTER (WHERE s.ssl)
		FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid WHERE a.application_name = 'nl-tls'`).Scan(&plain, &encrypted); err != nil {
		t.Fatal(err)
	}
	if plain != 0 || encrypted == 0 {
		t.Errorf("the web process holds %d plain and %d TLS connections, want TLS only", plain, encrypted)
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}

	other := testenv.NewTLSFiles(t, t.TempDir())
	env["DATABASE_URL"] = base + "&sslrootcert=" + url.QueryEscape(other.CA)
	if code, _, errOut := runCmd(t, env, "migrate"); code == 0 || !strings.Contains(errOut, "certificate") {
		t.Fatalf("migrate trusting another authority: exit %d, %s", code, errOut)
	}
}
