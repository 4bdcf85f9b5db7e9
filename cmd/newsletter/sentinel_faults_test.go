package main_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"newsletter/internal/smtpsink"
	"newsletter/internal/testenv"
)

// sentinelEnv is the environment of a production system whose Redis is a
// group watched by Sentinel.
func sentinelEnv(t *testing.T, group *testenv.SentinelGroup, sink *smtpsink.Server) map[string]string {
	return map[string]string{
		"DATABASE_URL":        testenv.Postgres(t),
		"REDIS_URL":           group.URL(),
		"SMTP_URL":            sink.URL(),
		"NEWSLETTER_SECRET":   "test-secret-0123456789abcdef0123456789",
		"NEWSLETTER_DATA_DIR": t.TempDir(),
		"METRICS_TOKEN":       productionMetricsToken,
		"OPERATOR_NAME":       "Example LLC",
		"OPERATOR_EMAIL":      "privacy@example.com",
		"MAIL_FROM":           "Example News <news@example.com>",
		// The per-address limit stays on (it is kept in Redis too); the
		// flood comes from one address, so the per-IP one is lifted.
		"NEWSLETTER_LIMIT_IP": "1000000",
	}
}

// TestSentinelFailover runs `newsletter web` and `newsletter worker` on
// PostgreSQL and a Redis master with a replica, watched by three
// Sentinels (REDIS_URL redis-sentinel://, with the servers' and the
// Sentinels' passwords). The master is killed (SIGKILL) twice: while
// people subscribe, and halfway through a campaign. Each time Sentinel
// promotes the replica and both processes follow it: every subscription is
// answered 202 and every confirmation arrives once; every recipient gets
// the campaign once; readiness and the rate limits work on the new master.
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	group := testenv.StartSentinelGroup(t, testenv.SentinelOptions{Replicas: 1, Sentinels: 3,
		Password: "server-pass-0123", SentinelPassword: "sentinel-pass-4567"})
	sink := &smtpsink.Server{CountRecipients: true}
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	env := sentinelEnv(t, group, sink)
	env["NEWSLETTER_OUTBOX_LEASE"] = "5s"
	db, err := sql.Open("pgx", env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	web := start(t, env, "web")
	wenv := map[string]string{"SMTP_RATE": "150"} // a campaign lasts long enough to be cut in the middle
	for k, v := range env {
		wenv[k] = v
	}
	worker := startWorker(t, wenv)

	// 1. Subscriptions keep coming while the master dies.
	var (
		mu       sync.Mutex
		accepted []string
		refused  []string
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("ha%d-%d@example.com", w, i)
				code, body := postJSON(web.base+"/subscribe",
					fmt.Sprintf(`{"name":"Person %c","email":%q,"consent_processing":true}`, 'A'+w, email))
				mu.Lock()
				if code == http.StatusAccepted {
					accepted = append(accepted, email)
				} else {
					refused = append(refused, fmt.Sprintf("%s: %d %.200s", email, code, body))
				}
				mu.Unlock()
			}
		}(w)
	}
	waitLong(t, "confirmations before the kill", time.Minute, func() bool { return sink.Accepted() >= 30 })
	old := group.KillMaster()
	killedAt := sink.Accepted()
	promoted := group.WaitForFailover(old, 90*time.Second)
	t.Logf("subscriptions: master %s killed after %d confirmations, %s promoted", old, killedAt, promoted)
	afterFailover := sink.Accepted()
	waitLong(t, "confirmations through the new master", 2*time.Minute, func() bool { return sink.Accepted() >= afterFailover+30 })
	close(stop)
	wg.Wait()
	if len(refused) > 0 {
		t.Errorf("%d subscriptions refused during the failover, e.g. %s", len(refused), refused[0])
	}
	waitLong(t, "every confirmation", 2*time.Minute, func() bool {
		counts := sink.Count()
		for _, e := range accepted {
			if counts[e] == 0 {
				return false
			}
		}
		return true
	}, func() string { return missingConfirmations(t, db, sink, accepted) })
	// Every outbox row has run to its end and nothing waits in the queue:
	// no copy can still be on its way.
	var open, depth int
	waitLong(t, "the outbox and the queue to be done", 3*time.Minute, func() bool {
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE done_at IS NULL`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		depth = queueDepth(t, web)
		return open == 0 && depth == 0
	}, func() string { return fmt.Sprintf("%d outbox rows not done, %d tasks in the queue", open, depth) })
	counts := sink.Count()
	twice := 0
	for _, e := range accepted {
		if counts[e] != 1 {
			twice++
			t.Errorf("%s got %d confirmations, want 1", e, counts[e])
		}
	}
	if int(sink.Accepted()) != len(accepted) || twice > 0 {
		t.Fatalf("%d messages for %d subscriptions (%d not exactly once)", sink.Accepted(), len(accepted), twice)
	}
	t.Logf("subscriptions: %d accepted, each confirmed once", len(accepted))
	if code, body := get(web.base + "/readyz"); code != 200 {
		t.Errorf("/readyz after the failover: %d %s", code, body)
	}
	// The per-address limit counts on the new master.
	var codes []int
	for i := 0; i < 6; i++ {
		code, _ := postJSON(web.base+"/subscribe", `{"name":"Limit Test","email":"limit@example.com","consent_processing":true}`)
		codes = append(codes, code)
	}
	if fmt.Sprint(codes) != "[202 202 202 202 202 429]" {
		t.Errorf("six subscriptions of one address after the failover: %v, want five 202 and a 429", codes)
	}

	// 2. The old master comes back as a replica; then the new master dies
	// halfway through a campaign.
	group.RestartAsReplica(old)
	const people = 1500
	importPeople(t, env, "m", people)
	auth := marketerAuth(t, env)
	camp := apiJSON(t, "POST", web.base+"/api/v1/campaigns",
		`{"name":"Failover","subject":"Failover news","purpose":"marketing","body_html":"<p>News.</p>","body_text":"News."}`, auth, 201)
	campURL := fmt.Sprintf("%s/api/v1/campaigns/%s", web.base, jsonNumber(camp["id"].(float64)))
	campaignMessages := func() (n int) {
		for to, c := range sink.Count() {
			if strings.HasPrefix(to, "m") {
				n += c
			}
		}
		return n
	}
	apiJSON(t, "POST", campURL+"/schedule", "", auth, 200)
	waitLong(t, "the campaign to be under way", 2*time.Minute, func() bool { return campaignMessages() >= people/5 })
	old2 := group.KillMaster()
	killedAt = int64(campaignMessages())
	promoted2 := group.WaitForFailover(old2, 90*time.Second)
	t.Logf("campaign: master %s killed after %d of %d messages, %s promoted", old2, killedAt, people, promoted2)
	var c map[string]any
	waitLong(t, "the campaign to finish", 4*time.Minute, func() bool {
		c = apiJSON(t, "GET", campURL, "", auth, 200)
		return c["status"] == "finished"
	}, func() string {
		return fmt.Sprintf("campaign %v: %v sent, %d at the sink", c["status"], c["sent"], campaignMessages())
	})
	if killedAt >= people {
		t.Fatalf("the campaign was over (%d messages) before the master was killed", killedAt)
	}
	counts = sink.Count()
	for i := 1; i <= people; i++ {
		if e := fmt.Sprintf("m%d@example.com", i); counts[e] != 1 {
			t.Errorf("%s got the campaign %d times, want 1", e, counts[e])
		}
	}
	if c["recipients"] != float64(people) || c["sent"] != float64(people) || c["failed"] != float64(0) || c["skipped"] != float64(0) {
		t.Errorf("counters: recipients %v sent %v failed %v skipped %v, want %d, %d, 0, 0",
			c["recipients"], c["sent"], c["failed"], c["skipped"], people, people)
	}
	if n := campaignMessages(); n != people {
		t.Errorf("%d campaign messages at the sink, want %d", n, people)
	}
	for _, p := range []*proc{web, worker} {
		if strings.Contains(p.errOut(), "panic") {
			t.Errorf("panic in a log:\n%s", p.errOut())
		}
		if code := p.terminate(t); code != 0 {
			t.Errorf("exit %d", code)
		}
	}
}

// missingConfirmations describes the subscriptions whose confirmation did
// not arrive, with the state of their outbox rows.
func missingConfirmations(t *testing.T, db *sql.DB, sink *smtpsink.Server, accepted []string) string {
	counts := sink.Count()
	var missing []string
	for _, e := range accepted {
		if counts[e] == 0 {
			missing = append(missing, e)
		}
	}
	sort.Strings(missing)
	rows, err := db.Query(`SELECT o.id, o.relayed_at IS NOT NULL, o.done_at IS NOT NULL FROM outbox o
		JOIN confirmations c ON o.payload LIKE '%"confirmation_id":' || c.id || '}%'
		JOIN subscribers s ON s.id = c.subscriber_id WHERE s.email = ANY($1) ORDER BY o.id`, missing)
	if err != nil {
		return fmt.Sprintf("%d confirmations missing: %v (outbox: %v)", len(missing), missing, err)
	}
	defer rows.Close()
	var states []string
	for rows.Next() {
		var id int64
		var relayed, done bool
		if err := rows.Scan(&id, &relayed, &done); err == nil {
			states = append(states, fmt.Sprintf("outbox %d relayed=%v done=%v", id, relayed, done))
		}
	}
	return fmt.Sprintf("%d of %d confirmations missing: %v\n%s", len(missing), len(accepted), missing, strings.Join(states, "\n"))
}

// TestSentinelOverTLS: with rediss-sentinel:// every connection, to the
// Sentinels and to the servers, is TLS, and their certificates are
// verified: a private authority is trusted through SSL_CERT_FILE, and
// without it the queue is unreachable (readiness names it).
func TestSentinelOverTLS(t *testing.T) {
	t.Parallel()
	group := testenv.StartSentinelGroup(t, testenv.SentinelOptions{Replicas: 1, Sentinels: 1, TLS: true,
		Password: "server-pass-0123", SentinelPassword: "sentinel-pass-4567"})
	if !strings.HasPrefix(group.URL(), "rediss-sentinel://") {
		t.Fatalf("REDIS_URL %s", group.URL())
	}
	sink := &smtpsink.Server{CountRecipients: true}
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	env := sentinelEnv(t, group, sink)

	untrusted := start(t, env, "web")
	waitLong(t, "readiness to name the queue", time.Minute, func() bool {
		code, body := get(untrusted.base + "/readyz")
		return code == 503 && strings.Contains(body, `"queue"`)
	})
	if code := untrusted.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(untrusted.errOut(), "certificate signed by unknown authority") {
		t.Errorf("the log does not say why the queue is unreachable:\n%.3000s", untrusted.errOut())
	}

	env["SSL_CERT_FILE"] = group.CA()
	p := start(t, env, "serve")
	if code, body := get(p.base + "/readyz"); code != 200 {
		t.Fatalf("/readyz over TLS: %d %s", code, body)
	}
	if code, body := postJSON(p.base+"/subscribe", `{"name":"Anna","email":"tls@example.com","consent_processing":true}`); code != 202 {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	waitLong(t, "the confirmation", time.Minute, func() bool { return sink.Count()["tls@example.com"] == 1 })
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}

	// One server over TLS, without Sentinel: rediss://.
	env["REDIS_URL"] = "rediss://:server-pass-0123@" + group.MasterAddr() + "/0"
	single := start(t, env, "web")
	if code, body := get(single.base + "/readyz"); code != 200 {
		t.Fatalf("/readyz with rediss://: %d %s", code, body)
	}
	if code := single.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestSentinelFailoverReplicationGap: Redis replicates asynchronously, so
// a task the master acknowledged and had not yet sent to its replica is
// gone after the failover. Here the replica is frozen and cut off, three
// confirmations are relayed to the master alone, and the master is
// killed. No confirmation may be lost: the rows stay unfinished in the
// outbox and are relayed again when their lease lapses, and each
// confirmation arrives exactly once.
func TestSentinelFailoverReplicationGap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	group := testenv.StartSentinelGroup(t, testenv.SentinelOptions{Replicas: 1, Sentinels: 1})
	sink := &smtpsink.Server{CountRecipients: true}
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	env := sentinelEnv(t, group, sink)
	// The lost rows are relayed again when their lease lapses: a short one
	// keeps the wait short (the default is two minutes).
	env["NEWSLETTER_OUTBOX_LEASE"] = "5s"
	db, err := sql.Open("pgx", env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	web := start(t, env, "web") // no worker yet: the tasks wait in Redis

	resume := group.CutReplication()
	emails := []string{"gap1@example.com", "gap2@example.com", "gap3@example.com"}
	for _, e := range emails {
		if code, body := postJSON(web.base+"/subscribe", `{"name":"Gap Test","email":"`+e+`","consent_processing":true}`); code != 202 {
			t.Fatalf("subscribe %s: %d %s", e, code, body)
		}
	}
	waitLong(t, "the relay to hand the confirmations to the master", time.Minute, func() bool {
		var waiting int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE relayed_at IS NULL`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		return waiting == 0
	})
	old := group.KillMaster()
	resume()
	promoted := group.WaitForFailover(old, 90*time.Second)
	t.Logf("master %s killed with the confirmations unreplicated, %s promoted", old, promoted)
	worker := startWorker(t, env)

	arrived := func() bool {
		counts := sink.Count()
		for _, e := range emails {
			if counts[e] == 0 {
				return false
			}
		}
		return true
	}
	// The tasks may be gone with the master; their rows, relayed and not
	// finished within the outbox lease, are relayed again.
	waitLong(t, "the confirmations", 2*time.Minute, arrived)
	waitLong(t, "the outbox and the queue to be done", 3*time.Minute, func() bool {
		var open int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE done_at IS NULL`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		return open == 0 && queueDepth(t, web) == 0
	})
	counts := sink.Count()
	for _, e := range emails {
		if counts[e] != 1 {
			t.Errorf("%s got %d confirmations, want 1", e, counts[e])
		}
	}
	for _, p := range []*proc{web, worker} {
		if code := p.terminate(t); code != 0 {
			t.Errorf("exit %d", code)
		}
	}
}
