package web

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// campaignRow is a campaign as the console shows it.
type campaignRow struct {
	app.Campaign
	StatusLabel  string
	PurposeLabel string
	Percent      int
	Done         int64
	Created      string
	SendAtText   string
	Live         bool
	loc          string // the page's language, for the rates
}

func (s *Server) newCampaignRow(loc string, c *app.Campaign) campaignRow {
	r := campaignRow{Campaign: *c, StatusLabel: templates.T(loc, "admin.cstatus."+string(c.Status)),
		PurposeLabel: templates.T(loc, "admin.purpose."+string(c.Purpose)), Created: s.localTime(c.CreatedAt),
		SendAtText: s.localTimePtr(c.SendAt), loc: loc}
	r.Done, r.Percent = campaignProgress(c)
	r.Live = c.Status == app.CampaignScheduled || c.Status == app.CampaignRunning || c.Status == app.CampaignPaused
	return r
}

// campaignProgress is how many deliveries are settled and the percentage
// of the audience that is.
func campaignProgress(c *app.Campaign) (int64, int) {
	done := c.Sent + c.Failed + c.Skipped + c.OptedOut
	switch {
	case c.Status == app.CampaignFinished:
		return done, 100
	case c.Recipients <= 0:
		return done, 0
	case done >= c.Recipients:
		return done, 100
	}
	return done, int(done * 100 / c.Recipients)
}

type campaignsData struct {
	Rows      []campaignRow
	Status    string
	States    []option
	Next      int64
	Templates bool
}

// adminCampaigns lists campaigns, newest first.
func (s *Server) adminCampaigns(c *fiber.Ctx) error {
	loc := adminLocale(c)
	f := app.CampaignFilter{Status: app.CampaignStatus(c.Query("status")), BeforeID: queryID(c, "before"), Limit: adminPageLimit,
		Templates: c.Query("template") == "1"}
	list, err := s.deps.Campaigns.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	d := campaignsData{Status: string(f.Status), Templates: f.Templates}
	for _, st := range []app.CampaignStatus{app.CampaignDraft, app.CampaignScheduled, app.CampaignRunning, app.CampaignPaused,
		app.CampaignFinished, app.CampaignCancelled} {
		d.States = append(d.States, option{string(st), templates.T(loc, "admin.cstatus."+string(st))})
	}
	for i := range list {
		d.Rows = append(d.Rows, s.newCampaignRow(loc, &list[i]))
	}
	if len(list) == adminPageLimit {
		d.Next = list[len(list)-1].ID
	}
	return s.sectionPage(c, fiber.StatusOK, "campaigns", d)
}

// activeCampaigns are the campaigns scheduled, running or paused.
func (s *Server) activeCampaigns(c *fiber.Ctx, loc string) ([]campaignRow, error) {
	var out []campaignRow
	for _, st := range []app.CampaignStatus{app.CampaignRunning, app.CampaignScheduled, app.CampaignPaused} {
		list, err := s.deps.Campaigns.List(c.UserContext(), app.CampaignFilter{Status: st, Limit: 20})
		if err != nil {
			return nil, err
		}
		for i := range list {
			out = append(out, s.newCampaignRow(loc, &list[i]))
		}
	}
	return out, nil
}

type campaignFormData struct {
	ID      int64
	In      app.CampaignInput
	Message string
	Errors  map[string]string
	// Formats and Langs are the editor's choices and languages
	// (admin_campaign_editor.go).
	Formats  []editorFormat
	Langs    []editorLang
	Segments []app.Segment
	// Newsletters are the choices of newsletters (campaignFormPage).
	Newsletters []newsletterChoice
	// Segment is the chosen segment's id (0: none).
	Segment int64
}

// showCampaignForm shows the campaign form with the segments and the
// newsletters to choose from.
func (s *Server) showCampaignForm(c *fiber.Ctx, status int, title string, d campaignFormData) error {
	list, err := s.deps.Segments.List(c.UserContext())
	if err != nil {
		return err
	}
	d.Segments = list
	if d.In.SegmentID != nil {
		d.Segment = *d.In.SegmentID
	}
	return s.campaignFormPage(c, status, title, d)
}

