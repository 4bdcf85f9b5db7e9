package web_test

// Attacks on POST /webhooks/{provider}: every provider's requests unsigned,
// forged (another key, an altered body, wrong credentials), replayed and
// stale are refused with 401 or 403 and a JSON error, and change nothing;
// genuine ones, in each provider's documented format, act once.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/feedback"
	"newsletter/internal/webhooktest"
	"newsletter/web"
)

const (
	postmarkUser     = "postmark-hooks"
	postmarkPassword = "a long and random webhook password"
	mailgunKey       = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
)

// hookEnv is a server with every provider's webhook configured with test
// keys.
type hookEnv struct {
	*fixture
	sns *webhooktest.SNS
	sg  *webhooktest.SendGrid
	mg  *webhooktest.Mailgun
}

func newHookEnv(t *testing.T) *hookEnv {
	t.Helper()
	e := &hookEnv{sns: webhooktest.NewSNS(t), sg: webhooktest.NewSendGrid(t), mg: &webhooktest.Mailgun{Key: mailgunKey}}
	key, err := feedback.ParseSendGridKey(e.sg.PublicKey)
	must(t, err)
	e.fixture = newFixture(t, func(d *setup) {
		d.Feedback = d.svc
		d.Webhooks = map[string]web.WebhookReader{
			feedback.SES:      &feedback.SESReader{TopicARNs: []string{webhooktest.SNSTopic}, Fetch: e.sns.Fetch, Roots: e.sns.Roots},
			feedback.SendGrid: &feedback.SendGridReader{Key: key},
			feedback.Mailgun:  &feedback.MailgunReader{SigningKey: []byte(mailgunKey)},
			feedback.Postmark: &feedback.PostmarkReader{User: postmarkUser, Password: postmarkPassword},
		}
	})
	return e
}

// hook posts body to a provider's webhook with headers.
func (e *hookEnv) hook(t *testing.T, provider string, body []byte, headers ...string) (*http.Response, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", "/webhooks/"+provider, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, b := e.do(t, req)
	var out map[string]any
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatalf("%s: answer is not JSON: %d %.300s", provider, resp.StatusCode, b)
	}
	return resp, out
}

func (e *hookEnv) dump(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	must(t, e.store.Dump(context.Background(), &b))
	return b.String()
}

func (e *hookEnv) suppression(t *testing.T, email string) string {
	t.Helper()
	r, err := e.store.SuppressionReason(context.Background(), e.svc.Signer.KeyedHash(email))
	must(t, err)
	return r
}

// refusedWith checks a refusal: the status, a JSON error with its code,
// and no change in the database.
func (e *hookEnv) refusedWith(t *testing.T, want int, before string, resp *http.Response, out map[string]any) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status %d %v, want %d", resp.StatusCode, out, want)
	}
	if out["error"] == nil || out["code"] == nil {
		t.Errorf("answer %v lacks a JSON error", out)
	}
	if after := e.dump(t); after != before {
		t.Error("a refused webhook request changed the database")
	}
}

