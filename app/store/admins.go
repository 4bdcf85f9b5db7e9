package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

type adminRow struct {
	ID           int64
	Email        string
	Role         string
	PasswordHash string
	CreatedAt    time.Time
}

func (adminRow) TableName() string { return "admins" }

func (r *adminRow) admin() *app.Admin {
	return &app.Admin{ID: r.ID, Email: r.Email, Role: app.Role(r.Role), PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt}
}

// CreateAdmin inserts an admin; the email must be unused.
func (s *Store) CreateAdmin(ctx context.Context, a *app.Admin) error {
	r := adminRow{Email: a.Email, Role: string(a.Role), PasswordHash: a.PasswordHash, CreatedAt: s.now()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return app.Errorf(app.ECONFLICT, "an admin with this email exists")
		}
		return fmt.Errorf("create admin: %w", err)
	}
	a.ID, a.CreatedAt = r.ID, r.CreatedAt
	return nil
}

// Admin returns the admin with id.
func (s *Store) Admin(ctx context.Context, id int64) (*app.Admin, error) {
	return takeOne(s.with(ctx), "admin", (*adminRow).admin, id)
}

// AdminByEmail returns the admin with that email.
func (s *Store) AdminByEmail(ctx context.Context, email string) (*app.Admin, error) {
	return takeOne(s.with(ctx).Where("email = ?", email), "admin", (*adminRow).admin)
}

// CountAdmins returns how many admins exist.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	var n int64
	if err := s.with(ctx).Model(&adminRow{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

type apiTokenRow struct {
	ID         int64
	AdminID    int64
	Name       string
	TokenHash  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

func (apiTokenRow) TableName() string { return "api_tokens" }

// CreateAPIToken stores the hash of a new API token.
func (s *Store) CreateAPIToken(ctx context.Context, adminID int64, name, tokenHash string) error {
	r := apiTokenRow{AdminID: adminID, Name: name, TokenHash: tokenHash, CreatedAt: s.now()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create api token: %w", err)
	}
	return nil
}

// AdminByTokenHash returns the admin owning the token with that hash.
func (s *Store) AdminByTokenHash(ctx context.Context, tokenHash string) (*app.Admin, error) {
	var r adminRow
	err := s.with(ctx).Raw(`SELECT a.* FROM admins a JOIN api_tokens t ON t.admin_id = a.id WHERE t.token_hash = ?`, tokenHash).
		Take(&r).Error
	if err != nil {
		return nil, notFound(err, "token")
	}
	// Record when the token was last used, at most once a minute.
	t := s.now()
	if err := s.with(ctx).Exec(`UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		t, tokenHash, t.Add(-time.Minute)).Error; err != nil {
		return nil, fmt.Errorf("record token use: %w", err)
	}
	return r.admin(), nil
}

// RecordLogin notes the time of an admin's sign-in.
func (s *Store) RecordLogin(ctx context.Context, adminID int64, at time.Time) error {
	if err := s.with(ctx).Exec(`UPDATE admins SET last_login_at = ? WHERE id = ?`, at.UTC(), adminID).Error; err != nil {
		return fmt.Errorf("record login: %w", err)
	}
	return nil
}

// SetAdminPassword replaces an admin's password hash.
func (s *Store) SetAdminPassword(ctx context.Context, adminID int64, hash string) error {
	res := s.with(ctx).Exec(`UPDATE admins SET password_hash = ? WHERE id = ?`, hash, adminID)
	if res.Error != nil {
		return fmt.Errorf("set admin password: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENOTFOUND, "admin not found")
	}
	return nil
}

// SetAdminRole changes an admin's role.
func (s *Store) SetAdminRole(ctx context.Context, adminID int64, role app.Role) error {
	res := s.with(ctx).Exec(`UPDATE admins SET role = ? WHERE id = ?`, string(role), adminID)
	if res.Error != nil {
		return fmt.Errorf("set admin role: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENOTFOUND, "admin not found")
	}
	return nil
}

// DeleteAdmin deletes an admin; its sessions and API tokens go with it.
func (s *Store) DeleteAdmin(ctx context.Context, adminID int64) error {
	err := s.tx(ctx, func(tx *Store) error {
		db := tx.with(ctx)
		if err := db.Exec(`DELETE FROM admin_sessions WHERE admin_id = ?`, adminID).Error; err != nil {
			return err
		}
		if err := db.Exec(`DELETE FROM api_tokens WHERE admin_id = ?`, adminID).Error; err != nil {
			return err
		}
		return db.Exec(`DELETE FROM admins WHERE id = ?`, adminID).Error
	})
	if err != nil {
		return fmt.Errorf("delete admin: %w", err)
	}
	return nil
}

// ListAdmins returns every admin in email order, without password hashes.
func (s *Store) ListAdmins(ctx context.Context) ([]app.AdminAccount, error) {
	var rows []struct {
		ID          int64
		Email       string
		Role        string
		LastLoginAt *time.Time
		CreatedAt   time.Time
	}
	err := s.with(ctx).Raw(`SELECT id, email, role, last_login_at, created_at
		FROM admins ORDER BY email`).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	out := make([]app.AdminAccount, len(rows))
	for i, r := range rows {
		out[i] = app.AdminAccount{Admin: app.Admin{ID: r.ID, Email: r.Email, Role: app.Role(r.Role), CreatedAt: r.CreatedAt.UTC()},
			LastLoginAt: utcPtr(r.LastLoginAt)}
	}
	return out, nil
}

// APITokens lists every API token with its admin, newest first.
func (s *Store) APITokens(ctx context.Context) ([]app.APITokenInfo, error) {
	var rows []struct {
		ID         int64
		AdminID    int64
		AdminEmail string
		Name       string
		CreatedAt  time.Time
		LastUsedAt *time.Time
	}
	err := s.with(ctx).Raw(`SELECT t.id, t.admin_id, a.email AS admin_email, t.name, t.created_at, t.last_used_at
		FROM api_tokens t JOIN admins a ON a.id = t.admin_id ORDER BY t.id DESC`).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	out := make([]app.APITokenInfo, len(rows))
	for i, r := range rows {
		out[i] = app.APITokenInfo{ID: r.ID, AdminID: r.AdminID, AdminEmail: r.AdminEmail, Name: r.Name,
			CreatedAt: r.CreatedAt.UTC(), LastUsedAt: utcPtr(r.LastUsedAt)}
	}
	return out, nil
}

// DeleteAdminAPITokens revokes every API token of an admin.
func (s *Store) DeleteAdminAPITokens(ctx context.Context, adminID int64) (int64, error) {
	res := s.with(ctx).Exec(`DELETE FROM api_tokens WHERE admin_id = ?`, adminID)
	if res.Error != nil {
		return 0, fmt.Errorf("delete admin api tokens: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// DeleteAPIToken revokes an API token.
func (s *Store) DeleteAPIToken(ctx context.Context, id int64) error {
	res := s.with(ctx).Exec(`DELETE FROM api_tokens WHERE id = ?`, id)
	if res.Error != nil {
		return fmt.Errorf("delete api token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENOTFOUND, "token not found")
	}
	return nil
}

// AdminEmails returns the addresses of the admins with the given ids, in
// one query; ids of deleted admins are missing from the map.
func (s *Store) AdminEmails(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID    int64
		Email string
	}
	if err := s.with(ctx).Raw(`SELECT id, email FROM admins WHERE id IN ?`, ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("admin emails: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Email
	}
	return out, nil
}