// campaignFormErrors is formErrors with the messages of the campaign rules
// (templates, test addresses) in the console's language.
func campaignFormErrors(loc string, err error) (string, map[string]string, error) {
	var l interface{ Localize(string) *app.Error }
	if errors.As(err, &l) {
		err = l.Localize(loc)
	}
	return formErrors(loc, err)
}

// testRetryAfter is the Retry-After of a refused test send, in seconds:
// the limit counts in windows of an hour.
const testRetryAfter = "600"

// formSegment is the segment chosen in the campaign form (nil: none).
func formSegment(c *fiber.Ctx) *int64 {
	id, err := strconv.ParseInt(c.FormValue("segment_id"), 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	return &id
}

// adminNewCampaign shows an empty campaign form.
func (s *Server) adminNewCampaign(c *fiber.Ctx) error {
	loc := adminLocale(c)
	d := campaignForm(loc, 0, app.CampaignInput{Purpose: app.CampaignMarketing, Format: app.FormatMarkdown}, "", nil)
	return s.showCampaignForm(c, fiber.StatusOK, templates.T(loc, "admin.campaign.new"), d)
}

// adminCreateCampaign stores a new draft.
func (s *Server) adminCreateCampaign(c *fiber.Ctx) error {
	loc := adminLocale(c)
	in := campaignFormInput(c)
	in.SegmentID = formSegment(c)
	camp, err := s.deps.Campaigns.Create(c.UserContext(), currentAdmin(c), in)
	if err != nil {
		msg, fields, err := campaignFormErrors(loc, err)
		if err != nil {
			return err
		}
		return s.showCampaignForm(c, fiber.StatusUnprocessableEntity, templates.T(loc, "admin.campaign.new"),
			campaignForm(loc, 0, in, msg, fields))
	}
	return redirectOK(c, "/admin/campaigns/"+strconv.FormatInt(camp.ID, 10), "admin.ok.campaign_saved")
}

// adminEditCampaign shows a draft's form.
func (s *Server) adminEditCampaign(c *fiber.Ctx) error {
	camp, err := s.campaign(c)
	if err != nil {
		return err
	}
	if camp.Status != app.CampaignDraft {
		return app.Errorf(app.ECONFLICT, "Only a draft can be edited; this campaign is %s.", camp.Status)
	}
	in := inputOf(camp)
	in.SegmentID = camp.SegmentID
	return s.showCampaignForm(c, fiber.StatusOK, camp.Name, campaignForm(adminLocale(c), camp.ID, in, "", nil))
}

// adminSaveCampaign writes a draft.
func (s *Server) adminSaveCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	in := campaignFormInput(c)
	in.SegmentID = formSegment(c)
	if _, err := s.deps.Campaigns.Replace(c.UserContext(), currentAdmin(c), id, in); err != nil {
		msg, fields, err := campaignFormErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.showCampaignForm(c, fiber.StatusUnprocessableEntity, in.Name, campaignForm(adminLocale(c), id, in, msg, fields))
	}
	return redirectOK(c, "/admin/campaigns/"+strconv.FormatInt(id, 10), "admin.ok.campaign_saved")
}

