package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"newsletter/app"
)

// The register of data-subject requests (app.RequestStore).

type requestRow struct {
	ID             int64
	SubscriberID   *int64
	Kind           string
	Channel        string
	Status         string
	ReceivedAt     time.Time
	DueAt          *time.Time
	CompletedAt    *time.Time
	Verification   string
	Note           string
	ExtendedReason string
	FlaggedAt      *time.Time
	InboundID      *int64
	CampaignID     *int64
}

func (requestRow) TableName() string { return "requests" }

func requestToRow(r *app.Request) requestRow {
	return requestRow{
		ID: r.ID, SubscriberID: r.SubscriberID, Kind: string(r.Kind), Channel: string(r.Channel), Status: string(r.Status),
		ReceivedAt: r.ReceivedAt.UTC(), DueAt: r.DueAt, CompletedAt: r.CompletedAt, Verification: r.Verification,
		Note: r.Note, ExtendedReason: r.ExtendedReason, FlaggedAt: r.FlaggedAt, InboundID: r.InboundID, CampaignID: r.CampaignID,
	}
}

func (r *requestRow) request() app.Request {
	return app.Request{
		ID: r.ID, SubscriberID: r.SubscriberID, Kind: app.RequestKind(r.Kind), Channel: app.Channel(r.Channel),
		Status: app.RequestStatus(r.Status), ReceivedAt: r.ReceivedAt, DueAt: r.DueAt, CompletedAt: r.CompletedAt,
		Verification: r.Verification, Note: r.Note, ExtendedReason: r.ExtendedReason, FlaggedAt: r.FlaggedAt,
		InboundID: r.InboundID, CampaignID: r.CampaignID,
	}
}

// CreateRequest adds a request to the register.
func (s *Store) CreateRequest(ctx context.Context, r *app.Request) error {
	row := requestToRow(r)
	return s.tx(ctx, func(tx *Store) error {
		if err := tx.with(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("create request: %w", err)
		}
		r.ID = row.ID
		return tx.recordRequestCreated(ctx, r)
	})
}

// UpdateRequest writes every field of r.
func (s *Store) UpdateRequest(ctx context.Context, r *app.Request) error {
	row := requestToRow(r)
	return s.tx(ctx, func(tx *Store) error {
		completes, err := tx.completesRequest(ctx, r)
		if err != nil {
			return err
		}
		if err := tx.with(ctx).Model(&requestRow{}).Where("id = ?", r.ID).Select("*").Omit("id").Updates(&row).Error; err != nil {
			return fmt.Errorf("update request: %w", err)
		}
		if completes {
			return tx.recordRequestEvent(ctx, app.EventRequestCompleted, r)
		}
		return nil
	})
}

// Request returns the request with id.
func (s *Store) Request(ctx context.Context, id int64) (*app.Request, error) {
	var row requestRow
	if err := s.with(ctx).Take(&row, id).Error; err != nil {
		return nil, notFound(err, "request")
	}
	r := row.request()
	return &r, nil
}

// openRequestSQL is the SQL condition of a request still to be answered.
const openRequestSQL = `status NOT IN ('completed', 'rejected')`

// QueryRequests returns requests matching q in id order.
func (s *Store) QueryRequests(ctx context.Context, q app.RequestQuery) ([]app.Request, error) {
	db := s.with(ctx).Model(&requestRow{}).Order("id")
	if q.Status != "" {
		db = db.Where("status = ?", string(q.Status))
	}
	if q.Kind != "" {
		db = db.Where("kind = ?", string(q.Kind))
	}
	if q.Channel != "" {
		db = db.Where("channel = ?", string(q.Channel))
	}
	if q.SubscriberID > 0 {
		db = db.Where("subscriber_id = ?", q.SubscriberID)
	}
	if q.Open || q.Overdue || q.Flagged {
		db = db.Where(openRequestSQL)
	}
	if q.Overdue {
		db = db.Where("due_at < ?", q.Now.UTC())
	}
	if q.Flagged {
		db = db.Where("flagged_at IS NOT NULL")
	}
	if q.DueBefore != nil {
		db = db.Where("due_at < ?", q.DueBefore.UTC())
	}
	if q.AfterID > 0 {
		db = db.Where("id > ?", q.AfterID)
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	var rows []requestRow
	if err := db.Limit(q.Limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	out := make([]app.Request, len(rows))
	for i := range rows {
		out[i] = rows[i].request()
	}
	return out, nil
}

// ExtendRequest moves the deadline of an open access request that was
// never extended, records the reason and clears its flag.
func (s *Store) ExtendRequest(ctx context.Context, id int64, due time.Time, reason string) (bool, error) {
	res := s.with(ctx).Exec(`UPDATE requests SET due_at = ?, extended_reason = ?, flagged_at = NULL
		WHERE id = ? AND kind = 'access' AND extended_reason = '' AND `+openRequestSQL, due.UTC(), reason, id)
	if res.Error != nil {
		return false, fmt.Errorf("extend request: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// CloseRequest sets an open request's final status; a non-empty note
// replaces its note.
func (s *Store) CloseRequest(ctx context.Context, id int64, status app.RequestStatus, note string, at time.Time) (bool, error) {
	set := map[string]any{"status": string(status), "completed_at": at.UTC()}
	if note != "" {
		set["note"] = note
	}
	res := s.with(ctx).Model(&requestRow{}).Where("id = ? AND "+openRequestSQL, id).Updates(set)
	if res.Error != nil {
		return false, fmt.Errorf("close request: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FlagRequests stamps flagged_at on open requests that fell due (unless
// flagged since their deadline) or fall due before soon (unless flagged
// already), and returns the ids it stamped. A request flagged while due
// soon is flagged again once overdue: flagged_at >= due_at means "flagged
// overdue". Of two sweeps at once, each request is stamped by one.
func (s *Store) FlagRequests(ctx context.Context, now, soon time.Time) (overdue, dueSoon []int64, err error) {
	db := s.with(ctx)
	if err := db.Raw(`UPDATE requests SET flagged_at = ? WHERE `+openRequestSQL+`
		AND due_at < ? AND (flagged_at IS NULL OR flagged_at < due_at) RETURNING id`, now.UTC(), now.UTC()).Scan(&overdue).Error; err != nil {
		return nil, nil, fmt.Errorf("flag overdue requests: %w", err)
	}
	if err := db.Raw(`UPDATE requests SET flagged_at = ? WHERE `+openRequestSQL+`
		AND due_at >= ? AND due_at < ? AND flagged_at IS NULL RETURNING id`, now.UTC(), now.UTC(), soon.UTC()).Scan(&dueSoon).Error; err != nil {
		return overdue, nil, fmt.Errorf("flag requests due soon: %w", err)
	}
	slices.Sort(overdue)
	slices.Sort(dueSoon)
	return overdue, dueSoon, nil
}
