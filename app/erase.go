package app

import (
	"context"
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

// Erase destroys a subscriber's personal data: name, address, phone, IP
// addresses and user agents in consent evidence, pending confirmations and
// raw emailed requests. It keeps an anonymous tombstone (status erased) so
// counts stay right, puts a keyed hash of the address on the suppression
// list, writes the destruction record and completes the request that asked
// for it. It is idempotent: erasing an erased subscriber does nothing.
func (s *Service) Erase(ctx context.Context, subscriberID, requestID int64, reason string) error {
	now := s.now()
	return s.Store.Tx(ctx, func(tx Store) error {
		sub, err := tx.Subscriber(ctx, subscriberID)
		if err != nil {
			return err
		}
		if sub.Status != StatusErased {
			if sub.Email != "" {
				if err := tx.Suppress(ctx, s.Signer.KeyedHash(sub.Email), SuppressErased, ""); err != nil {
					return err
				}
			}
			if err := tx.CreateDestruction(ctx, &Destruction{SubscriberID: sub.ID, FullName: sub.Name,
				Categories: strings.Join(DestroyedCategories, ", "), System: DestructionSystem, Reason: reason,
				DestroyedAt: now}); err != nil {
				return err
			}
			if err := tx.ErasePersonalData(ctx, sub.ID, now); err != nil {
				return err
			}
		}
		if requestID == 0 {
			return nil
		}
		r, err := tx.Request(ctx, requestID)
		if err != nil {
			return err
		}
		if r.Status != RequestCompleted {
			r.Status, r.CompletedAt = RequestCompleted, &now
			return tx.UpdateRequest(ctx, r)
		}
		return nil
	})
}

// Export is everything held about a person, machine-readable (152-FZ
// art. 14, GDPR art. 15 and 20).
type Export struct {
	ExportedAt    time.Time      `json:"exported_at"`
	Subscriber    *Subscriber    `json:"subscriber"`
	Consents      []Consent      `json:"consents"`
	ConsentEvents []ConsentEvent `json:"consent_history"`
	Requests      []Request      `json:"requests"`
	Deliveries    []any          `json:"deliveries"`
}

// DeliveryLister lists the mail sent to a subscriber, when the store keeps
// deliveries.
type DeliveryLister interface {
	SubscriberDeliveries(ctx context.Context, subscriberID int64) ([]any, error)
}

// ExportSubscriber returns everything held about a subscriber.
func (s *Service) ExportSubscriber(ctx context.Context, subscriberID int64) (*Export, error) {
	sub, err := s.Store.Subscriber(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	x := &Export{ExportedAt: s.now(), Subscriber: sub, Deliveries: []any{}}
	if x.Consents, err = s.Store.Consents(ctx, sub.ID); err != nil {
		return nil, err
	}
	if x.ConsentEvents, err = s.Store.ConsentEvents(ctx, sub.ID); err != nil {
		return nil, err
	}
	if x.Requests, err = s.Store.ListRequests(ctx, RequestFilter{SubscriberID: sub.ID, Limit: 1000}); err != nil {
		return nil, err
	}
	if dl, ok := s.Store.(DeliveryLister); ok {
		if x.Deliveries, err = dl.SubscriberDeliveries(ctx, sub.ID); err != nil {
			return nil, err
		}
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
