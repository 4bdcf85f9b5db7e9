// Package webhook signs event webhooks as the Standard Webhooks
// specification says and sends them to the owners' endpoints without
// letting an endpoint reach the product's own network.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"newsletter/app"
)

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 of HMAC-SHA256 over "id.timestamp.body" for each secret
// ("whsec_" and the base64 of the key), separated by spaces.
func Sign(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil {
			return "", fmt.Errorf("webhook secret: %w", err)
		}
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%s.%d.", id, ts.Unix())
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// Options configure a Sender.
type Options struct {
	// AllowPrivate lets connections reach loopback, private and
	// link-local addresses (WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
	// Timeout bounds one attempt, from dialling to the last byte read;
	// default 10 s.
	Timeout time.Duration
	// MaxResponse is how much of an answer is read; the rest is not;
	// default 64 KiB.
	MaxResponse int64
	// Transport, when set, adjusts the HTTP transport (tests trust their
	// own TLS server with it).
	Transport func(*http.Transport)
}

// ExcerptLen is how much of an answer's body is kept to show.
const ExcerptLen = 200

// Sender posts signed events.
type Sender struct {
	client *http.Client
	max    int64
}

// ErrForbiddenAddress is returned for a connection to an address that
// webhooks may not reach.
var ErrForbiddenAddress = errors.New("address not allowed for webhooks (loopback, private or link-local)")

// NewSender returns a sender. Every connection is checked after the name
// is resolved, at dial time, so a name that resolves to a public address
// when the endpoint is registered and to a private one later (DNS
// rebinding) is refused too. Proxies from the environment are not used
// (they would dial for us), and redirects are not followed.
func NewSender(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxResponse <= 0 {
		o.MaxResponse = 64 << 10
	}
	dialer := &net.Dialer{Timeout: o.Timeout, Control: DialControl(o.AllowPrivate)}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          20,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	if o.Transport != nil {
		o.Transport(t)
	}
	return &Sender{max: o.MaxResponse, client: &http.Client{
		Transport: t,
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// DialControl is the check of each connection, a net.Dialer's Control: it
// refuses forbidden addresses (app.ForbiddenAddress) unless allowed.
func DialControl(allowPrivate bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
		}
		if app.ForbiddenAddress(ap.Addr()) {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
		}
		return nil
	}
}

// Send posts one message, signed with its secrets, and says what came of
// it: delivered on a 2xx answer. Attempt.Final is left to the caller.
func (s *Sender) Send(ctx context.Context, m *app.WebhookMessage, at time.Time) app.WebhookAttempt {
	a := app.WebhookAttempt{At: at}
	sig, err := Sign(m.Secrets, m.MessageID, at, m.Body)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		a.Error = "bad endpoint URL"
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "newsletter-webhooks/1")
	req.Header.Set("webhook-id", m.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.client.Do(req)
	if err != nil {
		a.Error = describe(err)
		return a
	}
	defer resp.Body.Close()
	// At most MaxResponse bytes are read; a body that breaks off or goes
	// on does not change what the status said.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, s.max))
	a.Code, a.Excerpt = resp.StatusCode, excerpt(body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = fmt.Sprintf("answered %d", resp.StatusCode)
		return a
	}
	a.Delivered = true
	return a
}

// describe says why no answer came, in few words and without the URL
// (which the console shows anyway).
func describe(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "no answer in time"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return strings.ToValidUTF8(msg, "")
}

// excerpt is the start of an answer's body, as valid UTF-8.
func excerpt(b []byte) string {
	if len(b) > ExcerptLen {
		b = b[:ExcerptLen]
	}
	return strings.ToValidUTF8(string(b), "")
}
