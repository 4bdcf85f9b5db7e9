package web

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

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
	bad := map[string]string{}
	f := app.CampaignFilter{Status: queryOneOf(c, "status", bad, app.CampaignDraft, app.CampaignScheduled, app.CampaignRunning,
		app.CampaignPaused, app.CampaignCancelled, app.CampaignFinished), BeforeID: queryID(c, "before"), Limit: queryLimit(c, 50)}
	if err := invalidFilter(bad); err != nil {
		return err
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
	at, err := sendTime(in.SendAt)
	if err != nil {
		return err
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
	list, err := s.deps.Campaigns.FailedDeliveries(c.UserContext(), id, queryID(c, "after"), queryLimit(c, 100))
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
	list, err := s.deps.Campaigns.Outcomes(c.UserContext(), currentAdmin(c), id, c.Params("list"), queryID(c, "after"),
		queryLimit(c, 100))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"list": c.Params("list"), "outcomes": nonNil(list)})
}
