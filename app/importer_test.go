package app_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

func (e *env) importer() *app.Importer {
	return &app.Importer{Store: e.store, Signer: e.svc.Signer, Operator: e.svc.Operator, Now: func() time.Time { return e.now }}
}

// activeSubscriber subscribes and confirms email.
func (e *env) activeSubscriber(t *testing.T, email string) *app.Subscriber {
	t.Helper()
	ctx := context.Background()
	must(t, e.svc.Subscribe(ctx, input(email), formEvidence, texts))
	sub, err := e.store.SubscriberByEmail(ctx, email)
	must(t, err)
	_, err = e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
	must(t, err)
	sub, err = e.store.Subscriber(ctx, sub.ID)
	must(t, err)
	return sub
}

const importFile = "\xef\xbb\xbfName,E-mail,Phone,Consent Time,Source,Marketing,IP,Extra\n" +
	"Ivan Petrov,ivan@example.com,+7 912 000-00-01,2025-03-01 10:00:00,Spring fair,yes,198.51.100.4,x\n" + // 2
	",nameless@example.com,,2025-03-02T09:00:00+03:00,\"Shop, Moscow\",no,,\n" + // 3
	"No Time,notime@example.com,,,Spring fair,yes,,\n" + // 4
	"No Source,nosource@example.com,,2025-03-01,,yes,,\n" + // 5
	"Bad Mail,not-an-address,,2025-03-01,Spring fair,yes,,\n" + // 6
	"Erased Again,gone@example.com,,2025-03-01,Spring fair,yes,,\n" + // 7
	"Manual Block,manual@example.com,,2025-03-01,Spring fair,yes,,\n" + // 8
	"Someone Else,anna@example.com,,2025-03-01,Spring fair,yes,,\n" + // 9
	"Ivan Again,IVAN@example.com,,2025-03-01,Spring fair,yes,,\n" + // 10
	"Bad Phone,badphone@example.com,12,2025-03-01,Spring fair,yes,,\n" + // 11
	"Bad Choice,maybe@example.com,,2025-03-01,Spring fair,maybe,,\n" + // 12
	",,,,,,,\n" + // blank: skipped
	"Short Row,short@example.com\n" + // 14
	"Future Consent,future@example.com,,2030-01-01,Spring fair,no,,\n" // 15

