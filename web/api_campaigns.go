package web

import (
	"context"
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
	return sendList(c, "campaigns", list, err)
}

// apiCampaign is one campaign with its status and counters.
func (s *Server) apiCampaign(c *fiber.Ctx) error {
	camp, err := s.campaign(c)
	return sendJSON(c, camp, err)
}

// apiPutCampaign replaces every editable field of a draft.
func (s *Server) apiPutCampaign(c *fiber.Ctx) error {
	var in app.CampaignInput
	id, err := idAndBody(c, &in)
	if err != nil {
		return err
	}
	camp, err := s.deps.Campaigns.Replace(c.UserContext(), currentAdmin(c), id, in)
	return sendJSON(c, camp, err)
}

// apiPatchCampaign changes the fields of a draft that the body names.
func (s *Server) apiPatchCampaign(c *fiber.Ctx) error {
	var p app.CampaignPatch
	id, err := idAndBody(c, &p)
	if err != nil {
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
	// The newsletters stay unless named; a new purpose without them goes
	// to its default newsletter.
	switch {
	case p.NewsletterIDs != nil:
		in.NewsletterIDs = *p.NewsletterIDs
	case in.Purpose == cur.Purpose:
		in.NewsletterIDs = cur.NewsletterIDs
	}
	camp, err := s.deps.Campaigns.Replace(c.UserContext(), currentAdmin(c), id, in)
	return sendJSON(c, camp, err)
}

// apiTestCampaign sends the campaign at once to the addresses in "to"
// (at most app.CampaignTestMax).
func (s *Server) apiTestCampaign(c *fiber.Ctx) error {
	var in struct {
		To        []string `json:"to"`
		Addresses []string `json:"addresses"`
	}
	id, err := idAndBody(c, &in)
	if err != nil {
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
	var in struct {
		SendAt *string `json:"send_at"`
	}
	id, err := idAndBody(c, &in)
	if err != nil {
		return err
	}
	at, err := sendTime(in.SendAt)
	if err != nil {
		return err
	}
	camp, err := s.deps.Campaigns.Schedule(c.UserContext(), currentAdmin(c), id, at)
	return sendJSON(c, camp, err)
}

// campaignAction pauses, resumes, cancels or retries the failed deliveries
// of a campaign ("pause", "resume", "cancel", "retry"), for the console
// and the API; retried is how many deliveries go again.
func (s *Server) campaignAction(ctx context.Context, me *app.Admin, id int64, action string) (retried int64, camp *app.Campaign, err error) {
	switch action {
	case "pause":
		camp, err = s.deps.Campaigns.Pause(ctx, me, id)
	case "resume":
		camp, err = s.deps.Campaigns.Resume(ctx, me, id)
	case "cancel":
		camp, err = s.deps.Campaigns.Cancel(ctx, me, id)
	case "retry":
		retried, camp, err = s.deps.Campaigns.RetryFailed(ctx, me, id)
	default:
		err = fmt.Errorf("unknown campaign action %q", action)
	}
	return retried, camp, err
}

// apiCampaignAction pauses, resumes or cancels a campaign, or sends its
// failed deliveries again ("retry": {"retried": n, "campaign": ...}).
func (s *Server) apiCampaignAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c)
		if err != nil {
			return err
		}
		n, camp, err := s.campaignAction(c.UserContext(), currentAdmin(c), id, action)
		if action == "retry" {
			return sendJSON(c, fiber.Map{"retried": n, "campaign": camp}, err)
		}
		return sendJSON(c, camp, err)
	}
}

// apiFailedDeliveries lists a campaign's failed deliveries: ?after= (id, for
// paging), ?limit= (<= 1000). Subscribers are named by id only.
func (s *Server) apiFailedDeliveries(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	list, err := s.deps.Campaigns.FailedDeliveries(c.UserContext(), id, queryID(c, "after"), queryLimit(c, 100))
	return sendList(c, "failed", list, err)
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
