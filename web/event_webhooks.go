package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// Event webhooks: the owner's endpoints, in the console and the API.

// apiCreateWebhook registers an endpoint: {"url", "events"}, answered
// with its id and secret (201).
func (s *Server) apiCreateWebhook(c *fiber.Ctx) error {
	var in app.WebhookInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	e, err := s.deps.EventHooks.Create(c.UserContext(), currentAdmin(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

// apiWebhooks lists the endpoints, without secrets.
func (s *Server) apiWebhooks(c *fiber.Ctx) error {
	list, err := s.deps.EventHooks.List(c.UserContext())
	return sendList(c, "webhooks", list, err)
}

// apiDeleteWebhook deletes an endpoint (204).
func (s *Server) apiDeleteWebhook(c *fiber.Ctx) error {
	if _, err := actOnID(c, s.deps.EventHooks.Delete); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiRotateWebhook gives an endpoint a new secret and answers it; the old
// one signs too for a day.
func (s *Server) apiRotateWebhook(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	e, err := s.deps.EventHooks.RotateSecret(c.UserContext(), currentAdmin(c), id)
	return sendJSON(c, e, err)
}

// apiWebhookDeliveries lists an endpoint's recent deliveries, newest
// first.
func (s *Server) apiWebhookDeliveries(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	list, err := s.deps.EventHooks.Deliveries(c.UserContext(), id, queryLimit(c, 50))
	return sendList(c, "deliveries", list, err)
}

// apiReplayWebhook sends a delivery again (202).
func (s *Server) apiReplayWebhook(c *fiber.Ctx) error {
	id, err := actOnID(c, s.deps.EventHooks.Replay)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"replayed": id})
}

type hookEndpointRow struct {
	app.WebhookEndpoint
	Created       string
	PreviousUntil string
}

type hookDeliveryRow struct {
	app.WebhookDelivery
	URL     string
	Created string
	LastTry string
	Code    string
}

type webhooksData struct {
	Rows       []hookEndpointRow
	Deliveries []hookDeliveryRow
	EventTypes []app.EventType
	// The form, refilled when refused.
	URL     string
	Chosen  map[app.EventType]bool
	Message string
	Errors  map[string]string
	// NewSecret is shown once, after a registration or a rotation, for
	// the endpoint NewSecretFor.
	NewSecret    string
	NewSecretFor string
}

func (s *Server) webhooksData(c *fiber.Ctx) (webhooksData, error) {
	ctx := c.UserContext()
	list, err := s.deps.EventHooks.List(ctx)
	if err != nil {
		return webhooksData{}, err
	}
	deliveries, err := s.deps.EventHooks.Deliveries(ctx, 0, 50)
	if err != nil {
		return webhooksData{}, err
	}
	d := webhooksData{EventTypes: app.EventTypes, Chosen: map[app.EventType]bool{}}
	urls := map[int64]string{}
	for _, e := range list {
		urls[e.ID] = e.URL
		d.Rows = append(d.Rows, hookEndpointRow{WebhookEndpoint: e, Created: s.localTime(e.CreatedAt), PreviousUntil: s.localTimePtr(e.PreviousUntil)})
	}
	for _, x := range deliveries {
		r := hookDeliveryRow{WebhookDelivery: x, URL: urls[x.EndpointID], Created: s.localTime(x.CreatedAt),
			LastTry: s.localTimePtr(x.LastAttemptAt), Code: "—"}
		if x.ResponseCode != nil {
			r.Code = strconv.Itoa(*x.ResponseCode)
		}
		d.Deliveries = append(d.Deliveries, r)
	}
	return d, nil
}

// adminWebhooks shows the endpoints and the recent deliveries, for owners.
func (s *Server) adminWebhooks(c *fiber.Ctx) error {
	return showSection(s, c, "webhooks", s.webhooksData)
}

// adminCreateWebhook registers an endpoint and shows its secret once.
func (s *Server) adminCreateWebhook(c *fiber.Ctx) error {
	in := app.WebhookInput{URL: c.FormValue("url")}
	for _, v := range c.Context().PostArgs().PeekMulti("events") {
		in.Events = append(in.Events, string(v))
	}
	e, cerr := s.deps.EventHooks.Create(c.UserContext(), currentAdmin(c), in)
	status, msg, fields, err := formOutcome(adminLocale(c), cerr)
	if err != nil {
		return err
	}
	d, err := s.webhooksData(c)
	if err != nil {
		return err
	}
	if cerr == nil {
		d.NewSecret, d.NewSecretFor = e.Secret, e.URL
	} else {
		d.URL, d.Message, d.Errors = in.URL, msg, fields
		for _, t := range in.Events {
			d.Chosen[app.EventType(t)] = true
		}
	}
	return s.sectionPage(c, status, "webhooks", d)
}

// adminRotateWebhook gives an endpoint a new secret and shows it once.
func (s *Server) adminRotateWebhook(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	e, err := s.deps.EventHooks.RotateSecret(c.UserContext(), currentAdmin(c), id)
	if err != nil {
		return err
	}
	d, err := s.webhooksData(c)
	if err != nil {
		return err
	}
	d.NewSecret, d.NewSecretFor = e.Secret, e.URL
	return s.sectionPage(c, fiber.StatusOK, "webhooks", d)
}

// adminDeleteWebhook deletes an endpoint.
func (s *Server) adminDeleteWebhook(c *fiber.Ctx) error {
	if _, err := actOnID(c, s.deps.EventHooks.Delete); err != nil {
		return err
	}
	return redirectOK(c, "/admin/webhooks", "admin.ok.webhook.deleted")
}

// adminReplayWebhook sends a delivery again.
func (s *Server) adminReplayWebhook(c *fiber.Ctx) error {
	if _, err := actOnID(c, s.deps.EventHooks.Replay); err != nil {
		return err
	}
	return redirectOK(c, "/admin/webhooks", "admin.ok.webhook.replayed")
}
