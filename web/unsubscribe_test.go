package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"newsletter/app"
)

// withOptOut plugs the opt-out use cases and the webhook into a fixture.
func withOptOut(token string) func(*setup) {
	return func(s *setup) {
		s.plugOptOut()
		s.InboundToken = token
	}
}

// reader adds an active subscriber with consents to processing and
// marketing.
func (f *fixture) reader(t *testing.T, email string) *app.Subscriber {
	t.Helper()
	ctx := context.Background()
	sub := &app.Subscriber{Email: email, EmailHash: f.svc.Signer.KeyedHash(email), Name: "Reader", Locale: "ru", Status: app.StatusActive}
	if err := f.store.CreateSubscriber(ctx, sub); err != nil {
		t.Fatal(err)
	}
	for _, p := range []app.Purpose{app.PurposeProcessing, app.PurposeMarketing} {
		if err := f.store.SetConsent(ctx, sub.ID, p, true, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return sub
}

func (f *fixture) granted(t *testing.T, id int64) map[app.Purpose]bool {
	t.Helper()
	cs, err := f.store.Consents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[app.Purpose]bool{}
	for _, c := range cs {
		out[c.Purpose] = c.Granted
	}
	return out
}

func TestOneClickUnsubscribeHTTP(t *testing.T) {
	f := newFixture(t, withOptOut(""))
	ctx := context.Background()
	sub := f.reader(t, "reader@example.com")
	token := f.svc.Links.UnsubscribeToken(sub.ID, 12)
	path := "/u/" + token

	// GET shows the choices and changes nothing.
	resp, body := f.do(t, httptest.NewRequest("GET", path, nil))
	if resp.StatusCode != 200 || !strings.Contains(body, `id="unsubscribe-marketing"`) || strings.Contains(body, `id="unsubscribe-all"`) ||
		!strings.Contains(body, `id="unsubscribe-preferences"`) || !strings.Contains(body, "r***@example.com") || !strings.Contains(body, `lang="ru"`) {
		t.Fatalf("GET: %d\n%s", resp.StatusCode, body)
	}
	if !f.granted(t, sub.ID)[app.PurposeMarketing] {
		t.Fatal("GET withdrew the consent")
	}

	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("List-Unsubscribe", "One-Click")
	_ = w.Close()
	encodings := []struct {
		name, contentType, body string
	}{
		{"URLEncoded", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"},
		{"Multipart", w.FormDataContentType(), b.String()},
		{"URLEncodedAgain", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"},
	}
	for _, enc := range encodings {
		req := httptest.NewRequest("POST", path, strings.NewReader(enc.body))
		req.Header.Set("Content-Type", enc.contentType)
		req.Header.Set("User-Agent", "Mailbox-Provider/1.0")
		resp, body := f.do(t, req)
		if resp.StatusCode != 200 || resp.Header.Get("Location") != "" || resp.Header.Get("Set-Cookie") != "" ||
			len(body) > 100 || !strings.Contains(body, "unsubscribed") {
			t.Fatalf("%s: %d location %q cookie %q body %q", enc.name, resp.StatusCode, resp.Header.Get("Location"),
				resp.Header.Get("Set-Cookie"), body)
		}
	}
	if got := f.granted(t, sub.ID); got[app.PurposeMarketing] || !got[app.PurposeProcessing] {
		t.Fatalf("consents after one-click: %v", got)
	}
	events, _ := f.store.ConsentEvents(ctx, sub.ID)
	if len(events) != 1 || events[0].Channel != app.ChannelOneClick || events[0].UserAgent != "Mailbox-Provider/1.0" {
		t.Fatalf("events %+v: want one withdrawal", events)
	}
	reqs, _ := f.store.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID})
	if len(reqs) != 1 || reqs[0].CampaignID == nil || *reqs[0].CampaignID != 12 || reqs[0].Channel != app.ChannelOneClick {
		t.Fatalf("register %+v", reqs)
	}
	// The page now says so.
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Accept", "application/json")
	if _, body := f.do(t, req); !strings.Contains(body, `"marketing":false`) || !strings.Contains(body, `"subscriber_status":"active"`) {
		t.Fatalf("state %s", body)
	}
}

func TestUnsubscribeBadLinks(t *testing.T) {
	f := newFixture(t, withOptOut(""))
	sub := f.reader(t, "bad-links@example.com")
	good := f.svc.Links.UnsubscribeToken(sub.ID, 0)
	altered := good[:len(good)-3] + map[bool]string{true: "AAA", false: "BBB"}[!strings.HasSuffix(good, "AAA")]
	forged, _ := app.NewSigner([]byte("someone-elses-secret-0123456789abcdef"))
	for name, token := range map[string]string{
		"Altered": altered,
		"Forged":  forged.Sign(app.Token{Purpose: app.TokenUnsubscribe, SubscriberID: sub.ID, IssuedAt: time.Now()}),
		"Garbage": "x",
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := f.do(t, httptest.NewRequest("GET", "/u/"+token, nil))
			if resp.StatusCode != 400 || !strings.Contains(body, `action="/preferences"`) {
				t.Fatalf("page: %d\n%s", resp.StatusCode, body)
			}
			req := httptest.NewRequest("POST", "/u/"+token, strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			resp, body = f.do(t, req)
			if resp.StatusCode != 400 || !strings.Contains(body, `"invalid_link"`) {
				t.Fatalf("one-click: %d %s", resp.StatusCode, body)
			}
		})
	}
	if !f.granted(t, sub.ID)[app.PurposeMarketing] {
		t.Fatal("a bad link changed the consent")
	}
}

func TestUnsubscribePageButtons(t *testing.T) {
	f := newFixture(t, withOptOut(""))
	cases := []struct {
		choice     string
		marketing  bool
		processing bool
		heading    string
	}{
		{app.UnsubscribeMarketing, false, true, "Вы отписались"},
		{app.UnsubscribePreferences, true, true, "Проверьте почту"},
	}
	for _, c := range cases {
		t.Run(c.choice, func(t *testing.T) {
			sub := f.reader(t, c.choice+"@example.com")
			resp, body := f.do(t, formPost("/u/"+f.svc.Links.UnsubscribeToken(sub.ID, 0), url.Values{"choice": {c.choice}, "locale": {"ru"}}))
			if resp.StatusCode != 200 || !strings.Contains(body, c.heading) {
				t.Fatalf("%d\n%s", resp.StatusCode, body)
			}
			got := f.granted(t, sub.ID)
			if got[app.PurposeMarketing] != c.marketing || got[app.PurposeProcessing] != c.processing {
				t.Fatalf("consents %v", got)
			}
		})
	}
	sub := f.reader(t, "unknown-choice@example.com")
	// "all" (revoke consent, which erases the person) is no longer a
	// choice of a link that travels in bulk mail.
	for _, choice := range []string{"all-of-it", "all"} {
		if resp, _ := f.do(t, formPost("/u/"+f.svc.Links.UnsubscribeToken(sub.ID, 0), url.Values{"choice": {choice}})); resp.StatusCode != 422 {
			t.Fatalf("choice %q: %d", choice, resp.StatusCode)
		}
	}
	if got := f.granted(t, sub.ID); !got[app.PurposeMarketing] || !got[app.PurposeProcessing] {
		t.Fatalf("a refused choice changed the consents: %v", got)
	}
}

func TestRevokeLinkHTTP(t *testing.T) {
	f := newFixture(t, withOptOut(""))
	ctx := context.Background()
	sub := f.reader(t, "revoker@example.com")
	id, _, err := f.svc.ReceiveInbound(ctx, []byte("Message-ID: <r@x>\r\nFrom: revoker@example.com\r\nSubject: x\r\n\r\nx\r\n"),
		app.InboundSource{Source: app.InboundWebhook})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: id, Disposition: app.EmailIsRequest, From: "revoker@example.com",
		Kind: app.KindConsentRevocation, Lang: "ru"})
	if err != nil || m.ConfirmationID == nil {
		t.Fatalf("act: %+v %v", m, err)
	}
	c, _ := f.store.Confirmation(ctx, *m.ConfirmationID)
	link, _ := url.Parse(f.svc.Links.Revoke(c.ID, sub.ID, c.ExpiresAt))

	resp, body := f.do(t, httptest.NewRequest("GET", link.Path, nil))
	if resp.StatusCode != 200 || !strings.Contains(body, `id="revoke-button"`) || !strings.Contains(body, `id="keep-button"`) ||
		!strings.Contains(body, `lang="ru"`) {
		t.Fatalf("GET: %d\n%s", resp.StatusCode, body)
	}
	if got := f.granted(t, sub.ID); !got[app.PurposeProcessing] {
		t.Fatal("GET revoked")
	}
	resp, body = f.do(t, formPost(link.Path, url.Values{"choice": {"revoke"}}))
	if resp.StatusCode != 200 || !strings.Contains(body, `id="message"`) {
		t.Fatalf("POST: %d\n%s", resp.StatusCode, body)
	}
	if got := f.granted(t, sub.ID); got[app.PurposeProcessing] || got[app.PurposeMarketing] {
		t.Fatalf("consents after revocation: %v", got)
	}
	if resp, _ := f.do(t, formPost(link.Path, url.Values{"choice": {"revoke"}})); resp.StatusCode != 400 {
		t.Fatalf("second use: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, httptest.NewRequest("GET", "/revoke/"+f.svc.Links.UnsubscribeToken(sub.ID, 0), nil)); resp.StatusCode != 400 {
		t.Fatalf("an unsubscribe token on the revoke page: %d", resp.StatusCode)
	}
}

