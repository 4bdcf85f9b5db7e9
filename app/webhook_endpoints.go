package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Audit actions of event webhooks.
const (
	AuditWebhookCreated = "webhook_created"
	AuditWebhookDeleted = "webhook_deleted"
	AuditWebhookRotated = "webhook_secret_rotated"
	AuditWebhookReplay  = "webhook_replayed"
)

// WebhookSecretOverlap is how long the secret before a rotation keeps
// signing, so a receiver can switch to the new one without losing events.
const WebhookSecretOverlap = 24 * time.Hour

// MaxWebhookEndpoints limits the endpoints of one installation.
const MaxWebhookEndpoints = 20

// WebhookInput is an endpoint to register.
type WebhookInput struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// Webhooks are the owner's use cases of event webhooks.
type Webhooks struct {
	Store WebhookStore
	// AllowPrivate lets endpoints use plain http:// and addresses on
	// private networks (WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
	// Now is the clock; nil is the system clock.
	Now Clock
	// Wake is called after a commit that wrote outbox rows; nil does
	// nothing.
	Wake func()
}

// Create registers an endpoint and returns it with its secret, the only
// time the secret is shown besides a rotation.
func (w *Webhooks) Create(ctx context.Context, actor *Admin, in WebhookInput) (*WebhookEndpoint, error) {
	fields := map[string]string{}
	var texts map[string]Text
	u, err := CheckWebhookURL(in.URL, w.AllowPrivate)
	if err != nil {
		fields["url"] = err.Error()
	}
	events, err := parseEventTypes(in.Events)
	if err != nil {
		fields["events"] = fieldOf(&texts, err)
	}
	if len(fields) > 0 {
		return nil, &Error{Code: EINVALID, Message: "The endpoint cannot be registered.", Fields: fields, FieldTexts: texts}
	}
	existing, err := w.Store.WebhookEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	if len(existing) >= MaxWebhookEndpoints {
		return nil, Errorf(ECONFLICT, "There are %d endpoints already; delete one first.", MaxWebhookEndpoints)
	}
	secret, err := NewWebhookSecret()
	if err != nil {
		return nil, err
	}
	e := &WebhookEndpoint{URL: u, Events: events, Secret: secret, CreatedAt: w.Now.Now()}
	if actor != nil {
		e.CreatedBy = &actor.ID
	}
	if err := w.Store.CreateWebhookEndpoint(ctx, e); err != nil {
		return nil, err
	}
	if err := w.audit(ctx, actor, AuditWebhookCreated, e.ID, fmt.Sprintf("%d events", len(events))); err != nil {
		return nil, err
	}
	return e, nil
}

// List returns the endpoints, without their secrets.
func (w *Webhooks) List(ctx context.Context) ([]WebhookEndpoint, error) {
	list, err := w.Store.WebhookEndpoints(ctx)
	for i := range list {
		list[i].Secret, list[i].PreviousSecret = "", ""
	}
	return list, err
}

// Delete removes an endpoint and its deliveries; a delivery in the queue
// is then dropped.
func (w *Webhooks) Delete(ctx context.Context, actor *Admin, id int64) error {
	if _, err := w.Store.WebhookEndpoint(ctx, id); err != nil {
		return err
	}
	if err := w.Store.DeleteWebhookEndpoint(ctx, id); err != nil {
		return err
	}
	return w.audit(ctx, actor, AuditWebhookDeleted, id, "")
}

// RotateSecret gives an endpoint a new secret and returns the endpoint
// with it. The one before keeps signing too for WebhookSecretOverlap.
func (w *Webhooks) RotateSecret(ctx context.Context, actor *Admin, id int64) (*WebhookEndpoint, error) {
	if _, err := w.Store.WebhookEndpoint(ctx, id); err != nil {
		return nil, err
	}
	secret, err := NewWebhookSecret()
	if err != nil {
		return nil, err
	}
	if err := w.Store.RotateWebhookSecret(ctx, id, secret, w.Now.Now().Add(WebhookSecretOverlap)); err != nil {
		return nil, err
	}
	e, err := w.Store.WebhookEndpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	e.PreviousSecret = ""
	if err := w.audit(ctx, actor, AuditWebhookRotated, id, ""); err != nil {
		return nil, err
	}
	return e, nil
}

// Deliveries lists the recent deliveries of an endpoint (0: of all),
// newest first.
func (w *Webhooks) Deliveries(ctx context.Context, endpointID int64, limit int) ([]WebhookDelivery, error) {
	if endpointID > 0 {
		if _, err := w.Store.WebhookEndpoint(ctx, endpointID); err != nil {
			return nil, err
		}
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return w.Store.WebhookDeliveries(ctx, endpointID, limit)
}

// Replay sends a delivery again, whatever became of it, with the event's
// own id (webhook-id), so a receiver that has it already can tell.
func (w *Webhooks) Replay(ctx context.Context, actor *Admin, deliveryID int64) error {
	if err := w.Store.ReplayWebhookDelivery(ctx, deliveryID); err != nil {
		return err
	}
	if w.Wake != nil {
		w.Wake()
	}
	return w.audit(ctx, actor, AuditWebhookReplay, deliveryID, "")
}

func (w *Webhooks) audit(ctx context.Context, actor *Admin, action string, id int64, details string) error {
	return audit(ctx, w.Store, AdminActor(actor), action, "webhook", id, details)
}

// NewWebhookSecret returns a new signing secret: "whsec_" and the base64
// of 32 random bytes.
func NewWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// CheckWebhookURL returns the URL an endpoint may have, or says what is
// wrong with it: an absolute https:// URL (http:// only when private
// addresses are allowed) with a host, no user or password, no fragment,
// and, when the host is an address, not a forbidden one. A host name is
// checked again for each connection, after it is resolved.
func CheckWebhookURL(raw string, allowPrivate bool) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("enter the endpoint's URL")
	}
	if len(raw) > 2000 {
		return "", fmt.Errorf("the URL is longer than 2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("enter an absolute URL such as https://example.com/hooks")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowPrivate:
	case u.Scheme == "http":
		return "", fmt.Errorf("use https:// (plain http:// only with WEBHOOK_ALLOW_PRIVATE=true)")
	default:
		return "", fmt.Errorf("use https://")
	}
	if u.User != nil {
		return "", fmt.Errorf("a user or password in the URL is not allowed; the signature authenticates the product")
	}
	if u.Fragment != "" {
		return "", fmt.Errorf("a URL with a fragment (#) is not allowed")
	}
	host := u.Hostname()
	if host == "" {
		return "", fmt.Errorf("enter the endpoint's host")
	}
	if ip, err := netip.ParseAddr(host); err == nil && !allowPrivate && ForbiddenAddress(ip) {
		return "", fmt.Errorf("a loopback, private or link-local address is not allowed (only with WEBHOOK_ALLOW_PRIVATE=true)")
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") && !allowPrivate {
		return "", fmt.Errorf("a loopback, private or link-local address is not allowed (only with WEBHOOK_ALLOW_PRIVATE=true)")
	}
	if _, port, _ := net.SplitHostPort(u.Host); port == "0" {
		return "", fmt.Errorf("the port must not be 0")
	}
	return u.String(), nil
}

// parseEventTypes checks a list of event types: at least one, each known,
// none twice.
func parseEventTypes(in []string) ([]EventType, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("choose at least one event")
	}
	seen := map[EventType]bool{}
	var out []EventType
	for _, s := range in {
		t := EventType(strings.TrimSpace(s))
		if !t.Known() {
			return nil, Errorf(EINVALID, "unknown event %q", s)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}
