package app

import (
	"context"
)

// The review queue: emailed requests whose kind was unclear wait, with the
// message they came in, for a privacy officer who either assigns a kind
// (the message is then processed as that kind, as if its subject had said
// so) or rejects the request.

// ReviewItem is a request waiting for review, with a summary of its
// message. The summary holds personal data.
type ReviewItem struct {
	Request
	Message *MessageSummary `json:"message"`
}

// AuditRequestAssigned is the audit action of an officer's assignment of a
// kind to a request under review.
const AuditRequestAssigned = "request_assigned"

// ReviewQueue lists the requests waiting for review, oldest first, after
// afterID.
func (s *Register) ReviewQueue(ctx context.Context, afterID int64, limit int) ([]ReviewItem, error) {
	reqs, err := s.Store.Requests().QueryRequests(ctx, RequestQuery{Status: RequestNeedsReview, AfterID: afterID, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]ReviewItem, 0, len(reqs))
	for _, r := range reqs {
		item := ReviewItem{Request: r}
		if r.InboundID != nil {
			m, err := s.Store.Inbound().InboundMessage(ctx, *r.InboundID)
			if err != nil && !IsNotFound(err) {
				return nil, err
			}
			if m != nil {
				item.Message = m.Summary
			}
		}
		out = append(out, item)
	}
	return out, nil
}

// AssignRequest gives a request under review its kind; its message is then
// processed again as that kind (acted on, answered, recorded), in the
// background.
func (s *Register) AssignRequest(ctx context.Context, actor *Admin, id int64, kind RequestKind) (*Request, error) {
	switch kind {
	case KindMarketingOptout, KindDataUpdate, KindConsentRevocation, KindAccess:
	default:
		return nil, &Error{Code: EINVALID, Message: "invalid kind",
			Fields: map[string]string{"kind": "marketing_optout, data_update, consent_revocation or access"}}
	}
	var out *Request
	err := s.Store.Tx(ctx, func(tx Store) error {
		r, err := tx.Requests().Request(ctx, id)
		if err != nil {
			return err
		}
		if r.Status != RequestNeedsReview {
			return Errorf(ECONFLICT, "The request is not waiting for review.")
		}
		if r.InboundID == nil {
			return Errorf(ECONFLICT, "The request did not come by email.")
		}
		m, err := tx.Inbound().LockInbound(ctx, *r.InboundID)
		if err != nil {
			return err
		}
		if m.Status != InboundDone {
			return Errorf(ECONFLICT, "The message is still being processed.")
		}
		m.Round++
		m.ForcedKind, m.Status = kind, InboundReceived
		if err := tx.Inbound().UpdateInbound(ctx, m); err != nil {
			return err
		}
		r.Kind, r.Status, r.DueAt = kind, RequestReceived, s.Calendar.DueAt(kind, r.ReceivedAt)
		if err := tx.Requests().UpdateRequest(ctx, r); err != nil {
			return err
		}
		if err := audit(ctx, tx.Audit(), AdminActor(actor), AuditRequestAssigned, "request", r.ID, "kind "+string(kind)); err != nil {
			return err
		}
		out = r
		return addOutbox(ctx, tx, OutboxInboundProcess, InboundRef{InboundID: m.ID})
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return out, nil
}

// RejectRequest rejects a request under review with the officer's reason
// (kept in the register: write it without personal data).
func (s *Register) RejectRequest(ctx context.Context, actor *Admin, id int64, reason string) (*Request, error) {
	reason, err := cleanReason("reason", reason, true)
	if err != nil {
		return nil, err
	}
	r, err := s.Store.Requests().Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != RequestNeedsReview {
		return nil, Errorf(ECONFLICT, "The request is not waiting for review.")
	}
	return s.CloseRequest(ctx, actor, id, true, reason)
}
