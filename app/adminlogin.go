package app

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"strings"
	"time"
)

// Signing in to the console.
//
// Every attempt costs the same: one argon2id check, against the account's
// hash, or against a dummy hash when there is no such account or the
// attempt is refused without looking at the password. So neither the
// answer nor its time tells whether an address has an account or is
// being throttled for someone else.
//
// Failures are counted per account and source, never per account alone,
// so that nobody who merely knows an admin's address can keep that admin
// out. A source is the browser's device cookie, which a successful sign-in
// to that account sets, or else the client's network address. After
// MaxFailures failures in a row from one source, that source waits before
// its next attempt for FirstDelay, doubled with each further failure up to
// Lockout. Failures from all sources together are counted too: after
// AccountMaxFailures of them every source that has never signed in to the
// account waits the same way, while a source that has (within
// KnownSourceTTL) is not slowed by what others do. Addresses without an
// account are counted and answered exactly like real ones.

// Defaults of the sign-in throttle.
const (
	DefaultFirstDelay     = 30 * time.Second
	DefaultKnownSourceTTL = 90 * 24 * time.Hour
	// DefaultDeviceTTL is how long a device cookie lasts.
	DefaultDeviceTTL = 180 * 24 * time.Hour
	// failureMemory: a run of failures older than this starts afresh.
	failureMemory = 24 * time.Hour
	// allSources is the source key of the row counting every source.
	allSources = "*"
)

// PasswordHasher hashes passwords and checks them against a hash.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Check(hash, password string) bool
}

// Argon2id is the product's PasswordHasher: HashPassword and CheckPassword.
type Argon2id struct{}

// Hash implements PasswordHasher.
func (Argon2id) Hash(password string) (string, error) { return HashPassword(password) }

// Check implements PasswordHasher.
func (Argon2id) Check(hash, password string) bool { return CheckPassword(hash, password) }

// LoginRecord is the sign-in record of one account from one source.
type LoginRecord struct {
	// Failures counts failed attempts in a row.
	Failures int
	// BlockedUntil is the earliest time of the next attempt.
	BlockedUntil *time.Time
	// LastSuccessAt is the last successful sign-in from the source.
	LastSuccessAt *time.Time
}

func (r LoginRecord) blocked(now time.Time) bool {
	return r.BlockedUntil != nil && r.BlockedUntil.After(now)
}

func (r LoginRecord) known(now time.Time, ttl time.Duration) bool {
	return r.LastSuccessAt != nil && now.Sub(*r.LastSuccessAt) < ttl
}

// LoginAttempt is one submission of the sign-in form.
type LoginAttempt struct {
	Email, Password, UserAgent string
	// Address is the client's network address.
	Address string
	// Device is the device cookie the browser sent, if any.
	Device string
}

// LoginResult is a successful sign-in.
type LoginResult struct {
	Session *AdminSession
	Admin   *Admin
	// Device is the device cookie to set (a new one, or the one sent).
	Device string
	// Pending, instead of Session, is a sign-in waiting for its second
	// step (Pending.Stage); its RawID is the cookie to set.
	Pending *PendingLogin
}

// ThrottledError refuses an attempt from a source that must wait.
type ThrottledError struct {
	// Wait is how long until the next attempt from that source.
	Wait time.Duration
}

// Error implements error.
func (e *ThrottledError) Error() string { return ErrLocked.Error() }

// Unwrap makes the refusal an ERATELIMIT *Error.
func (e *ThrottledError) Unwrap() error { return ErrLocked }

func (a *AdminAuth) hasher() PasswordHasher {
	if a.Passwords != nil {
		return a.Passwords
	}
	return Argon2id{}
}

func (a *AdminAuth) firstDelay() time.Duration {
	if a.FirstDelay > 0 {
		return a.FirstDelay
	}
	return DefaultFirstDelay
}

func (a *AdminAuth) accountMaxFailures() int {
	if a.AccountMaxFailures > 0 {
		return a.AccountMaxFailures
	}
	return 4 * a.maxFailures()
}