func (s *Server) campaign(c *fiber.Ctx) (*app.Campaign, error) {
	id, err := paramID(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Campaigns.Get(c.UserContext(), id)
}

type campaignData struct {
	campaignRow
	Text      string
	Subject   string
	RenderErr string
	Message   string
	Errors    map[string]string
	TestTo    string
	CanEdit   bool
	CanSched  bool
	CanPause  bool
	CanResume bool
	CanCancel bool
	CanRetry  bool
	// CanSendNow offers "send now" (with its confirmation) and
	// CanUnschedule taking a scheduled campaign back to draft.
	CanSendNow    bool
	CanUnschedule bool
	// CanPublish offers publishing the campaign in the public archive or
	// withdrawing it (admin_campaign_archive.go).
	CanPublish bool
	// Count is who the campaign would reach now (before sending).
	Count       *app.AudienceCount
	PerList     []namedCount
	SegmentName string
	// Failures are the first failed deliveries, by subscriber id.
	Failures []app.FailedDelivery
	// PreviewLangs are the languages previewed, when there are several.
	PreviewLangs []option
}

// render renders a campaign as a recipient named by the catalog would get
// it, with links that lead nowhere personal.
func (s *Server) renderCampaign(ctx context.Context, loc string, camp *app.Campaign) (app.RenderedMail, error) {
	return s.previewMail(ctx, camp, loc)
}

// adminCampaign shows a campaign: counters, live progress, preview and
// the actions its status allows.
func (s *Server) adminCampaign(c *fiber.Ctx) error {
	camp, err := s.campaign(c)
	if err != nil {
		return err
	}
	return s.campaignPage(c, fiber.StatusOK, camp, "", nil, "")
}

func (s *Server) campaignPage(c *fiber.Ctx, status int, camp *app.Campaign, msg string, fields map[string]string, testTo string) error {
	loc := adminLocale(c)
	d := campaignData{campaignRow: s.newCampaignRow(loc, camp), Message: msg, Errors: fields, TestTo: testTo}
	for _, l := range campaignPreviewLangs(camp) {
		d.PreviewLangs = append(d.PreviewLangs, option{l, templates.T(loc, "admin.editor.lang."+l)})
	}
	if m, err := s.renderCampaign(c.UserContext(), loc, camp); err != nil {
		var l interface{ Localize(string) *app.Error }
		if errors.As(err, &l) {
			err = l.Localize(loc)
		}
		d.RenderErr, _ = templates.TranslateError(loc, err)
	} else {
		d.Text, d.Subject = m.Text, m.Subject
	}
	st := camp.Status
	d.CanEdit = st == app.CampaignDraft
	d.CanSched = st == app.CampaignDraft || st == app.CampaignScheduled
	d.CanPause = st == app.CampaignScheduled || st == app.CampaignRunning
	d.CanResume = st == app.CampaignPaused
	d.CanCancel = st != app.CampaignCancelled && st != app.CampaignFinished
	d.CanRetry = camp.Failed > 0 && (st == app.CampaignRunning || st == app.CampaignPaused || st == app.CampaignFinished)
	d.CanSched, d.CanCancel = d.CanSched && !camp.Template, d.CanCancel && !camp.Template
	d.CanSendNow, d.CanUnschedule = d.CanSched, st == app.CampaignScheduled
	d.CanPublish = canPublish(camp)
	d.SegmentName = s.segmentName(c, loc, camp)
	if d.CanSched {
		n, err := s.deps.Campaigns.Audience(c.UserContext(), camp.ID)
		if err != nil {
			return err
		}
		d.Count, d.PerList = n, s.newsletterCounts(c, n)
	}
	if camp.Failed > 0 {
		failures, err := s.deps.Campaigns.FailedDeliveries(c.UserContext(), camp.ID, 0, 50)
		if err != nil {
			return err
		}
		d.Failures = failures
	}
	return s.adminPage(c, status, "admin_campaign", "campaigns", camp.Name, d)
}

// previewCSP lets a rendered message show in a frame of the console: its
// own inline styles and remote images, never a script (default-src 'none'
// covers scripts), a form or a plugin. The frame is sandboxed by its
// iframe; a CSP sandbox here would make the document's origin opaque, and
// frame-ancestors 'self' would then match no page.
const previewCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; font-src https: data:; " +
	"frame-ancestors 'self'; form-action 'none'; base-uri 'none'"

// sendPreview answers an email's HTML for a sandboxed frame of the console.
func sendPreview(c *fiber.Ctx, html string) error {
	c.Set("Content-Security-Policy", previewCSP)
	c.Set("X-Frame-Options", "SAMEORIGIN")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString(html)
}

// adminCampaignPreview answers the rendered HTML part for the preview frame.
func (s *Server) adminCampaignPreview(c *fiber.Ctx) error {
	camp, err := s.campaign(c)
	if err != nil {
		return err
	}
	lang := c.Query("language")
	if !slices.Contains(app.CampaignLanguages, lang) {
		lang = adminLocale(c)
	}
	m, err := s.renderCampaign(c.UserContext(), lang, camp)
	if err != nil {
		return err
	}
	return sendPreview(c, m.HTML)
}

// campaignProgressJSON is what the progress bar polls.
type campaignProgressJSON struct {
	ID          int64              `json:"id"`
	Status      app.CampaignStatus `json:"status"`
	StatusLabel string             `json:"status_label"`
	Percent     int                `json:"percent"`
	Done        int64              `json:"done"`
	Live        bool               `json:"live"`
	app.CampaignCounters
	app.CampaignFeedback
}

// adminCampaignProgress answers a campaign's counters as JSON.
func (s *Server) adminCampaignProgress(c *fiber.Ctx) error {
	camp, err := s.campaign(c)
	if err != nil {
		return err
	}
	r := s.newCampaignRow(adminLocale(c), camp)
	return c.JSON(campaignProgressJSON{ID: camp.ID, Status: camp.Status, StatusLabel: r.StatusLabel, Percent: r.Percent,
		Done: r.Done, Live: r.Live, CampaignCounters: camp.CampaignCounters, CampaignFeedback: camp.CampaignFeedback})
}

// adminTestCampaign sends the campaign to a few addresses.
func (s *Server) adminTestCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	raw := c.FormValue("to")
	to := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' || r == ' ' })
	if err := s.deps.Campaigns.SendTest(c.UserContext(), currentAdmin(c), id, to); err != nil {
		loc, status := adminLocale(c), fiber.StatusUnprocessableEntity
		var msg string
		var fields map[string]string
		if app.ErrorCode(err) == app.ERATELIMIT {
			status, msg = fiber.StatusTooManyRequests, templates.T(loc, "admin.campaign.test.ratelimited")
			fields = map[string]string{"to": msg}
			c.Set(fiber.HeaderRetryAfter, testRetryAfter)
		} else if msg, fields, err = campaignFormErrors(loc, err); err != nil {
			return err
		}
		camp, gerr := s.deps.Campaigns.Get(c.UserContext(), id)
		if gerr != nil {
			return gerr
		}
		return s.campaignPage(c, status, camp, msg, fields, raw)
	}
	return redirectOK(c, "/admin/campaigns/"+strconv.FormatInt(id, 10), "admin.ok.test_sent")
}

