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
	// LockedUntil is until when some source must wait before signing in
	// to the account again (nil: none).
	LockedUntil *time.Time `json:"locked_until"`
	LastLoginAt *time.Time `json:"last_login_at"`
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
// sessions, throttles repeated failures (see adminlogin.go), and manages
// accounts and API tokens for owners.
type AdminAuth struct {
	Store  Store
	Admins *Admins
	// Issuer names the product in authenticator apps; "" is "Newsletter".
	Issuer string
	// Passwords hashes and checks passwords; nil is Argon2id.
	Passwords PasswordHasher
	// Keys keys the sign-in records and device cookies, the same on every
	// machine; nil uses a key of this AdminAuth only.
	Keys *Signer
	// MaxFailures failed sign-ins in a row from one source make it wait
	// FirstDelay, doubled per further failure, at most Lockout.
	MaxFailures int
	FirstDelay  time.Duration
	Lockout     time.Duration
	// AccountMaxFailures failures in a row from all sources together make
	// every source that has not signed in to the account within
	// KnownSourceTTL wait as well; 0 is four times MaxFailures.
	AccountMaxFailures int
	KnownSourceTTL     time.Duration
	// SessionTTL is the longest a session lives; IdleTimeout ends it
	// sooner when unused.
	SessionTTL  time.Duration
	IdleTimeout time.Duration
	// Now is the clock; nil is the system clock.
	Now Clock

	dummyOnce    sync.Once
	dummyHash    string
	localKeyOnce sync.Once
	localKey     []byte
}

// positiveOr is v when it is above zero, else def: a setting left unset
// takes its default.
func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func (a *AdminAuth) maxFailures() int { return positiveOr(a.MaxFailures, DefaultMaxLoginFailures) }

func (a *AdminAuth) lockout() time.Duration { return positiveOr(a.Lockout, DefaultLockout) }

func (a *AdminAuth) sessionTTL() time.Duration { return positiveOr(a.SessionTTL, DefaultSessionTTL) }

func (a *AdminAuth) idleTimeout() time.Duration { return positiveOr(a.IdleTimeout, DefaultIdleTimeout) }

// hashSecret is the stored form of a session id or a user agent.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ErrBadCredentials is the one answer to a wrong email or password.
var ErrBadCredentials = &Error{Code: EUNAUTHORIZED, Message: "Wrong email or password."}

// ErrLocked answers a sign-in attempt from a source that must wait.
var ErrLocked = &Error{Code: ERATELIMIT, Message: "Too many failed sign-ins from here: wait a while and try again."}

