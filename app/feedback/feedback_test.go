package feedback_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/feedback"
	"newsletter/internal/webhooktest"
)

// request is a webhook request with the given headers.
func request(body []byte, headers ...string) app.WebhookRequest {
	h := http.Header{}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	return app.WebhookRequest{Header: h.Get, Body: body}
}

// refused checks that err is an *app.Error with code.
func refused(t *testing.T, err error, code string) {
	t.Helper()
	if app.ErrorCode(err) != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

const msgID = "d12.c3.0123456789abcdef@example.com"

func TestSES(t *testing.T) {
	sns := webhooktest.NewSNS(t)
	now := time.Now()
	r := &feedback.SESReader{TopicARNs: []string{webhooktest.SNSTopic}, Fetch: sns.Fetch, Roots: sns.Roots}
	ctx := context.Background()

	for _, v := range []string{"1", "2"} {
		t.Run("BounceSignatureVersion"+v, func(t *testing.T) {
			body := sns.Sign(t, webhooktest.Notification("msg-b"+v, webhooktest.SESBounce("Permanent", "jane@example.com", "5.1.1",
				msgID, "d12.c3.0123456789abcdef", now), now), v)
			b, err := r.Read(ctx, request(body, "X-Amz-Sns-Message-Type", "Notification"))
			if err != nil {
				t.Fatal(err)
			}
			if b.ReplayKey != "ses:msg-b"+v || len(b.Events) != 1 {
				t.Fatalf("batch %+v", b)
			}
			e := b.Events[0]
			if e.Kind != app.FeedbackHardBounce || e.Recipient != "jane@example.com" || e.Status != "5.1.1" || e.Source != "ses" ||
				!slices.Contains(e.RefHints, "<"+msgID+">") || !slices.Contains(e.RefHints, "d12.c3.0123456789abcdef") ||
				!strings.HasPrefix(e.Key, "00000138111222aa-") {
				t.Fatalf("event %+v", e)
			}
		})
	}
	t.Run("TransientIsSoft", func(t *testing.T) {
		body := sns.Sign(t, webhooktest.Notification("msg-t", webhooktest.SESBounce("Transient", "jane@example.com", "4.2.2", msgID, "", now), now), "2")
		b, err := r.Read(ctx, request(body))
		if err != nil || len(b.Events) != 1 || b.Events[0].Kind != app.FeedbackSoftBounce {
			t.Fatalf("%+v %v", b, err)
		}
	})
	t.Run("Complaint", func(t *testing.T) {
		body := sns.Sign(t, webhooktest.Notification("msg-c", webhooktest.SESComplaint("jane@example.com", msgID, now), now), "2")
		b, err := r.Read(ctx, request(body))
		if err != nil || len(b.Events) != 1 || b.Events[0].Kind != app.FeedbackComplaint || b.Events[0].Recipient != "jane@example.com" {
			t.Fatalf("%+v %v", b, err)
		}
	})
	t.Run("SubscriptionConfirmed", func(t *testing.T) {
		m := webhooktest.SubscriptionConfirmation("msg-s", now)
		b, err := r.Read(ctx, request(sns.Sign(t, m, "1"), "X-Amz-Sns-Message-Type", "SubscriptionConfirmation"))
		if err != nil || len(b.Events) != 0 {
			t.Fatalf("%+v %v", b, err)
		}
		if !slices.Contains(sns.Fetched(), m.SubscribeURL) {
			t.Fatalf("SubscribeURL not fetched: %v", sns.Fetched())
		}
	})

	sign := func(t *testing.T, edit func(*webhooktest.SNSMessage)) []byte {
		m := webhooktest.Notification("msg-x", webhooktest.SESBounce("Permanent", "jane@example.com", "5.1.1", msgID, "", now), now)
		edit(&m)
		return sns.Sign(t, m, "2")
	}
	for _, tc := range []struct {
		name string
		body func(t *testing.T) []byte
		code string
	}{
		{"Unsigned", func(t *testing.T) []byte {
			var m map[string]any
			_ = json.Unmarshal(sign(t, func(*webhooktest.SNSMessage) {}), &m)
			delete(m, "Signature")
			b, _ := json.Marshal(m)
			return b
		}, app.EUNAUTHORIZED},
		{"Forged", func(t *testing.T) []byte {
			var m webhooktest.SNSMessage
			_ = json.Unmarshal(sign(t, func(*webhooktest.SNSMessage) {}), &m)
			m.Message = strings.Replace(m.Message, "jane@example.com", "victim@example.com", -1)
			b, _ := json.Marshal(m)
			return b
		}, app.EUNAUTHORIZED},
		{"CertOnOtherHost", func(t *testing.T) []byte {
			return sign(t, func(m *webhooktest.SNSMessage) {
				m.SigningCertURL = "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem"
			})
		}, app.EUNAUTHORIZED},
		{"CertOverHTTP", func(t *testing.T) []byte {
			return sign(t, func(m *webhooktest.SNSMessage) {
				m.SigningCertURL = strings.Replace(webhooktest.SNSCertURL, "https", "http", 1)
			})
		}, app.EUNAUTHORIZED},
		{"CertWithUser", func(t *testing.T) []byte {
			return sign(t, func(m *webhooktest.SNSMessage) { m.SigningCertURL = "https://evil@sns.eu-west-1.amazonaws.com/x.pem" })
		}, app.EUNAUTHORIZED},
		{"UnknownVersion", func(t *testing.T) []byte {
			var m webhooktest.SNSMessage
			_ = json.Unmarshal(sign(t, func(*webhooktest.SNSMessage) {}), &m)
			m.SignatureVersion = "3"
			b, _ := json.Marshal(m)
			return b
		}, app.EUNAUTHORIZED},
		{"OtherTopic", func(t *testing.T) []byte {
			return sign(t, func(m *webhooktest.SNSMessage) { m.TopicArn = "arn:aws:sns:eu-west-1:999999999999:someone-else" })
		}, app.EFORBIDDEN},
		{"Stale", func(t *testing.T) []byte {
			return sign(t, func(m *webhooktest.SNSMessage) { m.Timestamp = now.Add(-48 * time.Hour).UTC().Format(time.RFC3339) })
		}, app.EFORBIDDEN},
		{"NotJSON", func(*testing.T) []byte { return []byte("Type=Notification") }, app.EUNAUTHORIZED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(sns.Fetched())
			_, err := r.Read(ctx, request(tc.body(t)))
			refused(t, err, tc.code)
			for _, u := range sns.Fetched()[before:] {
				if u != webhooktest.SNSCertURL {
					t.Errorf("fetched %s", u)
				}
			}
		})
	}
	t.Run("SubscribeURLOnOtherHost", func(t *testing.T) {
		m := webhooktest.SubscriptionConfirmation("msg-s2", now)
		m.SubscribeURL = "https://evil.example/?Action=ConfirmSubscription"
		before := len(sns.Fetched())
		_, err := r.Read(ctx, request(sns.Sign(t, m, "2")))
		refused(t, err, app.EFORBIDDEN)
		if got := sns.Fetched()[before:]; slices.Contains(got, m.SubscribeURL) {
			t.Fatal("fetched a SubscribeURL off SNS")
		}
	})
	t.Run("CertificateOfAnotherAuthority", func(t *testing.T) {
		other := &feedback.SESReader{TopicARNs: []string{webhooktest.SNSTopic}, Roots: sns.Roots,
			Fetch: func(context.Context, string) ([]byte, error) { return sns.SelfSigned(t), nil }}
		body := sns.Sign(t, webhooktest.Notification("msg-o", webhooktest.SESBounce("Permanent", "jane@example.com", "5.1.1", msgID, "", now), now), "2")
		_, err := other.Read(ctx, request(body))
		refused(t, err, app.EUNAUTHORIZED)
	})
}

