package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// chartDays is how many days the consent chart covers.
const chartDays = 30

// dueSoon is how far ahead the dashboard looks for request deadlines.
const dueSoon = 3 * 24 * time.Hour

type statusCount struct {
	Status app.SubscriberStatus
	Label  string
	N      int64
}

type dashboardData struct {
	Counts     []statusCount
	Total      int64
	Chart      template.HTML
	ChartRows  []app.ConsentDay
	Granted    int64
	Withdrawn  int64
	Campaigns  []campaignRow
	ShowCamps  bool
	Requests   []requestRow
	ShowReqs   bool
	Overdue    int
	Border     *app.CrossBorderStatus
	ChartStart string
	// Rates are the unsubscribe and complaint rates of the latest
	// campaigns that sent mail; CampLinks says the reader may open a
	// campaign's page (else its lists).
	Rates     []campaignRow
	ShowRates bool
	CampLinks bool
}

// adminDashboard shows subscribers by status, the consent chart, running
// campaigns and requests coming due. Marketers see counts only.
func (s *Server) adminDashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	loc := adminLocale(c)
	now := time.Now().UTC()
	d := dashboardData{}
	counts, err := s.deps.Dashboard.SubscriberCounts(ctx)
	if err != nil {
		return err
	}
	for _, st := range []app.SubscriberStatus{app.StatusActive, app.StatusPending, app.StatusBlocked, app.StatusErased} {
		d.Counts = append(d.Counts, statusCount{Status: st, Label: templates.T(loc, "admin.status."+string(st)), N: counts[st]})
		d.Total += counts[st]
	}
	// Days of the console's time zone, as every time it shows.
	zone := s.zone()
	y, m, day := now.In(zone).Date()
	start := time.Date(y, m, day, 0, 0, 0, 0, zone).AddDate(0, 0, -(chartDays - 1))
	days, err := s.deps.Dashboard.ConsentActivity(ctx, start, zone)
	if err != nil {
		return err
	}
	d.ChartRows = fillDays(days, start, chartDays)
	for _, r := range d.ChartRows {
		d.Granted += r.Granted
		d.Withdrawn += r.Withdrawn
	}
	d.Chart = consentChart(loc, d.ChartRows)
	d.ChartStart = start.Format("2006-01-02")
	me := currentAdmin(c)
	if d.ShowCamps = s.mayOpen(me, "/admin/campaigns"); d.ShowCamps {
		if d.Campaigns, err = s.activeCampaigns(c, loc); err != nil {
			return err
		}
	}
	if d.ShowRates = s.deps.Campaigns != nil; d.ShowRates {
		if d.Rates, err = s.recentCampaigns(c, loc); err != nil {
			return err
		}
		d.CampLinks = d.ShowCamps
	}
	if d.ShowReqs = s.mayOpen(me, "/admin/requests"); d.ShowReqs {
		soon := now.Add(dueSoon)
		reqs, err := s.openRequests(c, "", &soon, 20)
		if err != nil {
			return err
		}
		if d.Border, err = s.deps.Privacy.CrossBorder(ctx); err != nil {
			return err
		}
		for _, r := range reqs {
			row := s.newRequestRow(loc, r, now)
			if row.Overdue {
				d.Overdue++
			}
			d.Requests = append(d.Requests, row)
		}
	}
	return s.sectionPage(c, fiber.StatusOK, "dashboard", d)
}

// fillDays returns n days from start with zero counts where no events
// happened.
func fillDays(days []app.ConsentDay, start time.Time, n int) []app.ConsentDay {
	by := map[string]app.ConsentDay{}
	for _, d := range days {
		by[d.Day.Format("2006-01-02")] = d
	}
	out := make([]app.ConsentDay, n)
	for i := range out {
		day := start.AddDate(0, 0, i)
		out[i] = by[day.Format("2006-01-02")]
		out[i].Day = day
	}
	return out
}

