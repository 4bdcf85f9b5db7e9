package web

import (
	"context"
	"io"
	"time"

	"newsletter/app"
)

// The interfaces the web layer calls, one small one per area, declared
// here where they are used; the binary plugs in the implementations
// (Deps). The names in parentheses are what implements them today.

// Pages renders the HTML pages (templates.Renderer).
type Pages interface {
	Page(w io.Writer, name, locale string, data any) error
}

// Pinger is a dependency whose health /readyz reports.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Check is one named readiness check.
type Check struct {
	Name string
	Ping Pinger
}

// Keys fingerprint values for rate-limit keys, stamp forms, and verify the
// signed links of mail (app.Signer).
type Keys interface {
	Fingerprint(namespace, value string) string
	FormStamp(at time.Time) string
	FormAge(stamp string, now time.Time) (age time.Duration, ok bool)
	Verify(raw string, purpose app.TokenPurpose, now time.Time) (app.Token, error)
}

// RateLimiter counts events per key over a sliding window shared by every
// web process.
type RateLimiter interface {
	// Allow records one event for key and reports whether it is within
	// limit events per window.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
}

// Subscriptions are the use cases of the subscription form and its
// confirmation link (app.Subscriptions).
type Subscriptions interface {
	Subscribe(ctx context.Context, in app.SubscribeInput, ev app.Evidence, texts app.ConsentTexts) error
	CheckConfirmation(ctx context.Context, token string) (*app.Confirmation, error)
	Confirm(ctx context.Context, token string, ev app.Evidence) (*app.ConfirmResult, error)
	ResendConfirmation(ctx context.Context, token string) error
}

// NewsletterLists are the use cases of newsletters (app.Newsletters):
// everyone who sends reads them; owners create and change them.
type NewsletterLists interface {
	List(ctx context.Context) ([]app.Newsletter, error)
	Public(ctx context.Context) ([]app.Newsletter, error)
	Get(ctx context.Context, id int64) (*app.Newsletter, error)
	Create(ctx context.Context, actor *app.Admin, in app.NewsletterInput) (*app.Newsletter, error)
	Update(ctx context.Context, actor *app.Admin, id int64, in app.NewsletterInput) (*app.Newsletter, error)
}

// PreferenceCentre are the use cases of the preference centre and of the
// requests for its link (app.Subscriptions).
type PreferenceCentre interface {
	RequestPreferencesLink(ctx context.Context, email string) error
	MailPreferencesLink(ctx context.Context, token string) error
	Preferences(ctx context.Context, token string) (*app.PreferencesView, error)
	UpdateProfile(ctx context.Context, token string, in app.ProfileInput, ev app.Evidence) error
	ChangeEmail(ctx context.Context, token, newEmail string, ev app.Evidence) error
	Revoke(ctx context.Context, token string, ev app.Evidence) error
	ExportForToken(ctx context.Context, token string) (*app.Export, error)
}

// Unsubscribes are the use cases behind unsubscribe links (the RFC 8058
// one-click endpoint and the unsubscribe page) and the page confirming a
// revocation asked for by email (app.Subscriptions).
type Unsubscribes interface {
	UnsubscribeState(ctx context.Context, token string) (*app.UnsubscribeState, error)
	OneClickUnsubscribe(ctx context.Context, token string, ev app.Evidence) error
	Unsubscribe(ctx context.Context, token, choice string, ev app.Evidence) (*app.UnsubscribeState, error)
	CheckRevocation(ctx context.Context, token string) (*app.Confirmation, error)
	ConfirmRevocation(ctx context.Context, token string, ev app.Evidence) error
	CancelRevocation(ctx context.Context, token string) error
}

// Policies are the published versions of the privacy policy (the store).
type Policies interface {
	CurrentPolicy(ctx context.Context) (*app.PolicyVersion, error)
	Policy(ctx context.Context, version string) (*app.PolicyVersion, error)
	ListPolicies(ctx context.Context) ([]app.PolicyVersion, error)
}

