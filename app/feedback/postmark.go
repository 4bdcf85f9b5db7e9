package feedback

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"newsletter/app"
)

// PostmarkReader reads Postmark's bounce and spam complaint webhooks.
// Postmark signs nothing; it sends the basic-auth credentials written in
// the webhook URL (https://user:password@host/webhooks/postmark), which
// must match. Each record is taken once: the request's replay key is the
// record's ID.
type PostmarkReader struct {
	User, Password string
}

type postmarkRecord struct {
	RecordType string
	ID         json.Number
	Type       string
	TypeCode   int
	MessageID  string
	Email      string
	BouncedAt  string
	Metadata   map[string]string
	Content    string
}

// Read implements web.WebhookReader.
func (p *PostmarkReader) Read(_ context.Context, r app.WebhookRequest) (*app.WebhookBatch, error) {
	if !p.authorized(r.Header("Authorization")) {
		return nil, unauthorized("Missing or wrong credentials.")
	}
	var rec postmarkRecord
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	dec.UseNumber()
	if err := dec.Decode(&rec); err != nil {
		return nil, invalid("The body is not a Postmark webhook record.")
	}
	id := rec.ID.String()
	if id == "" {
		return nil, invalid("The record has no ID.")
	}
	batch := &app.WebhookBatch{ReplayKey: Postmark + ":" + rec.RecordType + ":" + id}
	kind := ""
	switch {
	case rec.RecordType == "SpamComplaint" || rec.Type == "SpamComplaint":
		kind = app.FeedbackComplaint
	case rec.RecordType != "Bounce":
		return batch, nil // deliveries, opens, clicks, subscription changes
	case rec.Type == "HardBounce" || rec.Type == "BadEmailAddress":
		kind = app.FeedbackHardBounce
	case rec.Type == "SoftBounce" || rec.Type == "Transient" || rec.Type == "DnsError" || rec.Type == "Blocked":
		kind = app.FeedbackSoftBounce
	default:
		return batch, nil // auto-responders, challenge mail, spam notifications
	}
	at, err := time.Parse(time.RFC3339Nano, rec.BouncedAt)
	if err != nil {
		at = time.Time{}
	}
	status := ""
	if rec.TypeCode > 0 {
		status = strconv.Itoa(rec.TypeCode)
	}
	content := rec.Content
	if len(content) > 64<<10 {
		content = content[:64<<10]
	}
	batch.Events = []app.FeedbackEvent{{Key: id, Source: Postmark, Kind: kind, RefHints: hints(rec.Metadata[RefKey], content),
		Recipient: rec.Email, Status: status, At: at}}
	return batch, nil
}

// authorized compares basic-auth credentials in constant time.
func (p *PostmarkReader) authorized(header string) bool {
	raw, ok := strings.CutPrefix(header, "Basic ")
	if !ok || p.User == "" || p.Password == "" {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok {
		return false
	}
	// Hashes of equal length, so the comparison takes the same time
	// whatever the lengths.
	gu, wu := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(p.User))
	gp, wp := sha256.Sum256([]byte(pass)), sha256.Sum256([]byte(p.Password))
	return subtle.ConstantTimeCompare(gu[:], wu[:])&subtle.ConstantTimeCompare(gp[:], wp[:]) == 1
}
