package web

import (
	"context"
	"time"

	"newsletter/app"
)

// Subscriptions are the use cases behind the public pages.
type Subscriptions interface {
	Subscribe(ctx context.Context, in app.SubscribeInput, ev app.Evidence, texts app.ConsentTexts) error
	CheckConfirmation(ctx context.Context, token string) (*app.Confirmation, error)
	Confirm(ctx context.Context, token string, ev app.Evidence) (*app.ConfirmResult, error)
	ResendConfirmation(ctx context.Context, token string) error
	RequestPreferencesLink(ctx context.Context, email string) error
	Preferences(ctx context.Context, token string) (*app.PreferencesView, error)
	UpdateProfile(ctx context.Context, token string, in app.ProfileInput, ev app.Evidence) error
	ChangeEmail(ctx context.Context, token, newEmail string, ev app.Evidence) error
	Revoke(ctx context.Context, token string, ev app.Evidence) error
	ExportForToken(ctx context.Context, token string) (*app.Export, error)
	ExportSubscriber(ctx context.Context, subscriberID int64) (*app.Export, error)
}

// Policies are the published versions of the privacy policy.
type Policies interface {
	CurrentPolicy(ctx context.Context) (*app.PolicyVersion, error)
	Policy(ctx context.Context, version string) (*app.PolicyVersion, error)
	Policies(ctx context.Context) ([]app.PolicyVersion, error)
}

// RateLimiter counts events per key in a fixed window shared by every web
// process.
type RateLimiter interface {
	// Allow records one event for key and reports whether it is within
	// limit events per window.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
}

// Directory reads subscribers and their consent records for operators.
type Directory interface {
	ListSubscribers(ctx context.Context, f app.SubscriberFilter) ([]app.Subscriber, error)
	Subscriber(ctx context.Context, id int64) (*app.Subscriber, error)
	Consents(ctx context.Context, subscriberID int64) ([]app.Consent, error)
	ConsentEvents(ctx context.Context, subscriberID int64) ([]app.ConsentEvent, error)
	ListRequests(ctx context.Context, f app.RequestFilter) ([]app.Request, error)
}
