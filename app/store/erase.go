package store

import (
	"context"
	"fmt"
	"time"

	"newsletter/app"
)

// ErasePersonalData destroys every piece of personal data of a subscriber:
// the subscriber row keeps only its id, status erased and times; consent
// events lose IP, user agent and page; pending confirmations are deleted.
// Tables added later (inbound mail, deliveries) erase theirs in
// eraseExtra.
func (s *Store) ErasePersonalData(ctx context.Context, subscriberID int64, at time.Time) error {
	db := s.with(ctx)
	steps := []struct {
		what string
		sql  string
		args []any
	}{
		{"subscriber", `UPDATE subscribers SET email = NULL, email_hash = NULL, name = NULL, phone = NULL,
			status = 'erased', block_reason = '', erased_at = ?, updated_at = ? WHERE id = ?`, []any{at.UTC(), at.UTC(), subscriberID}},
		{"consent evidence", `UPDATE consent_events SET ip = NULL, user_agent = NULL, page = '' WHERE subscriber_id = ?`, []any{subscriberID}},
		{"confirmations", `DELETE FROM confirmations WHERE subscriber_id = ?`, []any{subscriberID}},
	}
	for _, st := range steps {
		if err := db.Exec(st.sql, st.args...).Error; err != nil {
			return fmt.Errorf("erase %s: %w", st.what, err)
		}
	}
	for _, extra := range eraseExtra {
		if err := db.Exec(extra, subscriberID).Error; err != nil {
			return fmt.Errorf("erase: %w", err)
		}
	}
	return s.RecordEvent(ctx, app.Event{Type: app.EventSubscriberErased, At: at, Data: app.EventData{SubscriberID: subscriberID}})
}

// eraseExtra are statements (one ? for the subscriber id) that destroy a
// subscriber's personal data in tables of later migrations.
var eraseExtra = []string{
	`UPDATE inbound_messages SET raw = NULL, summary = NULL, sender_hash = NULL WHERE subscriber_id = ?`,
	`UPDATE newsletter_events SET ip = NULL, user_agent = NULL, page = '' WHERE subscriber_id = ?`,
}

type destructionRow struct {
	ID           int64
	SubscriberID int64
	FullName     string
	Categories   string
	System       string
	Reason       string
	DestroyedAt  time.Time
}

func (destructionRow) TableName() string { return "destructions" }

// CreateDestruction writes a destruction record.
func (s *Store) CreateDestruction(ctx context.Context, d *app.Destruction) error {
	r := destructionRow{SubscriberID: d.SubscriberID, FullName: d.FullName, Categories: d.Categories, System: d.System,
		Reason: d.Reason, DestroyedAt: d.DestroyedAt.UTC()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create destruction record: %w", err)
	}
	d.ID = r.ID
	return nil
}

// Destructions lists destruction records, oldest first, after afterID.
func (s *Store) Destructions(ctx context.Context, afterID int64, limit int) ([]app.Destruction, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	var rows []destructionRow
	if err := s.with(ctx).Where("id > ?", afterID).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list destructions: %w", err)
	}
	out := make([]app.Destruction, len(rows))
	for i, r := range rows {
		out[i] = app.Destruction{ID: r.ID, SubscriberID: r.SubscriberID, FullName: r.FullName, Categories: r.Categories,
			System: r.System, Reason: r.Reason, DestroyedAt: r.DestroyedAt}
	}
	return out, nil
}

// ExpiredPending returns ids of subscribers still pending that were created
// before cutoff and have no confirmation newer than cutoff.
func (s *Store) ExpiredPending(ctx context.Context, cutoff time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := s.with(ctx).Raw(`SELECT id FROM subscribers s WHERE s.status = 'pending' AND s.created_at < ?
		AND NOT EXISTS (SELECT 1 FROM confirmations c WHERE c.subscriber_id = s.id AND c.created_at >= ?)
		ORDER BY id LIMIT ?`, cutoff.UTC(), cutoff.UTC(), limit).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("find expired pending: %w", err)
	}
	return ids, nil
}

// DeleteConfirmationsBefore deletes confirmations (with the personal data
// they hold) created before cutoff.
func (s *Store) DeleteConfirmationsBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.with(ctx).Exec(`DELETE FROM confirmations WHERE created_at < ?`, cutoff.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired confirmations: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// PurgeDestructions deletes destruction records older than cutoff (they
// are kept three years).
func (s *Store) PurgeDestructions(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.with(ctx).Exec(`DELETE FROM destructions WHERE destroyed_at < ?`, cutoff.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("purge destructions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// DeletePendingSubscriber deletes a subscriber that never confirmed, with
// its confirmations; it reports false when the subscriber is no longer
// pending (it confirmed in the meantime).
func (s *Store) DeletePendingSubscriber(ctx context.Context, id int64) (bool, error) {
	deleted := false
	err := s.tx(ctx, func(tx *Store) error {
		db := tx.with(ctx)
		var status []string
		q := db.Raw(`SELECT status FROM subscribers WHERE id = ?`, id)
		if s.dialect == Postgres {
			q = db.Raw(`SELECT status FROM subscribers WHERE id = ? FOR UPDATE`, id)
		}
		if err := q.Scan(&status).Error; err != nil {
			return err
		}
		if len(status) == 0 || status[0] != string(app.StatusPending) {
			return nil
		}
		for _, stmt := range []string{
			`DELETE FROM confirmations WHERE subscriber_id = ?`,
			`DELETE FROM consent_events WHERE subscriber_id = ?`,
			`DELETE FROM consents WHERE subscriber_id = ?`,
			`DELETE FROM newsletter_events WHERE subscriber_id = ?`,
			`DELETE FROM newsletter_members WHERE subscriber_id = ?`,
			`UPDATE requests SET subscriber_id = NULL WHERE subscriber_id = ?`,
			`DELETE FROM subscribers WHERE id = ?`,
		} {
			if err := db.Exec(stmt, id).Error; err != nil {
				return err
			}
		}
		deleted = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("delete pending subscriber: %w", err)
	}
	return deleted, nil
}