// Session returns the live session with cookie value rawID and its admin.
// A missing, expired, idle or foreign-browser session is EUNAUTHORIZED
// (and an expired one is deleted).
func (a *AdminAuth) Session(ctx context.Context, rawID, userAgent string) (*AdminSession, *Admin, error) {
	if rawID == "" || len(rawID) > 128 {
		return nil, nil, Errorf(EUNAUTHORIZED, "not signed in")
	}
	s, err := a.Store.Logins().AdminSession(ctx, hashSecret(rawID))
	if IsNotFound(err) {
		return nil, nil, Errorf(EUNAUTHORIZED, "not signed in")
	}
	if err != nil {
		return nil, nil, err
	}
	now := a.Now.Now()
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= a.idleTimeout() ||
		subtle.ConstantTimeCompare([]byte(s.UserAgentHash), []byte(hashSecret(userAgent))) != 1 {
		if err := a.Store.Logins().DeleteAdminSession(ctx, s.IDHash); err != nil {
			return nil, nil, err
		}
		return nil, nil, Errorf(EUNAUTHORIZED, "session expired")
	}
	admin, err := a.Store.Admins().Admin(ctx, s.AdminID)
	if IsNotFound(err) {
		return nil, nil, Errorf(EUNAUTHORIZED, "not signed in")
	}
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(s.LastSeenAt) >= sessionTouchEvery {
		if err := a.Store.Logins().TouchAdminSession(ctx, s.IDHash, now, s.Locale); err != nil {
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
	return a.Store.Logins().TouchAdminSession(ctx, s.IDHash, a.Now.Now(), locale)
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
	return a.Store.Logins().DeleteAdminSession(ctx, hashSecret(rawID))
}

// ChangePassword sets a new password after checking the current one, and
// ends the admin's other sessions.
func (a *AdminAuth) ChangePassword(ctx context.Context, admin *Admin, s *AdminSession, current, next, repeat string) error {
	if !a.hasher().Check(admin.PasswordHash, current) {
		return &Error{Code: EINVALID, Message: "The current password is wrong.", Fields: map[string]string{"current": "wrong password"}}
	}
	if err := validatePassword(next, repeat); err != nil {
		return err
	}
	if next == current {
		return &Error{Code: EINVALID, Message: "Choose a password you have not used here.", Fields: map[string]string{"new": "same as the current one"}}
	}
	hash, err := a.hasher().Hash(next)
	if err != nil {
		return err
	}
	if err := a.Store.Admins().SetAdminPassword(ctx, admin.ID, hash); err != nil {
		return err
	}
	admin.PasswordHash = hash
	keep := ""
	if s != nil {
		keep = s.IDHash
	}
	if _, err := a.Store.Logins().DeleteAdminSessions(ctx, admin.ID, keep); err != nil {
		return err
	}
	return a.audit(ctx, admin, "admin_password_changed", admin.ID, "")
}

func validatePassword(next, repeat string) error {
	switch {
	case len([]rune(next)) < passwordMin:
		return (&Error{Code: EINVALID, Message: "The new password is too short."}).Fieldf("new", "at least %d characters", passwordMin)
	case len(next) > passwordMax:
		return (&Error{Code: EINVALID, Message: "The new password is too long."}).Fieldf("new", "at most %d characters", passwordMax)
	case next != repeat:
		return &Error{Code: EINVALID, Message: "The two new passwords differ.", Fields: map[string]string{"repeat": "does not match"}}
	}
	return nil
}

func (a *AdminAuth) audit(ctx context.Context, actor *Admin, action string, adminID int64, details string) error {
	return audit(ctx, a.Store.Audit(), AdminActor(actor), action, "admin", adminID, details)
}

// Accounts lists every admin, with until when some source must wait
// before signing in to it.
func (a *AdminAuth) Accounts(ctx context.Context) ([]AdminAccount, error) {
	list, err := a.Store.Admins().ListAdmins(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].LockedUntil, err = a.LoginBlockedUntil(ctx, &list[i].Admin); err != nil {
			return nil, err
		}
	}
	return list, nil
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
	if _, err := a.Store.Admins().Admin(ctx, id); err != nil {
		return err
	}
	if err := a.Store.Admins().SetAdminRole(ctx, id, role); err != nil {
		return err
	}
	return a.audit(ctx, actor, "admin_role_changed", id, "role "+string(role))
}

// Unlock lifts the waits of every source on an account.
func (a *AdminAuth) Unlock(ctx context.Context, actor *Admin, id int64) error {
	admin, err := a.Store.Admins().Admin(ctx, id)
	if err != nil {
		return err
	}
	if err := a.Store.Logins().ClearLoginBlocks(ctx, a.accountKey(strings.ToLower(admin.Email))); err != nil {
		return err
	}
	return a.audit(ctx, actor, "admin_unlocked", id, "")
}

// PasswordReset is what resetting another admin's password did.
type PasswordReset struct {
	Admin *Admin
	// Password is the new password, to be handed over once.
	Password string
	// Sessions counts the sessions ended; Tokens the API tokens revoked.
	Sessions, Tokens int64
}

// ResetPassword gives another admin a new generated password, for an
// owner to hand over (the admin forgot theirs, or it may be known to
// someone else). Every session of that admin ends, and every wait on
// signing in to the account is lifted. Their API tokens are separate
// credentials: they are revoked only when revokeTokens is set (a password
// that may be known to someone else), and kept otherwise (a forgotten
// one), as integrations use them. Audited; nobody resets their own
// password this way (ChangePassword asks for the current one).
func (a *AdminAuth) ResetPassword(ctx context.Context, actor *Admin, id int64, revokeTokens bool) (*PasswordReset, error) {
	if actor != nil && actor.ID == id {
		return nil, Errorf(ECONFLICT, "Change your own password on the password page.")
	}
	admin, err := a.Store.Admins().Admin(ctx, id)
	if err != nil {
		return nil, err
	}
	res := &PasswordReset{Admin: admin, Password: RandomSecret(15)}
	hash, err := a.hasher().Hash(res.Password)
	if err != nil {
		return nil, err
	}
	if err := a.Store.Admins().SetAdminPassword(ctx, id, hash); err != nil {
		return nil, err
	}
	if res.Sessions, err = a.Store.Logins().DeleteAdminSessions(ctx, id, ""); err != nil {
		return nil, err
	}
	tokens := "api tokens kept"
	if revokeTokens {
		if res.Tokens, err = a.Store.Admins().DeleteAdminAPITokens(ctx, id); err != nil {
			return nil, err
		}
		tokens = fmt.Sprintf("api tokens revoked: %d", res.Tokens)
	}
	if err := a.Store.Logins().ClearLoginBlocks(ctx, a.accountKey(strings.ToLower(admin.Email))); err != nil {
		return nil, err
	}
	details := fmt.Sprintf("sessions ended: %d; %s", res.Sessions, tokens)
	return res, a.audit(ctx, actor, "admin_password_reset", id, details)
}

// DeleteAccount removes another admin with their sessions and tokens.
func (a *AdminAuth) DeleteAccount(ctx context.Context, actor *Admin, id int64) error {
	if actor != nil && actor.ID == id {
		return Errorf(ECONFLICT, "You cannot delete your own account.")
	}
	if _, err := a.Store.Admins().Admin(ctx, id); err != nil {
		return err
	}
	if err := a.Store.Admins().DeleteAdmin(ctx, id); err != nil {
		return err
	}
	return a.audit(ctx, actor, "admin_deleted", id, "")
}

// Tokens lists every API token (never the token itself).
func (a *AdminAuth) Tokens(ctx context.Context) ([]APITokenInfo, error) {
	return a.Store.Admins().APITokens(ctx)
}

// CreateToken makes an API token for the admin with id and returns it
// once; only its hash is kept.
func (a *AdminAuth) CreateToken(ctx context.Context, actor *Admin, adminID int64, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return "", &Error{Code: EINVALID, Message: "Give the token a name.", Fields: map[string]string{"name": "1 to 100 characters"}}
	}
	owner, err := a.Store.Admins().Admin(ctx, adminID)
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
	if err := a.Store.Admins().DeleteAPIToken(ctx, id); err != nil {
		return err
	}
	return audit(ctx, a.Store.Audit(), AdminActor(actor), "api_token_revoked", "api_token", id, "")
}

// ConsentDay counts consent events of one day for the dashboard chart.
type ConsentDay struct {
	Day       time.Time
	Granted   int64
	Withdrawn int64
}
