package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// apiCampaignRoutes registers the campaign part of the API, for marketers
// (and owners).
func (s *Server) apiCampaignRoutes(api fiber.Router) {
	m := []fiber.Handler{requireRole(app.RoleMarketer), s.campaignsEnabled}
	h := func(fn fiber.Handler) []fiber.Handler { return append(m[:len(m):len(m)], fn) }
	api.Post("/campaigns", h(s.apiCreateCampaign)...)
	api.Get("/campaigns", h(s.apiListCampaigns)...)
	api.Get("/campaigns/:id<int>", h(s.apiCampaign)...)
	api.Patch("/campaigns/:id<int>", h(s.apiPatchCampaign)...)
	api.Put("/campaigns/:id<int>", h(s.apiPutCampaign)...)
	api.Post("/campaigns/:id<int>/test", h(s.apiTestCampaign)...)
	api.Post("/campaigns/:id<int>/schedule", h(s.apiScheduleCampaign)...)
	api.Post("/campaigns/:id<int>/pause", h(s.apiCampaignAction("pause"))...)
	api.Post("/campaigns/:id<int>/resume", h(s.apiCampaignAction("resume"))...)
	api.Post("/campaigns/:id<int>/cancel", h(s.apiCampaignAction("cancel"))...)
	api.Post("/campaigns/:id<int>/retry-failed", h(s.apiRetryFailed)...)
	api.Get("/campaigns/:id<int>/failed", h(s.apiFailedDeliveries)...)
	// The lists behind the counters: privacy officers too (with names).
	api.Get("/campaigns/:id<int>/outcomes/:list", requireRole(app.RoleMarketer, app.RolePrivacyOfficer), s.campaignsEnabled, s.apiCampaignOutcomes)
}

// campaignsEnabled answers 503 when the process runs without campaigns.
func (s *Server) campaignsEnabled(c *fiber.Ctx) error {
	if s.deps.Campaigns == nil {
		return app.Errorf(app.EUNAVAILABLE, "campaigns are not available in this process")
	}
	return c.Next()
}

// decodeJSON reads a JSON body strictly into v; an empty body leaves v as
// it is.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return app.Errorf(app.EINVALID, "The body is not valid JSON.")
		case errors.As(err, &te):
			return &app.Error{Code: app.EINVALID, Message: "A field has the wrong type.",
				Fields: map[string]string{te.Field: "must be " + te.Type.String()}}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return app.Errorf(app.EINVALID, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return app.Errorf(app.EINVALID, "The body could not be read as JSON.")
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return app.Errorf(app.EINVALID, "The body must be one JSON object.")
	}
	return nil
}

// apiCreateCampaign creates a draft: name, subject, purpose, body_html,
// body_text and locale.
func (s *Server) apiCreateCampaign(c *fiber.Ctx) error {
	var in app.CampaignInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	camp, err := s.deps.Campaigns.Create(c.UserContext(), currentAdmin(c), in)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/v1/campaigns/%d", camp.ID))
	return c.Status(fiber.StatusCreated).JSON(camp)
}

// apiListCampaigns lists campaigns, newest first: ?status=, ?before= (id,
// for paging), ?limit= (<= 200).
func (s *Server) apiListCampaigns(c *fiber.Ctx) error {
	f := app.CampaignFilter{Status: app.CampaignStatus(c.Query("status")), BeforeID: int64(c.QueryInt("before")),
		Limit: c.QueryInt("limit", 50)}
	switch f.Status {
	case "", app.CampaignDraft, app.CampaignScheduled, app.CampaignRunning, app.CampaignPaused, app.CampaignCancelled, app.CampaignFinished:
	default:
		return &app.Error{Code: app.EINVALID, Message: "invalid status filter",
			Fields: map[string]string{"status": "draft, scheduled, running, paused, cancelled or finished"}}
	}
	list, err := s.deps.Campaigns.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	list = nonNil(list)
	return c.JSON(fiber.Map{"campaigns": list})
}

// apiCampaign is one campaign with its status and counters.
func (s *Server) apiCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	camp, err := s.deps.Campaigns.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(camp)
}

