package main_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"newsletter/app/store"
	"newsletter/internal/testenv"
)

// TestRedisOutageKeepsSubscriptions: with Redis stopped people can still
// subscribe; their confirmations go out when Redis is back, none twice.
func TestRedisOutageKeepsSubscriptions(t *testing.T) {
	t.Parallel()
	mp := testenv.Mailpit(t)
	redisSrv := testenv.StartRedisServer(t)
	env := productionEnv(t)
	env["REDIS_URL"] = redisSrv.URL()
	env["SMTP_URL"] = mp.SMTPURL()
	p := start(t, env)
	redisSrv.Stop()

	const n = 5
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"name":"Person %c","email":"outage%d@example.com","consent_processing":true}`, 'A'+i, i)
		code, resp := do(t, "POST", p.base+"/subscribe", "application/json", body)
		if code != 202 {
			t.Fatalf("subscribe %d with Redis down: %d %s", i, code, resp)
		}
	}
	if code, body := get(p.base + "/readyz"); code != 503 || !strings.Contains(body, "queue") {
		t.Fatalf("readyz with Redis down: %d %s", code, body)
	}
	time.Sleep(time.Second)
	if c, _ := mp.Count(context.Background()); c != 0 {
		t.Fatalf("%d mails went out with Redis down", c)
	}
	redisSrv.Start()
	mp.WaitForCount(t, n, 40*time.Second)
	time.Sleep(2 * time.Second)
	msgs, err := mp.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[strings.ToLower(m.To[0])]++
	}
	if len(msgs) != n || len(seen) != n {
		t.Fatalf("%d messages to %d addresses after Redis came back, want %d each once: %v", len(msgs), len(seen), n, seen)
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestPostgresOutage: with the database stopped the product answers clear
// 503s and does not crash; it recovers when the database is back.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	pg := testenv.StartPostgresCluster(t)
	env := productionEnv(t)
	env["DATABASE_URL"] = pg.URL()
	p := start(t, env)
	body := `{"name":"Anna","email":"pg@example.com","consent_processing":true}`
	if code, resp := do(t, "POST", p.base+"/subscribe", "application/json", body); code != 202 {
		t.Fatalf("subscribe: %d %s", code, resp)
	}
	pg.Stop()
	code, resp := do(t, "POST", p.base+"/subscribe", "application/json", `{"name":"Boris","email":"pg2@example.com","consent_processing":true}`)
	if code != 503 || !strings.Contains(resp, "temporarily unavailable") {
		t.Fatalf("subscribe with the database down: %d %s", code, resp)
	}
	if code, page := do(t, "GET", p.base+"/privacy", "", ""); code != 503 || !strings.Contains(page, "<html") {
		t.Fatalf("page with the database down: %d", code)
	}
	if code, body := get(p.base + "/readyz"); code != 503 || !strings.Contains(body, "database") {
		t.Fatalf("readyz: %d %s", code, body)
	}
	pg.Start()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, resp = do(t, "POST", p.base+"/subscribe", "application/json", `{"name":"Boris","email":"pg2@example.com","consent_processing":true}`)
		if code == 202 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the database came back: %d %s", code, resp)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if strings.Contains(p.errOut(), "panic") {
		t.Fatalf("panic in the log:\n%s", p.errOut())
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestWebKilledMidRequest: a web process killed while requests are in
// flight leaves no half-written subscription: every subscriber has its
// confirmation and every confirmation its outbox row; a new process relays
// what the dead one left.
func TestWebKilledMidRequest(t *testing.T) {
	t.Parallel()
	env := productionEnv(t)
	env["NEWSLETTER_LIMIT_IP"] = "0"
	p := start(t, env, "web")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"name":"Kill Test","email":"k%d-%d@example.com","consent_processing":true}`, w, i)
				req, _ := newJSONRequest(p.base+"/subscribe", body)
				resp, err := httpClient.Do(req)
				if err != nil {
					return // the process is gone
				}
				resp.Body.Close()
			}
		}(w)
	}
	time.Sleep(700 * time.Millisecond)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	close(stop)
	wg.Wait()

	ctx := context.Background()
	st, err := store.Open(ctx, env["DATABASE_URL"], "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, _ := st.DB()
	var subs, orphans, unsent int
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.QueryRowContext(ctx, `SELECT count(*) FROM subscribers`).Scan(&subs))
	must(db.QueryRowContext(ctx, `SELECT count(*) FROM subscribers s WHERE NOT EXISTS (SELECT 1 FROM confirmations c WHERE c.subscriber_id = s.id)`).Scan(&orphans))
	must(db.QueryRowContext(ctx, `SELECT count(*) FROM confirmations c WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.payload LIKE '%"confirmation_id":' || c.id || '}%')`).Scan(&unsent))
	if subs == 0 {
		t.Fatal("no subscription was recorded before the kill")
	}
	if orphans != 0 || unsent != 0 {
		t.Fatalf("%d subscribers: %d without a confirmation, %d confirmations without an outbox row", subs, orphans, unsent)
	}
	// A new process relays whatever the dead one had not.
	p2 := start(t, env, "web")
	deadline := time.Now().Add(20 * time.Second)
	for {
		backlog, err := st.OutboxBacklog(ctx)
		must(err)
		if backlog == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox backlog %d after restart", backlog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := p2.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
