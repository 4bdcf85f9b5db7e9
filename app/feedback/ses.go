package feedback

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"newsletter/app"
)

// SESReader reads Amazon SES bounce and complaint notifications delivered
// by Amazon SNS to an HTTPS subscription. Every SNS message is checked:
//
//   - its signature (SignatureVersion 1: RSA with SHA-1; 2: RSA with
//     SHA-256) over the fields SNS signs, with the certificate at
//     SigningCertURL, which must be an https URL of an SNS host
//     (sns.<region>.amazonaws.com, or .amazonaws.com.cn) and is fetched
//     once;
//   - the certificate's validity, and its chain to Roots when they are set;
//   - its TopicArn, which must be one of TopicARNs (anyone can create an
//     SNS topic and subscribe this URL to it);
//   - its Timestamp, within the replay window.
//
// A SubscriptionConfirmation of an accepted topic is confirmed by fetching
// its SubscribeURL (also restricted to SNS hosts).
type SESReader struct {
	// TopicARNs are the SNS topics whose notifications are taken.
	TopicARNs []string
	// Fetch gets a signing certificate or a SubscribeURL; nil uses an
	// HTTPS client that follows no redirect. The URL has already been
	// checked to be an https URL of an SNS host.
	Fetch func(ctx context.Context, url string) ([]byte, error)
	// Roots, when set, are the certificate authorities a signing
	// certificate must chain to (with the intermediates its PEM file
	// holds). When nil, the certificate is trusted for coming over HTTPS
	// from the SNS host itself.
	Roots *x509.CertPool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	certs sync.Map // signing certificate URL -> *x509.Certificate
}

// snsMessage is the JSON body of an SNS HTTP(S) delivery.
type snsMessage struct {
	Type             string
	MessageID        string `json:"MessageId"`
	Token            string
	TopicArn         string
	Subject          *string
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL"`
}

// snsHostRe is the host of an SNS endpoint.
var snsHostRe = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// checkSNSURL refuses any URL but https://sns.<region>.amazonaws.com/...
func checkSNSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || !snsHostRe.MatchString(u.Host) {
		return errors.New("not an https URL of an SNS host")
	}
	return nil
}

// Read implements web.WebhookReader.
func (p *SESReader) Read(ctx context.Context, r app.WebhookRequest) (*app.WebhookBatch, error) {
	var m snsMessage
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return nil, unauthorized("The request is not a signed SNS message.")
	}
	if m.Signature == "" || m.SigningCertURL == "" {
		return nil, unauthorized("The SNS message is not signed.")
	}
	if t := r.Header("X-Amz-Sns-Message-Type"); t != "" && t != m.Type {
		return nil, unauthorized("The SNS message type does not match its header.")
	}
	if err := p.verify(ctx, &m); err != nil {
		return nil, err
	}
	at, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil || !fresh(at, clock(p.Now)) {
		return nil, forbidden("The SNS message is too old or dated in the future.")
	}
	if !slices.Contains(p.TopicARNs, m.TopicArn) {
		return nil, forbidden("The SNS topic is not one this installation takes notifications from.")
	}
	batch := &app.WebhookBatch{ReplayKey: SES + ":" + m.MessageID}
	switch m.Type {
	case "SubscriptionConfirmation":
		if err := checkSNSURL(m.SubscribeURL); err != nil {
			return nil, forbidden("The SubscribeURL is not an https URL of an SNS host.")
		}
		if _, err := p.fetch(ctx, m.SubscribeURL); err != nil {
			return nil, fmt.Errorf("confirm SNS subscription: %w", err)
		}
	case "Notification":
		events, err := sesEvents(m.Message, m.MessageID, at)
		if err != nil {
			return nil, err
		}
		batch.Events = events
	}
	return batch, nil
}

// verify checks the message's signature with its signing certificate.
func (p *SESReader) verify(ctx context.Context, m *snsMessage) error {
	var hash crypto.Hash
	switch m.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return unauthorized("Unknown SNS signature version.")
	}
	if err := checkSNSURL(m.SigningCertURL); err != nil {
		return unauthorized("The SNS signing certificate is not on an SNS host.")
	}
	toSign, err := snsStringToSign(m)
	if err != nil {
		return unauthorized(err.Error())
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return unauthorized("The SNS signature is not base64.")
	}
	cert, err := p.certificate(ctx, m.SigningCertURL)
	if err != nil {
		return err
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return unauthorized("The SNS signing certificate has no RSA key.")
	}
	var digest []byte
	if hash == crypto.SHA1 {
		d := sha1.Sum([]byte(toSign))
		digest = d[:]
	} else {
		d := sha256.Sum256([]byte(toSign))
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(key, hash, digest, sig); err != nil {
		return unauthorized("The SNS signature does not verify.")
	}
	return nil
}