// PolicyPublisher publishes a new version of the privacy policy
// (app.Admins).
type PolicyPublisher interface {
	PublishPolicy(ctx context.Context, actor *app.Admin, p *app.PolicyVersion) error
}

// InboundMail stores emailed requests for processing (app.Inbound).
type InboundMail interface {
	ReceiveInbound(ctx context.Context, raw []byte, src app.InboundSource) (id int64, created bool, err error)
}

// WebhookReader verifies and reads one mail provider's webhook requests
// (package feedback implements it for each provider).
type WebhookReader interface {
	Read(ctx context.Context, r app.WebhookRequest) (*app.WebhookBatch, error)
}

// FeedbackRecorder records the events of a verified webhook request
// (app.Feedback).
type FeedbackRecorder interface {
	RecordWebhook(ctx context.Context, replayKey string, events []app.FeedbackEvent) (app.FeedbackResult, error)
}

// APITokens authenticates the bearer tokens of the API (app.Admins).
type APITokens interface {
	Authenticate(ctx context.Context, token string) (*app.Admin, error)
}

// SignIn opens, checks and closes the console's sessions (app.AdminAuth).
type SignIn interface {
	Login(ctx context.Context, at app.LoginAttempt) (*app.LoginResult, error)
	Session(ctx context.Context, rawID, userAgent string) (*app.AdminSession, *app.Admin, error)
	SetLocale(ctx context.Context, s *app.AdminSession, locale string) error
	Logout(ctx context.Context, rawID string) error
	ChangePassword(ctx context.Context, admin *app.Admin, s *app.AdminSession, current, next, repeat string) error
}

// Accounts are the owner's management of console accounts and API tokens
// (app.AdminAuth).
type Accounts interface {
	Accounts(ctx context.Context) ([]app.AdminAccount, error)
	CreateAccount(ctx context.Context, actor *app.Admin, email string, role app.Role) (*app.Admin, string, error)
	SetRole(ctx context.Context, actor *app.Admin, id int64, role app.Role) error
	Unlock(ctx context.Context, actor *app.Admin, id int64) error
	ResetPassword(ctx context.Context, actor *app.Admin, id int64, revokeTokens bool) (*app.PasswordReset, error)
	DeleteAccount(ctx context.Context, actor *app.Admin, id int64) error
	Tokens(ctx context.Context) ([]app.APITokenInfo, error)
	CreateToken(ctx context.Context, actor *app.Admin, adminID int64, name string) (string, error)
	RevokeToken(ctx context.Context, actor *app.Admin, id int64) error
}

// ConsoleAuth is what the console needs of its accounts (app.AdminAuth).
type ConsoleAuth interface {
	SignIn
	Accounts
}

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
	RenewRecoveryCodes(ctx context.Context, admin *app.Admin, code string) (*app.Enrolled, error)

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

// Directory reads subscribers and their consent records for operators
// (the store).
type Directory interface {
	ListSubscribers(ctx context.Context, f app.SubscriberFilter) ([]app.Subscriber, error)
	Subscriber(ctx context.Context, id int64) (*app.Subscriber, error)
	Consents(ctx context.Context, subscriberID int64) ([]app.Consent, error)
	ConsentEvents(ctx context.Context, subscriberID int64) ([]app.ConsentEvent, error)
	// Memberships and NewsletterEvents are a subscriber's newsletters and
	// their joins and leaves.
	Memberships(ctx context.Context, subscriberID int64) ([]app.NewsletterMembership, error)
	NewsletterEvents(ctx context.Context, subscriberID int64) ([]app.NewsletterEvent, error)
}

// Bulk imports files of subscribers in the background and exports the
// subscribers (app.Bulk).
type Bulk interface {
	StartImport(ctx context.Context, actor *app.Admin, path string, dryRun bool, newsletters []int64) (*app.ImportJob, error)
	ImportJob(ctx context.Context, id int64) (*app.ImportJob, error)
	RecentImportJobs(ctx context.Context, limit int) ([]app.ImportJob, error)
	Newsletters(ctx context.Context) ([]app.Newsletter, error)
	BeginExport(ctx context.Context, actor *app.Admin) error
	ExportPages(ctx context.Context, fn func([]app.SubscriberRecord) error) error
}

