package app

import (
	"context"
	"time"
)

// Store is the persistence the use cases need, one accessor per area, as a
// contract the compiler checks: the database store declares
// `var _ app.Store = (*store.Store)(nil)`. A method belongs to exactly one
// area; to add one, add it to that area's interface below and implement it
// in the store's file of the same name.
//
// Methods return an *Error with ENOTFOUND when a single thing asked for does
// not exist. Tx runs fn inside one transaction, handing it a Store bound to
// that transaction; the areas of that Store run in the transaction.
type Store interface {
	Tx(ctx context.Context, fn func(tx Store) error) error

	Admins() AdminStore
	Logins() LoginStore
	TwoFactor() TwoFactorStore
	Subscribers() SubscriberStore
	Requests() RequestStore
	Policies() PolicyStore
	// MailLayouts keeps the owner's layout of HTML mail (mail_layout.go).
	MailLayouts() MailLayoutStore
	Suppressions() SuppressionStore
	Campaigns() CampaignStore
	Segments() SegmentStore
	// Newsletters keeps the lists and who is on them (newsletter.go).
	Newsletters() NewsletterStore
	Feedback() FeedbackStore
	Inbound() InboundStore
	Audit() AuditStore
	Outbox() OutboxStore
	Retention() RetentionStore
	// Events records the events of event webhooks (webhooks.go).
	Events() EventRecorder
}

// AdminStore keeps the operators' accounts and API tokens.
type AdminStore interface {
	CreateAdmin(ctx context.Context, a *Admin) error
	Admin(ctx context.Context, id int64) (*Admin, error)
	AdminByEmail(ctx context.Context, email string) (*Admin, error)
	CountAdmins(ctx context.Context) (int64, error)
	ListAdmins(ctx context.Context) ([]AdminAccount, error)
	// AdminEmails returns the addresses of the admins with these ids, in
	// one query (deleted admins are missing).
	AdminEmails(ctx context.Context, ids []int64) (map[int64]string, error)
	// RecordLogin notes the time of an admin's sign-in.
	RecordLogin(ctx context.Context, adminID int64, at time.Time) error
	SetAdminPassword(ctx context.Context, adminID int64, hash string) error
	SetAdminRole(ctx context.Context, adminID int64, role Role) error
	DeleteAdmin(ctx context.Context, adminID int64) error

	CreateAPIToken(ctx context.Context, adminID int64, name, tokenHash string) error
	AdminByTokenHash(ctx context.Context, tokenHash string) (*Admin, error)
	APITokens(ctx context.Context) ([]APITokenInfo, error)
	DeleteAPIToken(ctx context.Context, id int64) error
	// DeleteAdminAPITokens revokes every API token of an admin.
	DeleteAdminAPITokens(ctx context.Context, adminID int64) (int64, error)
}

// LoginStore keeps the sign-in records that throttle failures and the
// console sessions.
type LoginStore interface {
	// LoginRecord returns the sign-in record of account from source (the
	// zero record when there is none).
	LoginRecord(ctx context.Context, account, source string) (LoginRecord, error)
	// AddLoginFailure counts a failed attempt on account from source at
	// at and returns the failures in a row; a run whose last failure is
	// older than since starts afresh.
	AddLoginFailure(ctx context.Context, account, source string, at, since time.Time) (int, error)
	// BlockLogin makes source wait until until before trying account
	// again.
	BlockLogin(ctx context.Context, account, source string, until time.Time) error
	// LoginSucceeded clears the failures and the wait of account from
	// source and notes the success.
	LoginSucceeded(ctx context.Context, account, source string, at time.Time) error
	// ClearLoginBlocks clears the failures and waits of account from every
	// source (the sources it succeeded from stay known).
	ClearLoginBlocks(ctx context.Context, account string) error
	// LoginBlockedUntil returns the latest wait on account (nil: none).
	LoginBlockedUntil(ctx context.Context, account string) (*time.Time, error)
	// PurgeLoginRecords deletes the records untouched since failedBefore
	// whose last success, if any, is older than succeededBefore.
	PurgeLoginRecords(ctx context.Context, failedBefore, succeededBefore time.Time) (int64, error)

	CreateAdminSession(ctx context.Context, s *AdminSession) error
	AdminSession(ctx context.Context, idHash string) (*AdminSession, error)
	TouchAdminSession(ctx context.Context, idHash string, at time.Time, locale string) error
	DeleteAdminSession(ctx context.Context, idHash string) error
	// DeleteAdminSessions ends every session of an admin except keepHash.
	DeleteAdminSessions(ctx context.Context, adminID int64, keepHash string) (int64, error)
	PurgeAdminSessions(ctx context.Context, before time.Time) (int64, error)
}

