package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

type env struct {
	svc   *testenv.UseCases
	store *store.Store
	now   time.Time
	// dir holds the SQLite database and its files; "" on PostgreSQL.
	dir string
}

func newEnv(t *testing.T, dialect store.Dialect) *env {
	t.Helper()
	ctx := context.Background()
	var (
		st  *store.Store
		err error
	)
	dir := ""
	if dialect == store.Postgres {
		st, err = store.Open(ctx, testenv.Postgres(t), "")
	} else {
		dir = t.TempDir()
		st, err = store.Open(ctx, "", filepath.Join(dir, "t.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	signer, err := app.NewSigner([]byte("0123456789abcdef0123456789abcdef-test"))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := app.NewCalendar(time.UTC, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: st, now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), dir: dir}
	base, _ := url.Parse("https://news.example.com")
	core := &app.Core{Store: st, Signer: signer, Links: &app.Links{Base: base, Signer: signer, Now: func() time.Time { return e.now }}, Calendar: cal,
		Operator: app.Operator{Name: "Example LLC", Email: "privacy@example.com", Country: "RU", SMTPCountry: "RU"},
		Now:      func() time.Time { return e.now }}
	e.svc = testenv.Wire(&app.Subscriptions{Core: core, ConfirmTTL: 7 * 24 * time.Hour, PendingTTL: 30 * 24 * time.Hour})
	if err := (&app.Admins{Store: st}).EnsurePolicy(ctx, "v1", "en text", "ru text"); err != nil {
		t.Fatal(err)
	}
	return e
}

func forEachDialect(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range testenv.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, d))
		})
	}
}

var texts = app.ConsentTexts{app.PurposeProcessing: "I consent to processing.", app.PurposeMarketing: "I agree to advertising."}

func input(email string) app.SubscribeInput {
	return app.SubscribeInput{Name: "Anna Petrova", Email: email, Phone: "+7 912 345-67-89", Locale: "ru", FormID: "footer",
		Page: "https://example.com/blog", ConsentProcessing: true, ConsentMarketing: true}
}

var formEvidence = app.Evidence{IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (test)"}

// lastConfirmationToken signs a link for the newest confirmation, as the
// confirmation mail does.
func (e *env) lastConfirmationToken(t *testing.T, subscriberID int64) string {
	t.Helper()
	for id := int64(50); id > 0; id-- {
		c, err := e.store.Confirmation(context.Background(), id)
		if err == nil && c.SubscriberID == subscriberID {
			return e.svc.Signer.Sign(app.Token{Purpose: app.TokenConfirm, ConfirmationID: c.ID, SubscriberID: subscriberID,
				IssuedAt: e.now, ExpiresAt: c.ExpiresAt})
		}
	}
	t.Fatal("no confirmation")
	return ""
}

func TestSubscribeAndConfirm(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.svc.Subscribe(ctx, input(" Anna@Example.COM "), formEvidence, texts); err != nil {
			t.Fatal(err)
		}
		sub, err := e.store.SubscriberByEmail(ctx, "anna@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status != app.StatusPending || sub.Phone != "+79123456789" {
			t.Fatalf("after subscribe: status %s phone %s", sub.Status, sub.Phone)
		}
		if backlog, _ := e.store.OutboxBacklog(ctx); backlog != 1 {
			t.Fatalf("outbox holds %d rows, want the confirmation mail", backlog)
		}
		if ev, _ := e.store.ConsentEvents(ctx, sub.ID); len(ev) != 0 {
			t.Fatalf("consent events before confirmation: %d", len(ev))
		}
		token := e.lastConfirmationToken(t, sub.ID)
		if _, err := e.svc.CheckConfirmation(ctx, token); err != nil {
			t.Fatalf("check: %v", err)
		}
		e.now = e.now.Add(time.Hour)
		res, err := e.svc.Confirm(ctx, token, app.Evidence{IP: "198.51.100.1", UserAgent: "Mail client"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Subscriber.ID != sub.ID {
			t.Fatal("confirmed another subscriber")
		}
		sub, _ = e.store.Subscriber(ctx, sub.ID)
		if sub.Status != app.StatusActive || sub.ConfirmedAt == nil {
			t.Fatalf("after confirm: %s", sub.Status)
		}
		events, _ := e.store.ConsentEvents(ctx, sub.ID)
		if len(events) != 4 {
			t.Fatalf("%d events, want granted+confirmed for processing and marketing", len(events))
		}
		for _, ev := range events {
			if ev.PolicyVersion != "v1" || ev.FormID != "footer" || ev.Page != "https://example.com/blog" {
				t.Errorf("event %+v lacks form evidence", ev)
			}
			switch ev.Action {
			case app.ConsentGranted:
				if ev.IP != "203.0.113.7" || ev.UserAgent != "Mozilla/5.0 (test)" || !ev.At.Equal(e.now.Add(-time.Hour)) {
					t.Errorf("granted event evidence %+v", ev.Evidence)
				}
				if ev.ConsentText != texts[ev.Purpose] {
					t.Errorf("granted event text %q", ev.ConsentText)
				}
			case app.ConsentConfirmed:
				if ev.IP != "198.51.100.1" || ev.UserAgent != "Mail client" {
					t.Errorf("confirmed event evidence %+v", ev.Evidence)
				}
			default:
				t.Errorf("unexpected action %s", ev.Action)
			}
		}
		consents, _ := e.store.Consents(ctx, sub.ID)
		if len(consents) != 2 || !consents[0].Granted || !consents[1].Granted {
			t.Fatalf("consents %+v", consents)
		}
		if _, err := e.svc.Confirm(ctx, token, formEvidence); !errors.Is(err, app.ErrLinkUsed) {
			t.Fatalf("second use of the link: %v, want ErrLinkUsed", err)
		}
	})
}

func TestConfirmationLinkExpires(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.svc.Subscribe(ctx, input("late@example.com"), formEvidence, texts); err != nil {
			t.Fatal(err)
		}
		sub, _ := e.store.SubscriberByEmail(ctx, "late@example.com")
		token := e.lastConfirmationToken(t, sub.ID)
		e.now = e.now.Add(8 * 24 * time.Hour)
		if _, err := e.svc.Confirm(ctx, token, formEvidence); !errors.Is(err, app.ErrTokenExpired) {
			t.Fatalf("expired link: %v", err)
		}
		if err := e.svc.ResendConfirmation(ctx, token); err != nil {
			t.Fatalf("resend: %v", err)
		}
		fresh := e.lastConfirmationToken(t, sub.ID)
		if fresh == token {
			t.Fatal("no new confirmation")
		}
		if _, err := e.svc.Confirm(ctx, fresh, formEvidence); err != nil {
			t.Fatalf("new link: %v", err)
		}
	})
}

