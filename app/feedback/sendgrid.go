package feedback

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"newsletter/app"
)

// SendGrid's signed event webhook headers.
const (
	SendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	SendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// SendGridReader reads SendGrid's signed event webhook: the body, a JSON
// array of events, is signed with ECDSA (P-256, SHA-256) over the timestamp
// header followed by the body, with the key pair SendGrid made for the
// account; the public key is the "verification key" of the Mail Settings.
type SendGridReader struct {
	Key *ecdsa.PublicKey
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// ParseSendGridKey reads SendGrid's verification key: base64 DER
// (SubjectPublicKeyInfo), as the console shows it, or the same in PEM.
func ParseSendGridKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, errors.New("not base64")
		}
		der = b
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not a public key: %v", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("not an ECDSA public key")
	}
	return ek, nil
}

// sendGridEvent is one event of the webhook's array.
type sendGridEvent struct {
	Email       string `json:"email"`
	Timestamp   int64  `json:"timestamp"`
	Event       string `json:"event"`
	Type        string `json:"type"`
	Status      string `json:"status"`
	SMTPID      string `json:"smtp-id"`
	SGEventID   string `json:"sg_event_id"`
	SGMessageID string `json:"sg_message_id"`
	Ref         string `json:"newsletter_ref"`
}

// Read implements web.WebhookReader.
func (p *SendGridReader) Read(_ context.Context, r app.WebhookRequest) (*app.WebhookBatch, error) {
	sig, ts := r.Header(SendGridSignatureHeader), r.Header(SendGridTimestampHeader)
	if sig == "" || ts == "" {
		return nil, unauthorized("The request is not signed.")
	}
	if !p.Verify(ts, r.Body, sig) {
		return nil, unauthorized("The signature does not verify.")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !fresh(time.Unix(sec, 0), clock(p.Now)) {
		return nil, forbidden("The request is too old or dated in the future.")
	}
	var events []sendGridEvent
	if err := json.Unmarshal(r.Body, &events); err != nil {
		return nil, invalid("The body is not an array of events.")
	}
	batch := &app.WebhookBatch{ReplayKey: SendGrid + ":" + sig}
	for i, e := range events {
		kind := ""
		switch e.Event {
		case "bounce":
			kind = app.FeedbackHardBounce
			if e.Type == "blocked" {
				kind = app.FeedbackSoftBounce
			}
		case "deferred":
			kind = app.FeedbackSoftBounce
		case "spamreport":
			kind = app.FeedbackComplaint
		default:
			continue // delivered, opens, clicks, dropped, unsubscribes of SendGrid's own
		}
		key := e.SGEventID
		if key == "" {
			key = fmt.Sprintf("%s/%d", sig, i)
		}
		batch.Events = append(batch.Events, app.FeedbackEvent{Key: key, Source: SendGrid, Kind: kind,
			RefHints: hints(e.Ref, e.SMTPID), Recipient: e.Email, Status: e.Status, At: time.Unix(e.Timestamp, 0)})
	}
	return batch, nil
}

// Verify checks SendGrid's signature (base64 ASN.1 ECDSA) of timestamp and
// payload.
func (p *SendGridReader) Verify(timestamp string, payload []byte, signature string) bool {
	if p.Key == nil {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(payload)
	return ecdsa.VerifyASN1(p.Key, h.Sum(nil), sig)
}
