package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/mail"
	"newsletter/app/store"
)

var officer = &app.Admin{ID: 7, Role: app.RolePrivacyOfficer}

// exec runs a statement written with ? placeholders on either engine.
func (e *env) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	db, err := e.store.DB()
	must(t, err)
	if e.store.Dialect() == store.Postgres {
		var b strings.Builder
		n := 0
		for _, r := range q {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		q = b.String()
	}
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestBlockAndUnblock(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "block@example.com")
		if _, err := e.svc.Block(ctx, officer, sub.ID, app.BlockInput{Reason: "  "}); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("block without a reason: %v", err)
		}
		got, err := e.svc.Block(ctx, officer, sub.ID, app.BlockInput{Reason: "data disputed"})
		must(t, err)
		if got.Status != app.StatusBlocked || got.BlockReason != "data disputed" {
			t.Fatalf("after block: %+v", got)
		}
		got, err = e.svc.Unblock(ctx, officer, sub.ID, app.BlockInput{Reason: "checked"})
		must(t, err)
		if got.Status != app.StatusActive || got.BlockReason != "" {
			t.Fatalf("after unblock: %+v", got)
		}
		// Unblocking again changes nothing.
		if again, err := e.svc.Unblock(ctx, officer, sub.ID, app.BlockInput{}); err != nil || again.Status != app.StatusActive {
			t.Fatalf("second unblock: %+v %v", again, err)
		}
		// Either change for a request that does not exist is refused.
		for name, change := range map[string]func(context.Context, *app.Admin, int64, app.BlockInput) (*app.Subscriber, error){
			"block": e.svc.Block, "unblock": e.svc.Unblock} {
			if _, err := change(ctx, officer, sub.ID, app.BlockInput{Reason: "x", RequestID: 424242}); !app.IsNotFound(err) {
				t.Fatalf("%s for an unknown request: %v", name, err)
			}
		}
		history, err := e.svc.BlockHistory(ctx, sub.ID)
		must(t, err)
		if len(history) != 2 || history[0].Action != app.BlockActionBlocked || history[1].Reason != "checked" || history[0].Actor != "admin:7" {
			t.Fatalf("history %+v", history)
		}
		audit, err := e.svc.Audit(ctx, app.AuditQuery{SubjectType: "subscriber", SubjectID: sub.ID})
		must(t, err)
		var actions []string
		for _, a := range audit {
			actions = append(actions, a.Action)
			if a.Actor != "admin:7" || strings.Contains(a.Details, "disputed") {
				t.Errorf("audit entry %+v", a)
			}
		}
		if strings.Join(actions, ",") != "subscriber_unblocked,subscriber_blocked" {
			t.Fatalf("audit actions %v", actions)
		}

		// A subscriber who never confirmed goes back to pending.
		must(t, e.svc.Subscribe(ctx, input("pending@example.com"), formEvidence, texts))
		pending, _ := e.store.SubscriberByEmail(ctx, "pending@example.com")
		_, err = e.svc.Block(ctx, officer, pending.ID, app.BlockInput{Reason: "verifying"})
		must(t, err)
		if got, _ := e.svc.Unblock(ctx, officer, pending.ID, app.BlockInput{}); got.Status != app.StatusPending {
			t.Fatalf("unblocked pending subscriber is %s", got.Status)
		}
		must(t, e.svc.Erase(ctx, pending.ID, 0, "test"))
		if _, err := e.svc.Block(ctx, officer, pending.ID, app.BlockInput{Reason: "x"}); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("blocking an erased subscriber: %v", err)
		}
		if _, err := e.svc.Block(ctx, officer, 99999, app.BlockInput{Reason: "x"}); !app.IsNotFound(err) {
			t.Fatalf("blocking nobody: %v", err)
		}
	})
}