// TwoFactorStore keeps two-factor sign-in (twofactor.go): enrolments,
// recovery codes, pending sign-ins and the console's settings.
type TwoFactorStore interface {
	// TwoFactorSecret returns an admin's enrolment (ENOTFOUND: none).
	TwoFactorSecret(ctx context.Context, adminID int64) (*TwoFactorSecret, error)
	// StartTwoFactor stores a new, unconfirmed enrolment, replacing an
	// unconfirmed one; it never replaces a confirmed one (ECONFLICT).
	StartTwoFactor(ctx context.Context, adminID int64, sealed string, at time.Time) error
	// ConfirmTwoFactor turns the unconfirmed enrolment on, takes step as
	// its last step and keeps codeHashes as its recovery codes; ECONFLICT
	// when there is no unconfirmed enrolment.
	ConfirmTwoFactor(ctx context.Context, adminID, step int64, codeHashes []string, at time.Time) error
	// TakeTwoFactorStep records step as the last step of a confirmed
	// enrolment when it is later than the last one; false when not.
	TakeTwoFactorStep(ctx context.Context, adminID, step int64) (bool, error)
	// ReplaceRecoveryCodes replaces the recovery codes of a confirmed
	// enrolment with codeHashes; ECONFLICT when two-factor is off.
	ReplaceRecoveryCodes(ctx context.Context, adminID int64, codeHashes []string) error
	// UseRecoveryCode marks an unused recovery code used; false when
	// there is none with that hash.
	UseRecoveryCode(ctx context.Context, adminID int64, codeHash string, at time.Time) (bool, error)
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, adminID int64) (int, error)
	// DeleteTwoFactor removes an enrolment and its recovery codes; false
	// when there was none.
	DeleteTwoFactor(ctx context.Context, adminID int64) (bool, error)
	// TwoFactorAdmins returns the ids of the admins with two-factor on.
	TwoFactorAdmins(ctx context.Context) (map[int64]bool, error)

	// ConsoleSetting returns a setting's value ("" when unset).
	ConsoleSetting(ctx context.Context, name string) (string, error)
	SetConsoleSetting(ctx context.Context, name, value string, at time.Time) error

	CreatePendingLogin(ctx context.Context, p *PendingLogin) error
	PendingLogin(ctx context.Context, idHash string) (*PendingLogin, error)
	// AddPendingFailure counts a wrong code and returns the count.
	AddPendingFailure(ctx context.Context, idHash string) (int, error)
	DeletePendingLogin(ctx context.Context, idHash string) error
	PurgePendingLogins(ctx context.Context, before time.Time) error
}

