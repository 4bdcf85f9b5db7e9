package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
)

// TestExtensionNotice extends an access request and checks the reasoned
// notice the person gets (152-FZ art. 14 part 3): in their language, with
// the new deadline and the reason, once.
func TestExtensionNotice(t *testing.T) {
	for _, c := range []struct {
		locale           string
		subject, article string
		received, due    string
	}{
		{"ru", "Ваш запрос о персональных данных: срок ответа продлён", "статьи 14 Федерального закона № 152-ФЗ",
			"26 ноября 2026 года", "17 декабря 2026 года"},
		{"en", "Your request about your personal data: the answer will take longer", "article 14 part 3 of Federal Law No. 152-FZ",
			"26 November 2026", "17 December 2026"},
	} {
		t.Run(c.locale, func(t *testing.T) {
			in := newInbox(t)
			ctx := context.Background()
			addr := "reader-" + c.locale + "@example.org"
			sub := &app.Subscriber{Email: addr, EmailHash: in.svc.Signer.KeyedHash(addr), Name: "Анна Reader", Locale: c.locale,
				Status: app.StatusActive}
			if err := in.st.CreateSubscriber(ctx, sub); err != nil {
				t.Fatal(err)
			}
			if err := in.st.SetConsent(ctx, sub.ID, app.PurposeProcessing, true, time.Now()); err != nil {
				t.Fatal(err)
			}
			// Received on Thursday 26 November 2026: due in 10 working days,
			// extended by 5 more.
			received := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
			in.svc.Now = func() time.Time { return received }
			officer := &app.Admin{ID: 7, Role: app.RolePrivacyOfficer}
			r, err := in.svc.RegisterRequest(ctx, officer, app.RegisterInput{SubscriberID: sub.ID, Kind: app.KindAccess, Channel: app.ChannelAdmin})
			if err != nil {
				t.Fatal(err)
			}
			in.drain(t)
			before := len(in.tr.sent())
			const reason = "records of 2024 are in the archive; retrieving them takes a week"
			ext, err := in.svc.ExtendRequest(ctx, officer, r.ID, reason)
			if err != nil {
				t.Fatal(err)
			}
			in.drain(t)
			sent := in.tr.sent()[before:]
			if len(sent) != 1 {
				t.Fatalf("%d messages after the extension, want the notice", len(sent))
			}
			m := sent[0]
			if m.To != addr || m.Subject != c.subject || m.AutoSubmitted != "auto-generated" || m.Headers["Reply-To"] != "privacy@shop.example" {
				t.Fatalf("notice to %q, subject %q, Auto-Submitted %q, headers %v", m.To, m.Subject, m.AutoSubmitted, m.Headers)
			}
			if got := ext.DueAt.Format("2006-01-02"); got != "2026-12-17" {
				t.Fatalf("extended to %s", got)
			}
			for _, part := range []string{m.Text, m.HTML} {
				for _, want := range []string{reason, c.article, c.received, c.due, "Анна Reader", in.links.Base.Host + "/preferences/"} {
					if !strings.Contains(part, want) {
						t.Errorf("the notice lacks %q:\n%s", want, part)
					}
				}
				if strings.Contains(part, "..") || strings.Contains(part, ". .") {
					t.Errorf("a sentence of the notice ends on two full stops:\n%s", part)
				}
			}
			// The task again (a retry, a second relay): no second notice.
			payload, _ := json.Marshal(app.SubscriberRef{SubscriberID: sub.ID, RequestID: r.ID})
			h := in.handlers[app.OutboxRequestExtended]
			if err := h.ProcessTask(ctx, asynq.NewTask(h.Type(), payload)); err != nil {
				t.Fatal(err)
			}
			if n := len(in.tr.sent()) - before; n != 1 {
				t.Fatalf("%d notices after the task ran twice", n)
			}
			// Once the person's data is erased there is no one to write to.
			if err := in.svc.Erase(ctx, sub.ID, r.ID, "test"); err != nil {
				t.Fatal(err)
			}
			if n, err := in.svc.ExtensionNotice(ctx, sub.ID, r.ID); err != nil || n != nil {
				t.Fatalf("a notice after the erasure: %+v %v", n, err)
			}
		})
	}
}

