package feedback_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/feedback"
	"newsletter/internal/webhooktest"
)

// FuzzReaders sends arbitrary bodies to every provider's reader: each
// answers events or a client error (unauthorized, forbidden, invalid),
// never a panic or an internal error.
func FuzzReaders(f *testing.F) {
	now := time.Now()
	sns := webhooktest.NewSNS(f)
	sg := webhooktest.NewSendGrid(f)
	mg := &webhooktest.Mailgun{Key: "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"}
	key, err := feedback.ParseSendGridKey(sg.PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sns.Sign(f, webhooktest.Notification("m1", webhooktest.SESBounce("Permanent", "a@example.com", "5.1.1", "x@example.com", "", now), now), "2"))
	f.Add(sns.Sign(f, webhooktest.SubscriptionConfirmation("m2", now), "1"))
	events, _ := json.Marshal([]map[string]any{webhooktest.SendGridEvent("bounce", "bounce", "a@example.com", "<x@example.com>", "", "e1", now)})
	f.Add(events)
	f.Add(mg.Event("failed", "permanent", "a@example.com", "x@example.com", "", "e2", "t2", now))
	f.Add(webhooktest.PostmarkBounce(1, "HardBounce", "a@example.com", "", now))
	f.Add([]byte(`{"Type":"Notification","Signature":"x","SigningCertURL":"https://sns.x.amazonaws.com/a.pem","SignatureVersion":"2"}`))
	f.Add([]byte(`[{"event":"spamreport"},{},null,1]`))
	readers := map[string]interface {
		Read(context.Context, app.WebhookRequest) (*app.WebhookBatch, error)
	}{
		"ses":      &feedback.SESReader{TopicARNs: []string{webhooktest.SNSTopic}, Fetch: sns.Fetch, Roots: sns.Roots},
		"sendgrid": &feedback.SendGridReader{Key: key},
		"mailgun":  &feedback.MailgunReader{SigningKey: []byte(mg.Key)},
		"postmark": &feedback.PostmarkReader{User: "postmark", Password: "a long webhook password"},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sig, ts := sg.Sign(t, body, now)
		headers := map[string]string{feedback.SendGridSignatureHeader: sig, feedback.SendGridTimestampHeader: ts,
			"Authorization": webhooktest.BasicAuth("postmark", "a long webhook password")}
		req := app.WebhookRequest{Header: func(k string) string { return headers[k] }, Body: body}
		for name, r := range readers {
			b, err := r.Read(context.Background(), req)
			switch app.ErrorCode(err) {
			case "":
				if b == nil {
					t.Fatalf("%s: no batch and no error", name)
				}
			case app.EUNAUTHORIZED, app.EFORBIDDEN, app.EINVALID:
			default:
				t.Fatalf("%s: %v", name, err)
			}
		}
	})
}