// SubscriberStore holds subscribers, their consents, confirmations and
// blocks.
type SubscriberStore interface {
	Subscriber(ctx context.Context, id int64) (*Subscriber, error)
	SubscriberByEmail(ctx context.Context, email string) (*Subscriber, error)
	// SubscriberIDByHash returns the id of the subscriber whose address has
	// the keyed hash, or 0.
	SubscriberIDByHash(ctx context.Context, emailHash string) (int64, error)
	CreateSubscriber(ctx context.Context, s *Subscriber) error
	UpdateSubscriber(ctx context.Context, s *Subscriber) error
	ListSubscribers(ctx context.Context, f SubscriberFilter) ([]Subscriber, error)
	// LockSubscriber locks a subscriber row until the transaction ends, so
	// concurrent changes of one person's consents run one after the other.
	LockSubscriber(ctx context.Context, id int64) error
	// CountActiveWithout counts active subscribers who have not granted p.
	CountActiveWithout(ctx context.Context, p Purpose) (int64, error)

	Consents(ctx context.Context, subscriberID int64) ([]Consent, error)
	SetConsent(ctx context.Context, subscriberID int64, p Purpose, granted bool, at time.Time) error
	AddConsentEvent(ctx context.Context, e *ConsentEvent) error
	ConsentEvents(ctx context.Context, subscriberID int64) ([]ConsentEvent, error)

	CreateConfirmation(ctx context.Context, c *Confirmation) error
	// RecordSubscription stores a subscription from a form atomically: sub
	// is created (pending) unless a subscriber with its address exists;
	// then, unless that subscriber is blocked, the confirmation c (for that
	// subscriber) and an outbox row of kind outboxKind with the payload
	// {"confirmation_id":ID} (ConfirmationRef) are written. It reports
	// whether the confirmation was written.
	RecordSubscription(ctx context.Context, sub *Subscriber, c *Confirmation, outboxKind string) (bool, error)
	// WithdrawMarketing withdraws a subscriber's marketing consent if it is
	// granted and the subscriber is not erased, atomically with its consent
	// event (evidence ev) and a completed marketing_optout request (channel
	// ev.Channel, verification "link", campaignID when not 0). It reports
	// whether anything changed; a repeat changes nothing.
	WithdrawMarketing(ctx context.Context, subscriberID, campaignID int64, ev Evidence) (bool, error)
	Confirmation(ctx context.Context, id int64) (*Confirmation, error)
	MarkConfirmationUsed(ctx context.Context, id int64, at time.Time) (bool, error)

	// SetBlocked blocks a subscriber that is pending, active or blocked
	// (blocked = true), or unblocks a blocked one back to active, or to
	// pending when it never confirmed and holds no processing consent. It
	// changes nothing else and reports whether the subscriber was in a
	// state that allows the change.
	SetBlocked(ctx context.Context, subscriberID int64, blocked bool, reason string, at time.Time) (bool, error)
	AddBlockEvent(ctx context.Context, e *BlockEvent) error
	BlockEvents(ctx context.Context, subscriberID int64) ([]BlockEvent, error)
}

// RequestStore is the register of data-subject requests.
type RequestStore interface {
	CreateRequest(ctx context.Context, r *Request) error
	UpdateRequest(ctx context.Context, r *Request) error
	Request(ctx context.Context, id int64) (*Request, error)
	QueryRequests(ctx context.Context, q RequestQuery) ([]Request, error)
	// ExtendRequest moves the deadline of an open, never extended access
	// request and records the reason; it reports false when the request is
	// not such a request.
	ExtendRequest(ctx context.Context, id int64, due time.Time, reason string) (bool, error)
	// CloseRequest completes or rejects an open request; it reports false
	// when the request was already closed.
	CloseRequest(ctx context.Context, id int64, status RequestStatus, note string, at time.Time) (bool, error)
	// FlagRequests stamps flagged_at on open requests that became overdue
	// (due before now, and not flagged since they fell due) or are due
	// before soon (and not flagged yet); it returns the ids of each.
	FlagRequests(ctx context.Context, now, soon time.Time) (overdue, dueSoon []int64, err error)
}

// PolicyStore keeps the published versions of the privacy policy.
type PolicyStore interface {
	CurrentPolicy(ctx context.Context) (*PolicyVersion, error)
	Policy(ctx context.Context, version string) (*PolicyVersion, error)
	ListPolicies(ctx context.Context) ([]PolicyVersion, error)
	CreatePolicy(ctx context.Context, p *PolicyVersion) error
}

