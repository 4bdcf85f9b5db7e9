package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"newsletter/internal/smtpsink"
	"newsletter/internal/testenv"
)

// Fault tests of sending: a worker killed while its database is slow, and
// a queue that loses its data in the middle of subscriptions and of a
// campaign. Each counts what reached the SMTP server.

// sendEnv is a production environment sending to a sink that counts and
// keeps every message.
func sendEnv(t *testing.T) (map[string]string, *smtpsink.Server) {
	t.Helper()
	sink := &smtpsink.Server{Keep: true, CountRecipients: true}
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	env := productionEnv(t)
	env["SMTP_URL"] = sink.URL()
	env["OPERATOR_NAME"] = "Example LLC"
	env["OPERATOR_EMAIL"] = "privacy@example.com"
	env["MAIL_FROM"] = "Example News <news@example.com>"
	env["LOG_LEVEL"] = "info"
	return env, sink
}

// withEnv returns a copy of env with the given variables changed.
func withEnv(env map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(env)+len(kv)/2)
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// scheduleCampaign writes a marketing campaign through the API of web and
// schedules it now; it returns the campaign's API URL.
func scheduleCampaign(t *testing.T, web *proc, auth []string, subject string) string {
	t.Helper()
	camp := apiJSON(t, "POST", web.base+"/api/v1/campaigns", fmt.Sprintf(
		`{"name":"Fault test","subject":%q,"purpose":"marketing","body_html":"<p>News for {{.Name}}.</p>","body_text":"News."}`, subject),
		auth, 201)
	u := fmt.Sprintf("%s/api/v1/campaigns/%s", web.base, jsonNumber(camp["id"].(float64)))
	if c := apiJSON(t, "POST", u+"/schedule", `{}`, auth, 200); c["status"] != "running" && c["status"] != "scheduled" {
		t.Fatalf("schedule: status %v", c["status"])
	}
	return u
}

