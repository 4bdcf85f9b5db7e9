package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"testing"
	"time"

	"newsletter/internal/smtpsink"
	"newsletter/internal/testenv"
)

// startWorker runs `newsletter worker` (it has no HTTP server) and waits
// until it says it processes the queues.
func startWorker(t *testing.T, env map[string]string) *proc {
	t.Helper()
	p := launch(t, envList(env), "worker")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.out(), "processing queues") {
		select {
		case err := <-p.done:
			t.Fatalf("worker exited early: %v\n%s%s", err, p.out(), p.errOut())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker did not start within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

// logged counts the log records with message msg in the processes' logs.
func logged(msg string, ps ...*proc) int {
	n := 0
	for _, p := range ps {
		n += strings.Count(p.errOut(), `msg="`+msg+`"`)
	}
	return n
}

// apiJSON calls the API and decodes its JSON answer.
func apiJSON(t *testing.T, method, url, body string, auth []string, want int) map[string]any {
	t.Helper()
	code, resp := do(t, method, url, "application/json", body, auth...)
	if code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, code, resp, want)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp), &m); err != nil {
		t.Fatalf("%s %s: %v: %s", method, url, err, resp)
	}
	return m
}

// sinkMessage is the envelope and the headers of a message the sink kept.
type sinkMessage struct {
	to        string
	subject   string
	inReplyTo string
}

// sinkMessages reads the messages the sink kept, from the from-th on.
func sinkMessages(t *testing.T, sink *smtpsink.Server, from int) []sinkMessage {
	t.Helper()
	var out []sinkMessage
	for _, e := range sink.Messages()[from:] {
		m, err := mail.ReadMessage(bytes.NewReader(e.Data))
		if err != nil {
			t.Fatalf("message to %v: %v", e.To, err)
		}
		for _, to := range e.To {
			out = append(out, sinkMessage{to: strings.ToLower(to), subject: m.Header.Get("Subject"),
				inReplyTo: m.Header.Get("In-Reply-To")})
		}
	}
	return out
}