// SuppressionStore is the suppression list (keyed hashes of addresses) and
// the record of the entries lifted from it.
type SuppressionStore interface {
	// SuppressionReason returns why an address hash is suppressed, or "".
	SuppressionReason(ctx context.Context, emailHash string) (string, error)
	Suppress(ctx context.Context, emailHash, reason, note string) error
	Unsuppress(ctx context.Context, emailHash string) error
	SuppressionCounts(ctx context.Context) (map[string]int64, error)
	ListSuppressions(ctx context.Context, q SuppressionQuery) ([]Suppression, error)
	AddSuppressionLift(ctx context.Context, l *SuppressionLift) error
	// SuppressionLifts lists lifts, newest first, before beforeID (0: the
	// newest).
	SuppressionLifts(ctx context.Context, beforeID int64, limit int) ([]SuppressionLift, error)
}

// CampaignStore keeps campaigns and what their sending left behind.
// TransitionCampaign returns ECONFLICT when the status is not one of From,
// ENOTFOUND when there is no such campaign.
type CampaignStore interface {
	CreateCampaign(ctx context.Context, c *Campaign) error
	Campaign(ctx context.Context, id int64) (*Campaign, error)
	ListCampaigns(ctx context.Context, f CampaignFilter) ([]Campaign, error)
	// UpdateCampaignDraft writes the editable fields of a draft; ECONFLICT
	// when the campaign is no longer a draft.
	UpdateCampaignDraft(ctx context.Context, c *Campaign) error
	TransitionCampaign(ctx context.Context, id int64, t CampaignTransition) (*Campaign, error)
	// RetryFailedDeliveries makes the failed deliveries of a campaign
	// pending again and reopens it; it returns how many.
	RetryFailedDeliveries(ctx context.Context, id int64) (int64, error)
	// FailedDeliveries lists the failed deliveries of a campaign in id
	// order, after afterID, at most limit.
	FailedDeliveries(ctx context.Context, campaignID, afterID int64, limit int) ([]FailedDelivery, error)
	// CampaignFeedback returns the feedback counters of campaigns by id.
	CampaignFeedback(ctx context.Context, campaignIDs []int64) (map[int64]CampaignFeedback, error)
	// CampaignOutcomes lists the entries behind one counter of a campaign.
	CampaignOutcomes(ctx context.Context, q OutcomeQuery) ([]CampaignOutcome, error)
	// SubscriberDeliveries lists the campaign messages of a subscriber,
	// for the access export.
	SubscriberDeliveries(ctx context.Context, subscriberID int64) ([]DeliveryRecord, error)
	CampaignArchiveStore
}

// CampaignArchiveStore is the persistence of the public archive and of
// the aggregate click counts.
type CampaignArchiveStore interface {
	// SetCampaignArchive publishes (or withdraws) a campaign.
	SetCampaignArchive(ctx context.Context, id int64, on bool) error
	// ArchivedCampaigns lists the published finished campaigns, newest
	// first.
	ArchivedCampaigns(ctx context.Context, offset, limit int) ([]Campaign, error)
	// RegisterCampaignLinks stores a campaign's counted links by index;
	// links stored before stay with their counts.
	RegisterCampaignLinks(ctx context.Context, campaignID int64, urls []string) error
	// CountClick adds one click to a link and returns its URL; ENOTFOUND
	// when there is no such link.
	CountClick(ctx context.Context, campaignID int64, index int) (string, error)
	// CampaignLinkURL returns a link's URL without counting.
	CampaignLinkURL(ctx context.Context, campaignID int64, index int) (string, error)
	// CampaignLinks lists a campaign's counted links by index.
	CampaignLinks(ctx context.Context, campaignID int64) ([]CampaignLink, error)
}

// FeedbackStore is the persistence of delivery feedback.
type FeedbackStore interface {
	// FeedbackTarget returns the delivery with id; ENOTFOUND when there is
	// none.
	FeedbackTarget(ctx context.Context, deliveryID int64) (*FeedbackTarget, error)
	// AddFeedbackEvent stores r unless an event with its key exists; it
	// reports whether it stored it (and sets r.ID).
	AddFeedbackEvent(ctx context.Context, r *FeedbackRecord) (bool, error)
	// SetFeedbackRequest links a stored event to the request it caused.
	SetFeedbackRequest(ctx context.Context, eventID, requestID int64) error
	// RecordReplayKey remembers key at at, forgetting keys seen before
	// purgeBefore; it reports false when key was seen already.
	RecordReplayKey(ctx context.Context, key string, at, purgeBefore time.Time) (bool, error)
}

