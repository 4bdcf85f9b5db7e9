package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

// Event webhooks: endpoints, the events recorded for them and their
// deliveries.

var _ app.WebhookStore = (*Store)(nil)

// Events implements app.Store: the events of event webhooks.
func (s *Store) Events() app.EventRecorder { return s }

type webhookEndpointRow struct {
	ID             int64
	URL            string `gorm:"column:url"`
	Events         string
	Secret         string
	PreviousSecret *string
	PreviousUntil  *time.Time
	CreatedBy      *int64
	CreatedAt      time.Time
}

func (webhookEndpointRow) TableName() string { return "webhook_endpoints" }

func (r webhookEndpointRow) endpoint() app.WebhookEndpoint {
	e := app.WebhookEndpoint{ID: r.ID, URL: r.URL, Secret: r.Secret, PreviousSecret: str(r.PreviousSecret),
		PreviousUntil: r.PreviousUntil, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
	for _, t := range strings.Fields(r.Events) {
		e.Events = append(e.Events, app.EventType(t))
	}
	if e.PreviousSecret == "" {
		e.PreviousUntil = nil
	}
	return e
}

// asks reports whether the endpoint asked for events of type t.
func (r webhookEndpointRow) asks(t app.EventType) bool {
	for _, s := range strings.Fields(r.Events) {
		if s == string(t) {
			return true
		}
	}
	return false
}

type webhookEventRow struct {
	ID        int64
	Type      string
	Body      string
	CreatedAt time.Time
}

func (webhookEventRow) TableName() string { return "webhook_events" }

type webhookDeliveryRow struct {
	ID              int64
	EventID         int64
	EndpointID      int64
	Status          string
	Attempts        int
	ResponseCode    *int
	ResponseExcerpt string
	LastError       string
	ClaimedUntil    *time.Time
	LastAttemptAt   *time.Time
	DeliveredAt     *time.Time
	CreatedAt       time.Time
}

func (webhookDeliveryRow) TableName() string { return "webhook_deliveries" }

// RecordEvent implements app.EventRecorder: it writes the event, a
// delivery for each endpoint that asked for its type, and an outbox row
// per delivery, in the transaction s is in (or one of its own).
func (s *Store) RecordEvent(ctx context.Context, e app.Event) error {
	var eps []webhookEndpointRow
	if err := s.with(ctx).Select("id", "events").Order("id").Find(&eps).Error; err != nil {
		return fmt.Errorf("record event %s: %w", e.Type, err)
	}
	var ids []int64
	for _, ep := range eps {
		if ep.asks(e.Type) {
			ids = append(ids, ep.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	body, err := e.Body()
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *Store) error {
		ev := webhookEventRow{Type: string(e.Type), Body: string(body), CreatedAt: s.now()}
		if err := tx.with(ctx).Create(&ev).Error; err != nil {
			return fmt.Errorf("record event %s: %w", e.Type, err)
		}
		for _, id := range ids {
			d := webhookDeliveryRow{EventID: ev.ID, EndpointID: id, Status: app.WebhookPending, CreatedAt: ev.CreatedAt}
			if err := tx.with(ctx).Create(&d).Error; err != nil {
				return fmt.Errorf("record event delivery: %w", err)
			}
			if err := tx.addWebhookOutbox(ctx, d.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// anyWebhooks reports whether any endpoint asks for one of types: a
// set-based statement that records no events is then as good as one that
// would.
func (s *Store) anyWebhooks(ctx context.Context, types ...app.EventType) (bool, error) {
	var eps []webhookEndpointRow
	if err := s.with(ctx).Select("id", "events").Find(&eps).Error; err != nil {
		return false, fmt.Errorf("read webhook endpoints: %w", err)
	}
	for _, ep := range eps {
		for _, t := range types {
			if ep.asks(t) {
				return true, nil
			}
		}
	}
	return false, nil
}

func (s *Store) addWebhookOutbox(ctx context.Context, deliveryID int64) error {
	payload, err := json.Marshal(app.WebhookDeliveryRef{DeliveryID: deliveryID})
	if err != nil {
		return fmt.Errorf("encode webhook delivery: %w", err)
	}
	_, err = s.AddOutbox(ctx, app.OutboxWebhook, payload)
	return err
}

// CreateWebhookEndpoint implements app.WebhookStore.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *app.WebhookEndpoint) error {
	types := make([]string, len(e.Events))
	for i, t := range e.Events {
		types[i] = string(t)
	}
	r := webhookEndpointRow{URL: e.URL, Events: strings.Join(types, " "), Secret: e.Secret, CreatedBy: e.CreatedBy,
		CreatedAt: e.CreatedAt.UTC()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create webhook endpoint: %w", err)
	}
	e.ID = r.ID
	return nil
}

// WebhookEndpoints implements app.WebhookStore.
func (s *Store) WebhookEndpoints(ctx context.Context) ([]app.WebhookEndpoint, error) {
	var rows []webhookEndpointRow
	if err := s.with(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	out := make([]app.WebhookEndpoint, len(rows))
	for i, r := range rows {
		out[i] = r.endpoint()
	}
	return out, nil
}

// WebhookEndpoint implements app.WebhookStore.
func (s *Store) WebhookEndpoint(ctx context.Context, id int64) (*app.WebhookEndpoint, error) {
	var r webhookEndpointRow
	if err := s.with(ctx).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "webhook endpoint")
	}
	e := r.endpoint()
	return &e, nil
}

// DeleteWebhookEndpoint implements app.WebhookStore; the endpoint's
// deliveries go with it.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *Store) error {
		if err := tx.with(ctx).Where("endpoint_id = ?", id).Delete(&webhookDeliveryRow{}).Error; err != nil {
			return fmt.Errorf("delete webhook deliveries: %w", err)
		}
		if err := tx.with(ctx).Delete(&webhookEndpointRow{}, id).Error; err != nil {
			return fmt.Errorf("delete webhook endpoint: %w", err)
		}
		return nil
	})
}

// RotateWebhookSecret implements app.WebhookStore.
func (s *Store) RotateWebhookSecret(ctx context.Context, id int64, secret string, previousUntil time.Time) error {
	res := s.with(ctx).Model(&webhookEndpointRow{}).Where("id = ?", id).Updates(map[string]any{
		"previous_secret": gorm.Expr("secret"), "previous_until": previousUntil.UTC(), "secret": secret})
	if res.Error != nil {
		return fmt.Errorf("rotate webhook secret: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENOTFOUND, "webhook endpoint not found")
	}
	return nil
}

// WebhookDeliveries implements app.WebhookStore.
func (s *Store) WebhookDeliveries(ctx context.Context, endpointID int64, limit int) ([]app.WebhookDelivery, error) {
	var rows []struct {
		Row  webhookDeliveryRow `gorm:"embedded"`
		Type string             // of the event
	}
	q := s.with(ctx).Table("webhook_deliveries d").Select("d.id, d.event_id, d.endpoint_id, d.status, d.attempts, d.response_code, d.response_excerpt, " +
		"d.last_error, d.last_attempt_at, d.delivered_at, d.created_at, e.type").
		Joins("JOIN webhook_events e ON e.id = d.event_id").Order("d.id DESC").Limit(limit)
	if endpointID > 0 {
		q = q.Where("d.endpoint_id = ?", endpointID)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	out := make([]app.WebhookDelivery, len(rows))
	for i, row := range rows {
		r := row.Row
		out[i] = app.WebhookDelivery{ID: r.ID, EventID: r.EventID, EndpointID: r.EndpointID, EventType: app.EventType(row.Type),
			Status: r.Status, Attempts: r.Attempts, ResponseCode: r.ResponseCode, ResponseExcerpt: r.ResponseExcerpt,
			LastError: r.LastError, LastAttemptAt: r.LastAttemptAt, DeliveredAt: r.DeliveredAt, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// ReplayWebhookDelivery implements app.WebhookStore.
func (s *Store) ReplayWebhookDelivery(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *Store) error {
		res := tx.with(ctx).Model(&webhookDeliveryRow{}).Where("id = ?", id).
			Updates(map[string]any{"status": app.WebhookPending, "delivered_at": nil})
		if res.Error != nil {
			return fmt.Errorf("replay webhook delivery: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return app.Errorf(app.ENOTFOUND, "webhook delivery not found")
		}
		return tx.addWebhookOutbox(ctx, id)
	})
}

// ClaimWebhookDelivery implements app.WebhookStore. The conditional
// update is the claim: of two workers only one finds the row unclaimed.
func (s *Store) ClaimWebhookDelivery(ctx context.Context, id int64, at time.Time, hold time.Duration) (*app.WebhookMessage, bool, error) {
	at = at.UTC()
	res := s.with(ctx).Model(&webhookDeliveryRow{}).
		Where("id = ? AND status <> ? AND (claimed_until IS NULL OR claimed_until < ?)", id, app.WebhookDelivered, at).
		Update("claimed_until", at.Add(hold))
	if res.Error != nil {
		return nil, false, fmt.Errorf("claim webhook delivery: %w", res.Error)
	}
	var rows []struct {
		ID             int64
		Status         string
		EventID        int64
		URL            string `gorm:"column:url"`
		Secret         string
		PreviousSecret *string
		PreviousUntil  *time.Time
		Body           string
	}
	err := s.with(ctx).Raw(`SELECT d.id, d.status, d.event_id, p.url, p.secret, p.previous_secret, p.previous_until, e.body
		FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id JOIN webhook_events e ON e.id = d.event_id
		WHERE d.id = ?`, id).Scan(&rows).Error
	if err != nil {
		return nil, false, fmt.Errorf("read webhook delivery: %w", err)
	}
	if len(rows) == 0 {
		return nil, false, app.Errorf(app.ENOTFOUND, "webhook delivery not found")
	}
	r := rows[0]
	m := &app.WebhookMessage{DeliveryID: r.ID, Status: r.Status, MessageID: "evt_" + strconv.FormatInt(r.EventID, 10),
		URL: r.URL, Secrets: []string{r.Secret}, Body: []byte(r.Body)}
	if r.PreviousSecret != nil && *r.PreviousSecret != "" && r.PreviousUntil != nil && r.PreviousUntil.After(at) {
		m.Secrets = append(m.Secrets, *r.PreviousSecret)
	}
	if r.Status == app.WebhookDelivered {
		return m, true, nil
	}
	return m, res.RowsAffected == 1, nil
}

// RecordWebhookAttempt implements app.WebhookStore.
func (s *Store) RecordWebhookAttempt(ctx context.Context, id int64, a app.WebhookAttempt) error {
	at := a.At.UTC()
	set := map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_attempt_at": at, "claimed_until": nil,
		"response_excerpt": a.Excerpt, "last_error": a.Error, "response_code": nil}
	if a.Code > 0 {
		set["response_code"] = a.Code
	}
	switch {
	case a.Delivered:
		set["status"], set["delivered_at"] = app.WebhookDelivered, at
	case a.Final:
		set["status"] = app.WebhookFailed
	}
	if err := s.with(ctx).Model(&webhookDeliveryRow{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("record webhook attempt: %w", err)
	}
	return nil
}

// PurgeWebhookEvents implements app.EventRecorder.
func (s *Store) PurgeWebhookEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *Store) error {
		old := tx.with(ctx).Model(&webhookEventRow{}).Select("id").Where("created_at < ?", before.UTC())
		if err := tx.with(ctx).Where("event_id IN (?)", old).Delete(&webhookDeliveryRow{}).Error; err != nil {
			return fmt.Errorf("purge webhook deliveries: %w", err)
		}
		res := tx.with(ctx).Where("created_at < ?", before.UTC()).Delete(&webhookEventRow{})
		if res.Error != nil {
			return fmt.Errorf("purge webhook events: %w", res.Error)
		}
		n = res.RowsAffected
		return nil
	})
	return n, err
}
