package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/app/webhook"
	"newsletter/internal/standardhooks"
	"newsletter/internal/testenv"
	"newsletter/jobs"
)

// receiver is an HTTPS endpoint that checks each request's signature as
// the Standard Webhooks specification says, answers 500 to the first
// attempt of each event and 204 after, and keeps what it got.
type receiver struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	tries  map[string]int // attempts per webhook-id
	ok     map[string]int // 2xx answers per webhook-id
	bodies map[string]string
	bad    []string // what failed verification
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{tries: map[string]int{}, ok: map[string]int{}, bodies: map[string]string{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		id := req.Header.Get("webhook-id")
		if err := standardhooks.Verify(r.secret, req.Header, body, time.Now()); err != nil {
			r.bad = append(r.bad, id+": "+err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.tries[id]++
		if r.tries[id] == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":"try again"}`)
			return
		}
		r.ok[id]++
		r.bodies[id] = string(body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) snapshot() (tries, ok map[string]int, bodies map[string]string, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cp := func(m map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	bodies = map[string]string{}
	for k, v := range r.bodies {
		bodies[k] = v
	}
	return cp(r.tries), cp(r.ok), bodies, append([]string(nil), r.bad...)
}

// TestWebhookDeliveries sends the events of an advertising opt-out to a
// real HTTPS endpoint through the outbox, the relay and asynq on Redis,
// on PostgreSQL and on SQLite: each event is signed, retried after the
// endpoint's 500, delivered exactly once per event id however often its
// task runs or its row is relayed, and replayed on request. Payloads
// carry no personal data.
func TestWebhookDeliveries(t *testing.T) {
	for _, dialect := range []string{"postgres", "sqlite"} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			var s *store.Store
			if dialect == "postgres" {
				s = openStore(t)
			} else {
				var err error
				if s, err = store.Open(ctx, "", filepath.Join(t.TempDir(), "newsletter.db")); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if _, err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			testWebhookDeliveries(t, s)
		})
	}
}

func testWebhookDeliveries(t *testing.T, s *store.Store) {
	ctx := context.Background()
	q := connect(t, testenv.Redis(t))
	rcv := newReceiver(t)
	relay := jobs.NewRelay(s, q.Client, quietLog())
	hooks := &app.Webhooks{Store: s, AllowPrivate: true, Wake: relay.Wake}
	ep, err := hooks.Create(ctx, nil, app.WebhookInput{URL: rcv.srv.URL + "/hooks",
		Events: []string{"consent.withdrawn", "request.created", "request.completed"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("secret %q", ep.Secret)
	}
	rcv.mu.Lock()
	rcv.secret = ep.Secret
	rcv.mu.Unlock()

	// A subscriber who opts out of advertising.
	sub := &app.Subscriber{Email: "ada@example.com", Name: "Ada Lovelace", Phone: "+79123456789", Status: app.StatusActive}
	must(t, s.CreateSubscriber(ctx, sub))
	must(t, s.SetConsent(ctx, sub.ID, app.PurposeMarketing, true, time.Now()))
	changed, err := s.WithdrawMarketing(ctx, sub.ID, 0, app.Evidence{Channel: app.ChannelOneClick, IP: "203.0.113.9", UserAgent: "Mail"})
	if err != nil || !changed {
		t.Fatalf("withdraw: %v %v", changed, err)
	}

	sender := webhook.NewSender(webhook.Options{AllowPrivate: true, Transport: func(tr *http.Transport) {
		tr.TLSClientConfig = rcv.srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	}})
	handler := jobs.WebhookHandler{Store: s, Sender: sender}
	w := jobs.NewWorker(q, jobs.WorkerOptions{Concurrency: 4, Log: quietLog(), Outbox: s}, handler)
	must(t, w.Start())
	defer w.Shutdown()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		relay.Run(rctx)
	}()

	// Done when the three deliveries are recorded as delivered.
	delivered := func() bool {
		list, err := hooks.Deliveries(ctx, ep.ID, 10)
		must(t, err)
		n := 0
		for _, d := range list {
			if d.Status == app.WebhookDelivered {
				n++
			}
		}
		return n == 3
	}
	waitFor(t, time.Minute, "three events delivered", delivered)

	tries, ok, bodies, bad := rcv.snapshot()
	if len(bad) > 0 {
		t.Fatalf("signatures that did not verify: %v", bad)
	}
	if len(ok) != 3 {
		t.Fatalf("events delivered: %v", ok)
	}
	types := map[app.EventType]bool{}
	for id, n := range ok {
		if n != 1 || tries[id] != 2 {
			t.Errorf("%s: %d deliveries in %d attempts, want 1 in 2 (one 500, one retry)", id, n, tries[id])
		}
		for _, pii := range []string{"ada@example.com", "Ada", "Lovelace", "79123456789", "203.0.113.9"} {
			if strings.Contains(bodies[id], pii) {
				t.Errorf("%s carries personal data %q: %s", id, pii, bodies[id])
			}
		}
		var b struct {
			Type      app.EventType `json:"type"`
			Timestamp time.Time     `json:"timestamp"`
			Data      app.EventData `json:"data"`
		}
		must(t, json.Unmarshal([]byte(bodies[id]), &b))
		types[b.Type] = true
		if b.Data.SubscriberID != sub.ID || b.Timestamp.IsZero() {
			t.Errorf("%s: %s", id, bodies[id])
		}
		if b.Type == app.EventConsentWithdrawn && (b.Data.Purpose != app.PurposeMarketing || b.Data.Channel != app.ChannelOneClick || b.Data.RequestID == 0) {
			t.Errorf("consent.withdrawn: %s", bodies[id])
		}
	}
	if !types[app.EventConsentWithdrawn] || !types[app.EventRequestCreated] || !types[app.EventRequestCompleted] {
		t.Errorf("event types %v", types)
	}

	// The console's record of each delivery.
	list, err := hooks.Deliveries(ctx, ep.ID, 10)
	must(t, err)
	if len(list) != 3 {
		t.Fatalf("%d deliveries", len(list))
	}
	for _, d := range list {
		if d.Status != app.WebhookDelivered || d.Attempts != 2 || d.ResponseCode == nil || *d.ResponseCode != 204 || d.DeliveredAt == nil {
			t.Errorf("delivery %+v", d)
		}
	}

	// Exactly once: a task that runs again, and rows relayed again, send
	// nothing more.
	for _, d := range list {
		payload, _ := json.Marshal(app.WebhookDeliveryRef{DeliveryID: d.ID})
		must(t, handler.ProcessTask(ctx, asynq.NewTask(app.OutboxWebhook, payload)))
	}
	// The running relay reads Lease: stop it before the change.
	stop()
	<-relayDone
	relay.Lease = time.Nanosecond
	if _, _, err := relay.RelayExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := relay.RelayOnce(ctx); err != nil || n != 0 {
		t.Fatalf("relayed %d more, %v", n, err)
	}
	// The relay runs again, with its usual lease, for the replay below.
	relay.Lease = 0
	rctx2, stop2 := context.WithCancel(ctx)
	defer stop2()
	go relay.Run(rctx2)
	_, ok2, _, _ := rcv.snapshot()
	for id, n := range ok2 {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}

	// A replay sends the event again, with its own id.
	replayed := list[0]
	must(t, hooks.Replay(ctx, nil, replayed.ID))
	id := "evt_" + strconv.FormatInt(replayed.EventID, 10)
	waitFor(t, time.Minute, "the replay delivered", delivered)
	if _, ok, _, _ := rcv.snapshot(); ok[id] != 2 {
		t.Errorf("the replayed event was delivered %d times, want 2", ok[id])
	}
	_, ok3, _, _ := rcv.snapshot()
	for other, n := range ok3 {
		if other != id && n != 1 {
			t.Errorf("%s delivered %d times after another's replay", other, n)
		}
	}
}

// TestWebhookRetrySchedule: retries of a webhook delivery back off over
// about a day, other tasks keep their own schedule.
func TestWebhookRetrySchedule(t *testing.T) {
	var total time.Duration
	for n := 0; n < 7; n++ {
		d := jobs.RetryDelay(n, nil, asynq.NewTask(app.OutboxWebhook, nil))
		if n > 0 && d < jobs.RetryDelay(n-1, nil, asynq.NewTask(app.OutboxWebhook, nil))/2 {
			t.Errorf("retry %d waits %s, less than before", n, d)
		}
		total += d
	}
	if total < 23*time.Hour || total > 27*time.Hour {
		t.Errorf("retries span %s, want about a day", total)
	}
	if d := jobs.RetryDelay(0, nil, asynq.NewTask(jobs.TypeNoop, nil)); d > 2*time.Second {
		t.Errorf("other tasks: first retry after %s", d)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
