package web

import (
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// inboundMIME receives an emailed request from the operator's mail server:
// the raw RFC 5322 message as the body (message/rfc822), authorized by the
// bearer INBOUND_TOKEN. The message is stored and processed in the
// background: 202. The route does not exist while INBOUND_TOKEN is unset.
func (s *Server) inboundMIME(c *fiber.Ctx) error {
	if s.opts.InboundToken == "" || s.deps.Inbound == nil {
		return fiber.ErrNotFound
	}
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.opts.InboundToken)) != 1 {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="inbound"`)
		return app.Errorf(app.EUNAUTHORIZED, "missing or wrong bearer token")
	}
	id, created, err := s.deps.Inbound.ReceiveInbound(c.UserContext(), c.Body(), app.InboundSource{Source: app.InboundWebhook})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "accepted", "id": id, "duplicate": !created})
}
