package store

import (
	"context"
	"fmt"
	"time"

	"newsletter/app"
)

// Two-factor sign-in of the console (app.TwoFactorStore): enrolments,
// recovery codes, pending sign-ins and the console's settings.

type twoFactorRow struct {
	AdminID      int64 `gorm:"primaryKey"`
	SecretSealed string
	ConfirmedAt  *time.Time
	LastStep     int64
	CreatedAt    time.Time
}

func (twoFactorRow) TableName() string { return "admin_twofactor" }

// TwoFactorSecret returns an admin's enrolment.
func (s *Store) TwoFactorSecret(ctx context.Context, adminID int64) (*app.TwoFactorSecret, error) {
	var r twoFactorRow
	if err := s.with(ctx).Where("admin_id = ?", adminID).Take(&r).Error; err != nil {
		return nil, notFound(err, "two-factor enrolment")
	}
	return &app.TwoFactorSecret{AdminID: r.AdminID, Sealed: r.SecretSealed, ConfirmedAt: utcPtr(r.ConfirmedAt), LastStep: r.LastStep}, nil
}

// StartTwoFactor stores a new unconfirmed enrolment, replacing an
// unconfirmed one.
func (s *Store) StartTwoFactor(ctx context.Context, adminID int64, sealed string, at time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		db := tx.with(ctx)
		var n int64
		if err := db.Model(&twoFactorRow{}).Where("admin_id = ? AND confirmed_at IS NOT NULL", adminID).Count(&n).Error; err != nil {
			return fmt.Errorf("start two-factor: %w", err)
		}
		if n > 0 {
			return app.Errorf(app.ECONFLICT, "Two-factor sign-in is already on.")
		}
		if err := db.Exec(`DELETE FROM admin_twofactor WHERE admin_id = ?`, adminID).Error; err != nil {
			return fmt.Errorf("start two-factor: %w", err)
		}
		if err := db.Create(&twoFactorRow{AdminID: adminID, SecretSealed: sealed, CreatedAt: at.UTC()}).Error; err != nil {
			return fmt.Errorf("start two-factor: %w", err)
		}
		return nil
	})
}

// ConfirmTwoFactor turns the unconfirmed enrolment on with its recovery
// codes.
func (s *Store) ConfirmTwoFactor(ctx context.Context, adminID, step int64, codeHashes []string, at time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		db := tx.with(ctx)
		res := db.Exec(`UPDATE admin_twofactor SET confirmed_at = ?, last_step = ? WHERE admin_id = ? AND confirmed_at IS NULL`,
			at.UTC(), step, adminID)
		if res.Error != nil {
			return fmt.Errorf("confirm two-factor: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return app.Errorf(app.ECONFLICT, "There is no enrolment to confirm: open the two-factor page again.")
		}
		return tx.putRecoveryCodes(ctx, adminID, codeHashes)
	})
}

// ReplaceRecoveryCodes replaces the recovery codes of a confirmed
// enrolment, used or not, with codeHashes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, adminID int64, codeHashes []string) error {
	return s.tx(ctx, func(tx *Store) error {
		var n int64
		if err := tx.with(ctx).Raw(`SELECT COUNT(*) FROM admin_twofactor WHERE admin_id = ? AND confirmed_at IS NOT NULL`,
			adminID).Scan(&n).Error; err != nil {
			return fmt.Errorf("replace recovery codes: %w", err)
		}
		if n == 0 {
			return app.Errorf(app.ECONFLICT, "Two-factor sign-in is off: there are no recovery codes to renew.")
		}
		return tx.putRecoveryCodes(ctx, adminID, codeHashes)
	})
}

// putRecoveryCodes replaces an admin's recovery codes with codeHashes
// (inside a transaction).
func (s *Store) putRecoveryCodes(ctx context.Context, adminID int64, codeHashes []string) error {
	db := s.with(ctx)
	if err := db.Exec(`DELETE FROM admin_recovery_codes WHERE admin_id = ?`, adminID).Error; err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	for _, h := range codeHashes {
		if err := db.Exec(`INSERT INTO admin_recovery_codes (admin_id, code_hash) VALUES (?, ?)`, adminID, h).Error; err != nil {
			return fmt.Errorf("store recovery code: %w", err)
		}
	}
	return nil
}

