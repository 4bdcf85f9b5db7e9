package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Privacy operations of the operator: blocking, erasure on the operator's
// order, the request register with its deadlines, the suppression list and
// the audit log. Every change an operator makes is written to the
// append-only audit log with ids only, in the same transaction as the
// change.

// PrivacyStore is the persistence the privacy operations need beyond Store.
// The database store implements it; the Service reaches it through its
// Store (and the Store of a transaction).
type PrivacyStore interface {
	// SetBlocked blocks a subscriber that is pending, active or blocked
	// (blocked = true), or unblocks a blocked one back to active, or to
	// pending when it never confirmed and holds no processing consent. It
	// changes nothing else and reports whether the subscriber was in a
	// state that allows the change.
	SetBlocked(ctx context.Context, subscriberID int64, blocked bool, reason string, at time.Time) (bool, error)
	AddBlockEvent(ctx context.Context, e *BlockEvent) error
	BlockEvents(ctx context.Context, subscriberID int64) ([]BlockEvent, error)

	QueryRequests(ctx context.Context, q RequestQuery) ([]Request, error)
	// ExtendRequest moves the deadline of an open, never extended access
	// request and records the reason; it reports false when the request is
	// not such a request.
	ExtendRequest(ctx context.Context, id int64, due time.Time, reason string) (bool, error)
	// CloseRequest completes or rejects an open request; it reports false
	// when the request was already closed.
	CloseRequest(ctx context.Context, id int64, status RequestStatus, note string, at time.Time) (bool, error)
	// FlagRequests stamps flagged_at on open requests that became overdue
	// (due before now, and not flagged since they fell due) or are due
	// before soon (and not flagged yet); it returns the ids of each.
	FlagRequests(ctx context.Context, now, soon time.Time) (overdue, dueSoon []int64, err error)

	SuppressionCounts(ctx context.Context) (map[string]int64, error)
	ListSuppressions(ctx context.Context, q SuppressionQuery) ([]Suppression, error)

	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
	// CountActiveWithout counts active subscribers who have not granted p.
	CountActiveWithout(ctx context.Context, p Purpose) (int64, error)
}

// BlockEvent is one block or unblock of a subscriber.
type BlockEvent struct {
	ID           int64     `json:"id"`
	SubscriberID int64     `json:"subscriber_id"`
	Action       string    `json:"action"` // BlockActionBlocked or BlockActionUnblocked
	Reason       string    `json:"reason"`
	RequestID    *int64    `json:"request_id,omitempty"`
	Actor        string    `json:"actor"`
	CreatedAt    time.Time `json:"created_at"`
}

// Block event actions.
const (
	BlockActionBlocked   = "blocked"
	BlockActionUnblocked = "unblocked"
)

// RequestQuery narrows a listing of the request register.
type RequestQuery struct {
	Status       RequestStatus
	Kind         RequestKind
	Channel      Channel
	SubscriberID int64
	// Open keeps requests neither completed nor rejected.
	Open bool
	// Overdue keeps open requests whose deadline is before Now.
	Overdue bool
	// Flagged keeps open requests the sweep has flagged.
	Flagged bool
	// DueBefore keeps requests due before it.
	DueBefore *time.Time
	// Now is the time Overdue is judged at; the Service sets it.
	Now     time.Time
	AfterID int64
	Limit   int
}

