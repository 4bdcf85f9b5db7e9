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
	MailPreferencesLink(ctx context.Context, token string) error
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

// Console reads what the admin console shows beyond the API's use cases:
// the dashboard's counts and a subscriber's mail.
type Console interface {
	SubscriberCounts(ctx context.Context) (map[app.SubscriberStatus]int64, error)
	ConsentActivity(ctx context.Context, since time.Time) ([]app.ConsentDay, error)
	// SubscriberDeliveries lists the campaign mail of a subscriber
	// (app.DeliveryRecord values).
	SubscriberDeliveries(ctx context.Context, subscriberID int64) ([]any, error)
}

// Campaigns are the campaign use cases (app.Campaigns): the console and
// the API call the same ones.
type Campaigns interface {
	Create(ctx context.Context, actor *app.Admin, in app.CampaignInput) (*app.Campaign, error)
	Get(ctx context.Context, id int64) (*app.Campaign, error)
	List(ctx context.Context, f app.CampaignFilter) ([]app.Campaign, error)
	Replace(ctx context.Context, actor *app.Admin, id int64, in app.CampaignInput) (*app.Campaign, error)
	Schedule(ctx context.Context, actor *app.Admin, id int64, at *time.Time) (*app.Campaign, error)
	Pause(ctx context.Context, actor *app.Admin, id int64) (*app.Campaign, error)
	Resume(ctx context.Context, actor *app.Admin, id int64) (*app.Campaign, error)
	Cancel(ctx context.Context, actor *app.Admin, id int64) (*app.Campaign, error)
	RetryFailed(ctx context.Context, actor *app.Admin, id int64) (int64, *app.Campaign, error)
	FailedDeliveries(ctx context.Context, id, afterID int64, limit int) ([]app.FailedDelivery, error)
	SendTest(ctx context.Context, actor *app.Admin, id int64, to []string) error
	Outcomes(ctx context.Context, actor *app.Admin, id int64, list string, afterID int64, limit int) ([]app.CampaignOutcome, error)
}

// Privacy are the privacy operations of operators (app.Service): blocking,
// erasure, the request register and its review queue, the suppression
// list and the audit log. The console and the API call the same ones.
type Privacy interface {
	Block(ctx context.Context, actor *app.Admin, subscriberID int64, in app.BlockInput) (*app.Subscriber, error)
	Unblock(ctx context.Context, actor *app.Admin, subscriberID int64, in app.BlockInput) (*app.Subscriber, error)
	BlockHistory(ctx context.Context, subscriberID int64) ([]app.BlockEvent, error)
	EraseByOperator(ctx context.Context, actor *app.Admin, ch app.Channel, subscriberID int64, reason string) (*app.ErasureResult, error)
	Requests(ctx context.Context, q app.RequestQuery) ([]app.Request, error)
	Request(ctx context.Context, id int64) (*app.Request, error)
	RegisterRequest(ctx context.Context, actor *app.Admin, in app.RegisterInput) (*app.Request, error)
	DeadlineState(r *app.Request) string
	CloseRequest(ctx context.Context, actor *app.Admin, id int64, reject bool, note string) (*app.Request, error)
	ExtendRequest(ctx context.Context, actor *app.Admin, id int64, reason string) (*app.Request, error)
	ReviewQueue(ctx context.Context, afterID int64, limit int) ([]app.ReviewItem, error)
	AssignRequest(ctx context.Context, actor *app.Admin, id int64, kind app.RequestKind) (*app.Request, error)
	RejectRequest(ctx context.Context, actor *app.Admin, id int64, reason string) (*app.Request, error)
	SuppressionCounts(ctx context.Context) (map[string]int64, error)
	Suppressions(ctx context.Context, q app.SuppressionQuery) ([]app.Suppression, error)
	SuppressManually(ctx context.Context, actor *app.Admin, email, note string) (string, error)
	RemoveSuppression(ctx context.Context, actor *app.Admin, key string) error
	LiftSuppression(ctx context.Context, actor *app.Admin, key, reason string) (*app.SuppressionLift, error)
	SuppressionLifts(ctx context.Context, beforeID int64, limit int) ([]app.SuppressionLift, error)
	InboundNotActed(ctx context.Context, beforeID int64, limit int) ([]app.InboundItem, error)
	Audit(ctx context.Context, q app.AuditQuery) ([]app.AuditEntry, error)
	RecordAction(ctx context.Context, actor *app.Admin, action, subjectType string, subjectID int64, details string) error
	Destructions(ctx context.Context, afterID int64, limit int) ([]app.Destruction, error)
	CrossBorder(ctx context.Context) (*app.CrossBorderStatus, error)
}

// Unsubscribes are the use cases behind unsubscribe links (the RFC 8058
// one-click endpoint and the unsubscribe page) and the page confirming a
// revocation asked for by email.
type Unsubscribes interface {
	UnsubscribeState(ctx context.Context, token string) (*app.UnsubscribeState, error)
	OneClickUnsubscribe(ctx context.Context, token string, ev app.Evidence) error
	Unsubscribe(ctx context.Context, token, choice string, ev app.Evidence) (*app.UnsubscribeState, error)
	CheckRevocation(ctx context.Context, token string) (*app.Confirmation, error)
	ConfirmRevocation(ctx context.Context, token string, ev app.Evidence) error
	CancelRevocation(ctx context.Context, token string) error
}

// InboundMail stores emailed requests for processing.
type InboundMail interface {
	ReceiveInbound(ctx context.Context, raw []byte, src app.InboundSource) (id int64, created bool, err error)
}