func TestEraseByOperator(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "order@example.com")
		res, err := e.svc.EraseByOperator(ctx, officer, app.ChannelAPI, sub.ID, "court order 12")
		must(t, err)
		if res.AlreadyErased || res.Subscriber.Status != app.StatusErased || res.Request == nil {
			t.Fatalf("result %+v", res)
		}
		r := res.Request
		if r.Kind != app.KindConsentRevocation || r.Channel != app.ChannelAPI || r.Status != app.RequestCompleted ||
			r.Verification != "operator" || r.CompletedAt == nil {
			t.Fatalf("request %+v", r)
		}
		for _, c := range must2(e.store.Consents(ctx, sub.ID))(t) {
			if c.Granted {
				t.Errorf("consent %s still granted", c.Purpose)
			}
		}
		ds := must2(e.store.Destructions(ctx, 0, 10))(t)
		if len(ds) != 1 || ds[0].FullName != "Anna Petrova" || !strings.Contains(ds[0].Reason, "admin:7") ||
			!strings.Contains(ds[0].Reason, "court order 12") {
			t.Fatalf("destructions %+v", ds)
		}
		again, err := e.svc.EraseByOperator(ctx, officer, app.ChannelAPI, sub.ID, "")
		must(t, err)
		if !again.AlreadyErased || again.Request == nil || again.Request.ID != r.ID {
			t.Fatalf("second erasure %+v", again)
		}
		if n := len(must2(e.store.Destructions(ctx, 0, 10))(t)); n != 1 {
			t.Fatalf("%d destruction records after a repeated erasure", n)
		}

		// An open revocation is what an operator's erasure completes.
		other := e.activeSubscriber(t, "revoked@example.com")
		prefs := e.svc.Links.PreferencesToken(other)
		must(t, e.svc.Revoke(ctx, prefs, formEvidence))
		open := must2(e.store.QueryRequests(ctx, app.RequestQuery{SubscriberID: other.ID}))(t)
		res, err = e.svc.EraseByOperator(ctx, officer, app.ChannelAdmin, other.ID, "")
		must(t, err)
		if res.Request.ID != open[0].ID || res.Request.Status != app.RequestCompleted {
			t.Fatalf("erasure did not complete the open revocation: %+v", res.Request)
		}
		if n := len(must2(e.store.QueryRequests(ctx, app.RequestQuery{SubscriberID: other.ID}))(t)); n != 1 {
			t.Fatalf("%d requests, want the one revocation", n)
		}
	})
}

// must2 unwraps a value and an error.
func must2[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		must(t, err)
		return v
	}
}

