package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// adminCampaignArchive publishes a campaign that left draft in the public
// archive ("archive" = "1") or withdraws it (anything else), as the API's
// PATCH with "archive" alone does; the campaign use case audits it. A
// draft sets the archive on its form.
func (s *Server) adminCampaignArchive(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx, loc := c.UserContext(), adminLocale(c)
	camp, err := s.deps.Campaigns.Get(ctx, id)
	if err != nil {
		return err
	}
	if camp.Status == app.CampaignDraft {
		return s.campaignPage(c, fiber.StatusConflict, camp, templates.T(loc, "admin.campaign.archive.draft"), nil, "")
	}
	on := c.FormValue("archive") == "1"
	if _, err := s.deps.Campaigns.Update(ctx, currentAdmin(c), id, app.CampaignPatch{Archive: &on}); err != nil {
		return s.campaignRefused(c, fiber.StatusConflict, id, err)
	}
	key := "admin.ok.archived"
	if !on {
		key = "admin.ok.unarchived"
	}
	return redirectOK(c, "/admin/campaigns/"+strconv.FormatInt(id, 10), key)
}

// canPublish reports whether the campaign page offers publishing camp in
// the archive or withdrawing it: a campaign sent, or on its way, or one
// published whatever became of it. A draft sets it on its form.
func canPublish(camp *app.Campaign) bool {
	switch camp.Status {
	case app.CampaignDraft:
		return false
	case app.CampaignCancelled:
		return camp.Archive
	}
	return !camp.Template
}
