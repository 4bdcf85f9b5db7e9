package jobs

import (
	"context"
	"fmt"
	netmail "net/mail"

	"github.com/hibiken/asynq"

	"newsletter/app"
	"newsletter/app/inbound"
	"newsletter/app/mail"
)

// RequestAnswers finds a staff member's answer to a request, and the raw
// message the request came in (to answer in its thread).
type RequestAnswers interface {
	RequestAnswer(ctx context.Context, ref app.AnswerRef) (*app.RequestAnswer, error)
	InboundRaw(ctx context.Context, id int64) ([]byte, error)
}

// RequestAnswerMail mails a staff member's free-text answer to the person
// who made a request, in their language, once; when the request came by
// mail, in that message's thread. Like the extension notice it is
// correspondence about the person's own request: it reaches a blocked
// person too, while the cross-border rule and a manual suppression hold.
type RequestAnswerMail struct {
	*Transactional
	Answers RequestAnswers
}

// Type implements Handler.
func (RequestAnswerMail) Type() string { return app.OutboxRequestAnswer }

// ProcessTask implements Handler.
func (h RequestAnswerMail) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var p app.AnswerRef
	if err := decode(task, &p); err != nil {
		return err
	}
	a, err := h.Answers.RequestAnswer(ctx, p)
	if err != nil || a == nil {
		return err
	}
	sub := a.Subscriber
	if ok, err := h.mayMail(ctx, sub.ID, sub.Email, nil); err != nil {
		return err
	} else if !ok {
		h.Log.Warn("answer withheld by the mail rules; answer the person another way", "request_id", p.RequestID, "subscriber_id", sub.ID)
		return nil
	}
	var threadID, subject string
	var refs []string
	if a.InboundID != nil {
		raw, err := h.Answers.InboundRaw(ctx, *a.InboundID)
		if err != nil && !app.IsNotFound(err) {
			return err
		}
		if msg, err := inbound.Parse(raw); len(raw) > 0 && err == nil && msg.MessageID != "" {
			threadID, refs, subject = msg.MessageID, append(append([]string{}, msg.References...), msg.MessageID), msg.Subject
			if len(refs) > 20 {
				refs = append(refs[:1], refs[len(refs)-19:]...)
			}
		}
	}
	locale := app.NormalizeLocale(sub.Locale)
	data := MailData{Name: sub.Name, RequestID: a.RequestID, Body: a.Text}
	return h.send(ctx, fmt.Sprintf("answer:%d", p.NoteID), "request_answer", locale, sub.Email, sub.Name, sub.ID, data, func(m *mail.Message) {
		// A person's answer, written by a person: not auto-submitted.
		m.AutoSubmitted = ""
		if threadID != "" {
			m.InReplyTo, m.References = threadID, refs
			if subject != "" {
				m.Subject = "Re: " + subject
			}
		}
		if addr, err := netmail.ParseAddress(h.Operator.Email); err == nil {
			m.Headers = map[string]string{"Reply-To": addr.Address}
		}
	})
}