func TestSendGrid(t *testing.T) {
	sg := webhooktest.NewSendGrid(t)
	key, err := feedback.ParseSendGridKey(sg.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	r := &feedback.SendGridReader{Key: key}
	now := time.Now()
	events := []map[string]any{
		webhooktest.SendGridEvent("bounce", "bounce", "hard@example.com", "<"+msgID+">", "d12.c3.0123456789abcdef", "ev-1", now),
		webhooktest.SendGridEvent("bounce", "blocked", "soft@example.com", "<x@example.com>", "", "ev-2", now),
		webhooktest.SendGridEvent("spamreport", "", "angry@example.com", "<y@example.com>", "", "ev-3", now),
		webhooktest.SendGridEvent("delivered", "", "fine@example.com", "<z@example.com>", "", "ev-4", now),
		webhooktest.SendGridEvent("open", "", "fine@example.com", "<z@example.com>", "", "ev-5", now),
	}
	body, _ := json.Marshal(events)
	sig, ts := sg.Sign(t, body, now)
	b, err := r.Read(context.Background(), request(body, feedback.SendGridSignatureHeader, sig, feedback.SendGridTimestampHeader, ts))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 3 || b.ReplayKey != "sendgrid:"+sig {
		t.Fatalf("batch %+v", b)
	}
	want := []string{app.FeedbackHardBounce, app.FeedbackSoftBounce, app.FeedbackComplaint}
	for i, e := range b.Events {
		if e.Kind != want[i] || e.Key != events[i]["sg_event_id"] || e.Recipient != events[i]["email"] {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if !slices.Contains(b.Events[0].RefHints, "d12.c3.0123456789abcdef") || !slices.Contains(b.Events[0].RefHints, "<"+msgID+">") {
		t.Errorf("hints %v", b.Events[0].RefHints)
	}

	other := webhooktest.NewSendGrid(t)
	forgedSig, forgedTS := other.Sign(t, body, now)
	staleSig, staleTS := sg.Sign(t, body, now.Add(-30*time.Hour))
	for _, tc := range []struct {
		name    string
		body    []byte
		headers []string
		code    string
	}{
		{"Unsigned", body, nil, app.EUNAUTHORIZED},
		{"OtherKey", body, []string{feedback.SendGridSignatureHeader, forgedSig, feedback.SendGridTimestampHeader, forgedTS}, app.EUNAUTHORIZED},
		{"AlteredBody", []byte(strings.Replace(string(body), "hard@example.com", "victim@example.com", 1)),
			[]string{feedback.SendGridSignatureHeader, sig, feedback.SendGridTimestampHeader, ts}, app.EUNAUTHORIZED},
		{"AlteredTimestamp", body, []string{feedback.SendGridSignatureHeader, sig, feedback.SendGridTimestampHeader, ts + "1"}, app.EUNAUTHORIZED},
		{"NotBase64", body, []string{feedback.SendGridSignatureHeader, "%%%", feedback.SendGridTimestampHeader, ts}, app.EUNAUTHORIZED},
		{"Stale", body, []string{feedback.SendGridSignatureHeader, staleSig, feedback.SendGridTimestampHeader, staleTS}, app.EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Read(context.Background(), request(tc.body, tc.headers...))
			refused(t, err, tc.code)
		})
	}
	for _, bad := range []string{"", "not base64!", "bm90IGEga2V5"} {
		if _, err := feedback.ParseSendGridKey(bad); err == nil {
			t.Errorf("ParseSendGridKey(%q) took it", bad)
		}
	}
}

// TestSendGridPublishedVector checks the verification against the test
// vector of SendGrid's own libraries.
func TestSendGridPublishedVector(t *testing.T) {
	key, err := feedback.ParseSendGridKey("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==")
	if err != nil {
		t.Fatal(err)
	}
	r := &feedback.SendGridReader{Key: key}
	payload := `{"category":"example_payload","event":"test_event","message_id":"message_id"}`
	sig := "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0="
	if !r.Verify("1588788367", []byte(payload), sig) {
		t.Fatal("SendGrid's own test vector does not verify")
	}
	if r.Verify("1588788368", []byte(payload), sig) {
		t.Fatal("a changed timestamp verifies")
	}
}

func TestMailgun(t *testing.T) {
	mg := &webhooktest.Mailgun{Key: "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"}
	r := &feedback.MailgunReader{SigningKey: []byte(mg.Key)}
	now := time.Now()
	ctx := context.Background()
	body := mg.Event("failed", "permanent", "hard@example.com", msgID, "d12.c3.0123456789abcdef", "CPgfbmQMTCKtHW6uIWtuVe",
		"a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0", now)
	b, err := r.Read(ctx, request(body))
	if err != nil {
		t.Fatal(err)
	}
	if b.ReplayKey != "mailgun:a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0" || len(b.Events) != 1 {
		t.Fatalf("batch %+v", b)
	}
	if e := b.Events[0]; e.Kind != app.FeedbackHardBounce || e.Key != "CPgfbmQMTCKtHW6uIWtuVe" || e.Recipient != "hard@example.com" ||
		e.Status != "550" || !slices.Contains(e.RefHints, msgID) || !slices.Contains(e.RefHints, "d12.c3.0123456789abcdef") {
		t.Fatalf("event %+v", e)
	}
	for _, tc := range []struct{ event, severity, kind string }{
		{"failed", "temporary", app.FeedbackSoftBounce},
		{"complained", "", app.FeedbackComplaint},
		{"delivered", "", ""},
	} {
		b, err := r.Read(ctx, request(mg.Event(tc.event, tc.severity, "x@example.com", msgID, "", "id-"+tc.event, "token-"+tc.event+tc.severity, now)))
		if err != nil {
			t.Fatal(err)
		}
		if tc.kind == "" && len(b.Events) != 0 || tc.kind != "" && (len(b.Events) != 1 || b.Events[0].Kind != tc.kind) {
			t.Errorf("%s/%s: %+v", tc.event, tc.severity, b.Events)
		}
	}

	other := &webhooktest.Mailgun{Key: "key-of-someone-else"}
	var unsigned map[string]any
	_ = json.Unmarshal(body, &unsigned)
	delete(unsigned, "signature")
	unsignedBody, _ := json.Marshal(unsigned)
	for _, tc := range []struct {
		name string
		body []byte
		code string
	}{
		{"Unsigned", unsignedBody, app.EUNAUTHORIZED},
		{"OtherKey", other.Event("failed", "permanent", "hard@example.com", msgID, "", "id-9", "token-9", now), app.EUNAUTHORIZED},
		{"AlteredToken", []byte(strings.Replace(string(body), "a8ce0edb", "a8ce0edc", 1)), app.EUNAUTHORIZED},
		{"Stale", mg.Event("failed", "permanent", "hard@example.com", msgID, "", "id-8", "token-8", now.Add(-25*time.Hour)), app.EFORBIDDEN},
		{"NotJSON", []byte("timestamp=1&token=x&signature=y"), app.EUNAUTHORIZED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Read(ctx, request(tc.body))
			refused(t, err, tc.code)
		})
	}
}

func TestPostmark(t *testing.T) {
	r := &feedback.PostmarkReader{User: "postmark", Password: "a long webhook password"}
	auth := webhooktest.BasicAuth("postmark", "a long webhook password")
	now := time.Now()
	ctx := context.Background()
	b, err := r.Read(ctx, request(webhooktest.PostmarkBounce(4323372036854775807, "HardBounce", "hard@example.com", "d12.c3.0123456789abcdef", now),
		"Authorization", auth))
	if err != nil {
		t.Fatal(err)
	}
	if b.ReplayKey != "postmark:Bounce:4323372036854775807" || len(b.Events) != 1 {
		t.Fatalf("batch %+v", b)
	}
	if e := b.Events[0]; e.Kind != app.FeedbackHardBounce || e.Key != "4323372036854775807" || e.Recipient != "hard@example.com" ||
		!slices.Contains(e.RefHints, "d12.c3.0123456789abcdef") {
		t.Fatalf("event %+v", e)
	}
	b, err = r.Read(ctx, request(webhooktest.PostmarkBounce(2, "SoftBounce", "soft@example.com", "", now), "Authorization", auth))
	if err != nil || len(b.Events) != 1 || b.Events[0].Kind != app.FeedbackSoftBounce {
		t.Fatalf("soft: %+v %v", b, err)
	}
	b, err = r.Read(ctx, request(webhooktest.PostmarkComplaint(3, "angry@example.com", "", now), "Authorization", auth))
	if err != nil || len(b.Events) != 1 || b.Events[0].Kind != app.FeedbackComplaint {
		t.Fatalf("complaint: %+v %v", b, err)
	}
	body := webhooktest.PostmarkBounce(4, "HardBounce", "hard@example.com", "", now)
	for _, tc := range []struct{ name, auth string }{
		{"NoCredentials", ""},
		{"WrongPassword", webhooktest.BasicAuth("postmark", "a long webhook passwore")},
		{"WrongUser", webhooktest.BasicAuth("postmarc", "a long webhook password")},
		{"Bearer", "Bearer a long webhook password"},
		{"NotBase64", "Basic %%%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Read(ctx, request(body, "Authorization", tc.auth))
			refused(t, err, app.EUNAUTHORIZED)
		})
	}
}

func TestEchoHeaders(t *testing.T) {
	if feedback.EchoHeaders([]string{"ses"}) != nil {
		t.Error("SES needs no echo header")
	}
	h := feedback.EchoHeaders([]string{"ses", "sendgrid", "mailgun", "postmark"})("d1.c2.0123456789abcdef")
	if h["X-SMTPAPI"] != `{"unique_args":{"newsletter_ref":"d1.c2.0123456789abcdef"}}` ||
		h["X-Mailgun-Variables"] != `{"newsletter_ref":"d1.c2.0123456789abcdef"}` ||
		h["X-PM-Metadata-newsletter_ref"] != "d1.c2.0123456789abcdef" || len(h) != 3 {
		t.Errorf("headers %v", h)
	}
}