// snsStringToSign is the text SNS signs: "Name\nvalue\n" for each signed
// field of the message type, in this order.
func snsStringToSign(m *snsMessage) (string, error) {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	switch m.Type {
	case "Notification":
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		if m.Subject != nil {
			add("Subject", *m.Subject)
		}
		add("Timestamp", m.Timestamp)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		add("SubscribeURL", m.SubscribeURL)
		add("Timestamp", m.Timestamp)
		add("Token", m.Token)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	default:
		return "", errors.New("unknown SNS message type")
	}
	return b.String(), nil
}

// certificate returns the signing certificate at u, fetched once.
func (p *SESReader) certificate(ctx context.Context, u string) (*x509.Certificate, error) {
	if c, ok := p.certs.Load(u); ok {
		cert := c.(*x509.Certificate)
		if err := p.checkCertificate(cert, nil); err == nil {
			return cert, nil
		}
		p.certs.Delete(u)
	}
	body, err := p.fetch(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("fetch SNS signing certificate: %w", err)
	}
	var certs []*x509.Certificate
	for rest := body; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, unauthorized("The SNS signing certificate cannot be read.")
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, unauthorized("The SNS signing certificate cannot be read.")
	}
	if err := p.checkCertificate(certs[0], certs[1:]); err != nil {
		return nil, err
	}
	p.certs.Store(u, certs[0])
	return certs[0], nil
}

// checkCertificate checks a signing certificate's validity now and, with
// Roots, its chain.
func (p *SESReader) checkCertificate(c *x509.Certificate, intermediates []*x509.Certificate) error {
	now := clock(p.Now)
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return unauthorized("The SNS signing certificate is not valid now.")
	}
	if p.Roots == nil {
		return nil
	}
	pool := x509.NewCertPool()
	for _, ic := range intermediates {
		pool.AddCert(ic)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: p.Roots, Intermediates: pool, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return unauthorized("The SNS signing certificate is not issued by a trusted authority.")
	}
	return nil
}

// fetch gets u (already checked to be an SNS URL).
func (p *SESReader) fetch(ctx context.Context, u string) ([]byte, error) {
	if p.Fetch != nil {
		return p.Fetch(ctx, u)
	}
	return httpsGet(ctx, u)
}

// snsClient follows no redirect: a URL of an SNS host must not lead
// elsewhere.
var snsClient = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func httpsGet(ctx context.Context, u string) ([]byte, error) {
	if err := checkSNSURL(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := snsClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<10))
}

// sesNotification is an SES notification (or event publishing record) in
// the Message of an SNS notification.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Mail             struct {
		MessageID string `json:"messageId"`
		Headers   []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
		CommonHeaders struct {
			MessageID string `json:"messageId"`
		} `json:"commonHeaders"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string `json:"bounceType"`
		FeedbackID        string `json:"feedbackId"`
		Timestamp         string `json:"timestamp"`
		BouncedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
			Status       string `json:"status"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		FeedbackID            string `json:"feedbackId"`
		Timestamp             string `json:"timestamp"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
		ComplainedRecipients  []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
}

// sesEvents reads the bounces and complaints of an SES notification.
func sesEvents(message, snsID string, at time.Time) ([]app.FeedbackEvent, error) {
	var n sesNotification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return nil, invalid("The SNS notification does not hold an SES notification.")
	}
	kind := n.NotificationType
	if kind == "" {
		kind = n.EventType
	}
	refs := []string{n.Mail.CommonHeaders.MessageID}
	for _, h := range n.Mail.Headers {
		if strings.EqualFold(h.Name, app.DeliveryRefHeader) || strings.EqualFold(h.Name, "Message-ID") || strings.EqualFold(h.Name, "Return-Path") {
			refs = append(refs, h.Value)
		}
	}
	refs = hints(refs...)
	var out []app.FeedbackEvent
	switch {
	case kind == "Bounce" && n.Bounce != nil:
		k := app.FeedbackSoftBounce
		if n.Bounce.BounceType == "Permanent" {
			k = app.FeedbackHardBounce
		}
		id := n.Bounce.FeedbackID
		if id == "" {
			id = snsID
		}
		when := parseTime(n.Bounce.Timestamp, at)
		for _, r := range n.Bounce.BouncedRecipients {
			out = append(out, app.FeedbackEvent{Key: id + "/" + strings.ToLower(r.EmailAddress), Source: SES, Kind: k, RefHints: refs,
				Recipient: r.EmailAddress, Status: r.Status, At: when})
		}
	case kind == "Complaint" && n.Complaint != nil:
		if n.Complaint.ComplaintFeedbackType == "not-spam" {
			return nil, nil
		}
		id := n.Complaint.FeedbackID
		if id == "" {
			id = snsID
		}
		when := parseTime(n.Complaint.Timestamp, at)
		for _, r := range n.Complaint.ComplainedRecipients {
			out = append(out, app.FeedbackEvent{Key: id + "/" + strings.ToLower(r.EmailAddress), Source: SES, Kind: app.FeedbackComplaint,
				RefHints: refs, Recipient: r.EmailAddress, At: when})
		}
	}
	return out, nil
}

func parseTime(v string, def time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t
	}
	return def
}