// TestErasureLeavesNoPersonalData fills every table that can hold a
// person's data (consent evidence with the page the form was on, block
// reasons, requests, deliveries, emailed requests from before and after
// they subscribed, import) and, in the embedded mode, the mail files, and
// checks that after an erasure a dump of the whole database holds neither
// the address nor the phone number nor the evidence, and the name only in
// the destruction record; that no mail file to the person is left; and, on
// SQLite, that no file of the data directory (database, write-ahead log,
// shared memory, outbox) holds any of it byte for byte, the name only once.
// On PostgreSQL the next sweep vacuums, once.
func TestErasureLeavesNoPersonalData(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const email, phone, name = "erase.me@example.com", "+79123456789", "Anna Petrova"
		dataDir := e.dir
		if dataDir == "" {
			dataDir = t.TempDir()
		}
		files := mail.NewFileOutbox(filepath.Join(dataDir, "outbox"), nil)
		files.TagRecipients(e.svc.Signer.AddressTag)
		e.svc.MailFiles = files
		sent := func(m *mail.Message) {
			t.Helper()
			m.From, m.Subject, m.MessageID = "News <news@example.com>", "Hello", fmt.Sprintf("m%d@example.com", time.Now().UnixNano())
			if r := files.Send(ctx, []*mail.Message{m})[0]; !r.OK() {
				t.Fatal(r.Err)
			}
		}

		// Before subscribing, she writes to the operator; the reply goes to
		// her address.
		id, _, err := e.svc.ReceiveInbound(ctx, []byte("Message-ID: <early@example.com>\r\nFrom: "+name+" <"+email+">\r\n"+
			"Subject: question\r\n\r\nCall me on "+phone+"\r\n"), app.InboundSource{Source: app.InboundWebhook})
		must(t, err)
		early, err := e.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: id, Disposition: app.EmailIsRequest, From: email,
			Kind: app.KindUnknown, Lang: "en", Summary: &app.MessageSummary{From: email, FromName: name, Subject: "question",
				Text: "Call me on " + phone}})
		must(t, err)
		if early.SubscriberID != nil {
			t.Fatalf("the early message is tied to subscriber %d", *early.SubscriberID)
		}
		sent(&mail.Message{To: email, ToName: name, Text: "We hold nothing for you."})

		// She subscribes from a page whose address carries the form's data.
		in := input(email)
		in.Page = "https://example.com/blog?email=erase.me%40example.com&phone=%2B79123456789#name=Anna%20Petrova"
		must(t, e.svc.Subscribe(ctx, in, formEvidence, texts))
		sub, err := e.store.SubscriberByEmail(ctx, email)
		must(t, err)
		sent(&mail.Message{To: email, ToName: name, Text: "Confirm, " + name, SubscriberID: sub.ID})
		_, err = e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
		must(t, err)
		for _, ev := range must2(e.store.ConsentEvents(ctx, sub.ID))(t) {
			if ev.Page != "https://example.com/blog" {
				t.Fatalf("page kept as %q, want it without query and fragment", ev.Page)
			}
		}
		sent(&mail.Message{To: email, ToName: name, Text: "Our news, " + name, SubscriberID: sub.ID})

		// A second, imported person stays.
		_, err = e.importer().Import(ctx, strings.NewReader("name,email,phone,consent_at,source,ip,user_agent\n"+
			"Boris Ivanov,keep@example.com,+7 912 111-22-33,2025-01-01,fair,192.0.2.9,Imported UA\n"), app.ImportOptions{})
		must(t, err)
		keep, err := e.store.SubscriberByEmail(ctx, "keep@example.com")
		must(t, err)
		sent(&mail.Message{To: "keep@example.com", ToName: "Boris Ivanov", Text: "Our news", SubscriberID: keep.ID})
		_, err = e.svc.Block(ctx, officer, sub.ID, app.BlockInput{Reason: "says " + email + " and " + phone + " are wrong"})
		must(t, err)
		_, err = e.svc.Unblock(ctx, officer, sub.ID, app.BlockInput{Reason: "call " + phone})
		must(t, err)
		r, err := e.svc.RegisterRequest(ctx, officer, app.RegisterInput{SubscriberID: sub.ID, Kind: app.KindAccess,
			Note: "letter from " + name + ", " + email})
		must(t, err)
		_, err = e.svc.ExtendRequest(ctx, officer, r.ID, "identity check takes longer")
		must(t, err)
		e.exec(t, `INSERT INTO campaigns (name, subject, purpose, body_html, status, created_at, updated_at)
			VALUES ('Spring', 'News', 'marketing', '<p>x</p>', 'finished', ?, ?)`, e.now, e.now)
		e.exec(t, `INSERT INTO deliveries (campaign_id, subscriber_id, status, smtp_code, error)
			VALUES (1, ?, 'failed', 550, ?)`, sub.ID, "550 5.1.1 <"+email+">: mailbox unavailable")
		e.exec(t, `INSERT INTO inbound_messages (message_key, source, raw, size, received_at, subscriber_id, summary, sender_hash)
			VALUES ('k1', 'webhook', ?, 10, ?, ?, ?, 'h')`, []byte("From: "+name+" <"+email+">\r\n\r\nmy phone "+phone), e.now, sub.ID,
			`{"from":"`+email+`"}`)

		_, err = e.svc.EraseByOperator(ctx, officer, app.ChannelAPI, sub.ID, "")
		must(t, err)

		secrets := []string{email, "erase.me%40example.com", phone, "%2B79123456789", "9123456789", "+7 912 345",
			"example.com/blog", formEvidence.IP, formEvidence.UserAgent}
		var dump bytes.Buffer
		must(t, e.store.Dump(ctx, &dump))
		text := dump.String()
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				for _, line := range strings.Split(text, "\n") {
					if strings.Contains(line, secret) {
						t.Errorf("after erasure the database holds %q: %s", secret, line)
					}
				}
			}
		}
		if n := strings.Count(text, name); n != 1 {
			t.Errorf("the name appears %d times, want once (the destruction record)", n)
		}
		var inDestructions bool
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, name) {
				inDestructions = strings.HasPrefix(line, "destructions:")
			}
		}
		if !inDestructions {
			t.Error("the name is not in the destruction record")
		}
		for _, kept := range []string{"keep@example.com", "Boris Ivanov", "192.0.2.9"} {
			if !strings.Contains(text, kept) {
				t.Errorf("the erasure destroyed %q of someone else", kept)
			}
		}
		left, err := os.ReadDir(filepath.Join(dataDir, "outbox"))
		must(t, err)
		if len(left) != 1 || !strings.Contains(left[0].Name(), fmt.Sprintf("+s%d+", keep.ID)) {
			t.Errorf("outbox after the erasure: %v, want only the other person's message", left)
		}

		if e.store.Dialect() == store.SQLite {
			// Every byte of every file of the data directory.
			names := 0
			must(t, filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				for _, secret := range secrets {
					if n := bytes.Count(b, []byte(secret)); n > 0 {
						t.Errorf("%s holds %q %d times", filepath.Base(path), secret, n)
					}
				}
				names += bytes.Count(b, []byte(name))
				return nil
			}))
			if names != 1 {
				t.Errorf("the files of the data directory hold the name %d times, want once (the destruction record)", names)
			}
		}

		// The next sweep scrubs what the erasure left (PostgreSQL: VACUUM of
		// the tables it touched), once.
		rep, err := e.svc.Sweep(ctx)
		must(t, err)
		if rep.Scrubbed != 1 {
			t.Errorf("the sweep after the erasure scrubbed %d erasures, want 1", rep.Scrubbed)
		}
		ds := must2(e.store.Destructions(ctx, 0, 10))(t)
		if mark := must2(e.store.ScrubMark(ctx))(t); len(ds) != 1 || mark != ds[0].ID {
			t.Errorf("scrub mark %d, destructions %+v", mark, ds)
		}
		if rep, err := e.svc.Sweep(ctx); err != nil || rep.Scrubbed != 0 {
			t.Errorf("a sweep without new erasures scrubbed %d (%v)", rep.Scrubbed, err)
		}
	})
}

