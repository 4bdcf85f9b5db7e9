package jobs

import (
	"context"

	"github.com/hibiken/asynq"

	"newsletter/app"
)

// ExportMail sends a person, at the address on file and in their language,
// the link to their data export that an operator asked to mail. It is
// correspondence about the person's own data, so it reaches a blocked
// person too; the cross-border rule and a manual suppression still hold.
type ExportMail struct{ *Transactional }

// Type implements Handler.
func (ExportMail) Type() string { return app.OutboxExportMail }

// ProcessTask implements Handler.
func (h ExportMail) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var p app.SubscriberRef
	if err := decode(task, &p); err != nil {
		return err
	}
	sub, err := h.Store.Subscriber(ctx, p.SubscriberID)
	if err != nil {
		return err
	}
	if sub.Status == app.StatusErased || sub.Email == "" {
		return nil
	}
	if ok, err := h.mayMail(ctx, sub.ID, sub.Email, nil); err != nil || !ok {
		return err
	}
	taskID, _ := asynq.GetTaskID(ctx)
	data := MailData{Name: sub.Name, URL: h.Links.Export(sub), Days: int(app.ExportLinkTTL.Hours() / 24)}
	return h.send(ctx, "export:"+taskID, "export", sub.Locale, sub.Email, sub.Name, sub.ID, data, nil)
}
