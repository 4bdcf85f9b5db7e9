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
func (s *Service) Erase(ctx context.Context, subscriberID, requestID int64, reason string) error {
	now := s.now()
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
func (s *Service) afterErasure(ctx context.Context, subscriberID int64, addresses ...string) error {
	if s.MailFiles != nil {
		if _, err := s.MailFiles.EraseMailTo(ctx, []int64{subscriberID}, addresses...); err != nil {
			return fmt.Errorf("erase mail files: %w", err)
		}
	}
	return s.Store.Retention().CheckpointErasure(ctx)
}

// Export is everything held about a person, machine-readable (152-FZ
// art. 14, GDPR art. 15 and 20).
type Export struct {
	ExportedAt    time.Time        `json:"exported_at"`
	Subscriber    *Subscriber      `json:"subscriber"`
	Consents      []Consent        `json:"consents"`
	ConsentEvents []ConsentEvent   `json:"consent_history"`
	Requests      []Request        `json:"requests"`
	Deliveries    []DeliveryRecord `json:"deliveries"`
}

// ExportSubscriber returns everything held about a subscriber.
func (s *Service) ExportSubscriber(ctx context.Context, subscriberID int64) (*Export, error) {
	sub, err := s.Store.Subscribers().Subscriber(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	x := &Export{ExportedAt: s.now(), Subscriber: sub}
	if x.Consents, err = s.Store.Subscribers().Consents(ctx, sub.ID); err != nil {
		return nil, err
	}
	if x.ConsentEvents, err = s.Store.Subscribers().ConsentEvents(ctx, sub.ID); err != nil {
		return nil, err
	}
	if x.Requests, err = s.Store.Requests().ListRequests(ctx, RequestFilter{SubscriberID: sub.ID, Limit: 1000}); err != nil {
		return nil, err
	}
	if x.Deliveries, err = s.Store.Campaigns().SubscriberDeliveries(ctx, sub.ID); err != nil {
		return nil, err
	}
	return x, nil
}

// ExportForToken returns the data of the person behind a preferences link.
func (s *Service) ExportForToken(ctx context.Context, token string) (*Export, error) {
	sub, err := s.SubscriberForToken(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.ExportSubscriber(ctx, sub.ID)
}