func TestRequestRegisterDeadlines(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cal, err := app.NewCalendar(time.UTC, []string{"2026-12-02", "2026-12-16"})
		must(t, err)
		e.svc.Calendar = cal
		sub := e.activeSubscriber(t, "deadline@example.com")
		// Received Thursday 26 November 2026: 10 working days, one of them a
		// holiday, end on Friday 11 December.
		r, err := e.svc.RegisterRequest(ctx, officer, app.RegisterInput{SubscriberID: sub.ID, Kind: app.KindAccess, Channel: app.ChannelAdmin})
		must(t, err)
		if want := time.Date(2026, 12, 11, 23, 59, 59, 0, time.UTC); !r.DueAt.Equal(want) {
			t.Fatalf("access due %s, want %s", r.DueAt, want)
		}
		if _, err := e.svc.ExtendRequest(ctx, officer, r.ID, ""); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("extension without a reason: %v", err)
		}
		relayed(t, e) // what the registration queued
		ext, err := e.svc.ExtendRequest(ctx, officer, r.ID, "archive records must be retrieved")
		must(t, err)
		// +5 working days after the 11th, skipping the holiday on the 16th.
		if want := time.Date(2026, 12, 21, 23, 59, 59, 0, time.UTC); !ext.DueAt.Equal(want) || ext.ExtendedReason == "" {
			t.Fatalf("extended to %s (%q), want %s", ext.DueAt, ext.ExtendedReason, want)
		}
		// The reasoned notice is queued for the person, by ids only, and
		// says the new deadline and the reason.
		queued := relayed(t, e)[app.OutboxRequestExtended]
		if want := fmt.Sprintf(`{"subscriber_id":%d,"request_id":%d}`, sub.ID, r.ID); len(queued) != 1 || string(queued[0]) != want {
			t.Fatalf("extension notice queued as %s, want %s", queued, want)
		}
		n, err := e.svc.ExtensionNotice(ctx, sub.ID, r.ID)
		must(t, err)
		if n == nil || n.Subscriber.ID != sub.ID || n.Reason != "archive records must be retrieved" || !n.Due.Equal(*ext.DueAt) || !n.Received.Equal(r.ReceivedAt) {
			t.Fatalf("notice %+v", n)
		}
		if n, err := e.svc.ExtensionNotice(ctx, sub.ID+1, r.ID); err != nil || n != nil {
			t.Fatalf("a notice of someone else's request: %+v %v", n, err)
		}
		if _, err := e.svc.ExtendRequest(ctx, officer, r.ID, "again"); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("second extension: %v", err)
		}
		if q := relayed(t, e)[app.OutboxRequestExtended]; len(q) != 0 {
			t.Fatalf("a refused extension queued %d notices", len(q))
		}

		// A correction blocks the person at once, 7 working days.
		upd, err := e.svc.RegisterRequest(ctx, officer, app.RegisterInput{SubscriberID: sub.ID, Kind: app.KindDataUpdate})
		must(t, err)
		if want := time.Date(2026, 12, 8, 23, 59, 59, 0, time.UTC); !upd.DueAt.Equal(want) {
			t.Fatalf("data_update due %s, want %s", upd.DueAt, want)
		}
		if got, _ := e.store.Subscriber(ctx, sub.ID); got.Status != app.StatusBlocked {
			t.Fatalf("after a data_update request the subscriber is %s", got.Status)
		}
		if _, err := e.svc.ExtendRequest(ctx, officer, upd.ID, "x"); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("extending a correction: %v", err)
		}
		done, err := e.svc.CloseRequest(ctx, officer, upd.ID, false, "phone corrected")
		must(t, err)
		if done.Status != app.RequestCompleted || done.CompletedAt == nil {
			t.Fatalf("closed %+v", done)
		}
		if got, _ := e.store.Subscriber(ctx, sub.ID); got.Status != app.StatusActive {
			t.Fatalf("after the correction the subscriber is %s", got.Status)
		}
		if _, err := e.svc.CloseRequest(ctx, officer, upd.ID, false, ""); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("closing twice: %v", err)
		}
		if _, err := e.svc.RegisterRequest(ctx, officer, app.RegisterInput{Kind: app.KindConsentRevocation}); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("registering a revocation: %v", err)
		}

		// The register's filters.
		e.now = time.Date(2026, 12, 15, 12, 0, 0, 0, time.UTC)
		overdue, err := e.svc.Requests(ctx, app.RequestQuery{Overdue: true})
		must(t, err)
		if len(overdue) != 0 {
			t.Fatalf("overdue %+v (the access request was extended)", overdue)
		}
		before := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
		list, err := e.svc.Requests(ctx, app.RequestQuery{Kind: app.KindAccess, DueBefore: &before})
		must(t, err)
		if len(list) != 1 || list[0].ID != r.ID || e.svc.DeadlineState(&list[0]) != "" {
			t.Fatalf("access requests due before the 31st: %+v", list)
		}
		e.now = time.Date(2026, 12, 22, 0, 0, 1, 0, time.UTC)
		overdue, _ = e.svc.Requests(ctx, app.RequestQuery{Overdue: true})
		if len(overdue) != 1 || e.svc.DeadlineState(&overdue[0]) != app.DeadlineOverdue {
			t.Fatalf("overdue after the extended deadline: %+v", overdue)
		}
	})
}

