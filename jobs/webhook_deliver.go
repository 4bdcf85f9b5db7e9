package jobs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
)

// WebhookDeliveries are what sending an event webhook needs of the
// database (the store).
type WebhookDeliveries interface {
	ClaimWebhookDelivery(ctx context.Context, id int64, at time.Time, hold time.Duration) (*app.WebhookMessage, bool, error)
	RecordWebhookAttempt(ctx context.Context, id int64, a app.WebhookAttempt) error
}

// WebhookSender posts one signed event (webhook.Sender).
type WebhookSender interface {
	Send(ctx context.Context, m *app.WebhookMessage, at time.Time) app.WebhookAttempt
}

// WebhookHandler runs webhook:deliver tasks: one event to one endpoint.
// A delivered one is never sent again (a task run twice, or relayed
// again, finds it delivered); one that another worker holds is retried
// later. Each attempt is recorded for the console.
type WebhookHandler struct {
	Store  WebhookDeliveries
	Sender WebhookSender
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// webhookHold is how long a worker holds a delivery it sends: longer than
// an attempt can take.
const webhookHold = time.Minute

// Type implements Handler.
func (WebhookHandler) Type() string { return app.OutboxWebhook }

// ProcessTask implements Handler.
func (h WebhookHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p app.WebhookDeliveryRef
	if err := decode(t, &p); err != nil {
		return err
	}
	at := time.Now().UTC()
	if h.Now != nil {
		at = h.Now().UTC()
	}
	m, ok, err := h.Store.ClaimWebhookDelivery(ctx, p.DeliveryID, at, webhookHold)
	switch {
	case app.IsNotFound(err):
		return nil // its endpoint was deleted
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("webhook delivery %d is being sent by another worker", p.DeliveryID)
	case m.Status == app.WebhookDelivered:
		return nil
	}
	a := h.Sender.Send(ctx, m, at)
	a.Final = !a.Delivered && lastAttempt(ctx)
	// The attempt is recorded even when the task's time is up.
	if err := h.Store.RecordWebhookAttempt(context.WithoutCancel(ctx), p.DeliveryID, a); err != nil {
		return err
	}
	if !a.Delivered {
		return fmt.Errorf("webhook delivery %d: %s", p.DeliveryID, a.Error)
	}
	return nil
}

// webhookSchedule are the waits before the retries of a webhook delivery
// that failed, after the Standard Webhooks recommendation: about a day in
// all (23 h 35 min), then the delivery is failed.
var webhookSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 8 * time.Hour, 8 * time.Hour,
}

// webhookRetryDelay is the wait before retry n of a webhook delivery, with
// up to 10% jitter.
func webhookRetryDelay(n int) time.Duration {
	d := webhookSchedule[min(max(n, 0), len(webhookSchedule)-1)]
	return d + time.Duration(rand.Int64N(int64(d/10)+1))
}