func TestImport(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		anna := e.activeSubscriber(t, "anna@example.com")
		gone := e.activeSubscriber(t, "gone@example.com")
		must(t, e.svc.Erase(ctx, gone.ID, 0, "test"))
		_, err := e.svc.SuppressManually(ctx, &app.Admin{ID: 1}, "Manual@Example.com", "")
		must(t, err)

		rep, err := e.importer().Import(ctx, strings.NewReader(importFile), app.ImportOptions{Actor: "test", BatchSize: 3})
		must(t, err)
		if rep.Rows != 13 || rep.Imported != 2 || rep.Existing != 1 || rep.Suppressed != 2 || rep.Rejected != 8 {
			t.Fatalf("report %+v", rep)
		}
		if rep.SuppressedBy[app.SuppressErased] != 1 || rep.SuppressedBy[app.SuppressManual] != 1 {
			t.Errorf("suppressed by %v", rep.SuppressedBy)
		}
		if len(rep.IgnoredColumns) != 1 || rep.IgnoredColumns[0] != "Extra" {
			t.Errorf("ignored columns %v", rep.IgnoredColumns)
		}
		wantRejected := map[int]string{
			4: "no consent evidence: consent_at", 5: "no consent evidence: consent_source", 6: "email:",
			10: "duplicate of line 2", 11: "phone:", 12: "marketing:", 14: "has 2 fields", 15: "in the future",
		}
		got := map[int]string{}
		for _, r := range rep.Rejections {
			got[r.Line] = r.Reason
			if strings.Contains(r.Reason, "@example.com") && !strings.Contains(r.Reason, "name@example.com") {
				t.Errorf("line %d: the reason %q shows the address", r.Line, r.Reason)
			}
		}
		for line, want := range wantRejected {
			if !strings.Contains(got[line], want) {
				t.Errorf("line %d rejected with %q, want %q", line, got[line], want)
			}
		}

		ivan, err := e.store.SubscriberByEmail(ctx, "ivan@example.com")
		must(t, err)
		if ivan.Status != app.StatusActive || ivan.Name != "Ivan Petrov" || ivan.Phone != "+79120000001" ||
			ivan.EmailHash != e.svc.Signer.KeyedHash("ivan@example.com") {
			t.Fatalf("imported subscriber %+v", ivan)
		}
		consents, _ := e.store.Consents(ctx, ivan.ID)
		if len(consents) != 2 {
			t.Fatalf("consents %+v, want processing and marketing", consents)
		}
		events, _ := e.store.ConsentEvents(ctx, ivan.ID)
		if len(events) != 2 {
			t.Fatalf("events %+v", events)
		}
		for _, ev := range events {
			if ev.Channel != app.ChannelImport || ev.FormID != "Spring fair" || ev.PolicyVersion != app.PolicyVersionUnknown || ev.IP != "198.51.100.4" ||
				!ev.At.Equal(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)) || ev.Action != app.ConsentGranted ||
				!strings.Contains(ev.ConsentText, fmt.Sprintf("import %d", rep.ImportID)) {
				t.Errorf("event %+v", ev)
			}
		}
		nameless, err := e.store.SubscriberByEmail(ctx, "nameless@example.com")
		must(t, err)
		if consents, _ := e.store.Consents(ctx, nameless.ID); len(consents) != 1 || consents[0].Purpose != app.PurposeProcessing {
			t.Errorf("nameless consents %+v", consents)
		}
		if ev, _ := e.store.ConsentEvents(ctx, nameless.ID); len(ev) != 1 || ev[0].FormID != "Shop, Moscow" ||
			!ev[0].At.Equal(time.Date(2025, 3, 2, 6, 0, 0, 0, time.UTC)) {
			t.Errorf("nameless events %+v", ev)
		}
		// The existing subscriber is left as they were; the suppressed are
		// not added, and the suppression stays.
		if again, _ := e.store.Subscriber(ctx, anna.ID); again.Name != anna.Name {
			t.Errorf("existing subscriber renamed to %q", again.Name)
		}
		for _, addr := range []string{"gone@example.com", "manual@example.com"} {
			if _, err := e.store.SubscriberByEmail(ctx, addr); !app.IsNotFound(err) {
				t.Errorf("%s imported despite its suppression: %v", addr, err)
			}
			if reason, _ := e.store.SuppressionReason(ctx, e.svc.Signer.KeyedHash(addr)); reason == "" {
				t.Errorf("import lifted the suppression of %s", addr)
			}
		}
		audit, err := e.svc.Audit(ctx, app.AuditQuery{Action: app.AuditSubscribersImported})
		must(t, err)
		if len(audit) != 1 || audit[0].SubjectID != rep.ImportID || audit[0].Actor != "test" {
			t.Fatalf("audit %+v", audit)
		}

		// A second import of the same file adds nothing.
		rep2, err := e.importer().Import(ctx, strings.NewReader(importFile), app.ImportOptions{Actor: "test"})
		must(t, err)
		if rep2.Imported != 0 || rep2.Existing != 3 {
			t.Fatalf("second import %+v", rep2)
		}
	})
}

func countSubscribers(t *testing.T, e *env) int {
	t.Helper()
	subs, err := e.store.ListSubscribers(context.Background(), app.SubscriberFilter{Limit: 1000})
	must(t, err)
	return len(subs)
}