// TestSeveralMachines runs two `newsletter web` and two `newsletter worker`
// processes on one PostgreSQL database and one Redis: a scheduled campaign
// starts once and reaches each recipient exactly once, shared by both
// workers; people who opt out by one click on either web process before
// their batch claim get nothing; the periodic sweep runs once per slot; the
// mailbox is read by one worker at a time, the other taking over when it
// stops, and each emailed request is processed and answered once.
func TestSeveralMachines(t *testing.T) {
	t.Parallel()
	const (
		people  = 1200 // two ranges of delivery ids: a batch task each
		subject = "Multinode spring news"
	)
	ctx := context.Background()
	sink := &smtpsink.Server{Keep: true, CountRecipients: true}
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	dv := testenv.Dovecot(t)
	env := productionEnv(t)
	env["SMTP_URL"] = sink.URL()
	env["IMAP_URL"] = dv.URL()
	env["OPERATOR_NAME"] = "Example LLC"
	env["OPERATOR_EMAIL"] = "privacy@example.com"
	env["MAIL_FROM"] = "Example News <news@example.com>"
	env["LOG_LEVEL"] = "info"
	db, err := sql.Open("pgx", env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	importPeople(t, env, "m", people)
	auth := marketerAuth(t, env)
	ids := map[string]int64{}
	rows, err := db.QueryContext(ctx, `SELECT id, email FROM subscribers`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var email string
		if err := rows.Scan(&id, &email); err != nil {
			t.Fatal(err)
		}
		ids[email] = id
	}
	rows.Close()

	// One worker task at a time per process: the campaign's two batch
	// tasks run on both workers at once.
	wenv := map[string]string{"NEWSLETTER_WORKERS": "1"}
	for k, v := range env {
		wenv[k] = v
	}
	webs := []*proc{start(t, env, "web"), start(t, env, "web")}
	wenv["NEWSLETTER_BASE_URL"] = webs[0].base
	firstSlot := time.Now().Truncate(10 * time.Minute)
	workers := []*proc{startWorker(t, wenv), startWorker(t, wenv)}
	all := append(append([]*proc{}, webs...), workers...)

	oneClick := func(web *proc, email string) {
		t.Helper()
		link := links(t, env, web.base).Unsubscribe(ids[email], 0)
		code, body := do(t, "POST", link, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click",
			"User-Agent", "Mailbox-Provider/1.0")
		if code != 200 || !strings.Contains(body, "unsubscribed") {
			t.Fatalf("one-click for %s on %s: %d %q", email, web.base, code, body)
		}
	}
	optedOut := map[string]bool{}
	// Before the campaign: ten people opt out, on either web process.
	for i := 0; i < 10; i++ {
		email := fmt.Sprintf("m%d@example.com", 5+i*people/10)
		oneClick(webs[i%2], email)
		optedOut[email] = true
	}
	early := len(optedOut)

	// The campaign, written on one web process and scheduled on the other
	// a few seconds ahead. The SMTP server holds its answers, so each
	// batch stops after its first claim.
	camp := apiJSON(t, "POST", webs[0].base+"/api/v1/campaigns", fmt.Sprintf(
		`{"name":"Spring","subject":%q,"purpose":"marketing","body_html":"<p>Spring news.</p>","body_text":"Spring news."}`, subject),
		auth, 201)
	campURL := fmt.Sprintf("%s/api/v1/campaigns/%s", webs[1].base, jsonNumber(camp["id"].(float64)))
	campID := int64(camp["id"].(float64))
	sink.Hold()
	sendAt := time.Now().Add(3 * time.Second).Truncate(time.Second)
	if c := apiJSON(t, "POST", campURL+"/schedule", `{"send_at":"`+sendAt.Format(time.RFC3339)+`"}`, auth, 200); c["status"] != "scheduled" {
		t.Fatalf("scheduled campaign: %v", c["status"])
	}

	// Both workers claim a batch; the people whose delivery no claim holds
	// yet opt out (on both web processes) while the SMTP server waits.
	var owners int
	waitUntil(t, "claims of both workers", func() bool {
		if err := db.QueryRowContext(ctx, `SELECT count(DISTINCT c.owner) FROM delivery_claims c
			JOIN deliveries d ON d.claim_id = c.id WHERE c.campaign_id = $1`, campID).Scan(&owners); err != nil {
			t.Fatal(err)
		}
		return owners >= 2
	})
	type person struct {
		id    int64
		email string
	}
	var late []person
	rows, err = db.QueryContext(ctx, `SELECT d.subscriber_id, s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
		WHERE d.campaign_id = $1 AND d.status = 'pending' ORDER BY d.id`, campID)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; rows.Next(); i++ {
		var p person
		if err := rows.Scan(&p.id, &p.email); err != nil {
			t.Fatal(err)
		}
		if i%50 == 7 {
			late = append(late, p)
		}
	}
	rows.Close()
	lateIDs := make([]int64, len(late))
	for i, p := range late {
		oneClick(webs[i%2], p.email)
		optedOut[p.email] = true
		lateIDs[i] = p.id
	}
	// Their deliveries were still unclaimed when the opt-out returned.
	var claimed int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE campaign_id = $1 AND subscriber_id = ANY($2)
		AND status NOT IN ('pending', 'opted_out')`, campID, lateIDs).Scan(&claimed); err != nil {
		t.Fatal(err)
	}
	if len(late) < 15 || claimed != 0 {
		t.Fatalf("%d people opted out while the batches waited, %d of them already claimed", len(late), claimed)
	}
	if n := sink.Accepted(); n != 0 {
		t.Fatalf("%d messages accepted while the SMTP server held its answers", n)
	}
	sink.Release()

	var c map[string]any
	deadline := time.Now().Add(60 * time.Second)
	for {
		c = apiJSON(t, "GET", campURL, "", auth, 200)
		if c["status"] == "finished" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign not finished within 60s: %v, %v sent", c["status"], c["sent"])
		}
		time.Sleep(200 * time.Millisecond)
	}
	eligible := people - len(optedOut)
	t.Logf("campaign: %d recipients, %d sent, %d opted out at send time, by %d workers", int(c["recipients"].(float64)),
		int(c["sent"].(float64)), int(c["opted_out"].(float64)), owners)
	if c["recipients"] != float64(people-early) || c["sent"] != float64(eligible) || c["opted_out"] != float64(len(late)) ||
		c["failed"] != float64(0) || c["skipped"] != float64(0) {
		t.Errorf("counters: recipients %v sent %v opted_out %v failed %v skipped %v; want %d, %d, %d, 0, 0",
			c["recipients"], c["sent"], c["opted_out"], c["failed"], c["skipped"], people-early, eligible, len(late))
	}
	started, err := time.Parse(time.RFC3339Nano, c["started_at"].(string))
	if err != nil || started.Before(sendAt.Add(-time.Second)) {
		t.Errorf("started at %v (%v), scheduled for %v", c["started_at"], err, sendAt)
	}
	got := map[string]int{}
	for _, m := range sinkMessages(t, sink, 0) {
		if m.subject == subject {
			got[m.to]++
		}
	}
	for i := 1; i <= people; i++ {
		email := fmt.Sprintf("m%d@example.com", i)
		want := 1
		if optedOut[email] {
			want = 0
		}
		if got[email] != want {
			t.Errorf("%s got the campaign %d times, want %d", email, got[email], want)
		}
	}
	if len(got) > eligible {
		t.Errorf("the campaign went to %d addresses, want %d", len(got), eligible)
	}
	for _, msg := range []string{"campaign started", "campaign materialized", "campaign finished"} {
		if n := logged(msg, all...); n != 1 {
			t.Errorf("%q logged %d times across the processes, want once", msg, n)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The mailbox: one worker reads it; each request is acted on and
	// answered once. The requests come from six recipients of the campaign.
	var askers []string
	for i := 1; len(askers) < 6; i++ {
		if email := fmt.Sprintf("m%d@example.com", i); !optedOut[email] {
			askers = append(askers, email)
		}
	}
	const optoutSubject = "Cancel Newsletter with New Products, Services and Special Offers"
	requestMail := func(i int) []byte {
		return request(askers[i], optoutSubject, fmt.Sprintf("multinode-%d@example.com", i), "Please stop.", false)
	}
	sent := len(sink.Messages())
	replies := func() map[string][]string { // In-Reply-To: recipients
		out := map[string][]string{}
		for _, m := range sinkMessages(t, sink, sent) {
			out[m.inReplyTo] = append(out[m.inReplyTo], m.to)
		}
		return out
	}
	for i := 0; i < 4; i++ {
		dv.Append(t, requestMail(i))
	}
	waitUntil(t, "the first requests to be read and answered", func() bool {
		return dv.Count(t, "INBOX") == 0 && dv.Count(t, "Processed") == 4 && len(replies()) == 4
	})
	var leader, other *proc
	for i, w := range workers {
		if strings.Contains(w.errOut(), `msg="mailbox: reading the mailbox"`) {
			if leader != nil {
				t.Fatal("both workers read the mailbox")
			}
			leader, other = w, workers[1-i]
		}
	}
	if leader == nil || logged("mailbox: reading the mailbox", webs...) != 0 {
		t.Fatal("not one worker, and no web process, reads the mailbox")
	}
	if code := leader.terminate(t); code != 0 {
		t.Fatalf("leader exit %d", code)
	}
	// The other worker takes over; the first request, delivered again,
	// is moved but neither processed nor answered again.
	dv.Append(t, requestMail(4))
	dv.Append(t, requestMail(5))
	dv.Append(t, requestMail(0))
	waitUntil(t, "the other worker to read the mailbox", func() bool {
		return dv.Count(t, "INBOX") == 0 && dv.Count(t, "Processed") == 7 && len(replies()) == 6
	})
	if logged("mailbox: reading the mailbox", other) != 1 {
		t.Errorf("the second worker did not take the mailbox over once")
	}
	time.Sleep(time.Second)
	for i, asker := range askers {
		to := replies()[fmt.Sprintf("<multinode-%d@example.com>", i)]
		if len(to) != 1 || to[0] != asker {
			t.Errorf("request %d from %s answered to %v, want once", i, asker, to)
		}
	}
	if n := len(sink.Messages()) - sent; n != len(askers) {
		t.Errorf("%d messages after the campaign, want the %d answers", n, len(askers))
	}
	if n := logged("inbound message examined", workers...); n != len(askers) {
		t.Errorf("%d emailed requests examined, want %d", n, len(askers))
	}
	var requests, withdrawn int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM requests WHERE channel = 'email' AND kind = 'marketing_optout'`).Scan(&requests); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM consents c JOIN subscribers s ON s.id = c.subscriber_id
		WHERE c.purpose = 'marketing' AND NOT c.granted AND s.email = ANY($1)`, askers).Scan(&withdrawn); err != nil {
		t.Fatal(err)
	}
	if requests != len(askers) || withdrawn != len(askers) {
		t.Errorf("%d emailed opt-out requests recorded and %d consents withdrawn, want %d each", requests, withdrawn, len(askers))
	}

	// The sweep ran once per ten-minute slot across both workers (every
	// worker offers each slot's task every five seconds).
	if now := time.Now(); now.Truncate(10*time.Minute).After(firstSlot) && now.Sub(now.Truncate(10*time.Minute)) < 8*time.Second {
		time.Sleep(8*time.Second - now.Sub(now.Truncate(10*time.Minute)))
	}
	slots := int(time.Now().Truncate(10*time.Minute).Sub(firstSlot)/(10*time.Minute)) + 1
	if n := logged("sweep done", workers...); n != slots {
		t.Errorf("the sweep ran %d times in %d slot(s), want once per slot", n, slots)
	}
	for _, p := range append(webs, other) {
		if code := p.terminate(t); code != 0 {
			t.Errorf("exit %d", code)
		}
	}
}
