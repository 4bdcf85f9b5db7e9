package app

import (
	"context"
	"time"
)

// Store is the persistence the use cases need. Methods return an *Error with
// ENOTFOUND when a single thing asked for does not exist. Tx runs fn inside one
// transaction, handing it a Store bound to that transaction.
type Store interface {
	Tx(ctx context.Context, fn func(tx Store) error) error

	CreateAdmin(ctx context.Context, a *Admin) error
	Admin(ctx context.Context, id int64) (*Admin, error)
	AdminByEmail(ctx context.Context, email string) (*Admin, error)
	CountAdmins(ctx context.Context) (int64, error)
	CreateAPIToken(ctx context.Context, adminID int64, name, tokenHash string) error
	AdminByTokenHash(ctx context.Context, tokenHash string) (*Admin, error)

	// AddOutbox records a side effect to be relayed to the queue after commit.
	AddOutbox(ctx context.Context, kind string, payload []byte) (int64, error)
	AddAudit(ctx context.Context, e *AuditEntry) error

	SubscriberStore
	RetentionStore
	EventRecorder
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

// SubscriberStore holds subscribers, their consents, confirmations, requests
// and policy versions.
type SubscriberStore interface {
	Subscriber(ctx context.Context, id int64) (*Subscriber, error)
	SubscriberByEmail(ctx context.Context, email string) (*Subscriber, error)
	CreateSubscriber(ctx context.Context, s *Subscriber) error
	UpdateSubscriber(ctx context.Context, s *Subscriber) error
	ListSubscribers(ctx context.Context, f SubscriberFilter) ([]Subscriber, error)

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

	CreateRequest(ctx context.Context, r *Request) error
	UpdateRequest(ctx context.Context, r *Request) error
	Request(ctx context.Context, id int64) (*Request, error)
	ListRequests(ctx context.Context, f RequestFilter) ([]Request, error)

	CurrentPolicy(ctx context.Context) (*PolicyVersion, error)
	Policy(ctx context.Context, version string) (*PolicyVersion, error)
	Policies(ctx context.Context) ([]PolicyVersion, error)
	CreatePolicy(ctx context.Context, p *PolicyVersion) error

	// SuppressionReason returns why an address hash is suppressed, or "".
	SuppressionReason(ctx context.Context, emailHash string) (string, error)
	Suppress(ctx context.Context, emailHash, reason, note string) error
	Unsuppress(ctx context.Context, emailHash string) error
}

// SubscriberFilter narrows a subscriber listing.
type SubscriberFilter struct {
	Email   string // exact normalized address
	Query   string // substring of email or name
	Status  SubscriberStatus
	AfterID int64
	Limit   int
}

// RequestFilter narrows a request listing.
type RequestFilter struct {
	Status       RequestStatus
	Kind         RequestKind
	SubscriberID int64
	AfterID      int64
	Limit        int
}

// Confirmation is a pending change that takes effect when the person follows
// the link mailed to them: a subscription, an email change or a revocation.
type Confirmation struct {
	ID           int64
	SubscriberID int64
	Kind         string // ConfirmSubscribe, ConfirmEmailChange, ConfirmRevocation
	Email        string
	Name         string
	Phone        string
	Locale       string
	Purposes     []Purpose
	ConsentTexts map[Purpose]string
	Evidence     Evidence
	RequestID    *int64
	CreatedAt    time.Time
	ExpiresAt    time.Time
	UsedAt       *time.Time
}

// Confirmation kinds.
const (
	ConfirmSubscribe   = "subscribe"
	ConfirmEmailChange = "email_change"
	ConfirmRevocation  = "revocation"
)

// PolicyVersion is one published version of the privacy policy.
type PolicyVersion struct {
	ID          int64     `json:"id"`
	Version     string    `json:"version"`
	BodyEN      string    `json:"body_en"`
	BodyRU      string    `json:"body_ru"`
	PublishedAt time.Time `json:"published_at"`
}

// Suppression reasons.
const (
	SuppressErased     = "erased"
	SuppressHardBounce = "hard_bounce"
	SuppressComplaint  = "complaint"
	SuppressManual     = "manual"
)