// TestNoEnumeration: whatever the address's state, Subscribe answers the
// same, and a known person's data change only when they confirm.
func TestNoEnumeration(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		setup := map[string]func(email string){
			"new":     func(string) {},
			"pending": func(email string) { must(t, e.svc.Subscribe(ctx, input(email), formEvidence, texts)) },
			"active": func(email string) {
				must(t, e.svc.Subscribe(ctx, input(email), formEvidence, texts))
				sub, _ := e.store.SubscriberByEmail(ctx, email)
				_, err := e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
				must(t, err)
			},
			"erased": func(email string) {
				must(t, e.svc.Subscribe(ctx, input(email), formEvidence, texts))
				sub, _ := e.store.SubscriberByEmail(ctx, email)
				must(t, e.svc.Erase(ctx, sub.ID, 0, "test"))
			},
		}
		for _, state := range []string{"new", "pending", "active", "erased"} {
			t.Run(state, func(t *testing.T) {
				email := state + "@example.com"
				setup[email[:len(state)]](email)
				before, _ := e.store.SubscriberByEmail(ctx, email)
				in := input(strings.ToUpper(email))
				in.Name = "Someone Else"
				err := e.svc.Subscribe(ctx, in, formEvidence, texts)
				if err != nil {
					t.Fatalf("subscribe for a %s address: %v", state, err)
				}
				after, err := e.store.SubscriberByEmail(ctx, email)
				if err != nil {
					t.Fatal(err)
				}
				if before != nil && after.Name != before.Name {
					t.Fatalf("a %s subscriber's name changed before confirmation: %q", state, after.Name)
				}
			})
		}
	})
}

