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
	sub, err := h.recipient(ctx, task, func(sub *app.Subscriber) bool {
		return sub.Status != app.StatusErased && sub.Email != ""
	})
	if sub == nil {
		return err
	}
	taskID, _ := asynq.GetTaskID(ctx)
	data := MailData{Name: sub.Name, URL: h.Links.Export(sub), Days: int(app.ExportLinkTTL.Hours() / 24)}
	return h.send(ctx, "export:"+taskID, "export", sub.Locale, sub.Email, sub.Name, sub.ID, data, nil)
}