func TestSecurityWebhooks(t *testing.T) {
	e := newHookEnv(t)
	now := time.Now()

	// Each case is a genuine request that hard-bounces one reader, then
	// forged, unsigned, replayed and stale variants of it.
	type variant struct {
		name    string
		body    []byte
		headers []string
		status  int
	}
	cases := []struct {
		provider string
		reader   string
		genuine  func() ([]byte, []string)
		attacks  func(body []byte, headers []string) []variant
	}{
		{feedback.SES, "ses-reader@example.org", func() ([]byte, []string) {
			m := webhooktest.Notification("sns-1", webhooktest.SESBounce("Permanent", "ses-reader@example.org", "5.1.1", "x@example.com", "", now), now)
			return e.sns.Sign(t, m, "2"), []string{"Content-Type", "text/plain; charset=UTF-8", "X-Amz-Sns-Message-Type", "Notification"}
		}, func(body []byte, h []string) []variant {
			var m map[string]any
			_ = json.Unmarshal(body, &m)
			delete(m, "Signature")
			unsigned, _ := json.Marshal(m)
			other := webhooktest.NewSNS(t) // a key no trusted authority certified
			forged := other.Sign(t, webhooktest.Notification("sns-2", webhooktest.SESBounce("Permanent", "victim@example.org", "5.1.1", "x@example.com", "", now), now), "2")
			altered := bytes.Replace(body, []byte("ses-reader@example.org"), []byte("victim@example.org"), -1)
			foreign := webhooktest.Notification("sns-3", webhooktest.SESBounce("Permanent", "victim@example.org", "5.1.1", "x@example.com", "", now), now)
			foreign.TopicArn = "arn:aws:sns:eu-west-1:999999999999:attacker"
			stale := webhooktest.Notification("sns-4", webhooktest.SESBounce("Permanent", "victim@example.org", "5.1.1", "x@example.com", "", now), now.Add(-48*time.Hour))
			return []variant{
				{"Unsigned", unsigned, h, 401}, {"OtherKey", forged, h, 401}, {"Altered", altered, h, 401},
				{"ForeignTopic", e.sns.Sign(t, foreign, "2"), h, 403}, {"Stale", e.sns.Sign(t, stale, "1"), h, 403},
			}
		}},
		{feedback.SendGrid, "sg-reader@example.org", func() ([]byte, []string) {
			body, _ := json.Marshal([]map[string]any{webhooktest.SendGridEvent("bounce", "bounce", "sg-reader@example.org", "<x@example.com>", "", "sg-ev-1", now)})
			sig, ts := e.sg.Sign(t, body, now)
			return body, []string{feedback.SendGridSignatureHeader, sig, feedback.SendGridTimestampHeader, ts}
		}, func(body []byte, h []string) []variant {
			forgedSig, forgedTS := webhooktest.NewSendGrid(t).Sign(t, body, now)
			staleSig, staleTS := e.sg.Sign(t, body, now.Add(-30*time.Hour))
			return []variant{
				{"Unsigned", body, nil, 401},
				{"OtherKey", body, []string{feedback.SendGridSignatureHeader, forgedSig, feedback.SendGridTimestampHeader, forgedTS}, 401},
				{"Altered", bytes.Replace(body, []byte("sg-reader@"), []byte("victim@"), 1), h, 401},
				{"Stale", body, []string{feedback.SendGridSignatureHeader, staleSig, feedback.SendGridTimestampHeader, staleTS}, 403},
			}
		}},
		{feedback.Mailgun, "mg-reader@example.org", func() ([]byte, []string) {
			return e.mg.Event("failed", "permanent", "mg-reader@example.org", "x@example.com", "", "mg-ev-1", "mg-token-1", now), nil
		}, func(body []byte, _ []string) []variant {
			var m map[string]any
			_ = json.Unmarshal(body, &m)
			delete(m, "signature")
			unsigned, _ := json.Marshal(m)
			other := &webhooktest.Mailgun{Key: "key-of-another-account"}
			return []variant{
				{"Unsigned", unsigned, nil, 401},
				{"OtherKey", other.Event("failed", "permanent", "victim@example.org", "x@example.com", "", "mg-ev-2", "mg-token-2", now), nil, 401},
				{"Stale", e.mg.Event("failed", "permanent", "victim@example.org", "x@example.com", "", "mg-ev-3", "mg-token-3", now.Add(-25*time.Hour)), nil, 403},
			}
		}},
		{feedback.Postmark, "pm-reader@example.org", func() ([]byte, []string) {
			return webhooktest.PostmarkBounce(101, "HardBounce", "pm-reader@example.org", "", now),
				[]string{"Authorization", webhooktest.BasicAuth(postmarkUser, postmarkPassword)}
		}, func(body []byte, _ []string) []variant {
			return []variant{
				{"NoCredentials", body, nil, 401},
				{"WrongPassword", body, []string{"Authorization", webhooktest.BasicAuth(postmarkUser, postmarkPassword+"x")}, 401},
				{"Bearer", body, []string{"Authorization", "Bearer " + postmarkPassword}, 401},
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.provider, func(t *testing.T) {
			reader := e.reader(t, c.reader)
			body, headers := c.genuine()
			for _, v := range c.attacks(body, headers) {
				t.Run(v.name, func(t *testing.T) {
					before := e.dump(t)
					resp, out := e.hook(t, c.provider, v.body, v.headers...)
					e.refusedWith(t, v.status, before, resp, out)
					if r := e.suppression(t, "victim@example.org"); r != "" {
						t.Fatalf("the victim is suppressed: %q", r)
					}
				})
			}
			resp, out := e.hook(t, c.provider, body, headers...)
			if resp.StatusCode != 200 || out["applied"] != float64(1) {
				t.Fatalf("genuine request: %d %v", resp.StatusCode, out)
			}
			if r := e.suppression(t, c.reader); r != app.SuppressHardBounce {
				t.Fatalf("suppression of the bounced reader: %q", r)
			}
			if !e.granted(t, reader.ID)[app.PurposeMarketing] {
				t.Error("a bounce withdrew a consent")
			}
			t.Run("Replayed", func(t *testing.T) {
				before := e.dump(t)
				resp, out := e.hook(t, c.provider, body, headers...)
				e.refusedWith(t, http.StatusForbidden, before, resp, out)
			})
		})
	}

	t.Run("MailgunReplayedToken", func(t *testing.T) {
		// Mailgun signs the timestamp and the token, not the event: a
		// captured request whose event is edited keeps a valid signature.
		// Its token was used, so it is refused.
		body := e.mg.Event("failed", "permanent", "mg-reader@example.org", "x@example.com", "", "mg-ev-1", "mg-token-1", now)
		before := e.dump(t)
		resp, out := e.hook(t, feedback.Mailgun, bytes.Replace(body, []byte("mg-reader@"), []byte("victim@"), -1))
		e.refusedWith(t, http.StatusForbidden, before, resp, out)
	})
	t.Run("ComplaintThroughSendGrid", func(t *testing.T) {
		angry := e.reader(t, "angry@example.org")
		body, _ := json.Marshal([]map[string]any{webhooktest.SendGridEvent("spamreport", "", "angry@example.org", "<x@example.com>", "", "sg-ev-9", now)})
		sig, ts := e.sg.Sign(t, body, now)
		resp, out := e.hook(t, feedback.SendGrid, body, feedback.SendGridSignatureHeader, sig, feedback.SendGridTimestampHeader, ts)
		if resp.StatusCode != 200 || out["applied"] != float64(1) {
			t.Fatalf("%d %v", resp.StatusCode, out)
		}
		if e.granted(t, angry.ID)[app.PurposeMarketing] || e.suppression(t, "angry@example.org") != app.SuppressComplaint {
			t.Fatal("the complaint did not withdraw the advertising consent and suppress the address")
		}
		reqs, err := e.svc.Requests(context.Background(), app.RequestQuery{SubscriberID: angry.ID, Channel: app.ChannelComplaint})
		must(t, err)
		if len(reqs) != 1 || reqs[0].Kind != app.KindMarketingOptout {
			t.Fatalf("requests %+v", reqs)
		}
	})
	t.Run("SubscriptionConfirmation", func(t *testing.T) {
		m := webhooktest.SubscriptionConfirmation("sns-sub-1", now)
		resp, out := e.hook(t, feedback.SES, e.sns.Sign(t, m, "1"), "X-Amz-Sns-Message-Type", "SubscriptionConfirmation")
		if resp.StatusCode != 200 || out["applied"] != float64(0) {
			t.Fatalf("%d %v", resp.StatusCode, out)
		}
		confirmed := false
		for _, u := range e.sns.Fetched() {
			confirmed = confirmed || u == m.SubscribeURL
		}
		if !confirmed {
			t.Fatal("the subscription was not confirmed")
		}
	})
	t.Run("UnknownProvider", func(t *testing.T) {
		resp, out := e.hook(t, "sparkpost", []byte(`{}`))
		if resp.StatusCode != http.StatusNotFound || out["code"] != app.ENOTFOUND {
			t.Fatalf("%d %v", resp.StatusCode, out)
		}
	})
	t.Run("BodyLimits", func(t *testing.T) {
		base := e.listen(t)
		// A batch larger than a form may be: taken when signed.
		events := []map[string]any{}
		for i := 0; len(events) < 3000; i++ {
			events = append(events, webhooktest.SendGridEvent("open", "", "reader@example.org", "<x@example.com>", "", "open-"+strconv.Itoa(i), now))
		}
		batch, _ := json.Marshal(events)
		if len(batch) < 300<<10 || len(batch) > 1<<20 {
			t.Fatalf("batch of %d bytes", len(batch))
		}
		sig, ts := e.sg.Sign(t, batch, now)
		req := httptest.NewRequest("POST", "/webhooks/sendgrid", bytes.NewReader(batch))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(feedback.SendGridSignatureHeader, sig)
		req.Header.Set(feedback.SendGridTimestampHeader, ts)
		if resp, body := rawSend(t, base, req); resp.StatusCode != 200 {
			t.Fatalf("large signed batch: %d %.200s", resp.StatusCode, body)
		}
		for path, size := range map[string]int{"/webhooks/sendgrid": 1<<20 + 1, "/webhooks/sparkpost": 300 << 10} {
			req := httptest.NewRequest("POST", path, bytes.NewReader(bytes.Repeat([]byte("a"), size)))
			req.Header.Set("Content-Type", "application/json")
			if resp, body := rawSend(t, base, req); resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("%s, %d bytes: %d, want 413: %.200s", path, size, resp.StatusCode, body)
			}
		}
	})
}

// TestWebhooksOffUntilConfigured: without configuration every provider's
// route answers 404, whatever it is sent.
func TestWebhooksOffUntilConfigured(t *testing.T) {
	f := newFixture(t, func(d *setup) { d.Feedback = d.svc })
	for _, p := range []string{feedback.SES, feedback.SendGrid, feedback.Mailgun, feedback.Postmark} {
		req := httptest.NewRequest("POST", "/webhooks/"+p, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "text/plain")
		resp, body := f.do(t, req)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `"code":"not_found"`) {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}