func TestRevokeErasesEverything(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.svc.Subscribe(ctx, input("gone@example.com"), formEvidence, texts))
		sub, _ := e.store.SubscriberByEmail(ctx, "gone@example.com")
		_, err := e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
		must(t, err)
		prefs := e.svc.Links.PreferencesToken(sub)
		must(t, e.svc.Revoke(ctx, prefs, formEvidence))
		reqs, _ := e.store.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID})
		if len(reqs) != 1 || reqs[0].Kind != app.KindConsentRevocation || reqs[0].DueAt == nil ||
			!reqs[0].DueAt.After(e.now.Add(29*24*time.Hour)) {
			t.Fatalf("requests %+v", reqs)
		}
		consents, _ := e.store.Consents(ctx, sub.ID)
		for _, c := range consents {
			if c.Granted {
				t.Fatalf("consent %s still granted after revocation", c.Purpose)
			}
		}
		must(t, e.svc.Erase(ctx, sub.ID, reqs[0].ID, "consent revoked"))
		must(t, e.svc.Erase(ctx, sub.ID, reqs[0].ID, "consent revoked")) // idempotent

		var dump bytes.Buffer
		must(t, e.store.Dump(ctx, &dump))
		for _, secret := range []string{"gone@example.com", "+79123456789", "203.0.113.7", "Mozilla/5.0 (test)"} {
			if strings.Contains(dump.String(), secret) {
				t.Errorf("database still holds %q after erasure", secret)
			}
		}
		if n := strings.Count(dump.String(), "Anna Petrova"); n != 1 {
			t.Errorf("name appears %d times, want once (the destruction record)", n)
		}
		sub, _ = e.store.Subscriber(ctx, sub.ID)
		if sub.Status != app.StatusErased {
			t.Fatalf("status %s", sub.Status)
		}
		req, _ := e.store.Request(ctx, reqs[0].ID)
		if req.Status != app.RequestCompleted {
			t.Fatalf("request %s", req.Status)
		}
		reason, _ := e.store.SuppressionReason(ctx, e.svc.Signer.KeyedHash("gone@example.com"))
		if reason != app.SuppressErased {
			t.Fatalf("suppression %q", reason)
		}
		// A new subscription with a new, confirmed consent lifts it.
		must(t, e.svc.Subscribe(ctx, input("gone@example.com"), formEvidence, texts))
		again, _ := e.store.SubscriberByEmail(ctx, "gone@example.com")
		_, err = e.svc.Confirm(ctx, e.lastConfirmationToken(t, again.ID), formEvidence)
		must(t, err)
		if reason, _ := e.store.SuppressionReason(ctx, e.svc.Signer.KeyedHash("gone@example.com")); reason != "" {
			t.Fatalf("suppression %q after new consent", reason)
		}
	})
}

