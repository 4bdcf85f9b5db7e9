package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"
)

// EventType names what happened, as event webhooks report it.
type EventType string

// The events an endpoint may ask for. Their payloads carry ids and facts,
// never personal data (no name, address, phone or IP).
const (
	EventSubscriberConfirmed EventType = "subscriber.confirmed"
	EventConsentGranted      EventType = "consent.granted"
	EventConsentWithdrawn    EventType = "consent.withdrawn"
	// EventNewsletterJoined is a person joining one newsletter.
	EventNewsletterJoined EventType = "newsletter.joined"
	// EventNewsletterLeft is a person leaving one newsletter (they may
	// stay on others).
	EventNewsletterLeft     EventType = "newsletter.left"
	EventRequestCreated     EventType = "request.created"
	EventRequestCompleted   EventType = "request.completed"
	EventSubscriberErased   EventType = "subscriber.erased"
	EventCampaignFinished   EventType = "campaign.finished"
	EventDeliveryBounced    EventType = "delivery.bounced"
	EventDeliveryComplained EventType = "delivery.complained"
)

// EventTypes lists every event type in display order.
var EventTypes = []EventType{
	EventSubscriberConfirmed, EventConsentGranted, EventConsentWithdrawn, EventNewsletterJoined, EventNewsletterLeft,
	EventRequestCreated, EventRequestCompleted, EventSubscriberErased, EventCampaignFinished,
	EventDeliveryBounced, EventDeliveryComplained,
}

// Known reports whether t is one of EventTypes.
func (t EventType) Known() bool {
	for _, k := range EventTypes {
		if k == t {
			return true
		}
	}
	return false
}

// OutboxWebhook is the outbox kind of one webhook delivery; its payload is
// WebhookDeliveryRef.
const OutboxWebhook = "webhook:deliver"

// WebhookDeliveryRef is the payload of an OutboxWebhook task.
type WebhookDeliveryRef struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Event is one thing that happened, recorded in the transaction of the
// change that caused it.
type Event struct {
	Type EventType
	At   time.Time
	Data EventData
}

// EventData are the facts of an event: ids and kinds, never personal
// data. Fields that do not apply are left out.
type EventData struct {
	SubscriberID int64         `json:"subscriber_id,omitempty"`
	Purpose      Purpose       `json:"purpose,omitempty"`
	Purposes     []Purpose     `json:"purposes,omitempty"`
	Channel      Channel       `json:"channel,omitempty"`
	RequestID    int64         `json:"request_id,omitempty"`
	RequestKind  RequestKind   `json:"request_kind,omitempty"`
	Status       RequestStatus `json:"status,omitempty"`
	CampaignID   int64         `json:"campaign_id,omitempty"`
	NewsletterID int64         `json:"newsletter_id,omitempty"`
	DeliveryID   int64         `json:"delivery_id,omitempty"`
	// Bounce is "hard" or "soft" for delivery.bounced.
	Bounce string `json:"bounce,omitempty"`
	// Source is who reported a bounce or complaint: "smtp", "dsn",
	// "arf", "ses", "sendgrid", "mailgun", "postmark".
	Source string `json:"source,omitempty"`
}

// Body is the JSON body the endpoints receive, as the Standard Webhooks
// specification lays it out: {"type", "timestamp", "data"}.
func (e Event) Body() ([]byte, error) {
	b, err := json.Marshal(struct {
		Type      EventType `json:"type"`
		Timestamp string    `json:"timestamp"`
		Data      EventData `json:"data"`
	}{e.Type, e.At.UTC().Format(time.RFC3339Nano), e.Data})
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", e.Type, err)
	}
	return b, nil
}

// EventRecorder records events in the transaction of the change that
// caused them: one delivery, and its outbox row, for each endpoint that
// asked for the event's type; nothing when none did.
type EventRecorder interface {
	RecordEvent(ctx context.Context, e Event) error
	// PurgeWebhookEvents deletes events, and their deliveries, recorded
	// before before.
	PurgeWebhookEvents(ctx context.Context, before time.Time) (int64, error)
}

