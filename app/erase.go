package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Destruction is the record of one destruction of personal data that
// Roskomnadzor order No. 179 requires: whose, what, where, why, when. Kept
// three years.
type Destruction struct {
	ID           int64     `json:"id"`
	SubscriberID int64     `json:"subscriber_id"`
	FullName     string    `json:"full_name"`
	Categories   string    `json:"categories"`
	System       string    `json:"system"`
	Reason       string    `json:"reason"`
	DestroyedAt  time.Time `json:"destroyed_at"`
}

// DestructionSystem names the information system in destruction records.
const DestructionSystem = "newsletter subscription manager (subscriber database)"

// DestroyedCategories lists what an erasure destroys.
var DestroyedCategories = []string{"full name", "email address", "telephone number", "IP addresses", "user agents",
	"emailed requests"}

// MailFiles are the messages the product wrote as files instead of
// sending them (the embedded mode's DATA_DIR/outbox), named by the
// subscriber and the recipient's address so that an erasure finds them.
type MailFiles interface {
	// EraseMailTo deletes every message written for one of subscriberIDs
	// or to one of addresses, and reports how many it deleted.
	EraseMailTo(ctx context.Context, subscriberIDs []int64, addresses ...string) (int, error)
}

// Erase destroys a subscriber's personal data: name, address, phone, IP
// addresses, user agents and pages in consent evidence, pending
// confirmations, raw emailed requests (tied to the person, or sent from
// their address before they subscribed) and, in the embedded mode, the
// files of the mail sent to them. It keeps an anonymous tombstone (status
// erased) so counts stay right, puts a keyed hash of the address on the
// suppression list, writes the destruction record and completes the
// request that asked for it. Then it empties the SQLite write-ahead log,
// which still holds the old rows (on PostgreSQL the sweep vacuums). It is
// idempotent: erasing an erased subscriber destroys nothing more, and
// deletes the mail files again (a retry after an interruption finishes the
// work).
func (s *Privacy) Erase(ctx context.Context, subscriberID, requestID int64, reason string) error {
	now := s.Now.Now()
	var addresses []string
	err := s.Store.Tx(ctx, func(tx Store) error {
		sub, err := tx.Subscribers().Subscriber(ctx, subscriberID)
		if err != nil {
			return err
		}
		if sub.Status != StatusErased {
			if sub.Email != "" {
				addresses = append(addresses, sub.Email)
				if err := tx.Suppressions().Suppress(ctx, s.Signer.KeyedHash(sub.Email), SuppressErased, ""); err != nil {
					return err
				}
				if err := tx.Retention().EraseInboundFrom(ctx, s.Signer.Fingerprint(InboundSenderNamespace, sub.Email)); err != nil {
					return err
				}
			}
			if err := tx.Retention().CreateDestruction(ctx, &Destruction{SubscriberID: sub.ID, FullName: sub.Name,
				Categories: strings.Join(DestroyedCategories, ", "), System: DestructionSystem, Reason: reason,
				DestroyedAt: now}); err != nil {
				return err
			}
			if err := tx.Retention().ErasePersonalData(ctx, sub.ID, now); err != nil {
				return err
			}
		}
		if requestID == 0 {
			return nil
		}
		r, err := tx.Requests().Request(ctx, requestID)
		if err != nil {
			return err
		}
		if r.Status != RequestCompleted {
			r.Status, r.CompletedAt = RequestCompleted, &now
			return tx.Requests().UpdateRequest(ctx, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.afterErasure(ctx, subscriberID, addresses...)
}

// afterErasure removes what an erasure leaves outside the rows it changed:
// the mail files of the person, and the old rows in the SQLite
// write-ahead log.
func (s *Privacy) afterErasure(ctx context.Context, subscriberID int64, addresses ...string) error {
	if s.MailFiles != nil {
		if _, err := s.MailFiles.EraseMailTo(ctx, []int64{subscriberID}, addresses...); err != nil {
			return fmt.Errorf("erase mail files: %w", err)
		}
	}
	return s.Store.Retention().CheckpointErasure(ctx)
}

// ErasureResult tells what an operator's erasure did.
type ErasureResult struct {
	Subscriber *Subscriber `json:"subscriber"`
	// Request is the consent_revocation request the erasure completed;
	// nil when the subscriber had been erased before without one.
	Request *Request `json:"request"`
	// AlreadyErased is true when there was nothing left to erase.
	AlreadyErased bool `json:"already_erased"`
}

// EraseByOperator destroys a subscriber's data on an operator's order
// (a withdrawal received on paper or by telephone, a court order, the end
// of the purpose). It withdraws every consent, records the request in the
// register (kind consent_revocation, the given channel, verification
// "operator"), erases at once and completes the request. The erasure task
// is written too, so an interrupted erasure is finished by the queue. It is
// idempotent: erasing an erased subscriber does nothing.
func (s *Privacy) EraseByOperator(ctx context.Context, actor *Admin, ch Channel, subscriberID int64, reason string) (*ErasureResult, error) {
	reason, err := cleanReason("reason", reason, false)
	if err != nil {
		return nil, err
	}
	if ch == "" {
		ch = ChannelAdmin
	}
	now := s.Now.Now()
	var req *Request
	already := false
	err = s.Store.Tx(ctx, func(tx Store) error {
		sub, err := tx.Subscribers().Subscriber(ctx, subscriberID)
		if err != nil {
			return err
		}
		if sub.Status == StatusErased {
			already = true
			return nil
		}
		// An open revocation of this person is what this erasure answers.
		open, err := tx.Requests().QueryRequests(ctx, RequestQuery{SubscriberID: sub.ID, Kind: KindConsentRevocation, Limit: 1000})
		if err != nil {
			return err
		}
		for i := range open {
			if open[i].Status != RequestCompleted && open[i].Status != RequestRejected {
				req = &open[i]
				break
			}
		}
		if req == nil {
			if req, err = s.Subscriptions.revoke(ctx, tx, sub.ID, Evidence{At: now, Channel: ch}, "operator"); err != nil {
				return err
			}
		} else if err := addOutbox(ctx, tx, OutboxErase, SubscriberRef{SubscriberID: sub.ID, RequestID: req.ID}); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), AuditSubscriberErased, "subscriber", sub.ID, fmt.Sprintf("request %d", req.ID))
	})
	if err != nil {
		return nil, err
	}
	if !already {
		s.wake()
		why := "erasure ordered by the operator (" + AdminActor(actor).String() + ")"
		if reason != "" {
			why += ": " + reason
		}
		if err := s.Erase(ctx, subscriberID, req.ID, why); err != nil {
			return nil, err
		}
	}
	res := &ErasureResult{AlreadyErased: already}
	if res.Subscriber, err = s.Store.Subscribers().Subscriber(ctx, subscriberID); err != nil {
		return nil, err
	}
	if req != nil {
		if res.Request, err = s.Store.Requests().Request(ctx, req.ID); err != nil {
			return nil, err
		}
	} else if rs, err := s.Store.Requests().QueryRequests(ctx, RequestQuery{SubscriberID: subscriberID, Kind: KindConsentRevocation, Limit: 1000}); err != nil {
		return nil, err
	} else if len(rs) > 0 {
		res.Request = &rs[len(rs)-1]
	}
	return res, nil
}

// Destructions lists destruction records, oldest first, after afterID.
func (s *Privacy) Destructions(ctx context.Context, afterID int64, limit int) ([]Destruction, error) {
	return s.Store.Retention().Destructions(ctx, afterID, limit)
}