// TestImportAllOrNothing: a dry run and a fatal error write nothing.
func TestImportAllOrNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var b bytes.Buffer
		b.WriteString("email;consent_at;consent_source\n")
		for i := 0; i < 25; i++ {
			fmt.Fprintf(&b, "p%d@example.com;2025-01-01;form\n", i)
		}
		rep, err := e.importer().Import(ctx, bytes.NewReader(b.Bytes()), app.ImportOptions{DryRun: true, BatchSize: 10})
		must(t, err)
		if rep.Imported != 25 || !rep.DryRun {
			t.Fatalf("dry run %+v", rep)
		}
		if n := countSubscribers(t, e); n != 0 {
			t.Fatalf("a dry run left %d subscribers", n)
		}
		b.WriteString("late@example.com;2025-01-01;\"broken\"quote\n")
		_, err = e.importer().Import(ctx, bytes.NewReader(b.Bytes()), app.ImportOptions{BatchSize: 10})
		if app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "line 27") {
			t.Fatalf("broken file: %v", err)
		}
		if n := countSubscribers(t, e); n != 0 {
			t.Fatalf("a failed import left %d subscribers", n)
		}
	})
}

func TestImportHeader(t *testing.T) {
	im := &app.Importer{Signer: mustSigner(t)}
	tests := []struct {
		name, file, want string
	}{
		{"Empty", "", "empty"},
		{"NoEmail", "name,consent_at,source\n", "lacks the required column(s) email"},
		{"NoEvidence", "email,name\n", "consent_at, consent_source"},
		{"Twice", "email,e-mail,consent_at,source\n", "email column twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := im.Import(context.Background(), strings.NewReader(tt.file), app.ImportOptions{})
			if app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func mustSigner(t *testing.T) *app.Signer {
	t.Helper()
	s, err := app.NewSigner([]byte("0123456789abcdef0123456789abcdef-test"))
	must(t, err)
	return s
}

// memImport is an ImportStore that keeps nothing: every row is new, none
// suppressed.
type memImport struct{}

func (memImport) Import(ctx context.Context, fn func(w app.ImportWriter) error) error {
	return fn(memImport{})
}
func (memImport) CurrentPolicyVersion(context.Context) (string, error) { return "v1", nil }
func (memImport) CreateImport(context.Context, *app.ImportRun) error   { return nil }
func (memImport) FinishImport(context.Context, *app.ImportRun) error   { return nil }
func (memImport) AddAudit(context.Context, *app.AuditEntry) error      { return nil }
func (memImport) NewsletterPurposes(context.Context, []int64) (map[int64]app.CampaignPurpose, error) {
	return map[int64]app.CampaignPurpose{}, nil
}
func (memImport) Suppressed(context.Context, []string) (map[string]string, error) {
	return map[string]string{}, nil
}
func (memImport) InsertSubscribers(_ context.Context, _ *app.ImportRun, _ string, rows []app.ImportRow) ([]bool, error) {
	out := make([]bool, len(rows))
	for i := range out {
		out[i] = true
	}
	return out, nil
}

// FuzzImport feeds arbitrary files to the importer: it must never panic,
// every row must be accounted for, and a rejection must never quote the
// file's content.
func FuzzImport(f *testing.F) {
	f.Add([]byte(importFile))
	f.Add([]byte("email;consent_at;source\na@b.co;01.02.2024 10:00;x\n\"broken\n"))
	f.Add([]byte("email\tconsent_at\tsource\tmarketing\n a@b.co \t2024-01-01\tx\tда\n"))
	signer, err := app.NewSigner([]byte("0123456789abcdef0123456789abcdef-test"))
	if err != nil {
		f.Fatal(err)
	}
	im := &app.Importer{Store: memImport{}, Signer: signer, Operator: app.Operator{Country: "RU"}}
	f.Fuzz(func(t *testing.T, file []byte) {
		rep, err := im.Import(context.Background(), bytes.NewReader(file), app.ImportOptions{BatchSize: 2})
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if rep.Rows != rep.Imported+rep.Existing+rep.Suppressed+rep.Rejected {
			t.Fatalf("rows %d != %d+%d+%d+%d", rep.Rows, rep.Imported, rep.Existing, rep.Suppressed, rep.Rejected)
		}
		for _, r := range rep.Rejections {
			if r.Line < 2 || strings.Contains(r.Reason, "@b.co") {
				t.Fatalf("rejection %+v", r)
			}
		}
	})
}
