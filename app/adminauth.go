package app

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// AdminSession is a signed-in operator's session of the admin console. The
// browser holds a random id; the database holds only its hash, so a copy
// of the table opens no session.
type AdminSession struct {
	// RawID is the cookie value; set only when the session is created.
	RawID         string
	IDHash        string
	AdminID       int64
	CSRFToken     string
	Locale        string
	UserAgentHash string
	CreatedAt     time.Time
	LastSeenAt    time.Time
	ExpiresAt     time.Time
}

// AdminAccount is an admin as the user management page shows it.
type AdminAccount struct {
	Admin
	FailedLogins int        `json:"failed_logins"`
	LockedUntil  *time.Time `json:"locked_until"`
	LastLoginAt  *time.Time `json:"last_login_at"`
}

// APITokenInfo describes an API token without the token itself.
type APITokenInfo struct {
	ID         int64      `json:"id"`
	AdminID    int64      `json:"admin_id"`
	AdminEmail string     `json:"admin_email"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// AdminAuthStore is the persistence sign-in, sessions and accounts need.
type AdminAuthStore interface {
	Admin(ctx context.Context, id int64) (*Admin, error)
	AdminByEmail(ctx context.Context, email string) (*Admin, error)
	AddAudit(ctx context.Context, e *AuditEntry) error

	// AdminLockedUntil returns until when an admin's sign-in is locked
	// (nil: not locked).
	AdminLockedUntil(ctx context.Context, adminID int64) (*time.Time, error)
	// RecordLoginFailure counts a failed sign-in; the max-th failure in a
	// row locks the account until lockUntil and starts counting afresh.
	// It reports whether this failure locked the account.
	RecordLoginFailure(ctx context.Context, adminID int64, max int, lockUntil time.Time) (bool, error)
	// RecordLogin clears the failures and the lock and notes the time.
	RecordLogin(ctx context.Context, adminID int64, at time.Time) error
	SetAdminPassword(ctx context.Context, adminID int64, hash string) error
	SetAdminRole(ctx context.Context, adminID int64, role Role) error
	DeleteAdmin(ctx context.Context, adminID int64) error
	ListAdmins(ctx context.Context) ([]AdminAccount, error)

	CreateAdminSession(ctx context.Context, s *AdminSession) error
	AdminSession(ctx context.Context, idHash string) (*AdminSession, error)
	TouchAdminSession(ctx context.Context, idHash string, at time.Time, locale string) error
	DeleteAdminSession(ctx context.Context, idHash string) error
	// DeleteAdminSessions ends every session of an admin except keepHash.
	DeleteAdminSessions(ctx context.Context, adminID int64, keepHash string) (int64, error)
	PurgeAdminSessions(ctx context.Context, before time.Time) (int64, error)

	APITokens(ctx context.Context) ([]APITokenInfo, error)
	DeleteAPIToken(ctx context.Context, id int64) error
}

// Defaults of AdminAuth.
const (
	DefaultMaxLoginFailures = 5
	DefaultLockout          = 15 * time.Minute
	DefaultSessionTTL       = 12 * time.Hour
	DefaultIdleTimeout      = time.Hour
	// sessionTouchEvery limits last-seen writes to one a minute per session.
	sessionTouchEvery = time.Minute
	passwordMin       = 10
	passwordMax       = 200
)

// AdminAuth signs operators in and out of the admin console, keeps their
// sessions, locks accounts after repeated failures, and manages accounts
// and API tokens for owners.
type AdminAuth struct {
	Store  AdminAuthStore
	Admins *Admins
	// MaxFailures failed sign-ins in a row lock the account for Lockout.
	MaxFailures int
	Lockout     time.Duration
	// SessionTTL is the longest a session lives; IdleTimeout ends it
	// sooner when unused.
	SessionTTL  time.Duration
	IdleTimeout time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	dummyOnce sync.Once
	dummyHash string
}

func (a *AdminAuth) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *AdminAuth) maxFailures() int {
	if a.MaxFailures > 0 {
		return a.MaxFailures
	}
	return DefaultMaxLoginFailures
}

func (a *AdminAuth) lockout() time.Duration {
	if a.Lockout > 0 {
		return a.Lockout
	}
	return DefaultLockout
}

func (a *AdminAuth) sessionTTL() time.Duration {
	if a.SessionTTL > 0 {
		return a.SessionTTL
	}
	return DefaultSessionTTL
}

func (a *AdminAuth) idleTimeout() time.Duration {
	if a.IdleTimeout > 0 {
		return a.IdleTimeout
	}
	return DefaultIdleTimeout
}

// hashSecret is the stored form of a session id or a user agent.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ErrBadCredentials is the one answer to a wrong email or password.
var ErrBadCredentials = &Error{Code: EUNAUTHORIZED, Message: "Wrong email or password."}

// ErrUnknownAccount is ErrBadCredentials for an address with no account:
// the same code and message, so the person sees the same answer, but the
// caller can count these failures too (the web layer does, per address),
// so that an unknown address "locks" after as many failures as a real one
// and the lockout reveals nothing.
var ErrUnknownAccount = &Error{Code: EUNAUTHORIZED, Message: ErrBadCredentials.Message}

// LockoutPolicy returns how many failed sign-ins in a row lock an account,
// and for how long.
func (a *AdminAuth) LockoutPolicy() (maxFailures int, lockout time.Duration) {
	return a.maxFailures(), a.lockout()
}

// ErrLocked answers a sign-in to a locked account.
var ErrLocked = &Error{Code: ERATELIMIT, Message: "Too many failed sign-ins: this account is locked for a while. Try again later."}

// Login checks an email and password and opens a session. A wrong
// password counts towards the lockout; while locked, even the right
// password is refused. An unknown email costs the same time as a known
// one, so the answer does not tell which addresses have accounts.
func (a *AdminAuth) Login(ctx context.Context, email, password, userAgent string) (*AdminSession, *Admin, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || password == "" || len(password) > passwordMax {
		return nil, nil, ErrBadCredentials
	}
	admin, err := a.Store.AdminByEmail(ctx, email)
	if IsNotFound(err) {
		a.dummyOnce.Do(func() { a.dummyHash, _ = HashPassword(RandomSecret(12)) })
		CheckPassword(a.dummyHash, password)
		return nil, nil, ErrUnknownAccount
	}
	if err != nil {
		return nil, nil, err
	}
	now := a.now()
	locked, err := a.Store.AdminLockedUntil(ctx, admin.ID)
	if err != nil {
		return nil, nil, err
	}
	if locked != nil && locked.After(now) {
		return nil, nil, ErrLocked
	}
	if !CheckPassword(admin.PasswordHash, password) {
		nowLocked, err := a.Store.RecordLoginFailure(ctx, admin.ID, a.maxFailures(), now.Add(a.lockout()))
		if err != nil {
			return nil, nil, err
		}
		if nowLocked {
			if err := a.audit(ctx, admin, "admin_locked", admin.ID, ""); err != nil {
				return nil, nil, err
			}
			return nil, nil, ErrLocked
		}
		return nil, nil, ErrBadCredentials
	}
	if err := a.Store.RecordLogin(ctx, admin.ID, now); err != nil {
		return nil, nil, err
	}
	if _, err := a.Store.PurgeAdminSessions(ctx, now); err != nil {
		return nil, nil, err
	}
	raw := RandomSecret(32)
	s := &AdminSession{RawID: raw, IDHash: hashSecret(raw), AdminID: admin.ID, CSRFToken: RandomSecret(32),
		UserAgentHash: hashSecret(userAgent), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(a.sessionTTL())}
	if err := a.Store.CreateAdminSession(ctx, s); err != nil {
		return nil, nil, err
	}
	if err := a.audit(ctx, admin, "admin_signed_in", admin.ID, ""); err != nil {
		return nil, nil, err
	}
	return s, admin, nil
}

// Session returns the live session with cookie value rawID and its admin.
// A missing, expired, idle or foreign-browser session is EUNAUTHORIZED
// (and an expired one is deleted).
func (a *AdminAuth) Session(ctx context.Context, rawID, userAgent string) (*AdminSession, *Admin, error) {
	if rawID == "" || len(rawID) > 128 {
		return nil, nil, Errorf(EUNAUTHORIZED, "not signed in")
	}
	s, err := a.Store.AdminSession(ctx, hashSecret(rawID))
	if IsNotFound(err) {
		return nil, nil, Errorf(EUNAUTHORIZED, "not signed in")
	}
	if err != nil {
		return nil, nil, err
	}
	now := a.now()
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= a.idleTimeout() ||
		subtle.ConstantTimeCompare([]byte(s.UserAgentHash), []byte(hashSecret(userAgent))) != 1 {
		if err := a.Store.DeleteAdminSession(ctx, s.IDHash); err != nil {
			return nil, nil, err
		}
		return nil, nil, Errorf(EUNAUTHORIZED, "session expired")
	}
	admin, err := a.Store.Admin(ctx, s.AdminID)
	if IsNotFound(err) {
		return nil, nil, Errorf(EUNAUTHORIZED, "not signed in")
	}
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(s.LastSeenAt) >= sessionTouchEvery {
		if err := a.Store.TouchAdminSession(ctx, s.IDHash, now, s.Locale); err != nil {
			return nil, nil, err
		}
		s.LastSeenAt = now
	}
	return s, admin, nil
}

// SetLocale remembers the console language of a session.
func (a *AdminAuth) SetLocale(ctx context.Context, s *AdminSession, locale string) error {
	if locale != "en" && locale != "ru" {
		return Errorf(EINVALID, "unknown language")
	}
	s.Locale = locale
	return a.Store.TouchAdminSession(ctx, s.IDHash, a.now(), locale)
}

// CheckCSRF reports whether token is the session's CSRF token.
func (s *AdminSession) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRFToken)) == 1
}

// Logout ends the session with cookie value rawID.
func (a *AdminAuth) Logout(ctx context.Context, rawID string) error {
	if rawID == "" {
		return nil
	}
	return a.Store.DeleteAdminSession(ctx, hashSecret(rawID))
}

// ChangePassword sets a new password after checking the current one, and
// ends the admin's other sessions.
func (a *AdminAuth) ChangePassword(ctx context.Context, admin *Admin, s *AdminSession, current, next, repeat string) error {
	if !CheckPassword(admin.PasswordHash, current) {
		return &Error{Code: EINVALID, Message: "The current password is wrong.", Fields: map[string]string{"current": "wrong password"}}
	}
	if err := validatePassword(next, repeat); err != nil {
		return err
	}
	if next == current {
		return &Error{Code: EINVALID, Message: "Choose a password you have not used here.", Fields: map[string]string{"new": "same as the current one"}}
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	if err := a.Store.SetAdminPassword(ctx, admin.ID, hash); err != nil {
		return err
	}
	admin.PasswordHash = hash
	keep := ""
	if s != nil {
		keep = s.IDHash
	}
	if _, err := a.Store.DeleteAdminSessions(ctx, admin.ID, keep); err != nil {
		return err
	}
	return a.audit(ctx, admin, "admin_password_changed", admin.ID, "")
}

func validatePassword(next, repeat string) error {
	switch {
	case len([]rune(next)) < passwordMin:
		return &Error{Code: EINVALID, Message: "The new password is too short.", Fields: map[string]string{"new": fmt.Sprintf("at least %d characters", passwordMin)}}
	case len(next) > passwordMax:
		return &Error{Code: EINVALID, Message: "The new password is too long.", Fields: map[string]string{"new": fmt.Sprintf("at most %d characters", passwordMax)}}
	case next != repeat:
		return &Error{Code: EINVALID, Message: "The two new passwords differ.", Fields: map[string]string{"repeat": "does not match"}}
	}
	return nil
}

func (a *AdminAuth) audit(ctx context.Context, actor *Admin, action string, adminID int64, details string) error {
	return a.Store.AddAudit(ctx, &AuditEntry{Actor: actorName(actor), Action: action, SubjectType: "admin",
		SubjectID: adminID, Details: details})
}

// Accounts lists every admin.
func (a *AdminAuth) Accounts(ctx context.Context) ([]AdminAccount, error) {
	return a.Store.ListAdmins(ctx)
}

// CreateAccount makes an admin with a generated password, which it
// returns to be handed over once.
func (a *AdminAuth) CreateAccount(ctx context.Context, actor *Admin, email string, role Role) (*Admin, string, error) {
	admin, password, err := a.Admins.Create(ctx, email, role)
	if err != nil {
		return nil, "", err
	}
	return admin, password, a.audit(ctx, actor, "admin_created", admin.ID, "role "+string(role))
}

// SetRole changes another admin's role. Nobody changes their own role, so
// the last owner cannot demote themselves by mistake.
func (a *AdminAuth) SetRole(ctx context.Context, actor *Admin, id int64, role Role) error {
	if !role.Valid() {
		return &Error{Code: EINVALID, Message: "invalid role", Fields: map[string]string{"role": "must be owner, marketer or privacy_officer"}}
	}
	if actor != nil && actor.ID == id {
		return Errorf(ECONFLICT, "You cannot change your own role.")
	}
	if _, err := a.Store.Admin(ctx, id); err != nil {
		return err
	}
	if err := a.Store.SetAdminRole(ctx, id, role); err != nil {
		return err
	}
	return a.audit(ctx, actor, "admin_role_changed", id, "role "+string(role))
}

// Unlock lifts a sign-in lockout.
func (a *AdminAuth) Unlock(ctx context.Context, actor *Admin, id int64) error {
	if _, err := a.Store.Admin(ctx, id); err != nil {
		return err
	}
	if err := a.Store.RecordLogin(ctx, id, time.Time{}); err != nil {
		return err
	}
	return a.audit(ctx, actor, "admin_unlocked", id, "")
}

// DeleteAccount removes another admin with their sessions and tokens.
func (a *AdminAuth) DeleteAccount(ctx context.Context, actor *Admin, id int64) error {
	if actor != nil && actor.ID == id {
		return Errorf(ECONFLICT, "You cannot delete your own account.")
	}
	if _, err := a.Store.Admin(ctx, id); err != nil {
		return err
	}
	if err := a.Store.DeleteAdmin(ctx, id); err != nil {
		return err
	}
	return a.audit(ctx, actor, "admin_deleted", id, "")
}

// Tokens lists every API token (never the token itself).
func (a *AdminAuth) Tokens(ctx context.Context) ([]APITokenInfo, error) {
	return a.Store.APITokens(ctx)
}

// CreateToken makes an API token for the admin with id and returns it
// once; only its hash is kept.
func (a *AdminAuth) CreateToken(ctx context.Context, actor *Admin, adminID int64, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return "", &Error{Code: EINVALID, Message: "Give the token a name.", Fields: map[string]string{"name": "1 to 100 characters"}}
	}
	owner, err := a.Store.Admin(ctx, adminID)
	if err != nil {
		return "", err
	}
	token, err := a.Admins.NewToken(ctx, owner.Email, name)
	if err != nil {
		return "", err
	}
	return token, a.audit(ctx, actor, "api_token_created", adminID, "")
}

// RevokeToken deletes an API token.
func (a *AdminAuth) RevokeToken(ctx context.Context, actor *Admin, id int64) error {
	if err := a.Store.DeleteAPIToken(ctx, id); err != nil {
		return err
	}
	return a.Store.AddAudit(ctx, &AuditEntry{Actor: actorName(actor), Action: "api_token_revoked", SubjectType: "api_token", SubjectID: id})
}

// ConsentDay counts consent events of one day for the dashboard chart.
type ConsentDay struct {
	Day       time.Time
	Granted   int64
	Withdrawn int64
}
