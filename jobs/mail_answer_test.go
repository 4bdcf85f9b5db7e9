package jobs_test

import (
	"context"
	"strings"
	"testing"

	"newsletter/app"
)

// TestRequestAnswer: a staff member's free-text answer to a request is
// mailed once to the address on file, in the person's language, with the
// operator's privacy mailbox to reply to, and is kept in the request's
// thread with its author.
func TestRequestAnswer(t *testing.T) {
	for _, c := range []struct{ locale, subject, about string }{
		{"ru", "Ответ на ваше обращение № ", "Это ответ на ваше обращение №"},
		{"en", "Your request no. ", "This is the answer to your request no."},
	} {
		t.Run(c.locale, func(t *testing.T) {
			in := newInbox(t)
			ctx := context.Background()
			sub := in.subscriber(t, "answer-"+c.locale+"@example.org")
			sub.Locale = c.locale
			if err := in.st.UpdateSubscriber(ctx, sub); err != nil {
				t.Fatal(err)
			}
			officer := &app.Admin{ID: 7, Email: "officer@shop.example", Role: app.RolePrivacyOfficer}
			r, err := in.svc.RegisterRequest(ctx, officer, app.RegisterInput{SubscriberID: sub.ID, Kind: app.KindAccess, Channel: app.ChannelPhone})
			if err != nil {
				t.Fatal(err)
			}
			in.drain(t)
			before := len(in.tr.sent())
			if _, err := in.svc.AnswerRequest(ctx, officer, r.ID, "  "); app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("an empty answer: %v", err)
			}
			const text = "We hold your name, address and phone.\n\nNothing else."
			if _, err := in.svc.AnswerRequest(ctx, officer, r.ID, text); err != nil {
				t.Fatal(err)
			}
			in.drain(t)
			sent := in.tr.sent()[before:]
			if len(sent) != 1 {
				t.Fatalf("%d messages after the answer, want 1", len(sent))
			}
			m := sent[0]
			if m.To != sub.Email || !strings.HasPrefix(m.Subject, c.subject) || m.Headers["Reply-To"] != "privacy@shop.example" ||
				m.AutoSubmitted != "" {
				t.Fatalf("answer to %q, subject %q, headers %v, Auto-Submitted %q", m.To, m.Subject, m.Headers, m.AutoSubmitted)
			}
			for _, part := range []string{m.Text, m.HTML} {
				for _, want := range []string{"We hold your name, address and phone.", "Nothing else.", c.about} {
					if !strings.Contains(part, want) {
						t.Errorf("the answer lacks %q:\n%s", want, part)
					}
				}
			}
			notes, err := in.svc.RequestNotes(ctx, r.ID)
			if err != nil || len(notes) != 1 || notes[0].Kind != app.NoteAnswer || notes[0].Author != officer.Email || notes[0].Body != text {
				t.Fatalf("thread %+v %v", notes, err)
			}
			// After an erasure there is no one to answer.
			if err := in.svc.Erase(ctx, sub.ID, r.ID, "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := in.svc.AnswerRequest(ctx, officer, r.ID, "late"); app.ErrorCode(err) != app.ECONFLICT {
				t.Fatalf("an answer after the erasure: %v", err)
			}
		})
	}
}