// TakeTwoFactorStep records step as the last one taken when it is later.
func (s *Store) TakeTwoFactorStep(ctx context.Context, adminID, step int64) (bool, error) {
	res := s.with(ctx).Exec(`UPDATE admin_twofactor SET last_step = ? WHERE admin_id = ? AND last_step < ? AND confirmed_at IS NOT NULL`,
		step, adminID, step)
	if res.Error != nil {
		return false, fmt.Errorf("take two-factor step: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UseRecoveryCode marks an unused recovery code used.
func (s *Store) UseRecoveryCode(ctx context.Context, adminID int64, codeHash string, at time.Time) (bool, error) {
	res := s.with(ctx).Exec(`UPDATE admin_recovery_codes SET used_at = ? WHERE admin_id = ? AND code_hash = ? AND used_at IS NULL`,
		at.UTC(), adminID, codeHash)
	if res.Error != nil {
		return false, fmt.Errorf("use recovery code: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// RecoveryCodesLeft counts an admin's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, adminID int64) (int, error) {
	var n int64
	err := s.with(ctx).Raw(`SELECT COUNT(*) FROM admin_recovery_codes WHERE admin_id = ? AND used_at IS NULL`, adminID).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return int(n), nil
}

// DeleteTwoFactor removes an enrolment and its recovery codes.
func (s *Store) DeleteTwoFactor(ctx context.Context, adminID int64) (bool, error) {
	had := false
	err := s.tx(ctx, func(tx *Store) error {
		db := tx.with(ctx)
		if err := db.Exec(`DELETE FROM admin_recovery_codes WHERE admin_id = ?`, adminID).Error; err != nil {
			return err
		}
		res := db.Exec(`DELETE FROM admin_twofactor WHERE admin_id = ?`, adminID)
		had = res.RowsAffected > 0
		return res.Error
	})
	if err != nil {
		return false, fmt.Errorf("delete two-factor: %w", err)
	}
	return had, nil
}

// TwoFactorAdmins returns the ids of the admins with two-factor on.
func (s *Store) TwoFactorAdmins(ctx context.Context) (map[int64]bool, error) {
	var ids []int64
	if err := s.with(ctx).Raw(`SELECT admin_id FROM admin_twofactor WHERE confirmed_at IS NOT NULL`).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("two-factor admins: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// ConsoleSetting returns a console setting ("" when unset).
func (s *Store) ConsoleSetting(ctx context.Context, name string) (string, error) {
	var v []string
	if err := s.with(ctx).Raw(`SELECT value FROM console_settings WHERE name = ?`, name).Scan(&v).Error; err != nil {
		return "", fmt.Errorf("console setting: %w", err)
	}
	if len(v) == 0 {
		return "", nil
	}
	return v[0], nil
}

// SetConsoleSetting sets a console setting.
func (s *Store) SetConsoleSetting(ctx context.Context, name, value string, at time.Time) error {
	err := s.with(ctx).Exec(`INSERT INTO console_settings (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, value, at.UTC()).Error
	if err != nil {
		return fmt.Errorf("set console setting: %w", err)
	}
	return nil
}

type pendingLoginRow struct {
	IDHash        string `gorm:"primaryKey"`
	AdminID       int64
	Stage         string
	UserAgentHash string
	Device        string
	Failures      int
	ExpiresAt     time.Time
}

func (pendingLoginRow) TableName() string { return "admin_pending_logins" }

// CreatePendingLogin stores a pending sign-in.
func (s *Store) CreatePendingLogin(ctx context.Context, p *app.PendingLogin) error {
	r := pendingLoginRow{IDHash: p.IDHash, AdminID: p.AdminID, Stage: p.Stage, UserAgentHash: p.UserAgentHash, Device: p.Device,
		ExpiresAt: p.ExpiresAt.UTC()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create pending sign-in: %w", err)
	}
	return nil
}

// PendingLogin returns the pending sign-in whose id has hash idHash.
func (s *Store) PendingLogin(ctx context.Context, idHash string) (*app.PendingLogin, error) {
	var r pendingLoginRow
	if err := s.with(ctx).Where("id_hash = ?", idHash).Take(&r).Error; err != nil {
		return nil, notFound(err, "pending sign-in")
	}
	return &app.PendingLogin{IDHash: r.IDHash, AdminID: r.AdminID, Stage: r.Stage, UserAgentHash: r.UserAgentHash, Device: r.Device,
		Failures: r.Failures, ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// AddPendingFailure counts a wrong code on a pending sign-in.
func (s *Store) AddPendingFailure(ctx context.Context, idHash string) (int, error) {
	if err := s.with(ctx).Exec(`UPDATE admin_pending_logins SET failures = failures + 1 WHERE id_hash = ?`, idHash).Error; err != nil {
		return 0, fmt.Errorf("count pending failure: %w", err)
	}
	var n []int
	if err := s.with(ctx).Raw(`SELECT failures FROM admin_pending_logins WHERE id_hash = ?`, idHash).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("count pending failure: %w", err)
	}
	if len(n) == 0 {
		return maxInt, nil
	}
	return n[0], nil
}

// maxInt counts the failures of a pending sign-in that is gone.
const maxInt = int(^uint(0) >> 1)

// DeletePendingLogin ends a pending sign-in.
func (s *Store) DeletePendingLogin(ctx context.Context, idHash string) error {
	if err := s.with(ctx).Exec(`DELETE FROM admin_pending_logins WHERE id_hash = ?`, idHash).Error; err != nil {
		return fmt.Errorf("delete pending sign-in: %w", err)
	}
	return nil
}

// PurgePendingLogins deletes the pending sign-ins expired before before.
func (s *Store) PurgePendingLogins(ctx context.Context, before time.Time) error {
	if err := s.with(ctx).Exec(`DELETE FROM admin_pending_logins WHERE expires_at < ?`, before.UTC()).Error; err != nil {
		return fmt.Errorf("purge pending sign-ins: %w", err)
	}
	return nil
}