// adminScheduleCampaign schedules a campaign now or later.
func (s *Server) adminScheduleCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	at, err := formSendTime(c)
	if err == nil {
		_, err = s.deps.Campaigns.Schedule(c.UserContext(), currentAdmin(c), id, at)
	}
	if err != nil {
		return s.campaignRefused(c, fiber.StatusUnprocessableEntity, id, err)
	}
	return redirectOK(c, "/admin/campaigns/"+strconv.FormatInt(id, 10), "admin.ok.scheduled")
}

// campaignRefused shows the campaign page again with the message of an
// action the campaign refused (a rule, its status).
func (s *Server) campaignRefused(c *fiber.Ctx, status int, id int64, err error) error {
	msg, fields, err := campaignFormErrors(adminLocale(c), err)
	if err != nil {
		return err
	}
	camp, gerr := s.deps.Campaigns.Get(c.UserContext(), id)
	if gerr != nil {
		return gerr
	}
	return s.campaignPage(c, status, camp, msg, fields, "")
}

// adminCampaignAction pauses, resumes, cancels or retries the failed
// deliveries of a campaign.
func (s *Server) adminCampaignAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c)
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		_, _, err = s.campaignAction(ctx, currentAdmin(c), id, action)
		if err != nil {
			msg, fields, err := formErrors(adminLocale(c), err)
			if err != nil {
				return err
			}
			camp, gerr := s.deps.Campaigns.Get(ctx, id)
			if gerr != nil {
				return gerr
			}
			return s.campaignPage(c, fiber.StatusConflict, camp, msg, fields, "")
		}
		return redirectOK(c, "/admin/campaigns/"+strconv.FormatInt(id, 10), "admin.ok."+action)
	}
}
