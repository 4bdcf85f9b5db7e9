package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// reasonBody is the body of actions that take a reason or a note.
type reasonBody struct {
	Reason    string `json:"reason"`
	Note      string `json:"note"`
	RequestID int64  `json:"request_id"`
}

func (b reasonBody) text() string {
	if b.Reason != "" {
		return b.Reason
	}
	return b.Note
}

// apiBlockChange blocks (POST .../block: {"reason": "...", "request_id": N})
// or unblocks (POST .../unblock: optional {"reason": "..."}) a subscriber.
func (s *Server) apiBlockChange(block bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		op := s.deps.Privacy.Unblock
		if block {
			op = s.deps.Privacy.Block
		}
		var b reasonBody
		id, err := idAndBody(c, &b)
		if err != nil {
			return err
		}
		sub, err := op(c.UserContext(), currentAdmin(c), id, app.BlockInput{Reason: b.text(), RequestID: b.RequestID})
		return sendJSON(c, sub, err)
	}
}

// apiBlockHistory lists a subscriber's blocks and unblocks.
func (s *Server) apiBlockHistory(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	events, err := s.deps.Privacy.BlockHistory(c.UserContext(), id)
	return sendList(c, "blocks", events, err)
}

// apiErase erases a subscriber's data at once: optional {"reason": "..."}.
// Erasing an erased subscriber answers the same, with already_erased.
func (s *Server) apiErase(c *fiber.Ctx) error {
	var b reasonBody
	id, err := idAndBody(c, &b)
	if err != nil {
		return err
	}
	res, err := s.deps.Privacy.EraseByOperator(c.UserContext(), currentAdmin(c), app.ChannelAPI, id, b.text())
	return sendJSON(c, res, err)
}

// requestView is a request of the register with its deadline state:
// "overdue", "due_soon" or "".
type requestView struct {
	app.Request
	Deadline string `json:"deadline"`
}

func (s *Server) viewRequest(r *app.Request) requestView {
	return requestView{Request: *r, Deadline: s.deps.Privacy.DeadlineState(r)}
}

// sendRequest answers a request of the register with its deadline state,
// or err.
func (s *Server) sendRequest(c *fiber.Ctx, status int, r *app.Request, err error) error {
	if err != nil {
		return err
	}
	return c.Status(status).JSON(s.viewRequest(r))
}

// apiRequests lists the request register: ?status=, ?kind=, ?channel=,
// ?subscriber_id=, ?open=true, ?overdue=true, ?flagged=true, ?due_before=
// (RFC 3339 or date), ?after= (id, for paging), ?limit= (<= 1000).
func (s *Server) apiRequests(c *fiber.Ctx) error {
	bad := map[string]string{}
	q := app.RequestQuery{Channel: app.Channel(c.Query("channel")), SubscriberID: queryID(c, "subscriber_id"),
		AfterID: queryID(c, "after"), Limit: queryLimit(c, 100),
		Status: queryOneOf(c, "status", bad, app.RequestReceived, app.RequestAwaitingConfirmation, app.RequestNeedsReview,
			app.RequestCompleted, app.RequestRejected),
		Kind: queryOneOf(c, "kind", bad, app.KindMarketingOptout, app.KindDataUpdate, app.KindConsentRevocation, app.KindAccess,
			app.KindUnknown)}
	if err := invalidFilter(bad); err != nil {
		return err
	}
	var err error
	for name, dst := range map[string]*bool{"open": &q.Open, "overdue": &q.Overdue, "flagged": &q.Flagged} {
		if *dst, err = queryBool(c, name); err != nil {
			return err
		}
	}
	if q.DueBefore, err = queryTime(c, "due_before"); err != nil {
		return err
	}
	reqs, err := s.deps.Privacy.Requests(c.UserContext(), q)
	if err != nil {
		return err
	}
	out := make([]requestView, len(reqs))
	for i := range reqs {
		out[i] = s.viewRequest(&reqs[i])
	}
	return c.JSON(fiber.Map{"requests": out})
}

// apiRequest returns one request.
func (s *Server) apiRequest(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	r, err := s.deps.Privacy.Request(c.UserContext(), id)
	return s.sendRequest(c, fiber.StatusOK, r, err)
}

