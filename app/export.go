package app

import (
	"context"
	"time"
)

// Export is everything held about a person, machine-readable (152-FZ
// art. 14, GDPR art. 15 and 20).
type Export struct {
	ExportedAt    time.Time        `json:"exported_at"`
	Subscriber    *Subscriber      `json:"subscriber"`
	Consents      []Consent        `json:"consents"`
	ConsentEvents []ConsentEvent   `json:"consent_history"`
	Requests      []Request        `json:"requests"`
	Deliveries    []DeliveryRecord `json:"deliveries"`
	// Newsletters and NewsletterEvents are the newsletters the person is
	// or was on and every join and leave, with its evidence.
	Newsletters      []NewsletterMembership `json:"newsletters"`
	NewsletterEvents []NewsletterEvent      `json:"newsletter_history"`
}

// ExportSubscriber returns everything held about a subscriber.
func (s *Privacy) ExportSubscriber(ctx context.Context, subscriberID int64) (*Export, error) {
	return s.export(ctx, subscriberID)
}

// ExportForToken returns the data of the person behind a preferences link.
func (s *Subscriptions) ExportForToken(ctx context.Context, token string) (*Export, error) {
	sub, err := s.SubscriberForToken(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.export(ctx, sub.ID)
}

// export reads everything held about a subscriber.
func (c *Core) export(ctx context.Context, subscriberID int64) (*Export, error) {
	sub, err := c.Store.Subscribers().Subscriber(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	x := &Export{ExportedAt: c.Now.Now(), Subscriber: sub}
	if x.Consents, err = c.Store.Subscribers().Consents(ctx, sub.ID); err != nil {
		return nil, err
	}
	if x.ConsentEvents, err = c.Store.Subscribers().ConsentEvents(ctx, sub.ID); err != nil {
		return nil, err
	}
	if x.Requests, err = c.Store.Requests().QueryRequests(ctx, RequestQuery{SubscriberID: sub.ID, Limit: 1000}); err != nil {
		return nil, err
	}
	if x.Newsletters, err = c.Store.Newsletters().Memberships(ctx, sub.ID); err != nil {
		return nil, err
	}
	if x.NewsletterEvents, err = c.Store.Newsletters().NewsletterEvents(ctx, sub.ID); err != nil {
		return nil, err
	}
	if x.Deliveries, err = c.Store.Campaigns().SubscriberDeliveries(ctx, sub.ID); err != nil {
		return nil, err
	}
	return x, nil
}
