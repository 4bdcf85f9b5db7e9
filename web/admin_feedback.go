package web

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// The console's view of delivery feedback: a campaign's unsubscribes,
// bounces, complaints and skips with their lists, the rates on the
// dashboard, lifting suppressions, and the inbound mail not acted on.

// percent shows a rate with two decimals, with a decimal comma in Russian.
func percent(loc string, r float64) string {
	s := strconv.FormatFloat(r*100, 'f', 2, 64)
	if loc == "ru" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "%"
}

// UnsubscribeRate is the share of sent messages whose reader opted out
// through the campaign's links.
func (r campaignRow) UnsubscribeRate() string {
	return percent(r.loc, app.Rate(r.Unsubscribed, r.Sent))
}

// ComplaintRate is the share of sent messages reported as spam.
func (r campaignRow) ComplaintRate() string { return percent(r.loc, app.Rate(r.Complaints, r.Sent)) }

// ComplaintHigh reports a complaint rate at or over what Gmail and Yahoo
// accept (0.3%).
func (r campaignRow) ComplaintHigh() bool {
	return r.Complaints > 0 && app.Rate(r.Complaints, r.Sent) >= app.ComplaintRateLimit
}

// skipCount is the number of deliveries skipped for one reason.
type skipCount struct {
	Reason string
	N      int64
}

// SkipCounts lists the skip reasons that occurred, in a fixed order.
func (r campaignRow) SkipCounts() []skipCount {
	var out []skipCount
	for _, k := range append(slices.Clone(app.SkipReasons), "other") {
		if n := r.SkippedReasons[k]; n > 0 {
			out = append(out, skipCount{Reason: k, N: n})
		}
	}
	return out
}

type outcomesData struct {
	Campaign campaignRow
	List     string
	Lists    []option
	Rows     []outcomeRow
	People   bool
	Next     int64
	// Back links to the campaign page for those who may open it.
	Back bool
}

type outcomeRow struct {
	app.CampaignOutcome
	KindLabel   string
	SourceLabel string
	DetailText  string
	When        string
}

// adminCampaignOutcomes lists one of a campaign's counters by subscriber:
// ids for marketers; names and addresses for privacy officers.
func (s *Server) adminCampaignOutcomes(c *fiber.Ctx) error {
	loc, me := adminLocale(c), currentAdmin(c)
	camp, err := s.campaign(c)
	if err != nil {
		return err
	}
	list := c.Query("list", app.OutcomeBounced)
	rows, err := s.deps.Campaigns.Outcomes(c.UserContext(), me, camp.ID, list, queryID(c, "after"), adminPageLimit)
	if err != nil {
		return err
	}
	d := outcomesData{Campaign: s.newCampaignRow(loc, camp), List: list, People: me.Role != app.RoleMarketer,
		Back: s.mayOpen(me, "/admin/campaigns/:id<int>")}
	for _, l := range app.OutcomeLists {
		d.Lists = append(d.Lists, option{l, templates.T(loc, "admin.outcomes."+l)})
	}
	for _, r := range rows {
		row := outcomeRow{CampaignOutcome: r, KindLabel: templates.T(loc, "admin.outcome."+r.Kind), DetailText: r.Detail}
		if r.At != nil {
			row.When = s.localTime(*r.At)
		}
		switch {
		case r.Kind == "skipped":
			row.DetailText = templates.T(loc, "admin.skip."+r.Detail)
		case r.Kind == "unsubscribed":
			row.DetailText = templates.T(loc, "admin.kind."+r.Detail)
		}
		switch {
		case r.Source == "":
		case templates.T(loc, "admin.channel."+r.Source) != "admin.channel."+r.Source:
			row.SourceLabel = templates.T(loc, "admin.channel."+r.Source)
		default:
			row.SourceLabel = templates.T(loc, "admin.source."+r.Source)
		}
		d.Rows = append(d.Rows, row)
	}
	if len(rows) == adminPageLimit {
		d.Next = rows[len(rows)-1].ID
	}
	title := fmt.Sprintf("%s · %s", camp.Name, templates.T(loc, "admin.outcomes."+list))
	return s.adminPage(c, fiber.StatusOK, "admin_campaign_outcomes", "campaigns", title, d)
}

// adminLiftSuppression lifts a bounce, complaint or manual suppression with
// the officer's reason.
func (s *Server) adminLiftSuppression(c *fiber.Ctx) error {
	key, reason := strings.TrimSpace(c.FormValue("key")), c.FormValue("reason")
	if _, err := s.deps.Privacy.LiftSuppression(c.UserContext(), currentAdmin(c), key, reason); err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			err = &app.Error{Code: app.EINVALID, Message: app.ErrorMessage(err)}
		}
		msg, fields, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.suppressionsPage(c, fiber.StatusUnprocessableEntity, suppressionsData{Message: msg, Errors: fields,
			LiftKey: key, LiftReason: reason})
	}
	return redirectOK(c, "/admin/suppressions", "admin.ok.lifted")
}

type inboundData struct {
	Rows []inboundRow
	Next int64
}

type inboundRow struct {
	app.InboundItem
	When, OutcomeLabel string
}

// adminInbound lists the inbound mail nothing was done with: automatic
// answers, loops, unreadable messages and reports that proved nothing.
func (s *Server) adminInbound(c *fiber.Ctx) error {
	loc := adminLocale(c)
	list, err := s.deps.Privacy.InboundNotActed(c.UserContext(), queryID(c, "before"), adminPageLimit)
	if err != nil {
		return err
	}
	d := inboundData{}
	for _, m := range list {
		row := inboundRow{InboundItem: m, When: s.localTime(m.ReceivedAt), OutcomeLabel: templates.T(loc, "admin.inbound."+m.Outcome)}
		switch {
		case m.Outcome != app.EmailIsUnproven:
			row.Detail = ""
		case strings.HasSuffix(m.Detail, "reports no failure or complaint"):
			row.Detail = templates.T(loc, "admin.inbound.why.nothing")
		case strings.HasPrefix(m.Detail, "names delivery"):
			row.Detail = templates.T(loc, "admin.inbound.why.recipient")
		default:
			row.Detail = templates.T(loc, "admin.inbound.why.noref")
		}
		d.Rows = append(d.Rows, row)
	}
	if len(list) == adminPageLimit {
		d.Next = list[len(list)-1].ID
	}
	return s.sectionPage(c, fiber.StatusOK, "inbound", d)
}

// recentCampaigns are the campaigns whose rates the dashboard shows: the
// latest ones that sent something.
func (s *Server) recentCampaigns(c *fiber.Ctx, loc string) ([]campaignRow, error) {
	list, err := s.deps.Campaigns.List(c.UserContext(), app.CampaignFilter{Limit: 50})
	if err != nil {
		return nil, err
	}
	var out []campaignRow
	for i := range list {
		if list[i].Sent > 0 && len(out) < 10 {
			out = append(out, s.newCampaignRow(loc, &list[i]))
		}
	}
	return out, nil
}

type liftRow struct {
	app.SuppressionLift
	When, Label string
}

// liftRows are the latest lifted suppressions, for the suppressions page.
func (s *Server) liftRows(c *fiber.Ctx, loc string) ([]liftRow, error) {
	lifts, err := s.deps.Privacy.SuppressionLifts(c.UserContext(), 0, 20)
	if err != nil {
		return nil, err
	}
	out := make([]liftRow, len(lifts))
	for i, l := range lifts {
		out[i] = liftRow{SuppressionLift: l, When: s.localTime(l.LiftedAt), Label: templates.T(loc, "admin.suppress."+l.PreviousReason)}
	}
	return out, nil
}