// apiPutCampaign replaces every editable field of a draft.
func (s *Server) apiPutCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	var in app.CampaignInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	camp, err := s.deps.Campaigns.Replace(c.UserContext(), currentAdmin(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(camp)
}

// apiPatchCampaign changes the fields of a draft that the body names.
func (s *Server) apiPatchCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	var p app.CampaignPatch
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	cur, err := s.deps.Campaigns.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	in := app.CampaignInput{Name: cur.Name, Subject: cur.Subject, Purpose: cur.Purpose, Locale: cur.Locale,
		BodyHTML: cur.BodyHTML, BodyText: cur.BodyText}
	for _, f := range []struct {
		dst *string
		src *string
	}{{&in.Name, p.Name}, {&in.Subject, p.Subject}, {&in.Locale, p.Locale}, {&in.BodyHTML, p.BodyHTML}, {&in.BodyText, p.BodyText}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if p.Purpose != nil {
		in.Purpose = *p.Purpose
	}
	camp, err := s.deps.Campaigns.Replace(c.UserContext(), currentAdmin(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(camp)
}

// apiTestCampaign sends the campaign at once to the addresses in "to"
// (at most app.CampaignTestMax).
func (s *Server) apiTestCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	var in struct {
		To        []string `json:"to"`
		Addresses []string `json:"addresses"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	to := append(in.To, in.Addresses...)
	if err := s.deps.Campaigns.SendTest(c.UserContext(), currentAdmin(c), id, to); err != nil {
		if app.ErrorCode(err) == app.ERATELIMIT {
			c.Set(fiber.HeaderRetryAfter, testRetryAfter)
		}
		return err
	}
	return c.JSON(fiber.Map{"status": "sent", "to": len(to)})
}

// apiScheduleCampaign schedules a draft (or reschedules) for
// {"send_at": RFC 3339}; an empty body or no send_at means now.
func (s *Server) apiScheduleCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	var in struct {
		SendAt *string `json:"send_at"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	var at *time.Time
	if in.SendAt != nil && strings.TrimSpace(*in.SendAt) != "" {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*in.SendAt))
		if err != nil {
			return &app.Error{Code: app.EINVALID, Message: "invalid send time",
				Fields: map[string]string{"send_at": "an RFC 3339 time such as 2030-01-02T09:00:00+03:00"}}
		}
		at = &t
	}
	camp, err := s.deps.Campaigns.Schedule(c.UserContext(), currentAdmin(c), id, at)
	if err != nil {
		return err
	}
	return c.JSON(camp)
}

// apiCampaignAction pauses, resumes or cancels a campaign.
func (s *Server) apiCampaignAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c)
		if err != nil {
			return err
		}
		ctx, me := c.UserContext(), currentAdmin(c)
		var camp *app.Campaign
		switch action {
		case "pause":
			camp, err = s.deps.Campaigns.Pause(ctx, me, id)
		case "resume":
			camp, err = s.deps.Campaigns.Resume(ctx, me, id)
		default:
			camp, err = s.deps.Campaigns.Cancel(ctx, me, id)
		}
		if err != nil {
			return err
		}
		return c.JSON(camp)
	}
}

// apiRetryFailed sends the failed deliveries of a campaign again.
func (s *Server) apiRetryFailed(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	n, camp, err := s.deps.Campaigns.RetryFailed(c.UserContext(), currentAdmin(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"retried": n, "campaign": camp})
}

// apiFailedDeliveries lists a campaign's failed deliveries: ?after= (id, for
// paging), ?limit= (<= 1000). Subscribers are named by id only.
func (s *Server) apiFailedDeliveries(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	list, err := s.deps.Campaigns.FailedDeliveries(c.UserContext(), id, int64(c.QueryInt("after")), c.QueryInt("limit", 100))
	if err != nil {
		return err
	}
	list = nonNil(list)
	return c.JSON(fiber.Map{"failed": list})
}

// apiCampaignOutcomes lists the entries behind one of a campaign's
// counters: /outcomes/{failed|bounced|complaints|unsubscribed|skipped},
// ?after= (id, for paging), ?limit= (<= 1000). Marketers get subscriber ids only;
// privacy officers and owners also each person's name and address.
func (s *Server) apiCampaignOutcomes(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	list, err := s.deps.Campaigns.Outcomes(c.UserContext(), currentAdmin(c), id, c.Params("list"), int64(c.QueryInt("after")),
		c.QueryInt("limit", 100))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"list": c.Params("list"), "outcomes": nonNil(list)})
}
