package web

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// The console's segments page, and the campaign actions around sending:
// the confirmation of "send now" with the count, duplicates and templates.

// segmentForm is a segment as the console's form holds it.
type segmentForm struct {
	Name, From, Until, Forms, Imports, Cross string
	Locales                                  map[string]bool
}

// segmentRowView is a segment in the console's list.
type segmentRowView struct {
	app.Segment
	Summary string
}

type segmentsData struct {
	Rows    []segmentRowView
	ID      int64
	In      segmentForm
	Message string
	Errors  map[string]string
}

// dateFormat is the date of the console's date inputs.
const dateFormat = "2006-01-02"

// formOfSegment fills the form from a segment, dates in the operator's zone.
func (s *Server) formOfSegment(g *app.Segment) segmentForm {
	f := segmentForm{Name: g.Name, Locales: map[string]bool{}}
	for _, l := range g.Filter.Locales {
		f.Locales[l] = true
	}
	if t := g.Filter.SubscribedFrom; t != nil {
		f.From = t.In(s.zone()).Format(dateFormat)
	}
	if t := g.Filter.SubscribedUntil; t != nil {
		f.Until = t.In(s.zone()).AddDate(0, 0, -1).Format(dateFormat)
	}
	var forms, imports []string
	for _, src := range g.Filter.Sources {
		if src.Kind == app.SourceImport {
			imports = append(imports, src.ID)
		} else {
			forms = append(forms, src.ID)
		}
	}
	f.Forms, f.Imports = strings.Join(forms, ", "), strings.Join(imports, ", ")
	if g.Filter.CrossBorder != nil {
		f.Cross = map[bool]string{true: "granted", false: "not_granted"}[*g.Filter.CrossBorder]
	}
	return f
}

// segmentInput reads the segment form: the dates are whole days of the
// operator's zone, the last one included.
func (s *Server) segmentInput(c *fiber.Ctx) (segmentForm, app.SegmentInput, map[string]string) {
	f := segmentForm{Name: c.FormValue("name"), From: strings.TrimSpace(c.FormValue("from")),
		Until: strings.TrimSpace(c.FormValue("until")), Forms: c.FormValue("forms"), Imports: c.FormValue("imports"),
		Cross: c.FormValue("cross_border"), Locales: map[string]bool{}}
	bad := map[string]string{}
	var filter app.SegmentFilter
	for _, l := range []string{"en", "ru"} {
		if c.FormValue("locale_"+l) != "" {
			f.Locales[l] = true
			filter.Locales = append(filter.Locales, l)
		}
	}
	day := func(v, field string, add int) *time.Time {
		if v == "" {
			return nil
		}
		t, err := time.ParseInLocation(dateFormat, v, s.zone())
		if err != nil {
			bad[field] = "YYYY-MM-DD"
			return nil
		}
		t = t.AddDate(0, 0, add).UTC()
		return &t
	}
	filter.SubscribedFrom = day(f.From, "filter.subscribed_from", 0)
	filter.SubscribedUntil = day(f.Until, "filter.subscribed_until", 1)
	split := func(v string, kind app.SourceKind) {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				filter.Sources = append(filter.Sources, app.SegmentSource{Kind: kind, ID: id})
			}
		}
	}
	split(f.Forms, app.SourceForm)
	split(f.Imports, app.SourceImport)
	switch f.Cross {
	case "granted", "not_granted":
		v := f.Cross == "granted"
		filter.CrossBorder = &v
	}
	return f, app.SegmentInput{Name: &f.Name, Filter: &filter}, bad
}

// segmentSummary describes a filter in the console's language.
func (s *Server) segmentSummary(loc string, g *app.Segment) string {
	f := s.formOfSegment(g)
	var parts []string
	if len(g.Filter.Locales) > 0 {
		parts = append(parts, templates.T(loc, "admin.segment.locales")+": "+strings.Join(g.Filter.Locales, ", "))
	}
	if f.From != "" || f.Until != "" {
		parts = append(parts, templates.T(loc, "admin.segment.period")+": "+f.From+" – "+f.Until)
	}
	if f.Forms != "" {
		parts = append(parts, templates.T(loc, "admin.segment.forms")+": "+f.Forms)
	}
	if f.Imports != "" {
		parts = append(parts, templates.T(loc, "admin.segment.imports")+": "+f.Imports)
	}
	if f.Cross != "" {
		parts = append(parts, templates.T(loc, "admin.segment.cross."+f.Cross))
	}
	if len(parts) == 0 {
		return templates.T(loc, "admin.segment.everyone")
	}
	return strings.Join(parts, " · ")
}

// segmentsPage shows the segments and the form of a new one (or of the
// segment d.ID).
func (s *Server) segmentsPage(c *fiber.Ctx, status int, d segmentsData) error {
	loc := adminLocale(c)
	list, err := s.deps.Segments.List(c.UserContext())
	if err != nil {
		return err
	}
	for i := range list {
		d.Rows = append(d.Rows, segmentRowView{Segment: list[i], Summary: s.segmentSummary(loc, &list[i])})
	}
	if d.In.Locales == nil {
		d.In.Locales = map[string]bool{}
	}
	return s.adminPage(c, status, "admin_segments", "segments", templates.T(loc, "admin.nav.segments"), d)
}

// adminSegments lists the segments with the form of a new one.
func (s *Server) adminSegments(c *fiber.Ctx) error {
	return s.segmentsPage(c, fiber.StatusOK, segmentsData{})
}