// consentChart draws consents granted and withdrawn per day as an SVG
// line chart. It uses presentation attributes only (no style attribute),
// so it renders under a CSP without inline styles.
func consentChart(loc string, days []app.ConsentDay) template.HTML {
	const (
		w, h               = 720.0, 220.0
		left, right        = 44.0, 12.0
		top, bottom        = 14.0, 30.0
		plotW, plotH       = w - left - right, h - top - bottom
		grantColor, wColor = "#1e6b3a", "#b3261e"
	)
	var max int64 = 1
	for _, d := range days {
		if d.Granted > max {
			max = d.Granted
		}
		if d.Withdrawn > max {
			max = d.Withdrawn
		}
	}
	max = niceMax(max)
	x := func(i int) float64 {
		if len(days) < 2 {
			return left
		}
		return left + plotW*float64(i)/float64(len(days)-1)
	}
	y := func(v int64) float64 { return top + plotH - plotH*float64(v)/float64(max) }
	var b strings.Builder
	title := html.EscapeString(templates.T(loc, "admin.chart.title"))
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">`, w, h)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title><desc id="chart-desc">%s</desc>`, title,
		html.EscapeString(templates.T(loc, "admin.chart.desc", len(days))))
	for i := 0; i <= 4; i++ {
		v := max * int64(i) / 4
		yy := y(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d9dee5" stroke-width="1"/>`, left, yy, w-right, yy)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="#5b6573">%d</text>`, left-6, yy+4, v)
	}
	for i, d := range days {
		// A label a week, counted back from today: always today's, and
		// none squeezed beside it.
		if (len(days)-1-i)%7 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="#5b6573">%s</text>`,
				x(i), h-10, d.Day.Format("02.01"))
		}
	}
	series := func(color string, val func(app.ConsentDay) int64, label string) {
		var pts []string
		for i, d := range days {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(val(d))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round" points="%s"><title>%s</title></polyline>`,
			color, strings.Join(pts, " "), html.EscapeString(label))
		for i, d := range days {
			if v := val(d); v > 0 {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %d</title></circle>`,
					x(i), y(v), color, d.Day.Format("2006-01-02"), html.EscapeString(label), v)
			}
		}
	}
	series(grantColor, func(d app.ConsentDay) int64 { return d.Granted }, templates.T(loc, "admin.chart.granted"))
	series(wColor, func(d app.ConsentDay) int64 { return d.Withdrawn }, templates.T(loc, "admin.chart.withdrawn"))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers, dates and escaped catalog text only
}

// niceMax rounds an axis maximum up to 1, 2 or 5 times a power of ten,
// and to a multiple of 4 so the grid lines fall on whole numbers.
func niceMax(v int64) int64 {
	if v <= 4 {
		return 4
	}
	p := int64(1)
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= v {
			n := m * p
			for n%4 != 0 {
				n++
			}
			return n
		}
	}
	return v
}

// requestRow is a request as the console lists it, with its countdown.
type requestRow struct {
	app.Request
	Received  string
	Due       string
	Completed string
	Countdown string
	Overdue   bool
	Soon      bool
	Open      bool
	KindLabel string
	StatusLbl string
	CanExtend bool
}

func (s *Server) newRequestRow(loc string, r app.Request, now time.Time) requestRow {
	row := requestRow{Request: r, Received: s.localTime(r.ReceivedAt), Due: s.localTimePtr(r.DueAt), Completed: s.localTimePtr(r.CompletedAt),
		KindLabel: templates.T(loc, "admin.kind."+string(r.Kind)), StatusLbl: templates.T(loc, "admin.reqstatus."+string(r.Status))}
	row.Open = r.Status != app.RequestCompleted && r.Status != app.RequestRejected
	if row.Open && r.DueAt != nil {
		if s.deps.Privacy != nil {
			switch s.deps.Privacy.DeadlineState(&r) {
			case app.DeadlineOverdue:
				row.Overdue = true
			case app.DeadlineDueSoon:
				row.Soon = true
			}
		} else {
			row.Overdue = r.DueAt.Before(now)
		}
		if left := r.DueAt.Sub(now); left < 0 {
			row.Countdown = templates.T(loc, "admin.due.overdue", humanDuration(loc, -left))
		} else {
			row.Countdown = templates.T(loc, "admin.due.left", humanDuration(loc, left))
		}
	}
	row.CanExtend = row.Open && r.Kind == app.KindAccess && r.ExtendedReason == ""
	return row
}

// humanDuration says a duration in days, or hours under two days.
func humanDuration(loc string, d time.Duration) string {
	if d >= 48*time.Hour {
		return templates.T(loc, "admin.days", int(d.Hours()/24))
	}
	hours := int(d.Hours())
	if hours < 1 {
		return templates.T(loc, "admin.lesshour")
	}
	return templates.T(loc, "admin.hours", hours)
}
