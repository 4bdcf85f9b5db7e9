package store

import (
	"context"
	"fmt"
	"time"

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
	r := adminRow{Email: a.Email, Role: string(a.Role), PasswordHash: a.PasswordHash, CreatedAt: now()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		if isUniqueViolation(err) {
			return app.Errorf(app.ECONFLICT, "an admin with this email exists")
		}
		return fmt.Errorf("create admin: %w", err)
	}
	a.ID, a.CreatedAt = r.ID, r.CreatedAt
	return nil
}

// Admin returns the admin with id.
func (s *Store) Admin(ctx context.Context, id int64) (*app.Admin, error) {
	var r adminRow
	if err := s.with(ctx).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "admin")
	}
	return r.admin(), nil
}

// AdminByEmail returns the admin with that email.
func (s *Store) AdminByEmail(ctx context.Context, email string) (*app.Admin, error) {
	var r adminRow
	if err := s.with(ctx).Where("email = ?", email).Take(&r).Error; err != nil {
		return nil, notFound(err, "admin")
	}
	return r.admin(), nil
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
	r := apiTokenRow{AdminID: adminID, Name: name, TokenHash: tokenHash, CreatedAt: now()}
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
	t := now()
	if err := s.with(ctx).Exec(`UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		t, tokenHash, t.Add(-time.Minute)).Error; err != nil {
		return nil, fmt.Errorf("record token use: %w", err)
	}
	return r.admin(), nil
}

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
	r := auditRow{Actor: e.Actor, Action: e.Action, SubjectType: e.SubjectType, SubjectID: e.SubjectID, Details: e.Details, CreatedAt: now()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("add audit entry: %w", err)
	}
	e.ID, e.CreatedAt = r.ID, r.CreatedAt
	return nil
}
