// Package feedback reads the delivery events mail providers post to
// POST /webhooks/{provider}: Amazon SES (through SNS), SendGrid, Mailgun
// and Postmark. Each request is checked by the provider's own scheme (SNS
// message signatures, SendGrid's ECDSA signature, Mailgun's HMAC, Postmark's
// basic-auth credentials) before its bounces and complaints become
// app.FeedbackEvent values; what they do is the use case's
// (app.Feedback.RecordWebhook).
//
// Errors are *app.Error values: EUNAUTHORIZED for a request without valid
// credentials or signature, EFORBIDDEN for a signed request that must not be
// taken (too old, from a topic that is not ours), EINVALID for a body that
// cannot be read.
package feedback

import (
	"encoding/json"
	"strings"
	"time"

	"newsletter/app"
)

// Provider names, as in /webhooks/{provider}.
const (
	SES      = app.FeedbackFromSES
	SendGrid = app.FeedbackFromSendGrid
	Mailgun  = app.FeedbackFromMailgun
	Postmark = app.FeedbackFromPostmark
)

// RefKey is the name under which a provider's custom data (SendGrid unique
// arguments, Mailgun variables, Postmark metadata) carries a message's
// delivery reference.
const RefKey = "newsletter_ref"

// MaxBody is the largest webhook request read: SendGrid posts events in
// batches of up to 768 KB.
const MaxBody = 1 << 20

// EchoHeaders returns a function giving the headers that make each of the
// named providers echo a message's delivery reference in its events:
// SendGrid's X-SMTPAPI unique arguments, Mailgun's X-Mailgun-Variables and
// Postmark's X-PM-Metadata. (SES echoes the Message-ID and every header of
// the message by itself.) It returns nil when none of them is named.
func EchoHeaders(providers []string) func(ref string) map[string]string {
	var want []string
	for _, p := range providers {
		switch p {
		case SendGrid, Mailgun, Postmark:
			want = append(want, p)
		}
	}
	if len(want) == 0 {
		return nil
	}
	return func(ref string) map[string]string {
		vars, _ := json.Marshal(map[string]string{RefKey: ref})
		h := map[string]string{}
		for _, p := range want {
			switch p {
			case SendGrid:
				h["X-SMTPAPI"] = `{"unique_args":` + string(vars) + `}`
			case Mailgun:
				h["X-Mailgun-Variables"] = string(vars)
			case Postmark:
				h["X-PM-Metadata-"+RefKey] = ref
			}
		}
		return h
	}
}

// clock returns now, or time.Now when now is nil.
func clock(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}

// fresh reports whether a request signed at at may still be taken at now:
// within the replay window (the window during which its replay key is
// remembered), and not from the future beyond a little clock skew.
func fresh(at, now time.Time) bool {
	return !at.Before(now.Add(-app.WebhookReplayWindow)) && !at.After(now.Add(5*time.Minute))
}

func unauthorized(msg string) error { return app.Errorf(app.EUNAUTHORIZED, "%s", msg) }

func forbidden(msg string) error { return app.Errorf(app.EFORBIDDEN, "%s", msg) }

func invalid(msg string) error { return app.Errorf(app.EINVALID, "%s", msg) }

// hints gathers the non-empty values that may carry a delivery reference.
func hints(values ...string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