func TestInboundWebhook(t *testing.T) {
	raw := "Message-ID: <hook-1@example.net>\r\nFrom: someone@example.net\r\nSubject: Unsubscribe\r\n\r\nStop.\r\n"
	send := func(t *testing.T, f *fixture, auth string) (int, string) {
		req := httptest.NewRequest("POST", "/inbound/mime", strings.NewReader(raw))
		req.Header.Set("Content-Type", "message/rfc822")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, body := f.do(t, req)
		return resp.StatusCode, body
	}
	t.Run("Off", func(t *testing.T) {
		f := newFixture(t, withOptOut(""))
		if code, _ := send(t, f, "Bearer anything"); code != 404 {
			t.Fatalf("without INBOUND_TOKEN: %d, want 404", code)
		}
	})
	t.Run("On", func(t *testing.T) {
		f := newFixture(t, withOptOut("inbound-secret"))
		for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "Basic aW5ib3VuZC1zZWNyZXQ=": 401, "Bearer inbound-secret": 202} {
			if code, body := send(t, f, auth); code != want {
				t.Fatalf("auth %q: %d %s, want %d", auth, code, body, want)
			}
		}
		code, body := send(t, f, "Bearer inbound-secret")
		var got struct {
			Status    string `json:"status"`
			Duplicate bool   `json:"duplicate"`
		}
		if code != 202 || json.Unmarshal([]byte(body), &got) != nil || got.Status != "accepted" || !got.Duplicate {
			t.Fatalf("second delivery: %d %s", code, body)
		}
		if backlog, _ := f.store.OutboxBacklog(context.Background()); backlog != 1 {
			t.Fatalf("%d tasks queued, want 1", backlog)
		}
	})
	t.Run("Large", func(t *testing.T) {
		// A request with a 2 MB attachment is a request: the mailbox's
		// route takes messages up to app.MaxInboundBytes, far above the
		// body limit of every other route.
		f := newFixture(t, withOptOut("inbound-secret"))
		attachment := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xA5}, 2<<20))
		var big strings.Builder
		big.WriteString("Message-ID: <hook-large@example.net>\r\nFrom: someone@example.net\r\nSubject: Unsubscribe\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nStop, the scan of my letter is attached.\r\n" +
			"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		for len(attachment) > 76 {
			big.WriteString(attachment[:76] + "\r\n")
			attachment = attachment[76:]
		}
		big.WriteString(attachment + "\r\n--b--\r\n")
		req := httptest.NewRequest("POST", "/inbound/mime", strings.NewReader(big.String()))
		req.Header.Set("Content-Type", "message/rfc822")
		req.Header.Set("Authorization", "Bearer inbound-secret")
		if resp, body := f.do(t, req); resp.StatusCode != 202 {
			t.Fatalf("%d KB message: %d %.200s", big.Len()>>10, resp.StatusCode, body)
		}
		// Without the token the same message meets the limit of every
		// other route, and is refused before it is read.
		for _, auth := range []string{"", "Bearer wrong"} {
			req = httptest.NewRequest("POST", "/inbound/mime", strings.NewReader(big.String()))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			if _, err := f.srv.App().Test(req, 10000); !errors.Is(err, fasthttp.ErrBodyTooLarge) {
				t.Fatalf("a large message with authorization %q: %v, want the body refused", auth, err)
			}
		}
		// Bodies over the limits, here and on every other route, get a
		// 413 answer: TestSecurityBodies.
		if backlog, _ := f.store.OutboxBacklog(context.Background()); backlog != 1 {
			t.Fatalf("%d tasks queued, want 1", backlog)
		}
	})
}

