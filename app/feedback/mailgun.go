package feedback

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"newsletter/app"
)

// MailgunReader reads Mailgun's webhooks: each request is signed with an
// HMAC-SHA256, under the account's webhook signing key, of its timestamp
// followed by its token. A token is used once: the request's replay key is
// the token, so a replayed request is refused.
type MailgunReader struct {
	SigningKey []byte
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

type mailgunPayload struct {
	Signature struct {
		Timestamp string `json:"timestamp"`
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"signature"`
	EventData struct {
		Event     string  `json:"event"`
		ID        string  `json:"id"`
		Timestamp float64 `json:"timestamp"`
		Severity  string  `json:"severity"`
		Recipient string  `json:"recipient"`
		Message   struct {
			Headers struct {
				MessageID string `json:"message-id"`
			} `json:"headers"`
		} `json:"message"`
		DeliveryStatus struct {
			Code int `json:"code"`
		} `json:"delivery-status"`
		UserVariables map[string]any `json:"user-variables"`
	} `json:"event-data"`
}

// Read implements web.WebhookReader.
func (p *MailgunReader) Read(_ context.Context, r app.WebhookRequest) (*app.WebhookBatch, error) {
	var m mailgunPayload
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return nil, unauthorized("The request is not a signed Mailgun webhook.")
	}
	s := m.Signature
	if s.Timestamp == "" || s.Token == "" || s.Signature == "" {
		return nil, unauthorized("The request is not signed.")
	}
	if !p.Verify(s.Timestamp, s.Token, s.Signature) {
		return nil, unauthorized("The signature does not verify.")
	}
	sec, err := strconv.ParseInt(s.Timestamp, 10, 64)
	if err != nil || !fresh(time.Unix(sec, 0), clock(p.Now)) {
		return nil, forbidden("The request is too old or dated in the future.")
	}
	batch := &app.WebhookBatch{ReplayKey: Mailgun + ":" + s.Token}
	e := m.EventData
	kind := ""
	switch e.Event {
	case "failed":
		kind = app.FeedbackSoftBounce
		if e.Severity == "permanent" {
			kind = app.FeedbackHardBounce
		}
	case "complained":
		kind = app.FeedbackComplaint
	default:
		return batch, nil // delivered, opened, clicked, Mailgun's own unsubscribes
	}
	ref, _ := e.UserVariables[RefKey].(string)
	key := e.ID
	if key == "" {
		key = s.Token
	}
	status := ""
	if e.DeliveryStatus.Code > 0 {
		status = strconv.Itoa(e.DeliveryStatus.Code)
	}
	at := time.Unix(sec, 0)
	if e.Timestamp > 0 && e.Timestamp < math.MaxInt32*2 {
		at = time.Unix(int64(e.Timestamp), 0)
	}
	batch.Events = []app.FeedbackEvent{{Key: key, Source: Mailgun, Kind: kind, RefHints: hints(ref, e.Message.Headers.MessageID),
		Recipient: e.Recipient, Status: status, At: at}}
	return batch, nil
}

// Verify checks Mailgun's signature: the hex HMAC-SHA256 of timestamp and
// token under the signing key.
func (p *MailgunReader) Verify(timestamp, token, signature string) bool {
	if len(p.SigningKey) == 0 {
		return false
	}
	got, err := hex.DecodeString(signature)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, p.SigningKey)
	mac.Write([]byte(timestamp + token))
	return hmac.Equal(got, mac.Sum(nil))
}