// adminSegment shows the form of one segment.
func (s *Server) adminSegment(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	g, err := s.deps.Segments.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.segmentsPage(c, fiber.StatusOK, segmentsData{ID: id, In: s.formOfSegment(g)})
}

// saveSegment creates (id 0) or changes a segment from the form.
func (s *Server) saveSegment(c *fiber.Ctx, id int64) error {
	f, in, bad := s.segmentInput(c)
	var err error
	if len(bad) > 0 {
		err = &app.Error{Code: app.EINVALID, Message: "The segment has errors.", Fields: bad}
	} else if id == 0 {
		_, err = s.deps.Segments.Create(c.UserContext(), currentAdmin(c), in)
	} else {
		_, err = s.deps.Segments.Update(c.UserContext(), currentAdmin(c), id, in)
	}
	if err != nil {
		msg, fields, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.segmentsPage(c, fiber.StatusUnprocessableEntity, segmentsData{ID: id, In: f, Message: msg, Errors: fields})
	}
	return redirectOK(c, "/admin/segments", "admin.ok.segment_saved")
}

// adminCreateSegment saves a new segment.
func (s *Server) adminCreateSegment(c *fiber.Ctx) error { return s.saveSegment(c, 0) }

// adminSaveSegment changes a segment.
func (s *Server) adminSaveSegment(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	return s.saveSegment(c, id)
}

// adminDeleteSegment deletes a segment no campaign uses.
func (s *Server) adminDeleteSegment(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.deps.Segments.Delete(c.UserContext(), currentAdmin(c), id); err != nil {
		msg, _, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.segmentsPage(c, fiber.StatusConflict, segmentsData{Message: msg})
	}
	return redirectOK(c, "/admin/segments", "admin.ok.segment_deleted")
}

// sendNowData is the confirmation page of "send now".
type sendNowData struct {
	campaignRow
	Count   *app.AudienceCount
	Segment string
	PerList []namedCount
}

// namedCount is the count of one newsletter, by its name.
type namedCount struct {
	Name string
	N    int64
}

// newsletterCounts names the per-newsletter counts of n (by id when the
// newsletters are not at hand), in id order.
func (s *Server) newsletterCounts(c *fiber.Ctx, n *app.AudienceCount) []namedCount {
	names := map[string]string{}
	if s.deps.Newsletters != nil {
		if list, err := s.deps.Newsletters.List(c.UserContext()); err == nil {
			for _, nl := range list {
				names[strconv.FormatInt(nl.ID, 10)] = nl.Name
			}
		}
	}
	ids := make([]string, 0, len(n.ByNewsletter))
	for id := range n.ByNewsletter {
		ids = append(ids, id)
	}
	num := func(id string) int64 { v, _ := strconv.ParseInt(id, 10, 64); return v }
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(num(a), num(b)) })
	out := make([]namedCount, 0, len(ids))
	for _, id := range ids {
		name := names[id]
		if name == "" {
			name = "#" + id
		}
		out = append(out, namedCount{Name: name, N: n.ByNewsletter[id]})
	}
	return out
}

// adminSendNowPage asks to confirm sending a campaign now, with the count
// of who it would reach.
func (s *Server) adminSendNowPage(c *fiber.Ctx) error {
	camp, err := s.campaign(c)
	if err != nil {
		return err
	}
	n, err := s.deps.Campaigns.Audience(c.UserContext(), camp.ID)
	if err != nil {
		return err
	}
	loc := adminLocale(c)
	d := sendNowData{campaignRow: s.newCampaignRow(loc, camp), Count: n, Segment: s.segmentName(c, loc, camp),
		PerList: s.newsletterCounts(c, n)}
	return s.adminPage(c, fiber.StatusOK, "admin_campaign_send", "campaigns", camp.Name, d)
}

// adminSendNow sends a campaign now, once confirmed.
func (s *Server) adminSendNow(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		return c.Redirect("/admin/campaigns/"+strconv.FormatInt(id, 10)+"/send", fiber.StatusSeeOther)
	}
	if _, err := s.deps.Campaigns.Schedule(c.UserContext(), currentAdmin(c), id, nil); err != nil {
		return s.campaignRefused(c, fiber.StatusConflict, id, err)
	}
	return redirectOK(c, "/admin/campaigns/"+strconv.FormatInt(id, 10), "admin.ok.sending")
}

// adminDuplicateCampaign makes a new draft from a campaign, or a template
// (template=yes).
func (s *Server) adminDuplicateCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	tpl := c.FormValue("template") == "yes"
	camp, err := s.deps.Campaigns.Duplicate(c.UserContext(), currentAdmin(c), id, tpl)
	if err != nil {
		return err
	}
	key := "admin.ok.duplicated"
	if tpl {
		key = "admin.ok.template_saved"
	}
	return redirectOK(c, "/admin/campaigns/"+strconv.FormatInt(camp.ID, 10), key)
}

// segmentName is the name of a campaign's segment, or "everyone".
func (s *Server) segmentName(c *fiber.Ctx, loc string, camp *app.Campaign) string {
	if camp.SegmentID != nil {
		if g, err := s.deps.Segments.Get(c.UserContext(), *camp.SegmentID); err == nil {
			return g.Name
		}
	}
	return templates.T(loc, "admin.segment.none")
}
