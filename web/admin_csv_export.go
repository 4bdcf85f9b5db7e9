package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// auditFilter reads the audit log's filters: action, subject, and the
// dates from and to (YYYY-MM-DD, UTC days, both included).
func auditFilter(c *fiber.Ctx) (app.AuditQuery, auditData, error) {
	q := app.AuditQuery{Action: strings.TrimSpace(c.Query("action")), SubjectType: strings.TrimSpace(c.Query("subject_type")),
		SubjectID: queryID(c, "subject_id")}
	d := auditData{Action: q.Action, SubjectType: q.SubjectType, SubjectID: c.Query("subject_id"),
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to"))}
	day := func(s string) (*time.Time, error) {
		if s == "" {
			return nil, nil
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, app.Errorf(app.EINVALID, "%s", templates.T(adminLocale(c), "admin.audit.baddate"))
		}
		return &t, nil
	}
	var err error
	if q.Since, err = day(d.From); err != nil {
		return q, d, err
	}
	if q.Until, err = day(d.To); err != nil {
		return q, d, err
	}
	if q.Until != nil {
		next := q.Until.AddDate(0, 0, 1)
		q.Until = &next
	}
	return q, d, nil
}

func auditActors(list []app.AuditEntry) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Actor
	}
	return out
}

// csvPage is how many rows a download reads at a time.
const csvPage = 1000

// adminAuditCSV downloads the audit log (with the page's filters) as CSV,
// newest first: who by address, the action in words, in the console's
// language.
func (s *Server) adminAuditCSV(c *fiber.Ctx) error {
	q, _, err := auditFilter(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	var all []app.AuditEntry
	for q.Limit = csvPage; ; {
		page, err := s.deps.Privacy.Audit(ctx, q)
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < csvPage {
			break
		}
		q.BeforeID = page[len(page)-1].ID
	}
	names, err := s.actorNames(c, auditActors(all))
	if err != nil {
		return err
	}
	loc := names.loc
	f := newCSVFile(c)
	f.row(templates.T(loc, "admin.time"), templates.T(loc, "admin.audit.actor"), templates.T(loc, "admin.audit.action"),
		"action", templates.T(loc, "admin.audit.subject"), "#", templates.T(loc, "admin.audit.details"))
	for _, e := range all {
		f.row(csvTime(e.CreatedAt), names.name(e.Actor), templates.AuditAction(loc, e.Action), e.Action,
			e.SubjectType, strconv.FormatInt(e.SubjectID, 10), e.Details)
	}
	return f.send(c, "audit")
}

// adminRequestsCSV downloads the request register (every request, with
// the page's kind and status filters) as CSV, kinds and states in words.
func (s *Server) adminRequestsCSV(c *fiber.Ctx) error {
	ctx, loc := c.UserContext(), adminLocale(c)
	q := app.RequestQuery{Kind: app.RequestKind(c.Query("kind")), Status: app.RequestStatus(c.Query("status")), Limit: csvPage}
	f := newCSVFile(c)
	f.row("id", templates.T(loc, "admin.csv.subscriber"), templates.T(loc, "admin.csv.kind"), templates.T(loc, "admin.csv.channel"),
		templates.T(loc, "admin.csv.status"), templates.T(loc, "admin.csv.received"), templates.T(loc, "admin.csv.due"),
		templates.T(loc, "admin.csv.completed"), templates.T(loc, "admin.csv.verification"), templates.T(loc, "admin.csv.extended"))
	for {
		page, err := s.deps.Privacy.Requests(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page {
			f.row(strconv.FormatInt(r.ID, 10), csvID(r.SubscriberID), templates.T(loc, "admin.kind."+string(r.Kind)),
				string(r.Channel), templates.T(loc, "admin.reqstatus."+string(r.Status)), csvTime(r.ReceivedAt),
				csvTimePtr(r.DueAt), csvTimePtr(r.CompletedAt), r.Verification, r.ExtendedReason)
		}
		if len(page) < csvPage {
			break
		}
		q.AfterID = page[len(page)-1].ID
	}
	return f.send(c, "requests")
}
