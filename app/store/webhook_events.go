package store

import (
	"context"
	"fmt"

	"newsletter/app"
)

// The changes that are events, each recorded in the transaction of the
// change (see RecordEvent).

// recordConsentEvent records consent.granted or consent.withdrawn for an
// entry of a consent's history; a confirmation of a grant is not an event
// of its own (subscriber.confirmed says it).
func (s *Store) recordConsentEvent(ctx context.Context, e *app.ConsentEvent) error {
	var t app.EventType
	switch e.Action {
	case app.ConsentGranted:
		t = app.EventConsentGranted
	case app.ConsentWithdrawn:
		t = app.EventConsentWithdrawn
	default:
		return nil
	}
	d := app.EventData{SubscriberID: e.SubscriberID, Purpose: e.Purpose, Channel: e.Channel}
	if e.RequestID != nil {
		d.RequestID = *e.RequestID
	}
	return s.RecordEvent(ctx, app.Event{Type: t, At: e.At, Data: d})
}

// recordRequestCreated records request.created for a new request, and
// request.completed too when it is done as it is made (an opt-out).
func (s *Store) recordRequestCreated(ctx context.Context, r *app.Request) error {
	if err := s.recordRequestEvent(ctx, app.EventRequestCreated, r); err != nil {
		return err
	}
	if r.Status == app.RequestCompleted {
		return s.recordRequestEvent(ctx, app.EventRequestCompleted, r)
	}
	return nil
}

func (s *Store) recordRequestEvent(ctx context.Context, t app.EventType, r *app.Request) error {
	d := app.EventData{RequestID: r.ID, RequestKind: r.Kind, Channel: r.Channel, Status: r.Status}
	if r.SubscriberID != nil {
		d.SubscriberID = *r.SubscriberID
	}
	if r.CampaignID != nil {
		d.CampaignID = *r.CampaignID
	}
	at := r.ReceivedAt
	if t == app.EventRequestCompleted && r.CompletedAt != nil {
		at = *r.CompletedAt
	}
	return s.RecordEvent(ctx, app.Event{Type: t, At: at, Data: d})
}

// completesRequest reports whether writing r completes a request that was
// not completed before.
func (s *Store) completesRequest(ctx context.Context, r *app.Request) (bool, error) {
	if r.Status != app.RequestCompleted {
		return false, nil
	}
	var status []string
	if err := s.with(ctx).Model(&requestRow{}).Where("id = ?", r.ID).Pluck("status", &status).Error; err != nil {
		return false, fmt.Errorf("read request status: %w", err)
	}
	return len(status) == 1 && status[0] != string(app.RequestCompleted), nil
}

// recordFeedbackEvent records delivery.bounced or delivery.complained for
// a new bounce or complaint.
func (s *Store) recordFeedbackEvent(ctx context.Context, r *app.FeedbackRecord) error {
	d := app.EventData{Source: r.Source}
	var t app.EventType
	switch r.Kind {
	case app.FeedbackHardBounce:
		t, d.Bounce = app.EventDeliveryBounced, "hard"
	case app.FeedbackSoftBounce:
		t, d.Bounce = app.EventDeliveryBounced, "soft"
	case app.FeedbackComplaint:
		t = app.EventDeliveryComplained
	default:
		return nil
	}
	if r.DeliveryID != nil {
		d.DeliveryID = *r.DeliveryID
	}
	if r.CampaignID != nil {
		d.CampaignID = *r.CampaignID
	}
	if r.SubscriberID != nil {
		d.SubscriberID = *r.SubscriberID
	}
	return s.RecordEvent(ctx, app.Event{Type: t, At: r.OccurredAt, Data: d})
}
