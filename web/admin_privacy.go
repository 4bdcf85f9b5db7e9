package web

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

func subscriberPath(id int64) string { return "/admin/subscribers/" + strconv.FormatInt(id, 10) }

// adminBlock blocks processing of a subscriber's data.
func (s *Server) adminBlock(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Privacy.Block(c.UserContext(), currentAdmin(c), id, app.BlockInput{Reason: c.FormValue("reason")}); err != nil {
		return s.subscriberAgain(c, id, err)
	}
	return redirectOK(c, subscriberPath(id), "admin.ok.blocked")
}

// adminUnblock resumes processing of a blocked subscriber.
func (s *Server) adminUnblock(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Privacy.Unblock(c.UserContext(), currentAdmin(c), id, app.BlockInput{Reason: c.FormValue("reason")}); err != nil {
		return s.subscriberAgain(c, id, err)
	}
	return redirectOK(c, subscriberPath(id), "admin.ok.unblocked")
}

// adminRegisterRequest enters in the register a request the person made
// outside the product (on paper, by telephone, in person).
func (s *Server) adminRegisterRequest(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	in := app.RegisterInput{SubscriberID: id, Channel: app.Channel(c.FormValue("channel", string(app.ChannelAdmin))),
		ReceivedOn: c.FormValue("received_on"), Note: c.FormValue("note"), Verification: c.FormValue("verification")}
	for _, k := range c.Request().PostArgs().PeekMulti("kind") {
		in.Kinds = append(in.Kinds, app.RequestKind(k))
	}
	if len(in.Kinds) == 0 {
		return s.subscriberAgain(c, id, &app.Error{Code: app.EINVALID, Message: templates.T(adminLocale(c), "admin.register.nokind"),
			Fields: map[string]string{"kind": "required"}})
	}
	rs, err := s.deps.Privacy.RegisterRequests(c.UserContext(), currentAdmin(c), in)
	if err != nil {
		return s.subscriberAgain(c, id, err)
	}
	if len(rs) == 1 {
		return redirectOK(c, requestPath(rs[0].ID), "admin.ok.request_registered")
	}
	return redirectOK(c, subscriberPath(id), "admin.ok.request_registered")
}

// subscriberAgain shows the subscriber page with the message of a refused
// action.
func (s *Server) subscriberAgain(c *fiber.Ctx, id int64, err error) error {
	msg, _, err := formErrors(adminLocale(c), err)
	if err != nil {
		return err
	}
	return s.subscriberPage(c, fiber.StatusUnprocessableEntity, id, msg)
}

type eraseData struct {
	Sub     *app.Subscriber
	Reason  string
	Message string
}

// adminErasePage asks for confirmation before an erasure.
func (s *Server) adminErasePage(c *fiber.Ctx) error {
	return s.erasePage(c, fiber.StatusOK, "", "")
}

func (s *Server) erasePage(c *fiber.Ctx, status int, reason, msg string) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	sub, err := s.deps.Directory.Subscriber(c.UserContext(), id)
	if err != nil {
		return err
	}
	if sub.Status == app.StatusErased {
		return c.Redirect(subscriberPath(id), fiber.StatusSeeOther)
	}
	loc := adminLocale(c)
	return s.adminPage(c, status, "admin_erase", "subscribers", templates.T(loc, "admin.erase.title", id),
		eraseData{Sub: sub, Reason: reason, Message: msg})
}

// adminErase erases a subscriber's personal data once the officer has
// confirmed it.
func (s *Server) adminErase(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	if c.FormValue("confirm") != "yes" {
		return s.erasePage(c, fiber.StatusUnprocessableEntity, reason, templates.T(adminLocale(c), "admin.erase.unconfirmed"))
	}
	if _, err := s.deps.Privacy.EraseByOperator(c.UserContext(), currentAdmin(c), app.ChannelAdmin, id, reason); err != nil {
		msg, _, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.erasePage(c, fiber.StatusUnprocessableEntity, reason, msg)
	}
	return redirectOK(c, subscriberPath(id), "admin.ok.erased")
}

// adminCloseRequest completes or rejects an open request.
func (s *Server) adminCloseRequest(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	reject := c.FormValue("reject") == "1"
	note := c.FormValue("note")
	if _, err := s.deps.Privacy.CloseRequest(c.UserContext(), currentAdmin(c), id, reject, note); err != nil {
		msg, _, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.requestPage(c, fiber.StatusUnprocessableEntity, msg, "")
	}
	return redirectOK(c, requestPath(id), "admin.ok.request_closed")
}