// apiRegisterRequest enters a request received outside the product:
// {"kind", "subscriber_id", "channel", "received_at" or "received_on",
// "note"}; with "kinds" (a list) one request of each kind, answered as
// {"requests": [...]}.
func (s *Server) apiRegisterRequest(c *fiber.Ctx) error {
	var in app.RegisterInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if len(in.Kinds) > 0 {
		rs, err := s.deps.Privacy.RegisterRequests(c.UserContext(), currentAdmin(c), in)
		if err != nil {
			return err
		}
		out := make([]requestView, len(rs))
		for i, r := range rs {
			out[i] = s.viewRequest(r)
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"requests": out})
	}
	r, err := s.deps.Privacy.RegisterRequest(c.UserContext(), currentAdmin(c), in)
	return s.sendRequest(c, fiber.StatusCreated, r, err)
}

// apiExtendRequest extends an access request by 5 working days:
// {"reason": "..."} (required, kept in the register).
func (s *Server) apiExtendRequest(c *fiber.Ctx) error {
	var b reasonBody
	id, err := idAndBody(c, &b)
	if err != nil {
		return err
	}
	r, err := s.deps.Privacy.ExtendRequest(c.UserContext(), currentAdmin(c), id, b.text())
	return s.sendRequest(c, fiber.StatusOK, r, err)
}

// apiCompleteRequest completes a request: optional {"note": "..."}. A
// consent_revocation is completed by erasing the person's data. (Rejecting
// is POST /requests/{id}/reject, with the review queue.)
func (s *Server) apiCompleteRequest(c *fiber.Ctx) error {
	var b reasonBody
	id, err := idAndBody(c, &b)
	if err != nil {
		return err
	}
	r, err := s.deps.Privacy.CloseRequest(c.UserContext(), currentAdmin(c), id, false, b.text())
	return s.sendRequest(c, fiber.StatusOK, r, err)
}

// destructionColumns are the columns of the CSV export.
var destructionColumns = []string{"id", "subscriber_id", "full_name", "categories", "system", "reason", "destroyed_at", "destroyed_by"}

// apiDestructions returns destruction records (order No. 179): JSON pages
// (?after=, ?limit=), or every record as CSV when the client asks for
// text/csv (Accept header, or ?format=csv); ?bom=1 starts the CSV with a
// byte order mark for spreadsheet programs.
func (s *Server) apiDestructions(c *fiber.Ctx) error {
	ctx := c.UserContext()
	asCSV := c.Query("format") == "csv" || c.Accepts(fiber.MIMEApplicationJSON, "text/csv") == "text/csv"
	if !asCSV {
		ds, err := s.deps.Privacy.Destructions(ctx, queryID(c, "after"), queryLimit(c, 1000))
		if err != nil {
			return err
		}
		ds = nonNil(ds)
		if err := s.deps.Privacy.RecordAction(ctx, currentAdmin(c), app.AuditDestructionsExport, "destruction", 0, "json"); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"destructions": ds})
	}
	f := newCSVFile(c)
	_ = f.w.Write(destructionColumns)
	var after int64
	for {
		page, err := s.deps.Privacy.Destructions(ctx, after, 1000)
		if err != nil {
			return err
		}
		by, err := s.destructionWords(c, page)
		if err != nil {
			return err
		}
		for _, d := range page {
			f.row(strconv.FormatInt(d.ID, 10), strconv.FormatInt(d.SubscriberID, 10), d.FullName,
				d.Categories, d.System, d.Reason, csvTime(d.DestroyedAt), by[d.SubscriberID])
			after = d.ID
		}
		if len(page) < 1000 {
			break
		}
	}
	if err := s.deps.Privacy.RecordAction(ctx, currentAdmin(c), app.AuditDestructionsExport, "destruction", 0, "csv"); err != nil {
		return err
	}
	return f.send(c, "destructions")
}

