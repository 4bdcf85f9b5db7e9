package app

import (
	"context"
	"fmt"
	"time"
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
	// Now is the time Overdue is judged at; the Register sets it.
	Now     time.Time
	AfterID int64
	Limit   int
}

// DueSoonWorkingDays is how close a deadline is, in working days, when the
// sweep flags a request as due soon.
const DueSoonWorkingDays = 2

// Requests lists the request register.
func (s *Register) Requests(ctx context.Context, q RequestQuery) ([]Request, error) {
	q.Now = s.Now.Now()
	return s.Store.Requests().QueryRequests(ctx, q)
}

// Request returns one request of the register.
func (s *Register) Request(ctx context.Context, id int64) (*Request, error) {
	return s.Store.Requests().Request(ctx, id)
}

// DeadlineState tells whether an open request is overdue, due within
// DueSoonWorkingDays working days, or neither ("").
func (s *Register) DeadlineState(r *Request) string {
	if r.DueAt == nil || r.Status == RequestCompleted || r.Status == RequestRejected {
		return ""
	}
	now := s.Now.Now()
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
func (s *Register) RegisterRequest(ctx context.Context, actor *Admin, in RegisterInput) (*Request, error) {
	in.Kinds = nil
	rs, err := s.RegisterRequests(ctx, actor, in)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// registerOne enters request r (checked by RegisterRequests) in tx.
func (s *Register) registerOne(ctx context.Context, tx Store, actor *Admin, r *Request, subscriberID int64, note string) error {
	if subscriberID > 0 {
		sub, err := tx.Subscribers().Subscriber(ctx, subscriberID)
		if err != nil {
			return err
		}
		if sub.Status == StatusErased {
			return Errorf(ECONFLICT, "The subscriber is erased.")
		}
		r.SubscriberID = &sub.ID
	}
	if err := tx.Requests().CreateRequest(ctx, r); err != nil {
		return err
	}
	if err := audit(ctx, tx.Audit(), AdminActor(actor), AuditRequestRegistered, "request", r.ID, string(r.Kind)); err != nil {
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
func (s *Register) ExtendRequest(ctx context.Context, actor *Admin, id int64, reason string) (*Request, error) {
	reason, err := cleanReason("reason", reason, true)
	if err != nil {
		return nil, err
	}
	var out *Request
	err = s.Store.Tx(ctx, func(tx Store) error {
		r, err := tx.Requests().Request(ctx, id)
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
		ok, err := tx.Requests().ExtendRequest(ctx, id, due, reason)
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(ECONFLICT, "The request has been extended already.")
		}
		if err := audit(ctx, tx.Audit(), AdminActor(actor), AuditRequestExtended, "request", id, "due "+due.UTC().Format(time.RFC3339)); err != nil {
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
		out, err = tx.Requests().Request(ctx, id)
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
func (s *Register) ExtensionNotice(ctx context.Context, subscriberID, requestID int64) (*ExtensionNotice, error) {
	r, err := s.Store.Requests().Request(ctx, requestID)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if r.SubscriberID == nil || *r.SubscriberID != subscriberID || r.ExtendedReason == "" || r.DueAt == nil {
		return nil, nil
	}
	sub, err := s.Store.Subscribers().Subscriber(ctx, subscriberID)
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
func (s *Register) CloseRequest(ctx context.Context, actor *Admin, id int64, reject bool, note string) (*Request, error) {
	note, err := cleanReason("note", note, false)
	if err != nil {
		return nil, err
	}
	r, err := s.Store.Requests().Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status == RequestCompleted || r.Status == RequestRejected {
		return nil, Errorf(ECONFLICT, "The request is closed already.")
	}
	if !reject && r.Kind == KindConsentRevocation && r.SubscriberID != nil {
		if err := s.Privacy.Erase(ctx, *r.SubscriberID, r.ID, "consent to personal data processing revoked (152-FZ art. 21 part 5)"); err != nil {
			return nil, err
		}
		// Erase completed it.
		if err := audit(ctx, s.Store.Audit(), AdminActor(actor), AuditRequestCompleted, "request", id, "erased"); err != nil {
			return nil, err
		}
		if err := s.addNote(ctx, s.Store, actor, id, NoteCompleted, note); err != nil {
			return nil, err
		}
		return s.Store.Requests().Request(ctx, id)
	}
	status, action := RequestCompleted, AuditRequestCompleted
	if reject {
		status, action = RequestRejected, AuditRequestRejected
	}
	var out *Request
	err = s.Store.Tx(ctx, func(tx Store) error {
		// The note joins the thread; the one written at registration stays.
		ok, err := tx.Requests().CloseRequest(ctx, id, status, "", s.Now.Now())
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
		if err := audit(ctx, tx.Audit(), AdminActor(actor), action, "request", id, ""); err != nil {
			return err
		}
		kind := NoteCompleted
		if reject {
			kind = NoteRejected
		}
		if err := s.addNote(ctx, tx, actor, id, kind, note); err != nil {
			return err
		}
		out, err = tx.Requests().Request(ctx, id)
		return err
	})
	return out, err
}

// FlagDeadlines flags open requests that are overdue or due within
// DueSoonWorkingDays working days. Each statement is a conditional update,
// so sweeps on several machines at once flag each request once per state.
// What a sweep flags is mailed to the privacy officers (OutboxDeadlineAlert,
// in the same transaction).
func (s *Register) FlagDeadlines(ctx context.Context) (overdue, dueSoon int64, err error) {
	now := s.Now.Now()
	soon := s.Calendar.AddWorkingDays(now, DueSoonWorkingDays)
	err = s.Store.Tx(ctx, func(tx Store) error {
		o, d, err := tx.Requests().FlagRequests(ctx, now, soon)
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

// Deadline states of an open request.
const (
	DeadlineOverdue = "overdue"
	DeadlineDueSoon = "due_soon"
)
