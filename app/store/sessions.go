package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"newsletter/app"
)

// This file keeps what the admin console needs of its own: sessions,
// sign-in bookkeeping, accounts, API token listings, and the counts of
// the dashboard.

type adminSessionRow struct {
	IDHash        string `gorm:"primaryKey"`
	AdminID       int64
	CSRFToken     string `gorm:"column:csrf_token"`
	Locale        string
	UserAgentHash string
	CreatedAt     time.Time
	LastSeenAt    time.Time
	ExpiresAt     time.Time
}

func (adminSessionRow) TableName() string { return "admin_sessions" }

// CreateAdminSession stores a new console session.
func (s *Store) CreateAdminSession(ctx context.Context, a *app.AdminSession) error {
	r := adminSessionRow{IDHash: a.IDHash, AdminID: a.AdminID, CSRFToken: a.CSRFToken, Locale: a.Locale,
		UserAgentHash: a.UserAgentHash, CreatedAt: a.CreatedAt.UTC(), LastSeenAt: a.LastSeenAt.UTC(), ExpiresAt: a.ExpiresAt.UTC()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create admin session: %w", err)
	}
	return nil
}

// AdminSession returns the session whose id has hash idHash.
func (s *Store) AdminSession(ctx context.Context, idHash string) (*app.AdminSession, error) {
	var r adminSessionRow
	if err := s.with(ctx).Where("id_hash = ?", idHash).Take(&r).Error; err != nil {
		return nil, notFound(err, "session")
	}
	return &app.AdminSession{IDHash: r.IDHash, AdminID: r.AdminID, CSRFToken: r.CSRFToken, Locale: r.Locale,
		UserAgentHash: r.UserAgentHash, CreatedAt: r.CreatedAt.UTC(), LastSeenAt: r.LastSeenAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// TouchAdminSession records activity on a session and its language.
func (s *Store) TouchAdminSession(ctx context.Context, idHash string, at time.Time, locale string) error {
	err := s.with(ctx).Exec(`UPDATE admin_sessions SET last_seen_at = ?, locale = ? WHERE id_hash = ?`, at.UTC(), locale, idHash).Error
	if err != nil {
		return fmt.Errorf("touch admin session: %w", err)
	}
	return nil
}

// DeleteAdminSession ends one session.
func (s *Store) DeleteAdminSession(ctx context.Context, idHash string) error {
	if err := s.with(ctx).Exec(`DELETE FROM admin_sessions WHERE id_hash = ?`, idHash).Error; err != nil {
		return fmt.Errorf("delete admin session: %w", err)
	}
	return nil
}

// DeleteAdminSessions ends every session of an admin except keepHash.
func (s *Store) DeleteAdminSessions(ctx context.Context, adminID int64, keepHash string) (int64, error) {
	res := s.with(ctx).Exec(`DELETE FROM admin_sessions WHERE admin_id = ? AND id_hash <> ?`, adminID, keepHash)
	if res.Error != nil {
		return 0, fmt.Errorf("delete admin sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// PurgeAdminSessions deletes sessions that expired before before.
func (s *Store) PurgeAdminSessions(ctx context.Context, before time.Time) (int64, error) {
	res := s.with(ctx).Exec(`DELETE FROM admin_sessions WHERE expires_at < ?`, before.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("purge admin sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// SubscriberCounts counts subscribers by status.
func (s *Store) SubscriberCounts(ctx context.Context) (map[app.SubscriberStatus]int64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	if err := s.with(ctx).Raw(`SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status`).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count subscribers: %w", err)
	}
	out := map[app.SubscriberStatus]int64{}
	for _, r := range rows {
		out[app.SubscriberStatus(r.Status)] = r.N
	}
	return out, nil
}

// ConsentActivity counts consents granted and withdrawn per day of the
// time zone loc since since, oldest first; days without events are
// absent. The database counts per hour (UTC) and the hours are put on
// their day in loc: exact for zones whose offset is whole hours; in a
// zone with half an hour (India), the events of the half hour after
// midnight count for the day before.
func (s *Store) ConsentActivity(ctx context.Context, since time.Time, loc *time.Location) ([]app.ConsentDay, error) {
	hour := `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')`
	if s.dialect == SQLite {
		hour = `substr(created_at, 1, 13)`
	}
	var rows []struct {
		Hour      string
		Granted   int64
		Withdrawn int64
	}
	err := s.with(ctx).Raw(`SELECT `+hour+` AS hour,
			SUM(CASE WHEN action = 'granted' THEN 1 ELSE 0 END) AS granted,
			SUM(CASE WHEN action = 'withdrawn' THEN 1 ELSE 0 END) AS withdrawn
		FROM consent_events WHERE created_at >= ? GROUP BY 1 ORDER BY 1`, since.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("consent activity: %w", err)
	}
	out := make([]app.ConsentDay, 0, len(rows)/24+1)
	for _, r := range rows {
		h, err := time.Parse("2006-01-02 15", strings.Replace(r.Hour, "T", " ", 1))
		if err != nil {
			return nil, fmt.Errorf("consent activity: hour %q: %w", r.Hour, err)
		}
		y, m, d := h.In(loc).Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, loc)
		if n := len(out); n > 0 && out[n-1].Day.Equal(day) {
			out[n-1].Granted += r.Granted
			out[n-1].Withdrawn += r.Withdrawn
			continue
		}
		out = append(out, app.ConsentDay{Day: day, Granted: r.Granted, Withdrawn: r.Withdrawn})
	}
	return out, nil
}
