package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"
)

// The second step of signing in: after the right password an admin with
// two-factor on, or without it while owners require it, holds a pending
// sign-in instead of a session (see twofactor.go).

const (
	// pendingTTL is how long the second step may take.
	pendingTTL = 10 * time.Minute
	// maxPendingFailures wrong codes end a pending sign-in: the password
	// is asked again.
	maxPendingFailures = 5
)

// ErrPendingExpired answers a second step without a live pending sign-in.
var ErrPendingExpired = &Error{Code: EUNAUTHORIZED, Message: "Your sign-in has expired: enter your password again."}

// secondStep returns the pending sign-in of admin when a second step is
// due, nil when the password is enough.
func (a *AdminAuth) secondStep(ctx context.Context, admin *Admin, userAgent, device string) (*PendingLogin, error) {
	st, err := a.TwoFactorStatus(ctx, admin)
	if err != nil {
		return nil, err
	}
	stage := ""
	switch {
	case st.Enabled:
		stage = StageVerify
	case st.Required:
		stage = StageEnrol
	default:
		return nil, nil
	}
	now := a.Now.Now()
	if err := a.Store.TwoFactor().PurgePendingLogins(ctx, now); err != nil {
		return nil, err
	}
	raw := RandomSecret(32)
	p := &PendingLogin{RawID: raw, IDHash: hashSecret(raw), AdminID: admin.ID, Stage: stage,
		UserAgentHash: hashSecret(userAgent), Device: device, ExpiresAt: now.Add(pendingTTL)}
	if err := a.Store.TwoFactor().CreatePendingLogin(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Pending returns the live pending sign-in with cookie value rawID, and
// its admin; ErrPendingExpired when there is none (or it was opened in
// another browser).
func (a *AdminAuth) Pending(ctx context.Context, rawID, userAgent string) (*PendingLogin, *Admin, error) {
	f := a.Store.TwoFactor()
	if rawID == "" || len(rawID) > 128 {
		return nil, nil, ErrPendingExpired
	}
	p, err := f.PendingLogin(ctx, hashSecret(rawID))
	if IsNotFound(err) {
		return nil, nil, ErrPendingExpired
	}
	if err != nil {
		return nil, nil, err
	}
	if !a.Now.Now().Before(p.ExpiresAt) || subtle.ConstantTimeCompare([]byte(p.UserAgentHash), []byte(hashSecret(userAgent))) != 1 {
		if err := f.DeletePendingLogin(ctx, p.IDHash); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrPendingExpired
	}
	admin, err := a.Store.Admins().Admin(ctx, p.AdminID)
	if IsNotFound(err) {
		return nil, nil, ErrPendingExpired
	}
	if err != nil {
		return nil, nil, err
	}
	return p, admin, nil
}

// VerifySecondFactor finishes a pending sign-in with a code of the
// admin's app or one of their recovery codes, and opens the session.
// Wrong codes are throttled (codeFailed) and end the pending sign-in
// after maxPendingFailures.
func (a *AdminAuth) VerifySecondFactor(ctx context.Context, rawID, userAgent, code string) (*LoginResult, error) {
	p, admin, err := a.Pending(ctx, rawID, userAgent)
	if err != nil {
		return nil, err
	}
	if p.Stage != StageVerify {
		return nil, ErrPendingExpired
	}
	if err := a.codeThrottle(ctx, admin); err != nil {
		return nil, err
	}
	kind, err := a.checkSecondFactor(ctx, admin, code)
	if err != nil {
		return nil, err
	}
	if kind == "" {
		ferr := a.codeFailed(ctx, admin)
		n, err := a.Store.TwoFactor().AddPendingFailure(ctx, p.IDHash)
		if err != nil {
			return nil, err
		}
		var throttled *ThrottledError
		if n >= maxPendingFailures && !errors.As(ferr, &throttled) {
			if err := a.Store.TwoFactor().DeletePendingLogin(ctx, p.IDHash); err != nil {
				return nil, err
			}
			return nil, ErrPendingExpired
		}
		return nil, ferr
	}
	return a.finishPending(ctx, p, admin, userAgent, "second factor: "+kind)
}

// PendingEnrolment is the enrolment of an admin whom owners require to
// enrol before signing in.
func (a *AdminAuth) PendingEnrolment(ctx context.Context, rawID, userAgent string) (*Admin, *Enrolment, error) {
	p, admin, err := a.Pending(ctx, rawID, userAgent)
	if err != nil {
		return nil, nil, err
	}
	if p.Stage != StageEnrol {
		return nil, nil, ErrPendingExpired
	}
	e, err := a.Enrolment(ctx, admin)
	return admin, e, err
}

// ConfirmPendingEnrolment confirms the enrolment of a pending sign-in and
// opens the session; the recovery codes are to be shown once.
func (a *AdminAuth) ConfirmPendingEnrolment(ctx context.Context, rawID, userAgent, code string) (*LoginResult, *Enrolled, error) {
	p, admin, err := a.Pending(ctx, rawID, userAgent)
	if err != nil {
		return nil, nil, err
	}
	if p.Stage != StageEnrol {
		return nil, nil, ErrPendingExpired
	}
	enrolled, err := a.ConfirmEnrolment(ctx, admin, code)
	if err != nil {
		return nil, nil, err
	}
	res, err := a.finishPending(ctx, p, admin, userAgent, "enrolled two-factor")
	return res, enrolled, err
}

func (a *AdminAuth) finishPending(ctx context.Context, p *PendingLogin, admin *Admin, userAgent, how string) (*LoginResult, error) {
	if err := a.codeSucceeded(ctx, admin); err != nil {
		return nil, err
	}
	if err := a.Store.TwoFactor().DeletePendingLogin(ctx, p.IDHash); err != nil {
		return nil, err
	}
	s, err := a.openSession(ctx, admin, userAgent, how)
	if err != nil {
		return nil, err
	}
	return &LoginResult{Session: s, Admin: admin, Device: p.Device}, nil
}

// SignInVerified opens a session for the admin with a verified email
// that a trusted identity provider authenticated (single sign-on): no
// password, and no second factor, as the provider authenticated the
// person. ENOTFOUND when no admin has that email: no account is made.
func (a *AdminAuth) SignInVerified(ctx context.Context, email, provider, userAgent string) (*LoginResult, error) {
	admin, err := a.Store.Admins().AdminByEmail(ctx, normalizeAdminEmail(email))
	if IsNotFound(err) {
		if err := audit(ctx, a.Store.Audit(), ActorSystem, "admin_sso_refused", "admin", 0, "no admin with that email at "+provider); err != nil {
			return nil, err
		}
		return nil, Errorf(ENOTFOUND, "no admin has this email")
	}
	if err != nil {
		return nil, err
	}
	if _, err := a.Store.Logins().PurgeAdminSessions(ctx, a.Now.Now()); err != nil {
		return nil, err
	}
	s, err := a.openSession(ctx, admin, userAgent, "single sign-on: "+provider)
	if err != nil {
		return nil, err
	}
	return &LoginResult{Session: s, Admin: admin}, nil
}

func normalizeAdminEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