// TestDeadlineAlert runs the sweep over requests near and past their
// deadlines and checks the alert: each flagged request listed once by id,
// kind, channel and deadline, no personal data, nothing for requests
// answered before the alert went out; to OPERATOR_EMAIL while the console
// has no accounts, then to its privacy officers only.
func TestDeadlineAlert(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	in.svc.Now = func() time.Time { return now }
	sub := in.subscriber(t, "late.person@example.org")
	add := func(kind app.RequestKind, received time.Time) *app.Request {
		r := &app.Request{SubscriberID: &sub.ID, Kind: kind, Channel: app.ChannelEmail, Status: app.RequestReceived,
			ReceivedAt: received, DueAt: in.svc.Calendar.DueAt(kind, received)}
		if err := in.st.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	late := add(app.KindAccess, now.AddDate(0, 0, -20))
	soon := add(app.KindConsentRevocation, now.AddDate(0, 0, -29))
	add(app.KindAccess, now) // far from its deadline
	in.drain(t)
	before := len(in.tr.sent())
	if _, err := in.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	in.drain(t)
	sent := in.tr.sent()[before:]
	if len(sent) != 1 {
		t.Fatalf("%d messages after the sweep, want the alert", len(sent))
	}
	m := sent[0]
	if m.To != "privacy@shop.example" || m.Subject != "Запросы субъектов ПДн: просрочено — 1, срок истекает — 1" {
		t.Fatalf("alert to %q, subject %q", m.To, m.Subject)
	}
	for _, part := range []string{m.Text, m.HTML} {
		for _, want := range []string{
			fmt.Sprintf("№%d Запрос сведений (email), срок %s", late.ID, "20 ноября 2026 года"), "просрочен",
			fmt.Sprintf("№%d Отзыв согласия (email), срок 27 ноября 2026 года", soon.ID),
			in.links.Base.Host + "/admin/requests", "Персональных данных не содержит",
		} {
			if !strings.Contains(part, want) {
				t.Errorf("the alert lacks %q:\n%s", want, part)
			}
		}
		for _, leak := range []string{sub.Email, sub.Name, sub.Phone, "Вы получили это письмо"} {
			if strings.Contains(part, leak) {
				t.Errorf("the alert carries %q", leak)
			}
		}
	}
	// A sweep that flags nothing new sends nothing; the alert's task run
	// again sends nothing either.
	if _, err := in.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	in.drain(t)
	h := in.handlers[app.OutboxDeadlineAlert]
	payload, _ := json.Marshal(app.DeadlineAlert{Overdue: 1, DueSoon: 1, OverdueIDs: []int64{late.ID}, DueSoonIDs: []int64{soon.ID}})
	if err := h.ProcessTask(ctx, asynq.NewTask(h.Type(), payload)); err != nil {
		t.Fatal(err)
	}
	if n := len(in.tr.sent()) - before; n != 1 {
		t.Fatalf("%d alerts after a second sweep and a repeated task", n)
	}
	// Two days later the revocation falls due: a new alert, now that the
	// console has accounts, to each privacy officer and no one else.
	admins := &app.Admins{Store: in.st}
	for _, a := range []struct {
		email string
		role  app.Role
	}{{"officer1@shop.example", app.RolePrivacyOfficer}, {"officer2@shop.example", app.RolePrivacyOfficer},
		{"owner@shop.example", app.RoleOwner}, {"marketer@shop.example", app.RoleMarketer}} {
		if _, _, err := admins.Create(ctx, a.email, a.role); err != nil {
			t.Fatal(err)
		}
	}
	now = now.AddDate(0, 0, 2)
	if _, err := in.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	in.drain(t)
	sent = in.tr.sent()[before+1:]
	if len(sent) != 2 || sent[0].To != "officer1@shop.example" || sent[1].To != "officer2@shop.example" {
		t.Fatalf("after the revocation fell due: %d alerts (%v)", len(sent), sent)
	}
	for _, m := range sent {
		if m.Subject != "Запросы субъектов ПДн: просрочено — 1, срок истекает — 0" ||
			!strings.Contains(m.Text, fmt.Sprintf("№%d Отзыв согласия (email), срок 27 ноября 2026 года — просрочен", soon.ID)) {
			t.Fatalf("alert %q:\n%s", m.Subject, m.Text)
		}
	}
	before += 3
	// A request answered before its alert goes out is not listed, and an
	// alert listing nothing is not sent.
	fresh := add(app.KindAccess, now.AddDate(0, 0, -13))
	if rep, err := in.svc.Sweep(ctx); err != nil || rep.RequestsOverdue+rep.RequestsDueSoon != 1 {
		t.Fatalf("sweep %+v %v: want the new request flagged", rep, err)
	}
	officer := &app.Admin{ID: 7, Role: app.RolePrivacyOfficer}
	if _, err := in.svc.CloseRequest(ctx, officer, fresh.ID, false, "answered by phone"); err != nil {
		t.Fatal(err)
	}
	in.drain(t)
	if n := len(in.tr.sent()) - before; n != 0 {
		t.Fatalf("%d alerts, want none for a request answered since", n)
	}
}

// TestRejectedRevocationUnblocks: an emailed revocation that cannot be
// verified blocks the person at once and asks them to confirm; if it is
// never confirmed, the deadline alert reaches the operator, and rejecting
// the request lifts the block (completing it would erase the person).
func TestRejectedRevocationUnblocks(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	sub := in.subscriber(t, "maybe.me@example.com")
	m := in.receive(t, []byte("From: maybe.me@example.com\r\nTo: privacy@shop.example\r\nSubject: Отзыв согласия на обработку персональных данных\r\n"+
		"Message-ID: <revoke-unverified@example.com>\r\n\r\nОтзываю согласие.\r\n"))
	r, err := in.st.Request(ctx, *m.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != app.KindConsentRevocation || r.Status != app.RequestAwaitingConfirmation {
		t.Fatalf("request %+v, want a revocation awaiting confirmation", r)
	}
	blocked(t, in, sub, true)
	officer := &app.Admin{ID: 7, Role: app.RolePrivacyOfficer}
	if _, err := in.svc.CloseRequest(ctx, officer, r.ID, true, "never confirmed; the address owner says it was not them"); err != nil {
		t.Fatal(err)
	}
	blocked(t, in, sub, false)
	if !in.consent(t, sub.ID, app.PurposeMarketing) {
		t.Error("a rejected revocation withdrew consent")
	}
}
