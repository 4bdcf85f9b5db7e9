package app

import (
	"context"
	"strings"
	"unicode/utf8"
)

// OutboxRequestAnswer mails a staff member's free-text answer to the
// person who made a request (payload AnswerRef).
const OutboxRequestAnswer = "mail:request_answer"

// AuditRequestAnswered is the audit action of an answer mailed to a person.
const AuditRequestAnswered = "request_answered"

// MaxAnswerRunes bounds a free-text answer.
const MaxAnswerRunes = 10000

// AnswerRef names an answer to mail: the request and the note of its
// thread that holds the text (ids only).
type AnswerRef struct {
	RequestID int64 `json:"request_id"`
	NoteID    int64 `json:"note_id"`
}

// AnswerRequest mails the person who made request id a free-text answer,
// in their language, and records it in the request's thread (as an
// "answer" note, with its author and time). The request stays as it is:
// complete it when nothing more is to be done.
func (s *Register) AnswerRequest(ctx context.Context, actor *Admin, id int64, text string) (*RequestNote, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	switch {
	case text == "":
		return nil, &Error{Code: EINVALID, Message: "Write the answer.", Fields: map[string]string{"answer": "required"}}
	case !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxAnswerRunes:
		return nil, Errorf(EINVALID, "The answer must be text of at most %d characters.", MaxAnswerRunes).
			Fieldf("answer", "at most %d characters", MaxAnswerRunes)
	}
	var note *RequestNote
	err := s.Store.Tx(ctx, func(tx Store) error {
		r, err := tx.Requests().Request(ctx, id)
		if err != nil {
			return err
		}
		if r.SubscriberID == nil {
			return Errorf(ECONFLICT, "The request is not linked to a subscriber: there is no address on file to answer.")
		}
		sub, err := tx.Subscribers().Subscriber(ctx, *r.SubscriberID)
		if err != nil {
			return err
		}
		if sub.Status == StatusErased || sub.Email == "" {
			return Errorf(ECONFLICT, "The person's data is erased: there is no address to answer.")
		}
		ns, err := noteStore(tx)
		if err != nil {
			return err
		}
		note = &RequestNote{RequestID: id, Author: StaffName(actor), Kind: NoteAnswer, Body: text, CreatedAt: s.Now.Now()}
		if err := ns.AddRequestNote(ctx, note); err != nil {
			return err
		}
		if err := audit(ctx, tx.Audit(), AdminActor(actor), AuditRequestAnswered, "request", id, ""); err != nil {
			return err
		}
		return addOutbox(ctx, tx, OutboxRequestAnswer, AnswerRef{RequestID: id, NoteID: note.ID})
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return note, nil
}

// RequestAnswer is an answer to mail, and to whom.
type RequestAnswer struct {
	Subscriber *Subscriber
	RequestID  int64
	Text       string
	// InboundID is the message the request came in, to answer in its
	// thread; nil for a request that did not come by mail.
	InboundID *int64
}

// RequestAnswer returns the answer ref names, or nil when there is none to
// send any more (the person's data was erased since).
func (s *Register) RequestAnswer(ctx context.Context, ref AnswerRef) (*RequestAnswer, error) {
	r, err := s.Store.Requests().Request(ctx, ref.RequestID)
	if IsNotFound(err) || (err == nil && r.SubscriberID == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ns, err := noteStore(s.Store)
	if err != nil {
		return nil, err
	}
	notes, err := ns.RequestNotes(ctx, ref.RequestID)
	if err != nil {
		return nil, err
	}
	var text string
	for _, n := range notes {
		if n.ID == ref.NoteID && n.Kind == NoteAnswer {
			text = n.Body
		}
	}
	sub, err := s.Store.Subscribers().Subscriber(ctx, *r.SubscriberID)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if text == "" || sub.Status == StatusErased || sub.Email == "" {
		return nil, nil
	}
	return &RequestAnswer{Subscriber: sub, RequestID: r.ID, Text: text, InboundID: r.InboundID}, nil
}