// InboundStore is the persistence of emailed requests.
type InboundStore interface {
	// AddInbound stores a new message with its raw text; when a message
	// with the same key exists it stores nothing, sets m.ID to the existing
	// row and reports false.
	AddInbound(ctx context.Context, m *InboundMessage, raw []byte) (bool, error)
	// InboundMessage returns a message without its raw text.
	InboundMessage(ctx context.Context, id int64) (*InboundMessage, error)
	// LockInbound returns a message without its raw text and locks it
	// until the transaction ends.
	LockInbound(ctx context.Context, id int64) (*InboundMessage, error)
	// InboundRaw returns the raw message; nil once it was destroyed.
	InboundRaw(ctx context.Context, id int64) ([]byte, error)
	// UpdateInbound writes the processing fields of m.
	UpdateInbound(ctx context.Context, m *InboundMessage) error
	// ListInbound lists stored inbound messages (without raw text).
	ListInbound(ctx context.Context, q InboundQuery) ([]InboundMessage, error)
	// CountReplies counts the messages from senderHash answered since.
	CountReplies(ctx context.Context, senderHash string, since time.Time) (int, error)
	// PurgeInboundRaw destroys the raw text of messages received before
	// cutoff that are done and whose request (if any) is closed.
	PurgeInboundRaw(ctx context.Context, cutoff time.Time) (int64, error)
}

// AuditStore is the append-only audit log.
type AuditStore interface {
	AddAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

// OutboxStore records side effects to be relayed to the queue after commit.
type OutboxStore interface {
	AddOutbox(ctx context.Context, kind string, payload []byte) (int64, error)
}

// RetentionStore destroys and purges data as the policy requires.
type RetentionStore interface {
	// ErasePersonalData destroys every piece of personal data of a
	// subscriber in every table and leaves an anonymous tombstone.
	ErasePersonalData(ctx context.Context, subscriberID int64, at time.Time) error
	CreateDestruction(ctx context.Context, d *Destruction) error
	Destructions(ctx context.Context, afterID int64, limit int) ([]Destruction, error)
	// ExpiredPending lists pending subscribers created before cutoff with
	// no confirmation sent since.
	ExpiredPending(ctx context.Context, cutoff time.Time, limit int) ([]int64, error)
	// DeletePendingSubscriber deletes a never-confirmed subscriber and all
	// it holds; it reports false if the subscriber is no longer pending.
	DeletePendingSubscriber(ctx context.Context, id int64) (bool, error)
	DeleteConfirmationsBefore(ctx context.Context, cutoff time.Time) (int64, error)
	PurgeDestructions(ctx context.Context, cutoff time.Time) (int64, error)
	PurgeOutbox(ctx context.Context, before time.Time) (int64, error)
	// EraseInboundFrom destroys the raw text and summary of every emailed
	// message from the sender with this keyed hash
	// (Signer.Fingerprint(InboundSenderNamespace, address)).
	EraseInboundFrom(ctx context.Context, senderHash string) error
	// CheckpointErasure, outside a transaction, removes the old rows of an
	// erasure that committed from the database's log where the engine
	// keeps them (SQLite's write-ahead log); a no-op where the sweep's
	// Scrub does that (PostgreSQL).
	CheckpointErasure(ctx context.Context) error
	// ScrubMark is the id of the last destruction record Scrub covered.
	ScrubMark(ctx context.Context) (int64, error)
	// Scrub, outside a transaction, removes the residue of the erasures so
	// far from the database files (PostgreSQL: VACUUM of the tables
	// erasures touch; SQLite: the write-ahead log) and records upTo as the
	// ScrubMark.
	Scrub(ctx context.Context, upTo int64, at time.Time) error
}