func TestSweepFlagsAndPurges(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		add := func(kind app.RequestKind, received time.Time, status app.RequestStatus) int64 {
			r := &app.Request{Kind: kind, Channel: app.ChannelEmail, Status: status, ReceivedAt: received,
				DueAt: e.svc.Calendar.DueAt(kind, received)}
			must(t, e.store.CreateRequest(ctx, r))
			return r.ID
		}
		fresh := add(app.KindAccess, e.now, app.RequestReceived)
		late := add(app.KindDataUpdate, e.now.AddDate(0, 0, -20), app.RequestReceived)
		soon := add(app.KindConsentRevocation, e.now.AddDate(0, 0, -29), app.RequestReceived)
		add(app.KindDataUpdate, e.now.AddDate(0, 0, -20), app.RequestCompleted)
		old := &app.Destruction{FullName: "Old Person", Categories: "all", System: "s", Reason: "r", DestroyedAt: e.now.AddDate(-3, 0, -2)}
		recent := &app.Destruction{FullName: "Recent Person", Categories: "all", System: "s", Reason: "r", DestroyedAt: e.now.AddDate(-2, 0, 0)}
		must(t, e.store.CreateDestruction(ctx, old))
		must(t, e.store.CreateDestruction(ctx, recent))

		// Two sweeps at once (two machines) flag each request once.
		var wg sync.WaitGroup
		reps := make([]app.SweepReport, 2)
		for i := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				reps[i], err = e.svc.Sweep(ctx)
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if o, s, p := reps[0].RequestsOverdue+reps[1].RequestsOverdue, reps[0].RequestsDueSoon+reps[1].RequestsDueSoon,
			reps[0].DestructionsPurged+reps[1].DestructionsPurged; o != 1 || s != 1 || p != 1 {
			t.Fatalf("overdue %d, due soon %d, purged %d; want 1, 1, 1", o, s, p)
		}
		flagged, err := e.svc.Requests(ctx, app.RequestQuery{Flagged: true})
		must(t, err)
		if len(flagged) != 2 || flagged[0].ID != late || flagged[1].ID != soon {
			t.Fatalf("flagged %+v", flagged)
		}
		// The operator is told, by ids, of each flagged request once.
		alerts := func() (overdue, dueSoon []int64) {
			t.Helper()
			for _, raw := range relayed(t, e)[app.OutboxDeadlineAlert] {
				var a app.DeadlineAlert
				must(t, json.Unmarshal(raw, &a))
				if a.Overdue != int64(len(a.OverdueIDs)) || a.DueSoon != int64(len(a.DueSoonIDs)) {
					t.Fatalf("alert %s: counts and ids disagree", raw)
				}
				overdue, dueSoon = append(overdue, a.OverdueIDs...), append(dueSoon, a.DueSoonIDs...)
			}
			return overdue, dueSoon
		}
		if o, d := alerts(); !slices.Equal(o, []int64{late}) || !slices.Equal(d, []int64{soon}) {
			t.Fatalf("alerts: overdue %v, due soon %v; want [%d], [%d]", o, d, late, soon)
		}
		if ds, _ := e.store.Destructions(ctx, 0, 10); len(ds) != 1 || ds[0].ID != recent.ID {
			t.Fatalf("destructions after the sweep %+v", ds)
		}
		rep, err := e.svc.Sweep(ctx)
		must(t, err)
		if rep.RequestsOverdue != 0 || rep.RequestsDueSoon != 0 {
			t.Fatalf("a second sweep flagged again: %+v", rep)
		}
		if o, d := alerts(); len(o)+len(d) != 0 {
			t.Fatalf("a second sweep alerted again: %v %v", o, d)
		}
		// Two days later the revocation is overdue: flagged again, as such.
		e.now = e.now.AddDate(0, 0, 2)
		rep, err = e.svc.Sweep(ctx)
		must(t, err)
		if rep.RequestsOverdue != 1 {
			t.Fatalf("after the revocation fell due: %+v", rep)
		}
		if o, d := alerts(); !slices.Equal(o, []int64{soon}) || len(d) != 0 {
			t.Fatalf("alerts once the revocation fell due: %v %v", o, d)
		}
		r, _ := e.store.Request(ctx, soon)
		if r.FlaggedAt == nil || r.FlaggedAt.Before(*r.DueAt) {
			t.Fatalf("revocation flagged at %v, due %v", r.FlaggedAt, r.DueAt)
		}
		if r, _ := e.store.Request(ctx, fresh); r.FlaggedAt != nil {
			t.Fatalf("a request far from its deadline was flagged")
		}
	})
}