// adminExtendRequest extends the deadline of an access request by five
// working days, with the reason.
func (s *Server) adminExtendRequest(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Privacy.ExtendRequest(c.UserContext(), currentAdmin(c), id, c.FormValue("reason")); err != nil {
		msg, _, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.requestPage(c, fiber.StatusUnprocessableEntity, msg, "")
	}
	return redirectOK(c, requestPath(id), "admin.ok.request_extended")
}

type reviewRow struct {
	app.ReviewItem
	Received string
	Date     string
	// Due is the day the deadline ends, in the operator's time zone.
	Due string
}

type reviewData struct {
	Rows    []reviewRow
	Kinds   []option
	Next    int64
	Message string
}

// adminReview is the queue of emailed requests whose kind was unclear.
func (s *Server) adminReview(c *fiber.Ctx) error {
	return s.reviewPage(c, fiber.StatusOK, "")
}

func (s *Server) reviewPage(c *fiber.Ctx, status int, msg string) error {
	loc := adminLocale(c)
	items, err := s.deps.Privacy.ReviewQueue(c.UserContext(), queryID(c, "after"), adminPageLimit)
	if err != nil {
		return err
	}
	d := reviewData{Message: msg}
	for _, k := range []app.RequestKind{app.KindMarketingOptout, app.KindDataUpdate, app.KindConsentRevocation, app.KindAccess} {
		d.Kinds = append(d.Kinds, option{string(k), templates.T(loc, "admin.kind."+string(k))})
	}
	for _, it := range items {
		r := reviewRow{ReviewItem: it, Received: s.localTime(it.ReceivedAt)}
		if it.DueAt != nil {
			r.Due = it.DueAt.In(s.zone()).Format(time.DateOnly)
		}
		if it.Message != nil && !it.Message.Date.IsZero() {
			r.Date = s.localTime(it.Message.Date)
		}
		d.Rows = append(d.Rows, r)
	}
	if len(items) == adminPageLimit {
		d.Next = items[len(items)-1].ID
	}
	return s.sectionPage(c, status, "review", d)
}

// adminAssign gives a request under review its kind.
func (s *Server) adminAssign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Privacy.AssignRequest(c.UserContext(), currentAdmin(c), id, app.RequestKind(c.FormValue("kind"))); err != nil {
		return s.reviewAgain(c, err)
	}
	return redirectOK(c, "/admin/review", "admin.ok.reviewed")
}

// adminReject rejects a request under review with a reason.
func (s *Server) adminReject(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Privacy.RejectRequest(c.UserContext(), currentAdmin(c), id, c.FormValue("reason")); err != nil {
		return s.reviewAgain(c, err)
	}
	return redirectOK(c, "/admin/review", "admin.ok.reviewed")
}

func (s *Server) reviewAgain(c *fiber.Ctx, err error) error {
	msg, _, err := formErrors(adminLocale(c), err)
	if err != nil {
		return err
	}
	return s.reviewPage(c, fiber.StatusUnprocessableEntity, msg)
}

type suppressionRow struct {
	app.Suppression
	When     string
	Label    string
	Manual   bool
	Liftable bool
}

type suppressionsData struct {
	Counts  []statusCountS
	Reason  string
	Rows    []suppressionRow
	Next    string
	Email   string
	Note    string
	Message string
	Errors  map[string]string
	// LiftKey and LiftReason refill the lift form; Lifts are the latest
	// lifted suppressions.
	LiftKey, LiftReason string
	Lifts               []liftRow
}

type statusCountS struct {
	Reason, Label string
	N             int64
}

var suppressionReasons = []string{app.SuppressErased, app.SuppressHardBounce, app.SuppressComplaint, app.SuppressManual}

// adminSuppressions shows the suppression list: counts by reason, entries
// (hashes, never addresses) and the form for manual entries.
func (s *Server) adminSuppressions(c *fiber.Ctx) error {
	return s.suppressionsPage(c, fiber.StatusOK, suppressionsData{})
}