// Suppression is one entry of the suppression list: a keyed hash of an
// address, never the address.
type Suppression struct {
	EmailHash string    `json:"email_hash"`
	Reason    string    `json:"reason"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// SuppressionQuery narrows a listing of the suppression list.
type SuppressionQuery struct {
	Reason string
	// After is the email hash to continue after (paging in hash order).
	After string
	Limit int
}

// AuditQuery narrows a listing of the audit log (newest first).
type AuditQuery struct {
	Actor       string
	Action      string
	SubjectType string
	SubjectID   int64
	// BeforeID pages backwards: entries with a smaller id.
	BeforeID int64
	Since    *time.Time
	Until    *time.Time
	Limit    int
}

// DeliveryRecord is one campaign message to a subscriber, as the access
// export shows it.
type DeliveryRecord struct {
	CampaignID int64      `json:"campaign_id"`
	Campaign   string     `json:"campaign"`
	Subject    string     `json:"subject"`
	Purpose    string     `json:"purpose"`
	Status     string     `json:"status"`
	SentAt     *time.Time `json:"sent_at"`
}

// DueSoonWorkingDays is how close a deadline is, in working days, when the
// sweep flags a request as due soon.
const DueSoonWorkingDays = 2

// MaxReasonRunes bounds the reasons and notes operators write.
const MaxReasonRunes = 1000

// Audit actions of privacy operations.
const (
	AuditSubscriberBlocked   = "subscriber_blocked"
	AuditSubscriberUnblocked = "subscriber_unblocked"
	AuditSubscriberErased    = "subscriber_erased"
	AuditRequestRegistered   = "request_registered"
	AuditRequestExtended     = "request_extended"
	AuditRequestCompleted    = "request_completed"
	AuditRequestRejected     = "request_rejected"
	AuditSuppressionAdded    = "suppression_added"
	AuditSuppressionRemoved  = "suppression_removed"
	AuditDestructionsExport  = "destructions_exported"
	AuditSubscriberExported  = "subscriber_exported"
	AuditSubscribersImported = "subscribers_imported"
)

// privacyStore returns the privacy persistence behind st.
func privacyStore(st Store) (PrivacyStore, error) {
	ps, ok := st.(PrivacyStore)
	if !ok {
		return nil, fmt.Errorf("privacy: the store does not keep privacy records")
	}
	return ps, nil
}

// ActorName names an operator in the audit log and in records: by id only.
func ActorName(a *Admin) string {
	if a == nil {
		return "system"
	}
	return fmt.Sprintf("admin:%d", a.ID)
}

// cleanReason trims an operator's reason and checks its length; required
// refuses an empty one.
func cleanReason(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", &Error{Code: EINVALID, Message: "A reason is required.", Fields: map[string]string{field: "required"}}
	case !utf8.ValidString(s):
		return "", &Error{Code: EINVALID, Message: "The reason is not valid text.", Fields: map[string]string{field: "not UTF-8"}}
	case utf8.RuneCountInString(s) > MaxReasonRunes:
		return "", &Error{Code: EINVALID, Message: "The reason is too long.",
			Fields: map[string]string{field: fmt.Sprintf("at most %d characters", MaxReasonRunes)}}
	}
	return s, nil
}

// BlockInput is an operator's order to block a subscriber.
type BlockInput struct {
	Reason string `json:"reason"`
	// RequestID optionally names the request the block belongs to.
	RequestID int64 `json:"request_id"`
}

// Block suspends all processing of a subscriber's data (no mail of any
// kind) while their data is disputed or a request is verified. The reason
// is kept with the subscriber and its block history (erasure destroys
// both); the audit log gets the ids. Blocking a blocked subscriber records
// the new reason.
func (s *Service) Block(ctx context.Context, actor *Admin, subscriberID int64, in BlockInput) (*Subscriber, error) {
	return s.changeBlock(ctx, actor, subscriberID, in, true)
}

// changeBlock blocks or unblocks a subscriber in a transaction of its own,
// for the request in.RequestID when it is set (it must exist). A block
// needs a reason; an unblock may have one.
func (s *Service) changeBlock(ctx context.Context, actor *Admin, subscriberID int64, in BlockInput, block bool) (*Subscriber, error) {
	reason, err := cleanReason("reason", in.Reason, block)
	if err != nil {
		return nil, err
	}
	change := s.unblock
	if block {
		change = s.block
	}
	var out *Subscriber
	err = s.Store.Tx(ctx, func(tx Store) error {
		var reqID *int64
		if in.RequestID > 0 {
			if _, err := tx.Request(ctx, in.RequestID); err != nil {
				return err
			}
			reqID = &in.RequestID
		}
		var err error
		out, err = change(ctx, tx, actor, subscriberID, reason, reqID)
		return err
	})
	return out, err
}

// block blocks a subscriber inside tx and writes the block event and the
// audit entry.
func (s *Service) block(ctx context.Context, tx Store, actor *Admin, subscriberID int64, reason string, requestID *int64) (*Subscriber, error) {
	ps, err := privacyStore(tx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ok, err := ps.SetBlocked(ctx, subscriberID, true, reason, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		if _, err := tx.Subscriber(ctx, subscriberID); err != nil {
			return nil, err
		}
		return nil, Errorf(ECONFLICT, "An erased subscriber cannot be blocked.")
	}
	if err := ps.AddBlockEvent(ctx, &BlockEvent{SubscriberID: subscriberID, Action: BlockActionBlocked, Reason: reason,
		RequestID: requestID, Actor: ActorName(actor), CreatedAt: now}); err != nil {
		return nil, err
	}
	if err := tx.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: AuditSubscriberBlocked, SubjectType: "subscriber",
		SubjectID: subscriberID, Details: requestDetails(requestID)}); err != nil {
		return nil, err
	}
	return tx.Subscriber(ctx, subscriberID)
}

func requestDetails(id *int64) string {
	if id == nil || *id == 0 {
		return ""
	}
	return fmt.Sprintf("request %d", *id)
}

// Unblock resumes processing of a blocked subscriber: active again, or
// pending when they never confirmed and hold no processing consent. The
// reason is optional and kept in the block history. Unblocking a
// subscriber who is not blocked changes nothing.
func (s *Service) Unblock(ctx context.Context, actor *Admin, subscriberID int64, in BlockInput) (*Subscriber, error) {
	return s.changeBlock(ctx, actor, subscriberID, in, false)
}

func (s *Service) unblock(ctx context.Context, tx Store, actor *Admin, subscriberID int64, reason string, requestID *int64) (*Subscriber, error) {
	ps, err := privacyStore(tx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ok, err := ps.SetBlocked(ctx, subscriberID, false, "", now)
	if err != nil {
		return nil, err
	}
	sub, err := tx.Subscriber(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	if !ok {
		if sub.Status == StatusErased {
			return nil, Errorf(ECONFLICT, "The subscriber is erased.")
		}
		return sub, nil
	}
	if err := ps.AddBlockEvent(ctx, &BlockEvent{SubscriberID: subscriberID, Action: BlockActionUnblocked, Reason: reason,
		RequestID: requestID, Actor: ActorName(actor), CreatedAt: now}); err != nil {
		return nil, err
	}
	if err := tx.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: AuditSubscriberUnblocked, SubjectType: "subscriber",
		SubjectID: subscriberID, Details: requestDetails(requestID)}); err != nil {
		return nil, err
	}
	return sub, nil
}

// BlockHistory returns the blocks and unblocks of a subscriber.
func (s *Service) BlockHistory(ctx context.Context, subscriberID int64) ([]BlockEvent, error) {
	ps, err := privacyStore(s.Store)
	if err != nil {
		return nil, err
	}
	return ps.BlockEvents(ctx, subscriberID)
}

// ErasureResult tells what an operator's erasure did.
type ErasureResult struct {
	Subscriber *Subscriber `json:"subscriber"`
	// Request is the consent_revocation request the erasure completed;
	// nil when the subscriber had been erased before without one.
	Request *Request `json:"request"`
	// AlreadyErased is true when there was nothing left to erase.
	AlreadyErased bool `json:"already_erased"`
}

// EraseByOperator destroys a subscriber's data on an operator's order
// (a withdrawal received on paper or by telephone, a court order, the end
// of the purpose). It withdraws every consent, records the request in the
// register (kind consent_revocation, the given channel, verification
// "operator"), erases at once and completes the request. The erasure task
// is written too, so an interrupted erasure is finished by the queue. It is
// idempotent: erasing an erased subscriber does nothing.
func (s *Service) EraseByOperator(ctx context.Context, actor *Admin, ch Channel, subscriberID int64, reason string) (*ErasureResult, error) {
	reason, err := cleanReason("reason", reason, false)
	if err != nil {
		return nil, err
	}
	if ch == "" {
		ch = ChannelAdmin
	}
	now := s.now()
	var req *Request
	already := false
	err = s.Store.Tx(ctx, func(tx Store) error {
		sub, err := tx.Subscriber(ctx, subscriberID)
		if err != nil {
			return err
		}
		if sub.Status == StatusErased {
			already = true
			return nil
		}
		// An open revocation of this person is what this erasure answers.
		open, err := tx.ListRequests(ctx, RequestFilter{SubscriberID: sub.ID, Kind: KindConsentRevocation, Limit: 1000})
		if err != nil {
			return err
		}
		for i := range open {
			if open[i].Status != RequestCompleted && open[i].Status != RequestRejected {
				req = &open[i]
				break
			}
		}
		if req == nil {
			if req, err = s.revoke(ctx, tx, sub.ID, Evidence{At: now, Channel: ch}, "operator"); err != nil {
				return err
			}
		} else if err := addOutbox(ctx, tx, OutboxErase, SubscriberRef{SubscriberID: sub.ID, RequestID: req.ID}); err != nil {
			return err
		}
		return tx.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: AuditSubscriberErased, SubjectType: "subscriber",
			SubjectID: sub.ID, Details: fmt.Sprintf("request %d", req.ID)})
	})
	if err != nil {
		return nil, err
	}
	if !already {
		s.wake()
		why := "erasure ordered by the operator (" + ActorName(actor) + ")"
		if reason != "" {
			why += ": " + reason
		}
		if err := s.Erase(ctx, subscriberID, req.ID, why); err != nil {
			return nil, err
		}
	}
	res := &ErasureResult{AlreadyErased: already}
	if res.Subscriber, err = s.Store.Subscriber(ctx, subscriberID); err != nil {
		return nil, err
	}
	if req != nil {
		if res.Request, err = s.Store.Request(ctx, req.ID); err != nil {
			return nil, err
		}
	} else if rs, err := s.Store.ListRequests(ctx, RequestFilter{SubscriberID: subscriberID, Kind: KindConsentRevocation, Limit: 1000}); err != nil {
		return nil, err
	} else if len(rs) > 0 {
		res.Request = &rs[len(rs)-1]
	}
	return res, nil
}

// Requests lists the request register.
func (s *Service) Requests(ctx context.Context, q RequestQuery) ([]Request, error) {
	ps, err := privacyStore(s.Store)
	if err != nil {
		return nil, err
	}
	q.Now = s.now()
	return ps.QueryRequests(ctx, q)
}

// Request returns one request of the register.
func (s *Service) Request(ctx context.Context, id int64) (*Request, error) {
	return s.Store.Request(ctx, id)
}

// Deadline states of an open request.
const (
	DeadlineOverdue = "overdue"
	DeadlineDueSoon = "due_soon"
)

// DeadlineState tells whether an open request is overdue, due within
// DueSoonWorkingDays working days, or neither ("").
func (s *Service) DeadlineState(r *Request) string {
	if r.DueAt == nil || r.Status == RequestCompleted || r.Status == RequestRejected {
		return ""
	}
	now := s.now()
	switch {
	case r.DueAt.Before(now):
		return DeadlineOverdue
	case r.DueAt.Before(s.Calendar.AddWorkingDays(now, DueSoonWorkingDays)):
		return DeadlineDueSoon
	}
	return ""
}

// RegisterInput is a request an operator received outside the product (on
// paper, by telephone, in person) and enters in the register.
type RegisterInput struct {
	SubscriberID int64       `json:"subscriber_id"`
	Kind         RequestKind `json:"kind"`
	// Kinds registers one request of each kind, at once, when one letter
	// asks for several things (RegisterRequests); Kind is then unused.
	Kinds   []RequestKind `json:"kinds,omitempty"`
	Channel Channel       `json:"channel"`
	// ReceivedAt, or ReceivedOn (a date, YYYY-MM-DD, in the operator's
	// time zone), is when the request arrived: its deadline runs from
	// then. Neither means now.
	ReceivedAt   *time.Time `json:"received_at"`
	ReceivedOn   string     `json:"received_on,omitempty"`
	Verification string     `json:"verification"`
	Note         string     `json:"note"`
}

// RegisterRequest enters a request in the register with its legal
// deadline. Kinds: access, data_update, unknown (a revocation is entered
// by erasing: EraseByOperator; an opt-out takes effect at once in the
// preference centre). A data_update request blocks the subscriber at
// once (152-FZ art. 21 part 1: inaccurate data is blocked on receipt);
// completing it unblocks them.
func (s *Service) RegisterRequest(ctx context.Context, actor *Admin, in RegisterInput) (*Request, error) {
	in.Kinds = nil
	rs, err := s.RegisterRequests(ctx, actor, in)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// registerOne enters request r (checked by checkRegister) in tx.
func (s *Service) registerOne(ctx context.Context, tx Store, actor *Admin, r *Request, subscriberID int64, note string) error {
	if subscriberID > 0 {
		sub, err := tx.Subscriber(ctx, subscriberID)
		if err != nil {
			return err
		}
		if sub.Status == StatusErased {
			return Errorf(ECONFLICT, "The subscriber is erased.")
		}
		r.SubscriberID = &sub.ID
	}
	if err := tx.CreateRequest(ctx, r); err != nil {
		return err
	}
	if err := tx.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: AuditRequestRegistered, SubjectType: "request",
		SubjectID: r.ID, Details: string(r.Kind)}); err != nil {
		return err
	}
	if err := s.addNote(ctx, tx, actor, r.ID, NoteText, note); err != nil {
		return err
	}
	if r.Kind == KindDataUpdate {
		_, err := s.block(ctx, tx, actor, *r.SubscriberID, fmt.Sprintf("data disputed: request %d", r.ID), &r.ID)
		return err
	}
	return nil
}

// ExtendRequest extends the deadline of an open access request by 5
// working days (152-FZ art. 14 part 3), once, recording the reason given
// to the person in the reasoned notice, which is mailed to them
// (OutboxRequestExtended) when the request is a subscriber's. The reason
// stays in the register after an erasure: write it without personal data.
func (s *Service) ExtendRequest(ctx context.Context, actor *Admin, id int64, reason string) (*Request, error) {
	reason, err := cleanReason("reason", reason, true)
	if err != nil {
		return nil, err
	}
	var out *Request
	err = s.Store.Tx(ctx, func(tx Store) error {
		ps, err := privacyStore(tx)
		if err != nil {
			return err
		}
		r, err := tx.Request(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case r.Kind != KindAccess:
			return Errorf(ECONFLICT, "Only access requests can be extended.")
		case r.Status == RequestCompleted || r.Status == RequestRejected:
			return Errorf(ECONFLICT, "The request is closed.")
		case r.ExtendedReason != "":
			return Errorf(ECONFLICT, "The request has been extended already.")
		case r.DueAt == nil:
			return Errorf(ECONFLICT, "The request has no deadline.")
		}
		due := s.Calendar.ExtendAccess(*r.DueAt)
		ok, err := ps.ExtendRequest(ctx, id, due, reason)
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(ECONFLICT, "The request has been extended already.")
		}
		if err := tx.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: AuditRequestExtended, SubjectType: "request",
			SubjectID: id, Details: "due " + due.UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
		if err := s.addNote(ctx, tx, actor, id, NoteExtended, reason); err != nil {
			return err
		}
		if r.SubscriberID != nil {
			if err := addOutbox(ctx, tx, OutboxRequestExtended, SubscriberRef{SubscriberID: *r.SubscriberID, RequestID: id}); err != nil {
				return err
			}
		}
		out, err = tx.Request(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return out, nil
}

// ExtensionNotice is what the reasoned notice of an extended access
// request says, and to whom.
type ExtensionNotice struct {
	Subscriber *Subscriber
	Reason     string
	// Received and Due are the request's dates in the calendar's location.
	Received, Due time.Time
}

// ExtensionNotice returns the notice of request id for the subscriber, or
// nil when there is none to send: the request is not theirs or not
// extended, or the person's data has been erased since.
func (s *Service) ExtensionNotice(ctx context.Context, subscriberID, requestID int64) (*ExtensionNotice, error) {
	r, err := s.Store.Request(ctx, requestID)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if r.SubscriberID == nil || *r.SubscriberID != subscriberID || r.ExtendedReason == "" || r.DueAt == nil {
		return nil, nil
	}
	sub, err := s.Store.Subscriber(ctx, subscriberID)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sub.Status == StatusErased || sub.Email == "" {
		return nil, nil
	}
	loc := s.Calendar.location()
	return &ExtensionNotice{Subscriber: sub, Reason: r.ExtendedReason, Received: r.ReceivedAt.In(loc), Due: r.DueAt.In(loc)}, nil
}

// CloseRequest completes (or, with reject, rejects) an open request. A
// consent_revocation is completed by erasing the person's data, and
// rejected (never confirmed, not the person's own) by lifting the block
// it put on them while it awaited confirmation; a data_update, completed
// or rejected, unblocks the person its registration blocked.
func (s *Service) CloseRequest(ctx context.Context, actor *Admin, id int64, reject bool, note string) (*Request, error) {
	note, err := cleanReason("note", note, false)
	if err != nil {
		return nil, err
	}
	r, err := s.Store.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status == RequestCompleted || r.Status == RequestRejected {
		return nil, Errorf(ECONFLICT, "The request is closed already.")
	}
	if !reject && r.Kind == KindConsentRevocation && r.SubscriberID != nil {
		if err := s.Erase(ctx, *r.SubscriberID, r.ID, "consent to personal data processing revoked (152-FZ art. 21 part 5)"); err != nil {
			return nil, err
		}
		// Erase completed it.
		if err := s.Store.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: AuditRequestCompleted, SubjectType: "request",
			SubjectID: id, Details: "erased"}); err != nil {
			return nil, err
		}
		if err := s.addNote(ctx, s.Store, actor, id, NoteCompleted, note); err != nil {
			return nil, err
		}
		return s.Store.Request(ctx, id)
	}
	status, action := RequestCompleted, AuditRequestCompleted
	if reject {
		status, action = RequestRejected, AuditRequestRejected
	}
	var out *Request
	err = s.Store.Tx(ctx, func(tx Store) error {
		ps, err := privacyStore(tx)
		if err != nil {
			return err
		}
		// The note joins the thread; the one written at registration stays.
		ok, err := ps.CloseRequest(ctx, id, status, "", s.now())
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(ECONFLICT, "The request is closed already.")
		}
		if (r.Kind == KindDataUpdate || r.Kind == KindConsentRevocation) && r.SubscriberID != nil {
			if err := s.unblockFor(ctx, tx, actor, *r.SubscriberID, r.ID); err != nil {
				return err
			}
		}
		if err := tx.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: action, SubjectType: "request", SubjectID: id}); err != nil {
			return err
		}
		kind := NoteCompleted
		if reject {
			kind = NoteRejected
		}
		if err := s.addNote(ctx, tx, actor, id, kind, note); err != nil {
			return err
		}
		out, err = tx.Request(ctx, id)
		return err
	})
	return out, err
}

// unblockFor unblocks a subscriber whose latest block was for request id.
func (s *Service) unblockFor(ctx context.Context, tx Store, actor *Admin, subscriberID, requestID int64) error {
	ps, err := privacyStore(tx)
	if err != nil {
		return err
	}
	events, err := ps.BlockEvents(ctx, subscriberID)
	if err != nil || len(events) == 0 {
		return err
	}
	last := events[len(events)-1]
	if last.Action != BlockActionBlocked || last.RequestID == nil || *last.RequestID != requestID {
		return nil
	}
	_, err = s.unblock(ctx, tx, actor, subscriberID, fmt.Sprintf("request %d closed", requestID), &requestID)
	return err
}

// FlagDeadlines flags open requests that are overdue or due within
// DueSoonWorkingDays working days. Each statement is a conditional update,
// so sweeps on several machines at once flag each request once per state.
// What a sweep flags is mailed to the privacy officers (OutboxDeadlineAlert,
// in the same transaction).
func (s *Service) FlagDeadlines(ctx context.Context) (overdue, dueSoon int64, err error) {
	now := s.now()
	soon := s.Calendar.AddWorkingDays(now, DueSoonWorkingDays)
	err = s.Store.Tx(ctx, func(tx Store) error {
		ps, err := privacyStore(tx)
		if err != nil {
			return err
		}
		o, d, err := ps.FlagRequests(ctx, now, soon)
		if err != nil {
			return err
		}
		overdue, dueSoon = int64(len(o)), int64(len(d))
		if len(o)+len(d) == 0 {
			return nil
		}
		return addOutbox(ctx, tx, OutboxDeadlineAlert, DeadlineAlert{Overdue: overdue, DueSoon: dueSoon,
			OverdueIDs: o[:min(len(o), MaxAlertRequests)], DueSoonIDs: d[:min(len(d), MaxAlertRequests)]})
	})
	if err != nil {
		return 0, 0, err
	}
	if overdue+dueSoon > 0 {
		s.wake()
	}
	return overdue, dueSoon, nil
}

// DeadlineAlert is the payload of OutboxDeadlineAlert: what one sweep
// flagged, by ids.
type DeadlineAlert struct {
	Overdue    int64   `json:"overdue"`
	DueSoon    int64   `json:"due_soon"`
	OverdueIDs []int64 `json:"overdue_ids"`
	DueSoonIDs []int64 `json:"due_soon_ids"`
}

// MaxAlertRequests bounds the requests of each kind a deadline alert
// lists (all are counted).
const MaxAlertRequests = 50

// SuppressionCounts returns how many addresses the suppression list holds
// per reason (every reason present, zero or not).
func (s *Service) SuppressionCounts(ctx context.Context) (map[string]int64, error) {
	ps, err := privacyStore(s.Store)
	if err != nil {
		return nil, err
	}
	counts, err := ps.SuppressionCounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range []string{SuppressErased, SuppressHardBounce, SuppressComplaint, SuppressManual} {
		counts[r] += 0
	}
	return counts, nil
}

// Suppressions lists entries of the suppression list (hashes only).
func (s *Service) Suppressions(ctx context.Context, q SuppressionQuery) ([]Suppression, error) {
	ps, err := privacyStore(s.Store)
	if err != nil {
		return nil, err
	}
	return ps.ListSuppressions(ctx, q)
}

// SuppressManually puts an address on the suppression list by the
// operator's decision: only its keyed hash is stored. No mail goes to it,
// no import adds it, and a new subscription does not lift it; only the
// operator does (RemoveSuppression). It returns the hash.
func (s *Service) SuppressManually(ctx context.Context, actor *Admin, email, note string) (string, error) {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return "", &Error{Code: EINVALID, Message: "invalid email", Fields: map[string]string{"email": ErrorMessage(err)}}
	}
	note, err = cleanReason("note", note, false)
	if err != nil {
		return "", err
	}
	hash := s.Signer.KeyedHash(addr)
	err = s.Store.Tx(ctx, func(tx Store) error {
		if err := tx.Suppress(ctx, hash, SuppressManual, note); err != nil {
			return err
		}
		return tx.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: AuditSuppressionAdded, SubjectType: "suppression",
			Details: SuppressManual})
	})
	return hash, err
}

// RemoveSuppression takes a manual entry off the suppression list; key is
// the address or its hash. Other entries are lifted only by the person's
// new confirmed consent.
func (s *Service) RemoveSuppression(ctx context.Context, actor *Admin, key string) error {
	hash := strings.ToLower(strings.TrimSpace(key))
	if strings.Contains(hash, "@") {
		addr, err := NormalizeEmail(key)
		if err != nil {
			return &Error{Code: EINVALID, Message: "invalid email", Fields: map[string]string{"email": ErrorMessage(err)}}
		}
		hash = s.Signer.KeyedHash(addr)
	} else if !isHexHash(hash) {
		return &Error{Code: EINVALID, Message: "invalid suppression", Fields: map[string]string{"email": "an address or its hash"}}
	}
	return s.Store.Tx(ctx, func(tx Store) error {
		reason, err := tx.SuppressionReason(ctx, hash)
		if err != nil {
			return err
		}
		switch reason {
		case "":
			return Errorf(ENOTFOUND, "The address is not on the suppression list.")
		case SuppressManual:
		case SuppressHardBounce, SuppressComplaint:
			return Errorf(ECONFLICT, "Only manual suppressions can be removed; this one (%s) is lifted with a reason.", reason)
		default:
			return Errorf(ECONFLICT, "Only manual suppressions can be removed; this one (%s) is lifted by the person's new consent.", reason)
		}
		if err := tx.Unsuppress(ctx, hash); err != nil {
			return err
		}
		return tx.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: AuditSuppressionRemoved, SubjectType: "suppression",
			Details: SuppressManual})
	})
}

func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

// Audit lists the audit log, newest first.
func (s *Service) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	ps, err := privacyStore(s.Store)
	if err != nil {
		return nil, err
	}
	return ps.ListAudit(ctx, q)
}

// RecordAction writes an operator's action (for example an export) to the
// audit log. details must hold ids only.
func (s *Service) RecordAction(ctx context.Context, actor *Admin, action, subjectType string, subjectID int64, details string) error {
	return s.Store.AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: action, SubjectType: subjectType,
		SubjectID: subjectID, Details: details})
}

// Destructions lists destruction records, oldest first, after afterID.
func (s *Service) Destructions(ctx context.Context, afterID int64, limit int) ([]Destruction, error) {
	return s.Store.Destructions(ctx, afterID, limit)
}

// CrossBorderStatus is what the admin shows about the cross-border rule.
type CrossBorderStatus struct {
	OperatorCountry string `json:"operator_country"`
	SMTPCountry     string `json:"smtp_country"`
	// ConsentRequired is true when mail goes through a country without
	// adequate protection: only people with the cross-border consent get
	// mail.
	ConsentRequired bool `json:"consent_required"`
	// ActiveWithoutConsent counts active subscribers who get no mail
	// because of the rule (0 when it does not apply).
	ActiveWithoutConsent int64    `json:"active_without_consent"`
	AdequateCountries    []string `json:"adequate_countries"`
}

// CrossBorder reports how the cross-border rule applies.
func (s *Service) CrossBorder(ctx context.Context) (*CrossBorderStatus, error) {
	st := &CrossBorderStatus{OperatorCountry: s.Operator.Country, SMTPCountry: s.Operator.SMTPCountry,
		ConsentRequired: s.Operator.CrossBorderRequired(), AdequateCountries: AdequateCountries(s.Operator.Country)}
	if st.SMTPCountry == "" {
		st.SMTPCountry = st.OperatorCountry
	}
	if st.ConsentRequired {
		ps, err := privacyStore(s.Store)
		if err != nil {
			return nil, err
		}
		if st.ActiveWithoutConsent, err = ps.CountActiveWithout(ctx, PurposeCrossBorder); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// MayMail decides whether a transactional message (a confirmation link, a
// preferences link) may go to address to of a subscriber through the
// configured mail infrastructure: not to an address the operator
// suppressed by hand, and, where the infrastructure is in a country
// without adequate protection, only to people who gave the cross-border
// consent (already granted, or given in the form the message confirms:
// pending). Blocked and erased subscribers are refused by the callers.
func (s *Service) MayMail(ctx context.Context, subscriberID int64, to string, pending []Purpose) (bool, error) {
	if to != "" {
		reason, err := s.Store.SuppressionReason(ctx, s.Signer.KeyedHash(to))
		if err != nil {
			return false, err
		}
		if reason == SuppressManual {
			return false, nil
		}
	}
	if !s.Operator.CrossBorderRequired() || slices.Contains(pending, PurposeCrossBorder) {
		return true, nil
	}
	return crossBorderGranted(ctx, s.Store, subscriberID)
}

// crossBorderGranted reports whether a subscriber holds the cross-border
// consent.
func crossBorderGranted(ctx context.Context, st Store, subscriberID int64) (bool, error) {
	consents, err := st.Consents(ctx, subscriberID)
	if err != nil {
		return false, err
	}
	for _, c := range consents {
		if c.Purpose == PurposeCrossBorder {
			return c.Granted, nil
		}
	}
	return false, nil
}