// TestSuppressionAndBlockingAgainstSending: the campaign audience (the
// sender's query) leaves out blocked people, addresses suppressed by hand,
// and imported addresses that were suppressed; unblocking brings a person
// back.
func TestSuppressionAndBlockingAgainstSending(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ok := e.activeSubscriber(t, "ok@example.com")
		blocked := e.activeSubscriber(t, "blocked@example.com")
		manual := e.activeSubscriber(t, "manual@example.com")
		gone := e.activeSubscriber(t, "gone@example.com")
		_, err := e.svc.Block(ctx, officer, blocked.ID, app.BlockInput{Reason: "verifying"})
		must(t, err)
		_, err = e.svc.SuppressManually(ctx, officer, "MANUAL@example.com", "complained by phone")
		must(t, err)
		must(t, e.svc.Erase(ctx, gone.ID, 0, "test"))
		rep, err := e.importer().Import(ctx, strings.NewReader("email,consent_at,source,marketing\n"+
			"imported@example.com,2025-01-01,fair,yes\ngone@example.com,2025-01-01,fair,yes\n"), app.ImportOptions{})
		must(t, err)
		if rep.Imported != 1 || rep.Suppressed != 1 {
			t.Fatalf("import %+v", rep)
		}
		imported, _ := e.store.SubscriberByEmail(ctx, "imported@example.com")

		audience := func() map[int64]bool {
			c := &app.Campaign{Name: "News", Subject: "News", Purpose: app.CampaignMarketing, BodyHTML: "<p>x</p>"}
			must(t, e.store.CreateCampaign(ctx, c))
			e.startMaterialized(t, c, app.AudienceOf(c, e.svc.Operator))
			got := map[int64]bool{}
			for _, id := range []int64{ok.ID, blocked.ID, manual.ID, gone.ID, imported.ID} {
				for _, d := range must2(e.store.SubscriberDeliveries(ctx, id))(t) {
					if d.CampaignID == c.ID {
						got[id] = true
					}
				}
			}
			return got
		}
		got := audience()
		if !got[ok.ID] || !got[imported.ID] || got[blocked.ID] || got[manual.ID] || got[gone.ID] || len(got) != 2 {
			t.Fatalf("audience %v: want only %d and %d", got, ok.ID, imported.ID)
		}
		_, err = e.svc.Unblock(ctx, officer, blocked.ID, app.BlockInput{})
		must(t, err)
		must(t, e.svc.RemoveSuppression(ctx, officer, "manual@example.com"))
		if got := audience(); !got[blocked.ID] || !got[manual.ID] {
			t.Fatalf("after unblocking and unsuppressing: %v", got)
		}
		// The export shows the person's campaign mail.
		x, err := e.svc.ExportSubscriber(ctx, ok.ID)
		must(t, err)
		if len(x.Deliveries) != 2 {
			t.Fatalf("export deliveries %+v", x.Deliveries)
		}
	})
}

