package jobs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
)

// Task types besides those the use cases write to the outbox
// (app.Outbox*). Payloads carry ids only, never personal data.
const (
	TypeSweep = "privacy:sweep"
	TypeNoop  = "system:noop"
)

// taskSpec is how a task type is queued.
type taskSpec struct {
	queue    string
	maxRetry int
	timeout  time.Duration
}

var taskSpecs = map[string]taskSpec{
	app.OutboxConfirmation:    {QueueCritical, 25, time.Minute},
	app.OutboxPreferences:     {QueueCritical, 25, time.Minute},
	app.OutboxExportMail:      {QueueCritical, 25, time.Minute},
	app.OutboxRequestExtended: {QueueCritical, 25, time.Minute},
	app.OutboxRequestAnswer:   {QueueCritical, 25, time.Minute},
	app.OutboxDeadlineAlert:   {QueueDefault, 25, time.Minute},
	app.OutboxErase:           {QueueDefault, 25, 5 * time.Minute},
	app.OutboxWebhook:         {QueueDefault, len(webhookSchedule), 30 * time.Second},
	TypeSweep:                 {QueueDefault, 3, 10 * time.Minute},
	TypeNoop:                  {QueueDefault, 3, time.Minute},
}

// TaskOptions returns the queue, retry and timeout options of a task type.
func TaskOptions(kind string) []asynq.Option {
	spec, ok := taskSpecs[kind]
	if !ok {
		spec = taskSpec{QueueDefault, 10, 5 * time.Minute}
	}
	return []asynq.Option{asynq.Queue(spec.queue), asynq.MaxRetry(spec.maxRetry), asynq.Timeout(spec.timeout)}
}

// decode unmarshals a payload; a payload that cannot be decoded will never
// succeed, so it is not retried.
func decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}
