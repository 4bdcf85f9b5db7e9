package app

import (
	"context"
	"fmt"
	"time"
)

// Two-factor sign-in to the console (TOTP, RFC 6238).
//
// An admin enrols from the two-factor page: the product makes a secret,
// shows it with a QR code drawn on the server, and turns it on only once
// a code from the app is entered. Ten recovery codes are then shown once;
// only their keyed hashes are kept, and each works once. The secret is
// kept sealed (AES-GCM under a key derived from NEWSLETTER_SECRET).
//
// After the right password, an admin with two-factor on is not signed in
// yet: the browser holds a pending sign-in (PendingLogin) until a code
// from the app, or a recovery code, is entered. A code works once: the
// time step of the last code taken is kept, and a code of that step or an
// earlier one is refused. Wrong codes are throttled like passwords. When
// owners require two-factor, an admin without it is sent from the
// password to the enrolment, and is signed in once it is confirmed.
// Owners can reset another admin's two-factor (a lost phone).
// The API's bearer tokens are not affected.

// TwoFactorRequired is the console setting owners change.
const settingTwoFactorRequired = "twofactor_required"

// Stages of a pending sign-in.
const (
	StageVerify = "verify" // a code of the admin's app is due
	StageEnrol  = "enrol"  // owners require two-factor: enrolment is due
)

// TwoFactorSecret is an admin's TOTP enrolment as stored.
type TwoFactorSecret struct {
	AdminID int64
	// Sealed is the secret, sealed (see AdminAuth.seal).
	Sealed string
	// ConfirmedAt is when a code confirmed the enrolment; nil: not yet.
	ConfirmedAt *time.Time
	// LastStep is the TOTP time step of the last code taken.
	LastStep int64
}

// PendingLogin is a sign-in whose password was right and whose second
// step is still to come.
type PendingLogin struct {
	// RawID is the cookie value; set only when created.
	RawID         string
	IDHash        string
	AdminID       int64
	Stage         string
	UserAgentHash string
	// Device is the device cookie to set once signed in.
	Device    string
	Failures  int
	ExpiresAt time.Time
}

// TwoFactorStatus is what the two-factor page shows of an admin.
type TwoFactorStatus struct {
	Enabled bool
	// RecoveryLeft counts the unused recovery codes.
	RecoveryLeft int
	// Required says owners require two-factor of every admin.
	Required bool
}

// Enrolment is a secret waiting for its first code.
type Enrolment struct {
	// Secret is the base32 secret, for typing into an app.
	Secret string
	// URL is the otpauth:// URL the QR code holds.
	URL string
	// QR is the QR code as a PNG data URI.
	QR string
}

// Enrolled is a confirmed enrolment: its recovery codes, shown once.
type Enrolled struct {
	RecoveryCodes []string
}

// TwoFactorRequired reports whether owners require two-factor.
func (a *AdminAuth) TwoFactorRequired(ctx context.Context) (bool, error) {
	v, err := a.Store.TwoFactor().ConsoleSetting(ctx, settingTwoFactorRequired)
	return v == "true", err
}

