package store

import (
	"context"
	"fmt"
	"time"

	"newsletter/app"
)

// The append-only audit log (app.AuditStore).

type auditRow struct {
	ID          int64
	Actor       string
	Action      string
	SubjectType string
	SubjectID   int64
	Details     string
	CreatedAt   time.Time
}

func (auditRow) TableName() string { return "audit_log" }

// AddAudit appends an entry to the audit log.
func (s *Store) AddAudit(ctx context.Context, e *app.AuditEntry) error {
	r := auditRow{Actor: e.Actor, Action: e.Action, SubjectType: e.SubjectType, SubjectID: e.SubjectID, Details: e.Details, CreatedAt: s.now()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("add audit entry: %w", err)
	}
	e.ID, e.CreatedAt = r.ID, r.CreatedAt
	return nil
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
	if len(q.SubjectIDs) > 0 {
		db = db.Where("subject_id IN ?", q.SubjectIDs)
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