// Dashboard reads the console's counts and a subscriber's mail (the
// store).
type Dashboard interface {
	SubscriberCounts(ctx context.Context) (map[app.SubscriberStatus]int64, error)
	ConsentActivity(ctx context.Context, since time.Time, loc *time.Location) ([]app.ConsentDay, error)
	// SubscriberDeliveries lists the campaign mail of a subscriber
	// in id order.
	SubscriberDeliveries(ctx context.Context, subscriberID int64) ([]app.DeliveryRecord, error)
}

// Campaigns are the campaign use cases (app.Campaigns): the console and
// the API call the same ones.
type Campaigns interface {
	Create(ctx context.Context, actor *app.Admin, in app.CampaignInput) (*app.Campaign, error)
	Get(ctx context.Context, id int64) (*app.Campaign, error)
	List(ctx context.Context, f app.CampaignFilter) ([]app.Campaign, error)
	Replace(ctx context.Context, actor *app.Admin, id int64, in app.CampaignInput) (*app.Campaign, error)
	Update(ctx context.Context, actor *app.Admin, id int64, p app.CampaignPatch) (*app.Campaign, error)
	Schedule(ctx context.Context, actor *app.Admin, id int64, at *time.Time) (*app.Campaign, error)
	Pause(ctx context.Context, actor *app.Admin, id int64) (*app.Campaign, error)
	Resume(ctx context.Context, actor *app.Admin, id int64) (*app.Campaign, error)
	Cancel(ctx context.Context, actor *app.Admin, id int64) (*app.Campaign, error)
	RetryFailed(ctx context.Context, actor *app.Admin, id int64) (int64, *app.Campaign, error)
	FailedDeliveries(ctx context.Context, id, afterID int64, limit int) ([]app.FailedDelivery, error)
	SendTest(ctx context.Context, actor *app.Admin, id int64, to []string) error
	Outcomes(ctx context.Context, actor *app.Admin, id int64, list string, afterID int64, limit int) ([]app.CampaignOutcome, error)
	Audience(ctx context.Context, id int64) (*app.AudienceCount, error)
	Unschedule(ctx context.Context, actor *app.Admin, id int64) (*app.Campaign, error)
	Duplicate(ctx context.Context, actor *app.Admin, id int64, template bool) (*app.Campaign, error)
}

// Segments are the saved filters of campaigns (app.Segments).
type Segments interface {
	Create(ctx context.Context, actor *app.Admin, in app.SegmentInput) (*app.Segment, error)
	Get(ctx context.Context, id int64) (*app.Segment, error)
	List(ctx context.Context) ([]app.Segment, error)
	Update(ctx context.Context, actor *app.Admin, id int64, in app.SegmentInput) (*app.Segment, error)
	Delete(ctx context.Context, actor *app.Admin, id int64) error
}

// Blocking suspends and resumes the processing of a person's data
// (app.Privacy).
type Blocking interface {
	Block(ctx context.Context, actor *app.Admin, subscriberID int64, in app.BlockInput) (*app.Subscriber, error)
	Unblock(ctx context.Context, actor *app.Admin, subscriberID int64, in app.BlockInput) (*app.Subscriber, error)
	BlockHistory(ctx context.Context, subscriberID int64) ([]app.BlockEvent, error)
}

// PersonalData exports and erases a person's data at an operator's hand,
// and lists the destruction records (app.Privacy).
type PersonalData interface {
	ExportSubscriber(ctx context.Context, subscriberID int64) (*app.Export, error)
	EraseByOperator(ctx context.Context, actor *app.Admin, ch app.Channel, subscriberID int64, reason string) (*app.ErasureResult, error)
	Destructions(ctx context.Context, afterID int64, limit int) ([]app.Destruction, error)
	// MailExport and ExportForLink mail a person a link to their export
	// and open it.
	MailExport(ctx context.Context, actor *app.Admin, subscriberID int64) error
	ExportForLink(ctx context.Context, token string) (x *app.Export, locale string, err error)
}