// TestSuppressionAgainstForm: a new confirmed consent through the form
// lifts an erasure's suppression (TestRevokeErasesEverything), but not one
// the operator put by hand, and no confirmation mail goes to a manually
// suppressed address.
func TestSuppressionAgainstForm(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		hash, err := e.svc.SuppressManually(ctx, officer, "stop@example.com", "")
		must(t, err)
		must(t, e.svc.Subscribe(ctx, input("stop@example.com"), formEvidence, texts))
		sub, _ := e.store.SubscriberByEmail(ctx, "stop@example.com")
		if may, err := e.svc.MayMail(ctx, sub.ID, sub.Email, []app.Purpose{app.PurposeProcessing}); err != nil || may {
			t.Fatalf("confirmation mail to a suppressed address allowed: %v %v", may, err)
		}
		_, err = e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
		must(t, err)
		if reason, _ := e.store.SuppressionReason(ctx, hash); reason != app.SuppressManual {
			t.Fatalf("a new subscription lifted a manual suppression: %q", reason)
		}
		if err := e.svc.RemoveSuppression(ctx, officer, "nobody@example.com"); !app.IsNotFound(err) {
			t.Fatalf("removing a missing suppression: %v", err)
		}
		gone := e.activeSubscriber(t, "gone@example.com")
		must(t, e.svc.Erase(ctx, gone.ID, 0, "test"))
		if err := e.svc.RemoveSuppression(ctx, officer, e.svc.Signer.KeyedHash("gone@example.com")); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("removing an erasure's suppression: %v", err)
		}
		counts, err := e.svc.SuppressionCounts(ctx)
		must(t, err)
		if counts[app.SuppressManual] != 1 || counts[app.SuppressErased] != 1 || counts[app.SuppressComplaint] != 0 {
			t.Fatalf("counts %v", counts)
		}
	})
}