// waitLong polls cond until it holds, for up to 90 seconds.
// waitFinished waits (up to timeout) until the campaign at u is finished.
func waitFinished(t *testing.T, u string, auth []string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c := apiJSON(t, "GET", u, "", auth, 200)
		if c["status"] == "finished" {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign not finished within %v: %v, %v sent", timeout, c["status"], c["sent"])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// campaignCopies counts, per recipient, the copies of the message with
// subject that the sink kept, and checks that the copies of one recipient
// share their Message-ID (receivers drop the second).
func campaignCopies(t *testing.T, sink *smtpsink.Server, subject string) map[string]int {
	t.Helper()
	copies := map[string]int{}
	ids := map[string]string{}
	for _, e := range sink.Messages() {
		m, err := mail.ReadMessage(bytes.NewReader(e.Data))
		if err != nil {
			t.Fatalf("message to %v: %v", e.To, err)
		}
		if m.Header.Get("Subject") != subject {
			continue
		}
		for _, to := range e.To {
			to = strings.ToLower(to)
			copies[to]++
			id := m.Header.Get("Message-Id")
			if prev, ok := ids[to]; ok && prev != id {
				t.Errorf("%s got copies with Message-IDs %s and %s", to, prev, id)
			}
			ids[to] = id
		}
	}
	return copies
}

// checkCopies fails the test when a person got nothing, or someone outside
// want got anything, and returns how many copies went out beyond one each.
func checkCopies(t *testing.T, copies map[string]int, want []string) (extra int) {
	t.Helper()
	missed := 0
	for _, w := range want {
		switch n := copies[w]; {
		case n == 0:
			missed++
		case n > 1:
			extra += n - 1
		}
	}
	if missed > 0 {
		t.Errorf("%d of %d people got no message", missed, len(want))
	}
	if len(copies) > len(want) {
		t.Errorf("messages went to %d addresses, want %d", len(copies), len(want))
	}
	return extra
}

// TestKilledWorkerResendsAtMostItsSenders: a worker whose database answers
// every round trip 100 to 300 ms late is killed with SIGKILL in the middle
// of a campaign and started again. At the kill it held at most as many
// messages accepted by the SMTP server and not yet recorded as it has task
// handlers (NEWSLETTER_WORKERS), nobody is missed, and exactly those
// messages go out a second time, with the same Message-ID.
func TestKilledWorkerResendsAtMostItsSenders(t *testing.T) {
	t.Parallel() // each has its own database, queue and SMTP server; both mostly wait
	const (
		people  = 4000 // four ranges of delivery ids: a batch task for each handler
		senders = 4
		subject = "Slow database news"
	)
	ctx := context.Background()
	env, sink := sendEnv(t)
	want := importPeople(t, env, "p", people)
	auth := marketerAuth(t, env)
	web := start(t, env, "web")
	dbURL, err := url.Parse(env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	slowDB := testenv.StartLatencyProxy(t, dbURL.Host, 100*time.Millisecond, 300*time.Millisecond)
	w1 := startWorker(t, withEnv(env, "DATABASE_URL", slowDB.URL(t, env["DATABASE_URL"]),
		"NEWSLETTER_WORKERS", fmt.Sprint(senders), "NEWSLETTER_BASE_URL", web.base))
	u := scheduleCampaign(t, web, auth, subject)
	campID, _ := strconv.ParseInt(u[strings.LastIndexByte(u, '/')+1:], 10, 64)

	// Everything the worker does waits for its slow database: a long wait.
	waitLong(t, "the first messages", 90*time.Second, func() bool { return sink.Accepted() >= 20 })
	_ = w1.cmd.Process.Signal(syscall.SIGKILL)
	<-w1.done
	time.Sleep(time.Second) // the sink finishes the sessions the kill cut
	db, err := sql.Open("pgx", env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var recorded int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE campaign_id = $1 AND status = 'sent'`,
		campID).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	accepted := sink.Accepted()
	unrecorded := accepted - recorded
	t.Logf("at the kill: %d messages accepted by the server, %d recorded as sent", accepted, recorded)
	if accepted >= people {
		t.Fatal("the kill came after the end of the campaign")
	}
	if unrecorded > senders {
		t.Errorf("the killed worker held %d messages accepted and not recorded; the bound is %d (NEWSLETTER_WORKERS)", unrecorded, senders)
	}

	startWorker(t, withEnv(env, "NEWSLETTER_WORKERS", fmt.Sprint(senders), "NEWSLETTER_BASE_URL", web.base))
	c := waitFinished(t, u, auth, 90*time.Second)
	extra := checkCopies(t, campaignCopies(t, sink, subject), want)
	t.Logf("after the restart: %v sent, %d messages sent twice", c["sent"], extra)
	if int64(extra) != unrecorded {
		t.Errorf("%d messages went out twice, want the %d accepted and not recorded at the kill", extra, unrecorded)
	}
	if c["sent"] != float64(people) {
		t.Errorf("sent %v, want %d", c["sent"], people)
	}
}

// TestQueueLosesItsData empties the queue's Redis database (as a restart
// without persistence, or a failover to a replica that lagged, does) in the
// middle of subscriptions and of a campaign, without restarting anything:
// every confirmation and every campaign message still goes out, once.
func TestQueueLosesItsData(t *testing.T) {
	t.Parallel() // each has its own database, queue and SMTP server; both mostly wait
	const (
		lease   = 3 * time.Second
		people  = 1200 // two ranges of delivery ids: two batch tasks
		subject = "Lost queue news"
	)
	ctx := context.Background()
	env, sink := sendEnv(t)
	env = withEnv(env, "NEWSLETTER_OUTBOX_LEASE", lease.String(), "NEWSLETTER_LIMIT_IP", "0", "NEWSLETTER_LIMIT_ADDRESS", "0")
	opt, err := redis.ParseURL(env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	loseQueue := func() {
		t.Helper()
		if err := rc.FlushDB(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	web := start(t, env, "web")
	var subscribers []string
	subscribe := func(n int) {
		t.Helper()
		for range n {
			email := fmt.Sprintf("s%d@example.org", len(subscribers)+1)
			body := fmt.Sprintf(`{"name":"Person S","email":%q,"consent_processing":true}`, email)
			if code, resp := do(t, "POST", web.base+"/subscribe", "application/json", body); code != 202 {
				t.Fatalf("subscribe: %d %s", code, resp)
			}
			subscribers = append(subscribers, email)
		}
		waitUntil(t, "the outbox to be relayed", func() bool { return count(`SELECT count(*) FROM outbox WHERE relayed_at IS NULL`) == 0 })
	}

	// Subscriptions whose confirmation tasks wait in the queue, no worker
	// running yet; the queue loses them.
	subscribe(40)
	loseQueue()
	// Then a worker takes tasks one at a time while the SMTP server holds
	// its answer: its first confirmation is in hand, the rest wait in the
	// queue, which loses them too.
	sink.Hold()
	worker := startWorker(t, withEnv(env, "NEWSLETTER_WORKERS", "1", "NEWSLETTER_BASE_URL", web.base))
	subscribe(40)
	waitUntil(t, "the worker to take a confirmation", func() bool {
		return count(`SELECT count(*) FROM sent_mail WHERE status = 'sending'`) == 1
	})
	loseQueue()
	sink.Release()
	confirmations := func() map[string]int {
		out := map[string]int{}
		for _, m := range sinkMessages(t, sink, 0) {
			if strings.HasSuffix(m.to, "@example.org") {
				out[m.to]++
			}
		}
		return out
	}
	deadline := time.Now().Add(90 * time.Second)
	for len(confirmations()) < len(subscribers) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d confirmations went out after the queue lost its data", len(confirmations()), len(subscribers))
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * lease) // leases that run out now find every row finished
	if extra := checkCopies(t, confirmations(), subscribers); extra != 0 {
		t.Errorf("%d confirmations went out twice", extra)
	}
	if n := count(`SELECT count(*) FROM outbox WHERE done_at IS NULL`); n != 0 {
		t.Errorf("%d outbox rows unfinished", n)
	}
	if logged("the queue had lost tasks of outbox rows; enqueued them again", web, worker) == 0 {
		t.Error("no process said it enqueued lost tasks again")
	}

	// A campaign of two batch tasks on a worker that runs one task at a
	// time: the first batch is sending (the SMTP server holds its answer),
	// the second waits in the queue, which loses it.
	want := importPeople(t, env, "p", people)
	auth := marketerAuth(t, env)
	sink.Hold()
	u := scheduleCampaign(t, web, auth, subject)
	waitLong(t, "the first batch to claim its deliveries", 90*time.Second, func() bool {
		return count(`SELECT count(*) FROM deliveries WHERE status = 'sending'`) > 0
	})
	loseQueue()
	sink.Release()
	c := waitFinished(t, u, auth, 120*time.Second)
	if extra := checkCopies(t, campaignCopies(t, sink, subject), want); extra != 0 {
		t.Errorf("%d campaign messages went out twice", extra)
	}
	if c["sent"] != float64(people) {
		t.Errorf("sent %v, want %d", c["sent"], people)
	}
}