func TestReviewAPI(t *testing.T) {
	f := newFixture(t, withOptOut(""))
	ctx := context.Background()
	admins := &app.Admins{Store: f.store}
	tokens := map[app.Role]string{}
	for _, role := range []app.Role{app.RolePrivacyOfficer, app.RoleMarketer, app.RoleOwner} {
		email := string(role) + "@example.com"
		if _, _, err := admins.Create(ctx, email, role); err != nil {
			t.Fatal(err)
		}
		tok, err := admins.NewToken(ctx, email, "test")
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = tok
	}
	f.reader(t, "asker@example.com")
	var requestIDs []int64
	for i := 0; i < 2; i++ {
		id, _, err := f.svc.ReceiveInbound(ctx, []byte("Message-ID: <ask-"+string(rune('a'+i))+"@x>\r\nFrom: asker@example.com\r\nSubject: ?\r\n\r\n?\r\n"),
			app.InboundSource{Source: app.InboundWebhook})
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: id, Disposition: app.EmailIsRequest, From: "asker@example.com",
			Kind: app.KindUnknown, Lang: "en", Summary: &app.MessageSummary{From: "asker@example.com", Subject: "?", Text: "What do you hold?"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.FinishEmail(ctx, m.ID, m.Round, false); err != nil {
			t.Fatal(err)
		}
		requestIDs = append(requestIDs, *m.RequestID)
	}
	call := func(role app.Role, method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if role != "" {
			req.Header.Set("Authorization", "Bearer "+tokens[role])
		}
		resp, b := f.do(t, req)
		return resp.StatusCode, b
	}
	if code, _ := call("", "GET", "/api/v1/requests/review", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := call(app.RoleMarketer, "GET", "/api/v1/requests/review", ""); code != 403 {
		t.Fatalf("marketer: %d", code)
	}
	code, body := call(app.RolePrivacyOfficer, "GET", "/api/v1/requests/review", "")
	var queue struct {
		Requests []struct {
			ID      int64               `json:"id"`
			Status  string              `json:"status"`
			Message *app.MessageSummary `json:"message"`
		} `json:"requests"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &queue) != nil || len(queue.Requests) != 2 || queue.Requests[0].Message == nil ||
		queue.Requests[0].Message.Text != "What do you hold?" || queue.Requests[0].Status != "needs_review" {
		t.Fatalf("queue: %d %s", code, body)
	}
	id0, id1 := strconv.FormatInt(requestIDs[0], 10), strconv.FormatInt(requestIDs[1], 10)
	if code, _ := call(app.RoleMarketer, "POST", "/api/v1/requests/"+id0+"/assign", `{"kind":"access"}`); code != 403 {
		t.Fatalf("marketer assigns: %d", code)
	}
	if code, body := call(app.RolePrivacyOfficer, "POST", "/api/v1/requests/"+id0+"/assign", `{"kind":"frobnicate"}`); code != 422 {
		t.Fatalf("bad kind: %d %s", code, body)
	}
	if code, body := call(app.RolePrivacyOfficer, "POST", "/api/v1/requests/"+id0+"/assign", `{"kind":"access"}`); code != 202 ||
		!strings.Contains(body, `"kind":"access"`) {
		t.Fatalf("assign: %d %s", code, body)
	}
	if code, body := call(app.RoleOwner, "POST", "/api/v1/requests/"+id1+"/reject", `{"reason":"spam"}`); code != 200 ||
		!strings.Contains(body, `"status":"rejected"`) {
		t.Fatalf("reject: %d %s", code, body)
	}
	if code, _ := call(app.RolePrivacyOfficer, "POST", "/api/v1/requests/"+id1+"/reject", `{"reason":"again"}`); code != 409 {
		t.Fatalf("reject twice: %d", code)
	}
	if _, body := call(app.RolePrivacyOfficer, "GET", "/api/v1/requests/review", ""); !strings.Contains(body, `"requests":[]`) {
		t.Fatalf("queue after review: %s", body)
	}
}