func TestMayMailCrossBorder(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "far@example.com") // processing and marketing, no cross-border
		tests := []struct {
			name    string
			smtp    string
			pending []app.Purpose
			want    bool
		}{
			{"Domestic", "RU", nil, true},
			{"AdequateCountry", "DE", nil, true},
			{"NotAdequateWithoutConsent", "US", nil, false},
			{"NotAdequateConsentInForm", "US", []app.Purpose{app.PurposeProcessing, app.PurposeCrossBorder}, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e.svc.Operator.SMTPCountry = tt.smtp
				got, err := e.svc.MayMail(ctx, sub.ID, sub.Email, tt.pending)
				must(t, err)
				if got != tt.want {
					t.Fatalf("MayMail = %v, want %v", got, tt.want)
				}
			})
		}
		e.svc.Operator.SMTPCountry = "US"
		must(t, e.store.SetConsent(ctx, sub.ID, app.PurposeCrossBorder, true, e.now))
		if got, _ := e.svc.MayMail(ctx, sub.ID, sub.Email, nil); !got {
			t.Fatal("refused with the cross-border consent granted")
		}
		st, err := e.svc.CrossBorder(ctx)
		must(t, err)
		if !st.ConsentRequired || st.ActiveWithoutConsent != 0 || st.SMTPCountry != "US" {
			t.Fatalf("status %+v", st)
		}
	})
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.svc.RecordAction(ctx, officer, "test_action", "subscriber", 1, ""))
		db, err := e.store.DB()
		must(t, err)
		for _, q := range []string{`UPDATE audit_log SET actor = 'someone else'`, `DELETE FROM audit_log`} {
			if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want refused", q, err)
			}
		}
		entries, err := e.svc.Audit(ctx, app.AuditQuery{Action: "test_action"})
		must(t, err)
		if len(entries) != 1 || entries[0].Actor != "admin:7" {
			t.Fatalf("entries %+v", entries)
		}
	})
}
