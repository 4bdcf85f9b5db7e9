package app

import (
	"context"
	"time"
)

// Inbound mail not acted on: automatic answers, loops, unreadable messages,
// and delivery or complaint reports that proved nothing. Nothing was done
// with them and nobody's request was recorded; a privacy officer can still
// look at them.

// EmailIsUnproven is the outcome of a delivery report or a complaint report
// that names no message we sent (or, for a bounce, not the recipient of
// that message): it changes nothing.
const EmailIsUnproven = "unproven_report"

// EmailIsComplaint is the outcome of an ARF complaint report about a
// message we sent.
const EmailIsComplaint = "complaint"

// VerifiedDeliveryRef is the verification of a report by mail that carried
// a valid delivery reference.
const VerifiedDeliveryRef = "delivery_ref"

// NotActedOutcomes are the outcomes of messages nothing was done with.
var NotActedOutcomes = []string{EmailIsUnproven, EmailIsAutoReply, EmailIsLoop, EmailIsMalformed}

// InboundQuery narrows a listing of stored inbound messages.
type InboundQuery struct {
	// Outcomes keeps messages with one of these outcomes (all when empty).
	Outcomes []string
	// BeforeID pages backwards (newest first).
	BeforeID int64
	Limit    int
}

// InboundItem is a stored message as an officer sees it in a listing. The
// summary holds personal data.
type InboundItem struct {
	ID         int64           `json:"id"`
	Source     string          `json:"source"`
	ReceivedAt time.Time       `json:"received_at"`
	Outcome    string          `json:"outcome"`
	Detail     string          `json:"detail,omitempty"`
	Message    *MessageSummary `json:"message,omitempty"`
}

// InboundNotActed lists the stored messages nothing was done with, newest
// first, before beforeID.
func (s *Inbound) InboundNotActed(ctx context.Context, beforeID int64, limit int) ([]InboundItem, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	ms, err := s.Store.Inbound().ListInbound(ctx, InboundQuery{Outcomes: NotActedOutcomes, BeforeID: beforeID, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]InboundItem, len(ms))
	for i, m := range ms {
		out[i] = InboundItem{ID: m.ID, Source: m.Source, ReceivedAt: m.ReceivedAt, Outcome: m.Outcome,
			Detail: m.VerificationDetail, Message: m.Summary}
	}
	return out, nil
}