// Register is the register of data-subject requests, its review queue, and
// the emailed mail nothing was done with (app.Register; InboundNotActed:
// app.Inbound).
type Register interface {
	Requests(ctx context.Context, q app.RequestQuery) ([]app.Request, error)
	Request(ctx context.Context, id int64) (*app.Request, error)
	RegisterRequest(ctx context.Context, actor *app.Admin, in app.RegisterInput) (*app.Request, error)
	RegisterRequests(ctx context.Context, actor *app.Admin, in app.RegisterInput) ([]*app.Request, error)
	DeadlineState(r *app.Request) string
	CloseRequest(ctx context.Context, actor *app.Admin, id int64, reject bool, note string) (*app.Request, error)
	ExtendRequest(ctx context.Context, actor *app.Admin, id int64, reason string) (*app.Request, error)
	AddRequestNote(ctx context.Context, actor *app.Admin, id int64, body string) (*app.RequestNote, error)
	RequestNotes(ctx context.Context, id int64) ([]app.RequestNote, error)
	AnswerRequest(ctx context.Context, actor *app.Admin, id int64, text string) (*app.RequestNote, error)
	ReviewQueue(ctx context.Context, afterID int64, limit int) ([]app.ReviewItem, error)
	AssignRequest(ctx context.Context, actor *app.Admin, id int64, kind app.RequestKind) (*app.Request, error)
	RejectRequest(ctx context.Context, actor *app.Admin, id int64, reason string) (*app.Request, error)
	InboundNotActed(ctx context.Context, beforeID int64, limit int) ([]app.InboundItem, error)
}

// SuppressionList is the list of addresses never mailed, and its lifts
// (app.Privacy).
type SuppressionList interface {
	SuppressionCounts(ctx context.Context) (map[string]int64, error)
	Suppressions(ctx context.Context, q app.SuppressionQuery) ([]app.Suppression, error)
	SuppressManually(ctx context.Context, actor *app.Admin, email, note string) (string, error)
	RemoveSuppression(ctx context.Context, actor *app.Admin, key string) error
	LiftSuppression(ctx context.Context, actor *app.Admin, key, reason string) (*app.SuppressionLift, error)
	SuppressionLifts(ctx context.Context, beforeID int64, limit int) ([]app.SuppressionLift, error)
}

// AuditLog reads and writes the operators' audit log (app.Privacy).
type AuditLog interface {
	Audit(ctx context.Context, q app.AuditQuery) ([]app.AuditEntry, error)
	RecordAction(ctx context.Context, actor *app.Admin, action, subjectType string, subjectID int64, details string) error
	// ActorEmails returns the addresses of the operators among actors, by
	// admin id, in one query.
	ActorEmails(ctx context.Context, actors []string) (map[int64]string, error)
}

// Transfers reports how the cross-border rule applies (app.Privacy).
type Transfers interface {
	CrossBorder(ctx context.Context) (*app.CrossBorderStatus, error)
}

// Privacy are the privacy officer's operations; the console and the API
// call the same ones (app.Privacy, app.Register and app.Inbound together).
type Privacy interface {
	Blocking
	PersonalData
	Register
	SuppressionList
	AuditLog
	Transfers
}

// EventHooks are the owner's event webhooks: endpoints, their recent
// deliveries and replays (app.Webhooks); the console and the API call the
// same ones.
type EventHooks interface {
	Create(ctx context.Context, actor *app.Admin, in app.WebhookInput) (*app.WebhookEndpoint, error)
	List(ctx context.Context) ([]app.WebhookEndpoint, error)
	Delete(ctx context.Context, actor *app.Admin, id int64) error
	RotateSecret(ctx context.Context, actor *app.Admin, id int64) (*app.WebhookEndpoint, error)
	Deliveries(ctx context.Context, endpointID int64, limit int) ([]app.WebhookDelivery, error)
	Replay(ctx context.Context, actor *app.Admin, deliveryID int64) error
}
