package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"newsletter/app"
)

func init() {
	// Personal data of the tables of migrations 0002 and 0004 that an
	// erasure destroys: free text about a person's dispute and requests,
	// and mail server replies, which often quote the address.
	eraseExtra = append(eraseExtra,
		`UPDATE block_events SET reason = '' WHERE subscriber_id = ?`,
		`UPDATE requests SET note = '' WHERE subscriber_id = ?`,
		`UPDATE deliveries SET error = '' WHERE subscriber_id = ?`,
	)
}

// openRequestSQL is the SQL condition of a request still to be answered.
const openRequestSQL = `status NOT IN ('completed', 'rejected')`

// SetBlocked blocks (pending, active or blocked -> blocked, with reason) or
// unblocks (blocked -> active, or pending if it never confirmed and holds
// no processing consent) a subscriber, touching only its status and block
// reason; it reports false when the subscriber is not in a state that
// allows the change.
func (s *Store) SetBlocked(ctx context.Context, subscriberID int64, blocked bool, reason string, at time.Time) (bool, error) {
	q, args := `UPDATE subscribers SET status = 'blocked', block_reason = ?, updated_at = ?
		WHERE id = ? AND status IN ('pending', 'active', 'blocked')`, []any{reason, at.UTC(), subscriberID}
	if !blocked {
		q, args = `UPDATE subscribers SET status = CASE WHEN confirmed_at IS NOT NULL OR EXISTS (SELECT 1 FROM consents c
			WHERE c.subscriber_id = subscribers.id AND c.purpose = 'processing' AND c.granted) THEN 'active' ELSE 'pending' END,
			block_reason = '', updated_at = ? WHERE id = ? AND status = 'blocked'`, []any{at.UTC(), subscriberID}
	}
	res := s.with(ctx).Exec(q, args...)
	if res.Error != nil {
		return false, fmt.Errorf("set blocked: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

type blockEventRow struct {
	ID           int64
	SubscriberID int64
	Action       string
	Reason       string
	RequestID    *int64
	Actor        string
	CreatedAt    time.Time
}

func (blockEventRow) TableName() string { return "block_events" }

// AddBlockEvent appends a block or unblock to a subscriber's history.
func (s *Store) AddBlockEvent(ctx context.Context, e *app.BlockEvent) error {
	at := e.CreatedAt
	if at.IsZero() {
		at = now()
	}
	r := blockEventRow{SubscriberID: e.SubscriberID, Action: e.Action, Reason: e.Reason, RequestID: e.RequestID,
		Actor: e.Actor, CreatedAt: at.UTC()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("add block event: %w", err)
	}
	e.ID, e.CreatedAt = r.ID, r.CreatedAt
	return nil
}

// BlockEvents returns a subscriber's blocks and unblocks, oldest first.
func (s *Store) BlockEvents(ctx context.Context, subscriberID int64) ([]app.BlockEvent, error) {
	var rows []blockEventRow
	if err := s.with(ctx).Where("subscriber_id = ?", subscriberID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read block events: %w", err)
	}
	out := make([]app.BlockEvent, len(rows))
	for i, r := range rows {
		out[i] = app.BlockEvent{ID: r.ID, SubscriberID: r.SubscriberID, Action: r.Action, Reason: r.Reason,
			RequestID: r.RequestID, Actor: r.Actor, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

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

// SuppressionCounts counts the suppression list by reason.
func (s *Store) SuppressionCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Reason string
		N      int64
	}
	if err := s.with(ctx).Raw(`SELECT reason, COUNT(*) AS n FROM suppressions GROUP BY reason`).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count suppressions: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Reason] = r.N
	}
	return out, nil
}

// ListSuppressions lists suppression entries in hash order.
func (s *Store) ListSuppressions(ctx context.Context, q app.SuppressionQuery) ([]app.Suppression, error) {
	db := s.with(ctx).Model(&suppressionRow{}).Order("email_hash")
	if q.Reason != "" {
		db = db.Where("reason = ?", q.Reason)
	}
	if q.After != "" {
		db = db.Where("email_hash > ?", q.After)
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	var rows []suppressionRow
	if err := db.Limit(q.Limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	out := make([]app.Suppression, len(rows))
	for i, r := range rows {
		out[i] = app.Suppression{EmailHash: r.EmailHash, Reason: r.Reason, Note: r.Note, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// ListAudit returns audit entries matching q, newest first.
func (s *Store) ListAudit(ctx context.Context, q app.AuditQuery) ([]app.AuditEntry, error) {
	db := s.with(ctx).Model(&auditRow{}).Order("id DESC")
	if q.Actor != "" {
		db = db.Where("actor = ?", q.Actor)
	}
	if q.Action != "" {
		db = db.Where("action = ?", q.Action)
	}
	if q.SubjectType != "" {
		db = db.Where("subject_type = ?", q.SubjectType)
	}
	if q.SubjectID > 0 {
		db = db.Where("subject_id = ?", q.SubjectID)
	}
	if q.BeforeID > 0 {
		db = db.Where("id < ?", q.BeforeID)
	}
	if q.Since != nil {
		db = db.Where("created_at >= ?", q.Since.UTC())
	}
	if q.Until != nil {
		db = db.Where("created_at < ?", q.Until.UTC())
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	var rows []auditRow
	if err := db.Limit(q.Limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	out := make([]app.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = app.AuditEntry{ID: r.ID, Actor: r.Actor, Action: r.Action, SubjectType: r.SubjectType, SubjectID: r.SubjectID,
			Details: r.Details, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// CountActiveWithout counts active subscribers who have not granted p.
func (s *Store) CountActiveWithout(ctx context.Context, p app.Purpose) (int64, error) {
	var n int64
	err := s.with(ctx).Raw(`SELECT COUNT(*) FROM subscribers s WHERE s.status = 'active' AND NOT EXISTS
		(SELECT 1 FROM consents c WHERE c.subscriber_id = s.id AND c.purpose = ? AND c.granted)`, string(p)).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count subscribers without %s consent: %w", p, err)
	}
	return n, nil
}

// SubscriberDeliveries lists the campaign messages of a subscriber, for
// the access export.
func (s *Store) SubscriberDeliveries(ctx context.Context, subscriberID int64) ([]app.DeliveryRecord, error) {
	var rows []struct {
		CampaignID int64
		Name       string
		Subject    string
		Purpose    string
		Status     string
		SentAt     *time.Time
	}
	err := s.with(ctx).Raw(`SELECT d.campaign_id, c.name, c.subject, c.purpose, d.status, d.sent_at
		FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id WHERE d.subscriber_id = ? ORDER BY d.id`, subscriberID).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list deliveries of subscriber: %w", err)
	}
	out := make([]app.DeliveryRecord, len(rows))
	for i, r := range rows {
		out[i] = app.DeliveryRecord{CampaignID: r.CampaignID, Campaign: r.Name, Subject: r.Subject, Purpose: r.Purpose,
			Status: r.Status, SentAt: r.SentAt}
	}
	return out, nil
}
