package app

import "time"

// SubscriberStatus is the lifecycle state of a subscriber.
type SubscriberStatus string

// Subscriber statuses.
const (
	StatusPending SubscriberStatus = "pending"
	StatusActive  SubscriberStatus = "active"
	StatusBlocked SubscriberStatus = "blocked"
	StatusErased  SubscriberStatus = "erased"
)

// Purpose is what a consent is given for.
type Purpose string

// Consent purposes; each is a separate consent with its own history.
const (
	PurposeProcessing  Purpose = "processing"
	PurposeMarketing   Purpose = "marketing"
	PurposeCrossBorder Purpose = "cross_border"
)

// Purposes lists every purpose in display order.
var Purposes = []Purpose{PurposeProcessing, PurposeMarketing, PurposeCrossBorder}

// ConsentAction is what happened to a consent.
type ConsentAction string

// Consent event actions.
const (
	ConsentGranted   ConsentAction = "granted"
	ConsentConfirmed ConsentAction = "confirmed"
	ConsentWithdrawn ConsentAction = "withdrawn"
)

// RequestKind classifies a data-subject request.
type RequestKind string

// Request kinds.
const (
	KindMarketingOptout   RequestKind = "marketing_optout"
	KindDataUpdate        RequestKind = "data_update"
	KindConsentRevocation RequestKind = "consent_revocation"
	KindAccess            RequestKind = "access"
	KindUnknown           RequestKind = "unknown"
)

// Channel is how a request reached the operator.
type Channel string

// Request and consent channels.
const (
	ChannelEmail    Channel = "email"
	ChannelOneClick Channel = "one_click"
	ChannelWeb      Channel = "web"
	ChannelAdmin    Channel = "admin"
	ChannelAPI      Channel = "api"
	ChannelImport   Channel = "import"
)

// RequestStatus is where a request stands.
type RequestStatus string

// Request statuses.
const (
	RequestReceived             RequestStatus = "received"
	RequestAwaitingConfirmation RequestStatus = "awaiting_confirmation"
	RequestNeedsReview          RequestStatus = "needs_review"
	RequestCompleted            RequestStatus = "completed"
	RequestRejected             RequestStatus = "rejected"
)

// Role is an admin's role.
type Role string

// Admin roles.
const (
	RoleOwner          Role = "owner"
	RoleMarketer       Role = "marketer"
	RolePrivacyOfficer Role = "privacy_officer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleMarketer, RolePrivacyOfficer:
		return true
	}
	return false
}

// Subscriber is a person on the list.
type Subscriber struct {
	ID          int64            `json:"id"`
	Email       string           `json:"email"`
	EmailHash   string           `json:"-"` // keyed hash of Email, matched against the suppression list
	Name        string           `json:"name"`
	Phone       string           `json:"phone"`
	Locale      string           `json:"locale"`
	Status      SubscriberStatus `json:"status"`
	BlockReason string           `json:"block_reason,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	ConfirmedAt *time.Time       `json:"confirmed_at"`
	ErasedAt    *time.Time       `json:"erased_at"`
}

// Consent is the current state of one purpose for one subscriber.
type Consent struct {
	Purpose   Purpose   `json:"purpose"`
	Granted   bool      `json:"granted"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Evidence is what proves an act of consent: when, where, how and under
// which policy version and text.
type Evidence struct {
	At            time.Time `json:"at"`
	Channel       Channel   `json:"channel"`
	IP            string    `json:"ip"`
	UserAgent     string    `json:"user_agent"`
	FormID        string    `json:"form_id"`
	Page          string    `json:"page"`
	PolicyVersion string    `json:"policy_version"`
}

// ConsentEvent is one append-only entry in a consent's history.
type ConsentEvent struct {
	ID           int64         `json:"id"`
	SubscriberID int64         `json:"subscriber_id"`
	Purpose      Purpose       `json:"purpose"`
	Action       ConsentAction `json:"action"`
	Evidence
	ConsentText string `json:"consent_text"`
	RequestID   *int64 `json:"request_id,omitempty"`
}

// Request is one data-subject request in the register.
type Request struct {
	ID             int64         `json:"id"`
	SubscriberID   *int64        `json:"subscriber_id"`
	Kind           RequestKind   `json:"kind"`
	Channel        Channel       `json:"channel"`
	Status         RequestStatus `json:"status"`
	ReceivedAt     time.Time     `json:"received_at"`
	DueAt          *time.Time    `json:"due_at"`
	CompletedAt    *time.Time    `json:"completed_at"`
	Verification   string        `json:"verification"`
	Note           string        `json:"note,omitempty"`
	ExtendedReason string        `json:"extended_reason,omitempty"`
	FlaggedAt      *time.Time    `json:"flagged_at,omitempty"`
	InboundID      *int64        `json:"inbound_id,omitempty"`
	CampaignID     *int64        `json:"campaign_id,omitempty"`
}

// Admin is an operator account of the console and API.
type Admin struct {
	ID           int64     `json:"id"`
	Email        string    `json:"email"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// OutboxMessage is a side effect written in the same transaction as the
// change that caused it, later relayed to the queue exactly once.
type OutboxMessage struct {
	ID        int64
	Kind      string
	Payload   []byte // JSON with ids only
	CreatedAt time.Time
}

// AuditEntry records an operator's action: who, what, when; ids only.
type AuditEntry struct {
	ID          int64     `json:"id"`
	Actor       string    `json:"actor"`
	Action      string    `json:"action"`
	SubjectType string    `json:"subject_type"`
	SubjectID   int64     `json:"subject_id"`
	Details     string    `json:"details"`
	CreatedAt   time.Time `json:"created_at"`
}

// SubscriberFilter narrows a subscriber listing.
type SubscriberFilter struct {
	Email   string // exact normalized address
	Query   string // substring of email or name
	Status  SubscriberStatus
	AfterID int64
	Limit   int
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
	// Newsletters are the newsletters a subscription chose; none means
	// the default newsletter of each consented purpose.
	Newsletters []int64
	Evidence    Evidence
	RequestID   *int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
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