func (a *AdminAuth) knownSourceTTL() time.Duration {
	if a.KnownSourceTTL > 0 {
		return a.KnownSourceTTL
	}
	return DefaultKnownSourceTTL
}

// delay is the wait after the n-th failure in a row when free failures
// pass without one: FirstDelay, doubled per further failure, at most
// Lockout.
func (a *AdminAuth) delay(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := a.firstDelay()
	for i := free; i < n && d < a.lockout(); i++ {
		d *= 2
	}
	return min(d, a.lockout())
}

// key is a keyed fingerprint of the sign-in records: with Keys, the same
// on every machine; without, a key of this AdminAuth only.
func (a *AdminAuth) key(namespace, value string) string {
	if a.Keys != nil {
		return a.Keys.Fingerprint(namespace, value)
	}
	a.localKeyOnce.Do(func() { a.localKey = []byte(RandomSecret(32)) })
	return hexMAC(a.localKey, namespace+":"+value)
}

// accountKey names the account an address would be, whether or not it is.
func (a *AdminAuth) accountKey(email string) string { return a.key("admin-login-account", email) }

// newDevice makes a device cookie of account ("nonce.mac") and returns
// it with its source key.
func (a *AdminAuth) newDevice(account string) (cookie, source string) {
	nonce := RandomSecret(18)
	return nonce + "." + a.key("admin-device", account+"|"+nonce), "d:" + a.key("admin-device-source", nonce)
}

// source is the key of where an attempt comes from: the device cookie
// when it was issued for this account, else the network address.
func (a *AdminAuth) source(account string, at LoginAttempt) (key string, device bool) {
	if nonce, mac, ok := strings.Cut(at.Device, "."); ok && len(at.Device) <= 128 && nonce != "" &&
		hmac.Equal([]byte(mac), []byte(a.key("admin-device", account+"|"+nonce))) {
		return "d:" + a.key("admin-device-source", nonce), true
	}
	return "a:" + a.key("admin-login-address", at.Address), false
}

// dummy is a hash to check against when there is no hash to check: the
// same work as a real one.
func (a *AdminAuth) dummy() string {
	a.dummyOnce.Do(func() { a.dummyHash, _ = a.hasher().Hash(RandomSecret(12)) })
	return a.dummyHash
}

// Login checks an attempt and opens a session. A wrong password counts
// against its account and source (see the comment at the top of this
// file); a source that must wait is refused with a *ThrottledError, even
// with the right password. An address without an account costs and
// answers the same as one with.
func (a *AdminAuth) Login(ctx context.Context, at LoginAttempt) (*LoginResult, error) {
	email := strings.ToLower(strings.TrimSpace(at.Email))
	password := at.Password
	if len(password) > passwordMax {
		password = password[:passwordMax]
	}
	valid := email != "" && at.Password != "" && len(at.Password) <= passwordMax && len(email) <= 320
	now := a.Now.Now()
	account := a.accountKey(email)
	source, device := a.source(account, at)

	var admin *Admin
	if valid {
		found, err := a.Store.Admins().AdminByEmail(ctx, email)
		switch {
		case err == nil:
			admin = found
		case !IsNotFound(err):
			return nil, err
		}
	}
	pair, err := a.Store.Logins().LoginRecord(ctx, account, source)
	if err != nil {
		return nil, err
	}
	all, err := a.Store.Logins().LoginRecord(ctx, account, allSources)
	if err != nil {
		return nil, err
	}
	wait := time.Duration(0)
	switch {
	case pair.blocked(now):
		wait = pair.BlockedUntil.Sub(now)
	case all.blocked(now) && !pair.known(now, a.knownSourceTTL()):
		wait = all.BlockedUntil.Sub(now)
	}

	// The one password check of every path.
	hash := a.dummy()
	if admin != nil && wait == 0 {
		hash = admin.PasswordHash
	}
	ok := a.hasher().Check(hash, password) && admin != nil && wait == 0 && valid

	switch {
	case !valid:
		return nil, ErrBadCredentials
	case wait > 0:
		return nil, &ThrottledError{Wait: wait}
	case !ok:
		return nil, a.loginFailed(ctx, admin, account, source, now)
	}

	res := &LoginResult{Admin: admin, Device: at.Device}
	if err := a.Store.Logins().LoginSucceeded(ctx, account, source, now); err != nil {
		return nil, err
	}
	if !device {
		// A new device cookie, known from now on as a source that signed
		// in to this account.
		var deviceSource string
		res.Device, deviceSource = a.newDevice(account)
		if err := a.Store.Logins().LoginSucceeded(ctx, account, deviceSource, now); err != nil {
			return nil, err
		}
	}
	if _, err := a.Store.Logins().PurgeAdminSessions(ctx, now); err != nil {
		return nil, err
	}
	if _, err := a.Store.Logins().PurgeLoginRecords(ctx, now.Add(-failureMemory), now.Add(-a.knownSourceTTL())); err != nil {
		return nil, err
	}
	// A second step may be due (twofactor_login.go).
	if res.Pending, err = a.secondStep(ctx, admin, at.UserAgent, res.Device); err != nil || res.Pending != nil {
		return res, err
	}
	if res.Session, err = a.openSession(ctx, admin, at.UserAgent, ""); err != nil {
		return nil, err
	}
	return res, nil
}