func (s *Server) suppressionsPage(c *fiber.Ctx, status int, d suppressionsData) error {
	ctx, loc := c.UserContext(), adminLocale(c)
	counts, err := s.deps.Privacy.SuppressionCounts(ctx)
	if err != nil {
		return err
	}
	for _, r := range suppressionReasons {
		d.Counts = append(d.Counts, statusCountS{Reason: r, Label: templates.T(loc, "admin.suppress."+r), N: counts[r]})
	}
	d.Reason = c.Query("reason")
	list, err := s.deps.Privacy.Suppressions(ctx, app.SuppressionQuery{Reason: d.Reason, After: c.Query("after"), Limit: adminPageLimit})
	if err != nil {
		return err
	}
	for _, x := range list {
		d.Rows = append(d.Rows, suppressionRow{Suppression: x, When: s.localTime(x.CreatedAt), Label: templates.T(loc, "admin.suppress."+x.Reason),
			Manual: x.Reason == app.SuppressManual, Liftable: x.Reason != app.SuppressErased})
	}
	if d.Lifts, err = s.liftRows(c, loc); err != nil {
		return err
	}
	if len(list) == adminPageLimit {
		d.Next = list[len(list)-1].EmailHash
	}
	return s.sectionPage(c, status, "suppressions", d)
}

// adminSuppress puts an address on the suppression list by hand.
func (s *Server) adminSuppress(c *fiber.Ctx) error {
	email, note := strings.TrimSpace(c.FormValue("email")), c.FormValue("note")
	if _, err := s.deps.Privacy.SuppressManually(c.UserContext(), currentAdmin(c), email, note); err != nil {
		msg, fields, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.suppressionsPage(c, fiber.StatusUnprocessableEntity, suppressionsData{Email: email, Note: note, Message: msg, Errors: fields})
	}
	return redirectOK(c, "/admin/suppressions", "admin.ok.suppressed")
}

// adminUnsuppress takes a manual entry off the suppression list.
func (s *Server) adminUnsuppress(c *fiber.Ctx) error {
	if err := s.deps.Privacy.RemoveSuppression(c.UserContext(), currentAdmin(c), c.FormValue("key")); err != nil {
		code := app.ErrorCode(err)
		if code == app.ENOTFOUND {
			err = &app.Error{Code: app.EINVALID, Message: app.ErrorMessage(err)}
		}
		msg, fields, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.suppressionsPage(c, fiber.StatusUnprocessableEntity, suppressionsData{Message: msg, Errors: fields})
	}
	return redirectOK(c, "/admin/suppressions", "admin.ok.unsuppressed")
}

type auditRow struct {
	app.AuditEntry
	When       string
	ActorName  string
	ActionName string
}

type auditData struct {
	Action      string
	SubjectType string
	SubjectID   string
	From, To    string
	Rows        []auditRow
	Next        int64
}

// adminAudit shows the audit log, newest first; ?from= and ?to= (dates,
// YYYY-MM-DD, both days included) narrow it.
func (s *Server) adminAudit(c *fiber.Ctx) error {
	q, d, err := auditFilter(c)
	if err != nil {
		return err
	}
	q.BeforeID, q.Limit = queryID(c, "before"), adminPageLimit
	list, err := s.deps.Privacy.Audit(c.UserContext(), q)
	if err != nil {
		return err
	}
	names, err := s.actorNames(c, auditActors(list))
	if err != nil {
		return err
	}
	for _, e := range list {
		d.Rows = append(d.Rows, auditRow{AuditEntry: e, When: s.localTime(e.CreatedAt), ActorName: names.name(e.Actor),
			ActionName: templates.AuditAction(names.loc, e.Action)})
	}
	if len(list) == adminPageLimit {
		d.Next = list[len(list)-1].ID
	}
	return s.sectionPage(c, fiber.StatusOK, "audit", d)
}

// openRequests lists open requests due before dueBefore (nil: all),
// overdue first, then by deadline; requests without a deadline last.
func (s *Server) openRequests(c *fiber.Ctx, kind app.RequestKind, dueBefore *time.Time, limit int) ([]app.Request, error) {
	reqs, err := s.deps.Privacy.Requests(c.UserContext(), app.RequestQuery{Open: true, Kind: kind, DueBefore: dueBefore, Limit: limit})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(reqs, func(i, j int) bool {
		a, b := reqs[i].DueAt, reqs[j].DueAt
		switch {
		case a == nil:
			return false
		case b == nil:
			return true
		}
		return a.Before(*b)
	})
	return reqs, nil
}
