package web

import (
	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// webhook receives a mail provider's delivery events: POST
// /webhooks/{provider}. The provider's own scheme verifies the request
// (401 without valid credentials or signature, 403 for a replayed, stale
// or foreign one); its events are recorded and acted on in one transaction
// before the 200, so a provider that gets the 200 loses nothing, and one
// that retries changes nothing. A provider that is not configured gets 404.
func (s *Server) webhook(c *fiber.Ctx) error {
	r := s.deps.Webhooks[c.Params("provider")]
	if r == nil || s.deps.Feedback == nil {
		return app.Errorf(app.ENOTFOUND, "No webhook is configured for this provider.")
	}
	ctx := c.UserContext()
	header := func(name string) string { return c.Get(name) }
	batch, err := r.Read(ctx, app.WebhookRequest{Header: header, Body: c.Body()})
	if err != nil {
		if app.ErrorCode(err) == app.EUNAUTHORIZED {
			c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="webhooks"`)
		}
		return err
	}
	res, err := s.deps.Feedback.RecordWebhook(ctx, batch.ReplayKey, batch.Events)
	if err != nil {
		return err
	}
	s.deps.Log.Info("webhook events recorded", "request_id", requestID(c), "provider", c.Params("provider"),
		"applied", res.Applied, "duplicates", res.Duplicates, "ignored", res.Ignored)
	return c.JSON(fiber.Map{"status": "ok", "applied": res.Applied, "duplicates": res.Duplicates, "ignored": res.Ignored})
}