func TestPreferencesProfileAndMarketing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.svc.Subscribe(ctx, input("p@example.com"), formEvidence, texts))
		sub, _ := e.store.SubscriberByEmail(ctx, "p@example.com")
		_, err := e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
		must(t, err)
		token := e.svc.Links.PreferencesToken(sub)
		err = e.svc.UpdateProfile(ctx, token, app.ProfileInput{Name: "<b>", Phone: "12"}, formEvidence)
		if app.ErrorCode(err) != app.EINVALID || len(app.ErrorFields(err)) != 2 {
			t.Fatalf("bad profile: %v", err)
		}
		must(t, e.svc.UpdateProfile(ctx, token, app.ProfileInput{Name: "Anna Ivanova", Phone: "+7 912 000-00-00", Marketing: false}, formEvidence))
		v, err := e.svc.Preferences(ctx, token)
		must(t, err)
		if v.Subscriber.Name != "Anna Ivanova" || v.Consents[app.PurposeMarketing] {
			t.Fatalf("view %+v", v)
		}
		reqs, _ := e.store.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID, Kind: app.KindMarketingOptout})
		if len(reqs) != 1 || reqs[0].Status != app.RequestCompleted {
			t.Fatalf("opt-out request %+v", reqs)
		}
		x, err := e.svc.ExportForToken(ctx, token)
		must(t, err)
		b, _ := json.Marshal(x)
		for _, want := range []string{`"email":"p@example.com"`, `"consent_history"`, `"marketing_optout"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("export lacks %s", want)
			}
		}
		if _, err := e.svc.Preferences(ctx, token+"x"); !errors.Is(err, app.ErrTokenInvalid) {
			t.Fatalf("altered token: %v", err)
		}
	})
}

func TestSweepDeletesUnconfirmed(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.svc.Subscribe(ctx, input("never@example.com"), formEvidence, texts))
		must(t, e.svc.Subscribe(ctx, input("fresh@example.com"), formEvidence, texts))
		old, _ := e.store.SubscriberByEmail(ctx, "never@example.com")
		// Make the first one old: 31 days pass, then the second is re-sent.
		e.now = e.now.Add(31 * 24 * time.Hour)
		// (store times come from the database clock for created_at, so
		// move the cutoff instead)
		e.svc.Retention.PendingTTL = -time.Hour
		rep, err := e.svc.Sweep(ctx)
		must(t, err)
		if rep.PendingDeleted != 2 {
			t.Fatalf("deleted %d pending, want 2", rep.PendingDeleted)
		}
		if _, err := e.store.Subscriber(ctx, old.ID); !app.IsNotFound(err) {
			t.Fatalf("unconfirmed subscriber still there: %v", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSubscribeWhileBlockedSendsNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.svc.Subscribe(ctx, input("blocked@example.com"), formEvidence, texts))
		sub, _ := e.store.SubscriberByEmail(ctx, "blocked@example.com")
		sub.Status, sub.BlockReason = app.StatusBlocked, "data disputed"
		must(t, e.store.UpdateSubscriber(ctx, sub))
		before, _ := e.store.OutboxBacklog(ctx)
		must(t, e.svc.Subscribe(ctx, input("blocked@example.com"), formEvidence, texts))
		after, _ := e.store.OutboxBacklog(ctx)
		if after != before {
			t.Fatalf("a blocked subscriber got a confirmation (%d -> %d outbox rows)", before, after)
		}
		again, _ := e.store.Subscriber(ctx, sub.ID)
		if again.Status != app.StatusBlocked {
			t.Fatalf("status %s", again.Status)
		}
	})
}

// TestWithdrawMarketingOnce: concurrent one-click opt-outs of one person
// record exactly one withdrawal and one request.
func TestWithdrawMarketingOnce(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.svc.Subscribe(ctx, input("click@example.com"), formEvidence, texts))
		sub, _ := e.store.SubscriberByEmail(ctx, "click@example.com")
		_, err := e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
		must(t, err)
		var wg sync.WaitGroup
		changed := make(chan bool, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := e.store.WithdrawMarketing(ctx, sub.ID, 7, app.Evidence{Channel: app.ChannelOneClick, At: e.now, IP: "192.0.2.1"})
				if err != nil {
					t.Error(err)
				}
				changed <- ok
			}()
		}
		wg.Wait()
		close(changed)
		n := 0
		for ok := range changed {
			if ok {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d withdrawals reported a change, want 1", n)
		}
		reqs, _ := e.store.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID, Kind: app.KindMarketingOptout})
		if len(reqs) != 1 || reqs[0].CampaignID == nil || *reqs[0].CampaignID != 7 || reqs[0].Channel != app.ChannelOneClick {
			t.Fatalf("requests %+v", reqs)
		}
		events, _ := e.store.ConsentEvents(ctx, sub.ID)
		withdrawn := 0
		for _, ev := range events {
			if ev.Action == app.ConsentWithdrawn {
				withdrawn++
				if ev.RequestID == nil || *ev.RequestID != reqs[0].ID || ev.IP != "192.0.2.1" {
					t.Errorf("event %+v", ev)
				}
			}
		}
		if withdrawn != 1 {
			t.Fatalf("%d withdrawal events", withdrawn)
		}
	})
}

// TestProfileSaveCompletesDataUpdate: saving the profile in the preference
// centre is the correction an open data_update request waits for: the
// request completes and the block it caused is lifted.
func TestProfileSaveCompletesDataUpdate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.svc.Subscribe(ctx, input("fix@example.com"), formEvidence, texts))
		sub, _ := e.store.SubscriberByEmail(ctx, "fix@example.com")
		_, err := e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
		must(t, err)
		r := &app.Request{SubscriberID: &sub.ID, Kind: app.KindDataUpdate, Channel: app.ChannelEmail, Status: app.RequestReceived,
			ReceivedAt: e.now}
		must(t, e.store.CreateRequest(ctx, r))
		_, err = e.svc.Block(ctx, &app.Admin{ID: 1, Role: app.RolePrivacyOfficer}, sub.ID, app.BlockInput{Reason: "data disputed", RequestID: r.ID})
		must(t, err)
		token := e.svc.Links.PreferencesToken(sub)
		must(t, e.svc.UpdateProfile(ctx, token, app.ProfileInput{Name: "Anna Corrected", Phone: "+7 912 345-67-89", Marketing: true}, formEvidence))
		got, _ := e.store.Subscriber(ctx, sub.ID)
		if got.Status != app.StatusActive || got.Name != "Anna Corrected" {
			t.Fatalf("after the correction: %s %q", got.Status, got.Name)
		}
		req, _ := e.store.Request(ctx, r.ID)
		if req.Status != app.RequestCompleted || req.CompletedAt == nil {
			t.Fatalf("request %s", req.Status)
		}
	})
}
