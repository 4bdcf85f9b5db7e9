package web

import (
	"context"

	"newsletter/app"
)

// TwoFactor is two-factor sign-in and single sign-on's way into a
// session (app.AdminAuth).
type TwoFactor interface {
	Pending(ctx context.Context, rawID, userAgent string) (*app.PendingLogin, *app.Admin, error)
	VerifySecondFactor(ctx context.Context, rawID, userAgent, code string) (*app.LoginResult, error)
	PendingEnrolment(ctx context.Context, rawID, userAgent string) (*app.Admin, *app.Enrolment, error)
	ConfirmPendingEnrolment(ctx context.Context, rawID, userAgent, code string) (*app.LoginResult, *app.Enrolled, error)

	TwoFactorStatus(ctx context.Context, admin *app.Admin) (*app.TwoFactorStatus, error)
	Enrolment(ctx context.Context, admin *app.Admin) (*app.Enrolment, error)
	ConfirmEnrolment(ctx context.Context, admin *app.Admin, code string) (*app.Enrolled, error)
	DisableTwoFactor(ctx context.Context, admin *app.Admin, code string) error

	TwoFactorAdmins(ctx context.Context) (map[int64]bool, error)
	TwoFactorRequired(ctx context.Context) (bool, error)
	ResetTwoFactor(ctx context.Context, actor *app.Admin, id int64) error
	SetTwoFactorRequired(ctx context.Context, actor *app.Admin, required bool) error

	// SignInVerified opens a session for the admin with the email a
	// single sign-on provider verified.
	SignInVerified(ctx context.Context, email, provider, userAgent string) (*app.LoginResult, error)
}

// SingleSignOn is an OpenID Connect provider (sso.Provider).
type SingleSignOn interface {
	// Name is what the sign-in button calls the provider.
	Name() string
	// Start returns the provider's URL to send the browser to and what
	// the browser keeps until it comes back.
	Start(ctx context.Context) (authURL, kept string, err error)
	// Finish returns the verified email of a sign-in that came back.
	Finish(ctx context.Context, code, state, kept string) (string, error)
}
