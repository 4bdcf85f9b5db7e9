package app

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
)

// APITokenPrefix starts every API token so leaked tokens are recognizable.
const APITokenPrefix = "nl_"

// Admins manages operator accounts and their API tokens.
type Admins struct {
	Store Store
}

// Create makes an admin with a generated password, which it returns.
func (a *Admins) Create(ctx context.Context, email string, role Role) (*Admin, string, error) {
	password := RandomSecret(15)
	admin, err := a.CreateWithPassword(ctx, email, role, password)
	return admin, password, err
}

// CreateWithPassword makes an admin with the given password.
func (a *Admins) CreateWithPassword(ctx context.Context, email string, role Role, password string) (*Admin, error) {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" {
		return nil, &Error{Code: EINVALID, Message: "invalid email", Fields: map[string]string{"email": "not an email address"}}
	}
	if !role.Valid() {
		return nil, &Error{Code: EINVALID, Message: "invalid role", Fields: map[string]string{"role": "must be owner, marketer or privacy_officer"}}
	}
	if len(password) < 10 {
		return nil, &Error{Code: EINVALID, Message: "password too short", Fields: map[string]string{"password": "at least 10 characters"}}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	admin := &Admin{Email: strings.ToLower(addr.Address), Role: role, PasswordHash: hash}
	if err := a.Store.Admins().CreateAdmin(ctx, admin); err != nil {
		return nil, err
	}
	return admin, nil
}

// Bootstrap creates the owner from ADMIN_EMAIL/ADMIN_PASSWORD when no admin
// exists yet. It reports whether it created one.
func (a *Admins) Bootstrap(ctx context.Context, email, password string) (bool, error) {
	if email == "" {
		return false, nil
	}
	n, err := a.Store.Admins().CountAdmins(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := a.CreateWithPassword(ctx, email, RoleOwner, password); err != nil {
		if ErrorCode(err) == ECONFLICT { // another process won the race
			return false, nil
		}
		return false, fmt.Errorf("bootstrap admin: %w", err)
	}
	return true, nil
}

// NewToken creates an API token for the admin with email and returns it;
// only its hash is stored.
func (a *Admins) NewToken(ctx context.Context, email, name string) (string, error) {
	admin, err := a.Store.Admins().AdminByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return "", err
	}
	token := APITokenPrefix + RandomSecret(32)
	if err := a.Store.Admins().CreateAPIToken(ctx, admin.ID, name, HashAPIToken(token)); err != nil {
		return "", err
	}
	return token, nil
}

// Authenticate returns the admin owning an API token.
func (a *Admins) Authenticate(ctx context.Context, token string) (*Admin, error) {
	if !strings.HasPrefix(token, APITokenPrefix) {
		return nil, Errorf(EUNAUTHORIZED, "invalid token")
	}
	admin, err := a.Store.Admins().AdminByTokenHash(ctx, HashAPIToken(token))
	if IsNotFound(err) {
		return nil, Errorf(EUNAUTHORIZED, "invalid token")
	}
	return admin, err
}

// PublishPolicy publishes a new version of the privacy policy; earlier
// versions stay readable, and consents keep the version they were given
// under.
func (a *Admins) PublishPolicy(ctx context.Context, actor *Admin, p *PolicyVersion) error {
	p.Version = strings.TrimSpace(p.Version)
	fields := map[string]string{}
	if p.Version == "" || len(p.Version) > 32 || strings.ContainsAny(p.Version, "/?#% ") {
		fields["version"] = "a short name without spaces or slashes, e.g. 2026-12"
	}
	if strings.TrimSpace(p.BodyEN) == "" {
		fields["body_en"] = "required"
	}
	if strings.TrimSpace(p.BodyRU) == "" {
		fields["body_ru"] = "required"
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "invalid policy", Fields: fields}
	}
	return a.Store.Tx(ctx, func(tx Store) error {
		if err := tx.Policies().CreatePolicy(ctx, p); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), "policy_published", "policy", p.ID, "version "+p.Version)
	})
}

// EnsurePolicy publishes the built-in policy as the first version when
// none exists yet.
func (a *Admins) EnsurePolicy(ctx context.Context, version, bodyEN, bodyRU string) error {
	if _, err := a.Store.Policies().CurrentPolicy(ctx); err == nil {
		return nil
	} else if !IsNotFound(err) {
		return err
	}
	err := a.Store.Policies().CreatePolicy(ctx, &PolicyVersion{Version: version, BodyEN: bodyEN, BodyRU: bodyRU})
	if ErrorCode(err) == ECONFLICT {
		return nil // another process published it first
	}
	return err
}
