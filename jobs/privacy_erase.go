package jobs

import (
	"context"

	"github.com/hibiken/asynq"

	"newsletter/app"
)

// Eraser destroys a subscriber's personal data.
type Eraser interface {
	Erase(ctx context.Context, subscriberID, requestID int64, reason string) error
}

// EraseHandler runs privacy:erase tasks. Erasure is idempotent, so a retry
// after an interruption finishes the work.
type EraseHandler struct {
	Eraser Eraser
}

// Type implements Handler.
func (EraseHandler) Type() string { return app.OutboxErase }

// ProcessTask implements Handler.
func (h EraseHandler) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var p app.SubscriberRef
	if err := decode(task, &p); err != nil {
		return err
	}
	reason := "consent to personal data processing revoked (152-FZ art. 21 part 5)"
	return h.Eraser.Erase(ctx, p.SubscriberID, p.RequestID, reason)
}
