package store

import (
	"context"
	"fmt"
	"time"

	"newsletter/app"
)

// The sign-in throttle's records: one row per account and source (and one
// per account for all sources), keyed by keyed hashes, never by an address.

type loginRecordRow struct {
	AccountKey    string
	SourceKey     string
	Failures      int
	BlockedUntil  *time.Time
	LastFailureAt *time.Time
	LastSuccessAt *time.Time
	UpdatedAt     time.Time
}

func (loginRecordRow) TableName() string { return "admin_login_throttle" }

// LoginRecord returns the sign-in record of account from source (the zero
// record when there is none).
func (s *Store) LoginRecord(ctx context.Context, account, source string) (app.LoginRecord, error) {
	var rows []loginRecordRow
	err := s.with(ctx).Where("account_key = ? AND source_key = ?", account, source).Limit(1).Find(&rows).Error
	if err != nil {
		return app.LoginRecord{}, fmt.Errorf("login record: %w", err)
	}
	if len(rows) == 0 {
		return app.LoginRecord{}, nil
	}
	r := rows[0]
	return app.LoginRecord{Failures: r.Failures, BlockedUntil: utcPtr(r.BlockedUntil), LastSuccessAt: utcPtr(r.LastSuccessAt)}, nil
}

// AddLoginFailure counts a failed attempt and returns the failures in a
// row; a run whose last failure is older than since starts afresh. One
// statement, so concurrent failures cannot undercount.
func (s *Store) AddLoginFailure(ctx context.Context, account, source string, at, since time.Time) (int, error) {
	var n []int
	err := s.with(ctx).Raw(`INSERT INTO admin_login_throttle (account_key, source_key, failures, last_failure_at, updated_at)
		VALUES (?, ?, 1, ?, ?)
		ON CONFLICT (account_key, source_key) DO UPDATE SET
			failures = CASE WHEN admin_login_throttle.last_failure_at IS NULL OR admin_login_throttle.last_failure_at < ?
				THEN 1 ELSE admin_login_throttle.failures + 1 END,
			last_failure_at = excluded.last_failure_at, updated_at = excluded.updated_at
		RETURNING failures`, account, source, at.UTC(), at.UTC(), since.UTC()).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("add login failure: %w", err)
	}
	if len(n) == 0 {
		return 0, fmt.Errorf("add login failure: no row")
	}
	return n[0], nil
}

// BlockLogin makes source wait until until before trying account again.
func (s *Store) BlockLogin(ctx context.Context, account, source string, until time.Time) error {
	err := s.with(ctx).Exec(`UPDATE admin_login_throttle SET blocked_until = ? WHERE account_key = ? AND source_key = ?`,
		until.UTC(), account, source).Error
	if err != nil {
		return fmt.Errorf("block login: %w", err)
	}
	return nil
}

// LoginSucceeded clears the failures and the wait of account from source
// and notes the success.
func (s *Store) LoginSucceeded(ctx context.Context, account, source string, at time.Time) error {
	err := s.with(ctx).Exec(`INSERT INTO admin_login_throttle (account_key, source_key, failures, last_success_at, updated_at)
		VALUES (?, ?, 0, ?, ?)
		ON CONFLICT (account_key, source_key) DO UPDATE SET failures = 0, blocked_until = NULL,
			last_success_at = excluded.last_success_at, updated_at = excluded.updated_at`,
		account, source, at.UTC(), at.UTC()).Error
	if err != nil {
		return fmt.Errorf("record login success: %w", err)
	}
	return nil
}

// ClearLoginBlocks clears the failures and waits of account from every
// source; the sources it succeeded from stay known.
func (s *Store) ClearLoginBlocks(ctx context.Context, account string) error {
	err := s.with(ctx).Exec(`UPDATE admin_login_throttle SET failures = 0, blocked_until = NULL WHERE account_key = ?`, account).Error
	if err != nil {
		return fmt.Errorf("clear login blocks: %w", err)
	}
	return nil
}

// LoginBlockedUntil returns the latest wait on account (nil: none).
func (s *Store) LoginBlockedUntil(ctx context.Context, account string) (*time.Time, error) {
	var rows []loginRecordRow
	err := s.with(ctx).Where("account_key = ? AND blocked_until IS NOT NULL", account).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("login blocked until: %w", err)
	}
	var latest *time.Time
	for _, r := range rows {
		if latest == nil || r.BlockedUntil.After(*latest) {
			latest = utcPtr(r.BlockedUntil)
		}
	}
	return latest, nil
}

// PurgeLoginRecords deletes the records untouched since failedBefore whose
// last success, if any, is older than succeededBefore.
func (s *Store) PurgeLoginRecords(ctx context.Context, failedBefore, succeededBefore time.Time) (int64, error) {
	res := s.with(ctx).Exec(`DELETE FROM admin_login_throttle WHERE updated_at < ?
		AND (blocked_until IS NULL OR blocked_until < ?) AND (last_success_at IS NULL OR last_success_at < ?)`,
		failedBefore.UTC(), failedBefore.UTC(), succeededBefore.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("purge login records: %w", res.Error)
	}
	return res.RowsAffected, nil
}
