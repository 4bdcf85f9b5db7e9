package app

import (
	"context"
)

// Emailed messages that a person must read.
//
// A message whose request is unclear, names someone other than its sender,
// or asks for several things waits in the review queue (actOnRequest). So
// does a message that cannot be read at all, or has no sender address to
// identify or answer: it is never closed without a trace.

// Why a message waits for review (MessageSummary.Reason); "" when its
// request is simply unclear.
const (
	// ReviewOtherPerson: the person's text names another person or another
	// address than the sender's (a spouse, "my other address", "keep
	// sending to this one"): acting on the sender could be the opposite of
	// what was asked.
	ReviewOtherPerson = "other_person"
	// ReviewSeveral: the message asks for several things.
	ReviewSeveral = "several"
	// ReviewContrary: the text asks not to act ("do not unsubscribe me")
	// or to keep mail coming.
	ReviewContrary = "contrary"
	// ReviewUnreadable: the message cannot be read, or has no usable
	// sender address; the summary holds its raw text.
	ReviewUnreadable = "unreadable"
)

// holdUnreadable records a message that cannot be read (or has no usable
// sender) as a request waiting for review, with what can be shown of it.
// No reply: there is no one to answer.
func (s *Register) holdUnreadable(ctx context.Context, tx Store, m *InboundMessage, e EmailRequest) error {
	r := &Request{}
	if m.RequestID != nil {
		var err error
		if r, err = tx.Requests().Request(ctx, *m.RequestID); err != nil {
			return err
		}
	}
	r.Kind, r.Channel, r.Status = KindUnknown, ChannelEmail, RequestNeedsReview
	r.ReceivedAt, r.DueAt, r.CompletedAt = m.ReceivedAt, s.Calendar.DueAt(KindUnknown, m.ReceivedAt), nil
	r.Verification, r.InboundID = m.Verification, &m.ID
	if r.ID == 0 {
		if err := tx.Requests().CreateRequest(ctx, r); err != nil {
			return err
		}
	} else if err := tx.Requests().UpdateRequest(ctx, r); err != nil {
		return err
	}
	m.Outcome, m.Status, m.Kind = EmailIsMalformed, InboundDone, KindUnknown
	m.RequestID, m.Reply, m.Summary = &r.ID, "", e.Summary
	if m.Summary != nil && m.Summary.Reason == "" {
		m.Summary.Reason = ReviewUnreadable
	}
	return nil
}