// WebhookEventRetention is how long events and their deliveries are kept
// for the console and replays.
const WebhookEventRetention = 30 * 24 * time.Hour

// WebhookEndpoint is an HTTPS address that receives events.
type WebhookEndpoint struct {
	ID     int64       `json:"id"`
	URL    string      `json:"url"`
	Events []EventType `json:"events"`
	// Secret is "whsec_" and the base64 of the signing key; it is shown
	// when the endpoint is made and when it is rotated, never listed.
	Secret string `json:"secret,omitempty"`
	// PreviousSecret signs too, until PreviousUntil, after a rotation.
	PreviousSecret string     `json:"-"`
	PreviousUntil  *time.Time `json:"previous_secret_until,omitempty"`
	CreatedBy      *int64     `json:"-"`
	CreatedAt      time.Time  `json:"created_at"`
}

// Delivery statuses of a webhook delivery.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"
)

// WebhookDelivery is one event sent, or to be sent, to one endpoint.
type WebhookDelivery struct {
	ID              int64      `json:"id"`
	EventID         int64      `json:"event_id"`
	EndpointID      int64      `json:"endpoint_id"`
	EventType       EventType  `json:"event_type"`
	Status          string     `json:"status"`
	Attempts        int        `json:"attempts"`
	ResponseCode    *int       `json:"response_code"`
	ResponseExcerpt string     `json:"response_excerpt"`
	LastError       string     `json:"last_error"`
	LastAttemptAt   *time.Time `json:"last_attempt_at"`
	DeliveredAt     *time.Time `json:"delivered_at"`
	CreatedAt       time.Time  `json:"created_at"`
}

// WebhookMessage is what a sender needs to send one delivery.
type WebhookMessage struct {
	DeliveryID int64
	Status     string
	// MessageID is the webhook-id header: the same for every attempt,
	// and every endpoint, of one event.
	MessageID string
	URL       string
	Secrets   []string // the current one first
	Body      []byte
}

// WebhookAttempt is the outcome of one attempt to send a delivery.
type WebhookAttempt struct {
	At        time.Time
	Code      int    // the answer's HTTP status; 0 when none came
	Excerpt   string // the start of the answer's body
	Error     string // why no answer came, or why it is a failure
	Delivered bool
	// Final marks a failure after which no attempt follows.
	Final bool
}

// WebhookStore keeps endpoints and deliveries.
type WebhookStore interface {
	CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error)
	WebhookEndpoint(ctx context.Context, id int64) (*WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, id int64) error
	// RotateWebhookSecret makes secret the endpoint's secret; the one
	// before signs too until previousUntil.
	RotateWebhookSecret(ctx context.Context, id int64, secret string, previousUntil time.Time) error
	// WebhookDeliveries lists an endpoint's deliveries, newest first
	// (endpointID 0: every endpoint's).
	WebhookDeliveries(ctx context.Context, endpointID int64, limit int) ([]WebhookDelivery, error)
	// ReplayWebhookDelivery makes a delivery pending again and writes its
	// outbox row, in one transaction.
	ReplayWebhookDelivery(ctx context.Context, id int64) error
	// ClaimWebhookDelivery returns a delivery to send and holds it for
	// hold, so that no other worker sends it meanwhile; ok is false while
	// another holds it. A delivered one is returned unclaimed, to be
	// skipped; a missing one (its endpoint deleted) is ENOTFOUND.
	ClaimWebhookDelivery(ctx context.Context, id int64, at time.Time, hold time.Duration) (m *WebhookMessage, ok bool, err error)
	// RecordWebhookAttempt records an attempt and releases the claim.
	RecordWebhookAttempt(ctx context.Context, id int64, a WebhookAttempt) error
	AddAudit(ctx context.Context, e *AuditEntry) error
}

// ForbiddenAddress reports whether a webhook may not be sent to ip unless
// private addresses are allowed: loopback, private, link-local, shared
// (100.64.0.0/10), unspecified and multicast addresses, IPv4 ones written
// as IPv6 too.
func ForbiddenAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || sharedSpace.Contains(ip) || thisNetwork.Contains(ip)
}

var (
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
)
