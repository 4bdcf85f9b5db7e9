package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"newsletter/app"
)

// The suppression list and its lifted entries (app.SuppressionStore).

type suppressionRow struct {
	EmailHash string `gorm:"primaryKey"`
	Reason    string
	Note      string
	CreatedAt time.Time
}

func (suppressionRow) TableName() string { return "suppressions" }

// SuppressionReason returns why the keyed hash of an address is
// suppressed, or "" when it is not.
func (s *Store) SuppressionReason(ctx context.Context, emailHash string) (string, error) {
	var reasons []string
	if err := s.with(ctx).Model(&suppressionRow{}).Where("email_hash = ?", emailHash).Limit(1).Pluck("reason", &reasons).Error; err != nil {
		return "", fmt.Errorf("check suppression: %w", err)
	}
	if len(reasons) == 0 {
		return "", nil
	}
	return reasons[0], nil
}

// Suppress adds the keyed hash of an address to the suppression list.
func (s *Store) Suppress(ctx context.Context, emailHash, reason, note string) error {
	r := suppressionRow{EmailHash: emailHash, Reason: reason, Note: note, CreatedAt: s.now()}
	err := s.with(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "email_hash"}},
		DoUpdates: clause.AssignmentColumns([]string{"reason", "note"}),
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("suppress: %w", err)
	}
	return nil
}

// Unsuppress removes an address's hash from the suppression list.
func (s *Store) Unsuppress(ctx context.Context, emailHash string) error {
	if err := s.with(ctx).Where("email_hash = ?", emailHash).Delete(&suppressionRow{}).Error; err != nil {
		return fmt.Errorf("unsuppress: %w", err)
	}
	return nil
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

// AddSuppressionLift implements app.SuppressionStore.
func (s *Store) AddSuppressionLift(ctx context.Context, l *app.SuppressionLift) error {
	var ids []int64
	if err := s.with(ctx).Raw(`INSERT INTO suppression_lifts (email_hash, previous_reason, reason, subscriber_id, actor, lifted_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, l.EmailHash, l.PreviousReason, l.Reason, l.SubscriberID, l.Actor,
		l.LiftedAt.UTC()).Scan(&ids).Error; err != nil {
		return fmt.Errorf("record suppression lift: %w", err)
	}
	if len(ids) == 1 {
		l.ID = ids[0]
	}
	return nil
}

// SuppressionLifts implements app.SuppressionStore.
func (s *Store) SuppressionLifts(ctx context.Context, beforeID int64, limit int) ([]app.SuppressionLift, error) {
	q := s.with(ctx).Table("suppression_lifts").Order("id DESC").Limit(limit)
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var rows []app.SuppressionLift
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list suppression lifts: %w", err)
	}
	for i := range rows {
		rows[i].LiftedAt = rows[i].LiftedAt.UTC()
	}
	return rows, nil
}