// openSession opens a console session of admin, signed in by how, and
// notes the time of the sign-in.
func (a *AdminAuth) openSession(ctx context.Context, admin *Admin, userAgent, how string) (*AdminSession, error) {
	now := a.Now.Now()
	if err := a.Store.Admins().RecordLogin(ctx, admin.ID, now); err != nil {
		return nil, err
	}
	raw := RandomSecret(32)
	s := &AdminSession{RawID: raw, IDHash: hashSecret(raw), AdminID: admin.ID, CSRFToken: RandomSecret(32),
		UserAgentHash: hashSecret(userAgent), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(a.sessionTTL())}
	if err := a.Store.Logins().CreateAdminSession(ctx, s); err != nil {
		return nil, err
	}
	if err := a.audit(ctx, admin, "admin_signed_in", admin.ID, how); err != nil {
		return nil, err
	}
	return s, nil
}

// loginFailed counts a failure against its source and against all sources
// of the account, and sets their waits. The same statements run whether
// or not the account exists.
func (a *AdminAuth) loginFailed(ctx context.Context, admin *Admin, account, source string, now time.Time) error {
	since := now.Add(-failureMemory)
	n, err := a.Store.Logins().AddLoginFailure(ctx, account, source, now, since)
	if err != nil {
		return err
	}
	total, err := a.Store.Logins().AddLoginFailure(ctx, account, allSources, now, since)
	if err != nil {
		return err
	}
	if d := a.delay(total, a.accountMaxFailures()); d > 0 {
		if err := a.Store.Logins().BlockLogin(ctx, account, allSources, now.Add(d)); err != nil {
			return err
		}
	}
	d := a.delay(n, a.maxFailures())
	if d == 0 {
		return ErrBadCredentials
	}
	if err := a.Store.Logins().BlockLogin(ctx, account, source, now.Add(d)); err != nil {
		return err
	}
	id := int64(0)
	if admin != nil {
		id = admin.ID
	}
	if err := a.audit(ctx, nil, "admin_sign_in_throttled", id, "a source waits "+d.String()); err != nil {
		return err
	}
	return &ThrottledError{Wait: d}
}

// LoginBlockedUntil returns until when some source may not sign in to
// admin (nil: none is waiting).
func (a *AdminAuth) LoginBlockedUntil(ctx context.Context, admin *Admin) (*time.Time, error) {
	return a.Store.Logins().LoginBlockedUntil(ctx, a.accountKey(strings.ToLower(admin.Email)))
}

func hexMAC(key []byte, s string) string {
	return hex.EncodeToString(hmacSHA256(key, []byte(s)))[:32]
}