// TwoFactorStatus returns admin's two-factor state.
func (a *AdminAuth) TwoFactorStatus(ctx context.Context, admin *Admin) (*TwoFactorStatus, error) {
	f := a.Store.TwoFactor()
	st := &TwoFactorStatus{}
	var err error
	if st.Required, err = a.TwoFactorRequired(ctx); err != nil {
		return nil, err
	}
	sec, err := f.TwoFactorSecret(ctx, admin.ID)
	switch {
	case IsNotFound(err):
		return st, nil
	case err != nil:
		return nil, err
	}
	if sec.ConfirmedAt != nil {
		st.Enabled = true
		if st.RecoveryLeft, err = f.RecoveryCodesLeft(ctx, admin.ID); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// TwoFactorAdmins returns the ids of the admins with two-factor on.
func (a *AdminAuth) TwoFactorAdmins(ctx context.Context) (map[int64]bool, error) {
	return a.Store.TwoFactor().TwoFactorAdmins(ctx)
}

// Enrolment returns admin's enrolment waiting for its first code, making
// one when there is none; ECONFLICT when two-factor is already on.
func (a *AdminAuth) Enrolment(ctx context.Context, admin *Admin) (*Enrolment, error) {
	f := a.Store.TwoFactor()
	sec, err := f.TwoFactorSecret(ctx, admin.ID)
	switch {
	case err == nil && sec.ConfirmedAt != nil:
		return nil, Errorf(ECONFLICT, "Two-factor sign-in is already on.")
	case err == nil:
		secret, err := a.unseal(sec.Sealed)
		if err == nil {
			return a.enrolment(admin, secret)
		}
		// A secret sealed under a key no longer configured: start anew.
	case !IsNotFound(err):
		return nil, err
	}
	secret := newTOTPSecret()
	sealed, err := a.seal(secret)
	if err != nil {
		return nil, err
	}
	if err := f.StartTwoFactor(ctx, admin.ID, sealed, a.Now.Now()); err != nil {
		return nil, err
	}
	return a.enrolment(admin, secret)
}

// ConfirmEnrolment turns two-factor on with a code of the app and returns
// the recovery codes, to be shown once.
func (a *AdminAuth) ConfirmEnrolment(ctx context.Context, admin *Admin, code string) (*Enrolled, error) {
	f := a.Store.TwoFactor()
	if err := a.codeThrottle(ctx, admin); err != nil {
		return nil, err
	}
	sec, err := f.TwoFactorSecret(ctx, admin.ID)
	if IsNotFound(err) || (err == nil && sec.ConfirmedAt != nil) {
		return nil, Errorf(ECONFLICT, "There is no enrolment to confirm: open the two-factor page again.")
	}
	if err != nil {
		return nil, err
	}
	secret, err := a.unseal(sec.Sealed)
	if err != nil {
		return nil, err
	}
	step, ok := a.matchTOTP(secret, code, sec.LastStep)
	if !ok {
		return nil, a.codeFailed(ctx, admin)
	}
	codes, hashes := a.newRecoveryCodes(admin.ID)
	if err := f.ConfirmTwoFactor(ctx, admin.ID, step, hashes, a.Now.Now()); err != nil {
		return nil, err
	}
	if err := a.codeSucceeded(ctx, admin); err != nil {
		return nil, err
	}
	if err := a.audit(ctx, admin, "admin_twofactor_enrolled", admin.ID, ""); err != nil {
		return nil, err
	}
	return &Enrolled{RecoveryCodes: codes}, nil
}

// DisableTwoFactor turns admin's own two-factor off, after a current code
// (or a recovery code); refused while owners require two-factor.
func (a *AdminAuth) DisableTwoFactor(ctx context.Context, admin *Admin, code string) error {
	f := a.Store.TwoFactor()
	required, err := a.TwoFactorRequired(ctx)
	if err != nil {
		return err
	}
	if required {
		return Errorf(ECONFLICT, "Owners require two-factor sign-in: it cannot be turned off.")
	}
	if err := a.confirmCode(ctx, admin, code); err != nil {
		return err
	}
	if _, err := f.DeleteTwoFactor(ctx, admin.ID); err != nil {
		return err
	}
	return a.audit(ctx, admin, "admin_twofactor_disabled", admin.ID, "")
}

// confirmCode takes a current code of the signed-in admin (of the app, or
// a recovery code) for a change of their two-factor sign-in; wrong codes
// are throttled as at sign-in.
func (a *AdminAuth) confirmCode(ctx context.Context, admin *Admin, code string) error {
	if err := a.codeThrottle(ctx, admin); err != nil {
		return err
	}
	kind, err := a.checkSecondFactor(ctx, admin, code)
	if err != nil {
		return err
	}
	if kind == "" {
		return a.codeFailed(ctx, admin)
	}
	return a.codeSucceeded(ctx, admin)
}

// RenewRecoveryCodes replaces admin's recovery codes, used or not, with
// new ones after a current code (or a recovery code), and returns them to
// be shown once: for codes used up, lost or seen by someone else, without
// turning two-factor off. The old ones stop working at once.
func (a *AdminAuth) RenewRecoveryCodes(ctx context.Context, admin *Admin, code string) (*Enrolled, error) {
	if err := a.confirmCode(ctx, admin, code); err != nil {
		return nil, err
	}
	codes, hashes := a.newRecoveryCodes(admin.ID)
	if err := a.Store.TwoFactor().ReplaceRecoveryCodes(ctx, admin.ID, hashes); err != nil {
		return nil, err
	}
	if err := a.audit(ctx, admin, "admin_recovery_codes_renewed", admin.ID, ""); err != nil {
		return nil, err
	}
	return &Enrolled{RecoveryCodes: codes}, nil
}

// ResetTwoFactor turns another admin's two-factor off (a lost phone) and
// ends their sessions; they enrol again, when owners require it at their
// next sign-in. Audited; nobody resets their own this way.
func (a *AdminAuth) ResetTwoFactor(ctx context.Context, actor *Admin, id int64) error {
	f := a.Store.TwoFactor()
	if actor != nil && actor.ID == id {
		return Errorf(ECONFLICT, "Turn your own two-factor off on the two-factor page.")
	}
	if _, err := a.Store.Admins().Admin(ctx, id); err != nil {
		return err
	}
	had, err := f.DeleteTwoFactor(ctx, id)
	if err != nil {
		return err
	}
	if !had {
		return Errorf(ECONFLICT, "This admin has no two-factor sign-in to reset.")
	}
	n, err := a.Store.Logins().DeleteAdminSessions(ctx, id, "")
	if err != nil {
		return err
	}
	return a.audit(ctx, actor, "admin_twofactor_reset", id, fmt.Sprintf("sessions ended: %d", n))
}

// SetTwoFactorRequired makes two-factor required of every admin, or not.
// An owner requires it only with their own on, so that the setting never
// surprises the one who sets it.
func (a *AdminAuth) SetTwoFactorRequired(ctx context.Context, actor *Admin, required bool) error {
	f := a.Store.TwoFactor()
	if required && actor != nil {
		st, err := a.TwoFactorStatus(ctx, actor)
		if err != nil {
			return err
		}
		if !st.Enabled {
			return Errorf(ECONFLICT, "Turn on two-factor sign-in for your own account first.")
		}
	}
	if err := f.SetConsoleSetting(ctx, settingTwoFactorRequired, fmt.Sprint(required), a.Now.Now()); err != nil {
		return err
	}
	return audit(ctx, a.Store.Audit(), AdminActor(actor), "twofactor_required_changed", "console", 0, fmt.Sprintf("required: %t", required))
}