// apiSuppressions returns the suppression list's counts by reason; with
// ?reason= it also lists that reason's entries (hashes only; ?after=,
// ?limit=).
func (s *Server) apiSuppressions(c *fiber.Ctx) error {
	ctx := c.UserContext()
	counts, err := s.deps.Privacy.SuppressionCounts(ctx)
	if err != nil {
		return err
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	out := fiber.Map{"counts": counts, "total": total}
	if reason := c.Query("reason"); reason != "" {
		if _, ok := counts[reason]; !ok {
			return &app.Error{Code: app.EINVALID, Message: "invalid reason filter",
				Fields: map[string]string{"reason": "erased, hard_bounce, complaint or manual"}}
		}
		list, err := s.deps.Privacy.Suppressions(ctx, app.SuppressionQuery{Reason: reason, After: c.Query("after"), Limit: queryLimit(c, 100)})
		if err != nil {
			return err
		}
		out["suppressions"] = nonNil(list)
	}
	return c.JSON(out)
}

// suppressionBody is the body of manual suppression changes.
type suppressionBody struct {
	Email string `json:"email"`
	Note  string `json:"note"`
}

// liftBody is the body of a suppression lift.
type liftBody struct {
	Email  string `json:"email"`
	Reason string `json:"reason"`
}

// suppressionKey names the suppression a change is for: its hash in the
// path, else the body's email (an address or a hash).
func suppressionKey(c *fiber.Ctx, email string) (string, error) {
	if key := c.Params("hash"); key != "" {
		return key, nil
	}
	if email == "" {
		return "", &app.Error{Code: app.EINVALID, Message: "name the suppression", Fields: map[string]string{"email": "required"}}
	}
	return email, nil
}

// apiAddSuppression suppresses an address by hand: {"email", "note"}. Only
// the address's keyed hash is stored.
func (s *Server) apiAddSuppression(c *fiber.Ctx) error {
	var b suppressionBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	hash, err := s.deps.Privacy.SuppressManually(c.UserContext(), currentAdmin(c), b.Email, b.Note)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"email_hash": hash, "reason": app.SuppressManual})
}

// apiRemoveSuppression removes a manual suppression, named by its hash in
// the path or by {"email"} in the body.
func (s *Server) apiRemoveSuppression(c *fiber.Ctx) error {
	var b suppressionBody
	if c.Params("hash") == "" {
		if err := decodeJSON(c, &b); err != nil {
			return err
		}
	}
	key, err := suppressionKey(c, b.Email)
	if err != nil {
		return err
	}
	if err := s.deps.Privacy.RemoveSuppression(c.UserContext(), currentAdmin(c), key); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiLiftSuppression lifts a bounce, complaint or manual suppression,
// named by its hash in the path or by {"email"} (an address or a hash) in
// the body, with {"reason"} (required): 200 with the lift.
func (s *Server) apiLiftSuppression(c *fiber.Ctx) error {
	var b liftBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	key, err := suppressionKey(c, b.Email)
	if err != nil {
		return err
	}
	l, err := s.deps.Privacy.LiftSuppression(c.UserContext(), currentAdmin(c), key, b.Reason)
	return sendJSON(c, l, err)
}

// apiSuppressionLifts lists lifted suppressions, newest first: ?before=
// (id, for paging), ?limit= (<= 1000).
func (s *Server) apiSuppressionLifts(c *fiber.Ctx) error {
	list, err := s.deps.Privacy.SuppressionLifts(c.UserContext(), queryID(c, "before"), queryLimit(c, 100))
	return sendList(c, "lifts", list, err)
}

// apiInboundNotActed lists the inbound mail nothing was done with
// (automatic answers, loops, unreadable messages, reports that proved
// nothing), newest first: ?before= (id), ?limit= (<= 500).
func (s *Server) apiInboundNotActed(c *fiber.Ctx) error {
	list, err := s.deps.Privacy.InboundNotActed(c.UserContext(), queryID(c, "before"), queryLimit(c, 100))
	return sendList(c, "messages", list, err)
}

// apiAudit lists the audit log, newest first: ?actor=, ?action=,
// ?subject_type=, ?subject_id=, ?since=, ?until=, ?before= (id, for
// paging), ?limit= (<= 1000).
func (s *Server) apiAudit(c *fiber.Ctx) error {
	q := app.AuditQuery{Actor: c.Query("actor"), Action: c.Query("action"), SubjectType: c.Query("subject_type"),
		SubjectID: queryID(c, "subject_id"), BeforeID: queryID(c, "before"), Limit: queryLimit(c, 100)}
	var err error
	if q.Since, err = queryTime(c, "since"); err != nil {
		return err
	}
	if q.Until, err = queryTime(c, "until"); err != nil {
		return err
	}
	entries, err := s.deps.Privacy.Audit(c.UserContext(), q)
	return sendList(c, "entries", entries, err)
}

// apiCrossBorder reports how the cross-border rule applies (no personal
// data: every role may see it).
func (s *Server) apiCrossBorder(c *fiber.Ctx) error {
	st, err := s.deps.Privacy.CrossBorder(c.UserContext())
	return sendJSON(c, st, err)
}
