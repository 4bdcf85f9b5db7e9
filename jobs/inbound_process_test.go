package jobs_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/hibiken/asynq"

	"newsletter/app"
	"newsletter/app/inbound"
	appmail "newsletter/app/mail"
	"newsletter/app/store"
	"newsletter/internal/testenv"
	"newsletter/jobs"
	"newsletter/templates"
)

// trustedServer is the authserv-id of the operator's receiving server in
// the fixtures.
const trustedServer = "mx.operator.test"

// keyServer is an in-memory DNS for DKIM keys.
type keyServer struct {
	mu      sync.Mutex
	records map[string]string
}

func (k *keyServer) LookupTXT(_ context.Context, name string) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if r, ok := k.records[strings.ToLower(name)]; ok {
		return []string{r}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// sign DKIM-signs raw as domain with a new key and publishes the key.
func (k *keyServer) sign(t *testing.T, raw []byte, domain string) []byte {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	selector := "s" + strings.ReplaceAll(domain, ".", "-")
	k.mu.Lock()
	k.records[selector+"._domainkey."+domain] = "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	k.mu.Unlock()
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{Domain: domain, Selector: selector, Signer: priv,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID", "Content-Type", "MIME-Version"}}); err != nil {
		t.Fatalf("dkim sign: %v", err)
	}
	return out.Bytes()
}

// capture is a mail transport that keeps what it is given. fail makes the
// next n sends fail temporarily; onSend runs before each message is taken.
type capture struct {
	mu     sync.Mutex
	msgs   []*appmail.Message
	fail   int
	onSend func(*appmail.Message)
}

func (c *capture) Send(_ context.Context, msgs []*appmail.Message) []appmail.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	res := make([]appmail.Result, len(msgs))
	for i, m := range msgs {
		if c.fail > 0 {
			c.fail--
			res[i] = appmail.Result{Err: errors.New("421 try later"), Temporary: true}
			continue
		}
		if c.onSend != nil {
			c.onSend(m)
		}
		c.msgs = append(c.msgs, m)
	}
	return res
}

func (c *capture) Close() error { return nil }

func (c *capture) sent() []*appmail.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*appmail.Message(nil), c.msgs...)
}

// inbox is the database, the use cases and the workers of emailed
// requests; tasks run in the test's goroutine, from the outbox.
type inbox struct {
	st       *store.Store
	svc      *testenv.UseCases
	links    *app.Links
	tr       *capture
	keys     *keyServer
	handlers map[string]jobs.Handler
}

const shopFrom = "Shop News <news@shop.example>"

func newInbox(t *testing.T) *inbox {
	t.Helper()
	ctx := context.Background()
	st := openStore(t)
	signer, err := app.NewSigner([]byte("inbound-test-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://news.shop.example")
	links := &app.Links{Base: base, Signer: signer}
	cal, err := app.NewCalendar(time.UTC, nil)
	if err != nil {
		t.Fatal(err)
	}
	op := app.Operator{Name: "Shop LLC", Email: "privacy@shop.example", Address: "1 Main St", Country: "RU", SMTPCountry: "RU"}
	svc := testenv.Wire(&app.Subscriptions{Core: &app.Core{Store: st, Signer: signer, Links: links, Calendar: cal, Operator: op},
		ConfirmTTL: 7 * 24 * time.Hour, PendingTTL: 30 * 24 * time.Hour})
	if err := (&app.Admins{Store: st}).EnsurePolicy(ctx, "v1", "en", "ru"); err != nil {
		t.Fatal(err)
	}
	render, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{st: st, svc: svc, links: links, tr: &capture{}, keys: &keyServer{records: map[string]string{}}}
	tx := &jobs.Transactional{Store: st, Render: render, Transport: in.tr, Links: links, From: shopFrom, Operator: op,
		PendingTTL: svc.Subscriptions.PendingTTL, Log: quietLog()}
	proc := jobs.InboundProcessor{Requests: svc, Mail: tx, Sent: st, TrustedAuthservID: trustedServer,
		LookupTXT: in.keys.LookupTXT, OwnAddresses: []string{shopFrom, op.Email}, ReplyTo: op.Email, Log: quietLog()}
	in.handlers = map[string]jobs.Handler{}
	for _, h := range []jobs.Handler{proc, jobs.EraseHandler{Eraser: svc}, jobs.ExtensionNoticeMail{Transactional: tx, Notices: svc},
		jobs.DeadlineAlertMail{Transactional: tx, Requests: st, Admins: st},
		jobs.RequestAnswerMail{Transactional: tx, Answers: svc}} {
		in.handlers[h.Type()] = h
	}
	return in
}

// drain runs the tasks of every outbox row, and of the rows they write,
// until none is left. A task that fails is run again, as asynq would.
func (in *inbox) drain(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for round := 0; round < 20; round++ {
		var tasks []app.OutboxMessage
		if _, err := in.st.RelayOutbox(ctx, 1000, func(m app.OutboxMessage) error {
			tasks = append(tasks, m)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(tasks) == 0 {
			return
		}
		for _, m := range tasks {
			h := in.handlers[m.Kind]
			if h == nil {
				continue // mail of other use cases
			}
			var err error
			for try := 0; try < 5; try++ {
				if err = h.ProcessTask(ctx, asynq.NewTask(m.Kind, m.Payload)); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("task %s: %v", m.Kind, err)
			}
		}
	}
	t.Fatal("the outbox never emptied")
}

// receive stores raw as the webhook would and processes it.
func (in *inbox) receive(t *testing.T, raw []byte) *app.InboundMessage {
	t.Helper()
	ctx := context.Background()
	id, _, err := in.svc.ReceiveInbound(ctx, raw, app.InboundSource{Source: app.InboundWebhook})
	if err != nil {
		t.Fatal(err)
	}
	in.drain(t)
	m, err := in.svc.InboundMessage(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// subscriber adds an active subscriber who consented to processing and
// marketing.
func (in *inbox) subscriber(t *testing.T, email string) *app.Subscriber {
	t.Helper()
	ctx := context.Background()
	addr, err := app.NormalizeEmail(email)
	if err != nil {
		t.Fatal(err)
	}
	sub := &app.Subscriber{Email: addr, EmailHash: in.svc.Signer.KeyedHash(addr), Name: "Old Name", Phone: "+79120000000",
		Locale: "en", Status: app.StatusActive}
	if err := in.st.CreateSubscriber(ctx, sub); err != nil {
		t.Fatal(err)
	}
	for _, p := range []app.Purpose{app.PurposeProcessing, app.PurposeMarketing} {
		if err := in.st.SetConsent(ctx, sub.ID, p, true, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return sub
}

func (in *inbox) consent(t *testing.T, id int64, p app.Purpose) bool {
	t.Helper()
	cs, err := in.st.Consents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Purpose == p {
			return c.Granted
		}
	}
	return false
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	for _, dir := range []string{"testdata/inbound", "../app/inbound/testdata"} {
		if raw, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			return raw
		}
	}
	t.Fatalf("no fixture %s", name)
	return nil
}

// inboxCase is one emailed message and what must come of it.
type inboxCase struct {
	name       string
	file       string
	raw        func(t *testing.T, in *inbox, sub *app.Subscriber) []byte // instead of file
	signAs     string
	subscriber string // create this subscriber first
	outcome    string
	kind       app.RequestKind // "" = no request recorded
	status     app.RequestStatus
	verified   string // register verification
	reply      string // reply template; "" = no reply
	replyText  string // in the reply's text
	after      func(t *testing.T, in *inbox, sub *app.Subscriber, m *app.InboundMessage)
}

func blocked(t *testing.T, in *inbox, sub *app.Subscriber, want bool) {
	t.Helper()
	got, err := in.st.Subscriber(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if (got.Status == app.StatusBlocked) != want {
		t.Errorf("status %s, want blocked %v", got.Status, want)
	}
}

func erased(t *testing.T, in *inbox, sub *app.Subscriber, m *app.InboundMessage) {
	t.Helper()
	ctx := context.Background()
	got, _ := in.st.Subscriber(ctx, sub.ID)
	if got.Status != app.StatusErased {
		t.Fatalf("status %s, want erased", got.Status)
	}
	if raw, _ := in.svc.InboundRaw(ctx, m.ID); raw != nil {
		t.Error("the person's message survived the erasure")
	}
	r, _ := in.st.Request(ctx, *m.RequestID)
	if r.Status != app.RequestCompleted || r.CompletedAt == nil {
		t.Errorf("request %+v, want completed by the erasure", r)
	}
}

func notErased(t *testing.T, in *inbox, sub *app.Subscriber) {
	t.Helper()
	if !in.consent(t, sub.ID, app.PurposeProcessing) || !in.consent(t, sub.ID, app.PurposeMarketing) {
		t.Error("an unverified message withdrew a consent")
	}
	blocked(t, in, sub, true)
}

func suppressed(addr, reason string) func(t *testing.T, in *inbox, sub *app.Subscriber, m *app.InboundMessage) {
	return func(t *testing.T, in *inbox, _ *app.Subscriber, _ *app.InboundMessage) {
		t.Helper()
		got, err := in.st.SuppressionReason(context.Background(), in.svc.Signer.KeyedHash(addr))
		if err != nil || got != reason {
			t.Errorf("suppression of the bounced address: %q %v, want %q", got, err, reason)
		}
	}
}

var inboxCases = []inboxCase{
	{name: "OptoutGmailDKIM", file: "gmail_en_optout.eml", signAs: "gmail.com", subscriber: "John.Smith@gmail.com",
		outcome: app.EmailIsRequest, kind: app.KindMarketingOptout, status: app.RequestCompleted, verified: app.VerifiedDKIM,
		reply: app.ReplyOptout, replyText: "/preferences/",
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, _ *app.InboundMessage) {
			if in.consent(t, sub.ID, app.PurposeMarketing) || !in.consent(t, sub.ID, app.PurposeProcessing) {
				t.Error("want marketing withdrawn, processing kept")
			}
		}},
	{name: "OptoutUnverifiedStillStops", file: "gmail_ru_reply_optout.eml", subscriber: "olga.smirnova@gmail.com",
		outcome: app.EmailIsRequest, kind: app.KindMarketingOptout, status: app.RequestCompleted, verified: app.Unverified,
		reply: app.ReplyOptout, replyText: "не присылаем вам рекламу",
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, _ *app.InboundMessage) {
			if in.consent(t, sub.ID, app.PurposeMarketing) {
				t.Error("marketing still granted")
			}
		}},
	{name: "OptoutSubdomainAligned", file: "subdomain_aligned_en.eml", signAs: "example.co.uk", subscriber: "noah@news.example.co.uk",
		outcome: app.EmailIsRequest, kind: app.KindMarketingOptout, status: app.RequestCompleted, verified: app.VerifiedDKIM,
		reply: app.ReplyOptout},
	{name: "OptoutByMailtoToken", subscriber: "token.holder@example.com",
		raw: func(_ *testing.T, in *inbox, sub *app.Subscriber) []byte {
			token := in.links.UnsubscribeToken(sub.ID, 9)
			return []byte("From: Someone Else <forwarded.to@elsewhere.example>\r\nTo: privacy@shop.example\r\n" +
				"Subject: " + inbound.MailtoSubject("en", token) + "\r\nMessage-ID: <tok-1@elsewhere.example>\r\n" +
				"Date: Mon, 5 Feb 2024 10:00:00 +0000\r\n\r\nThis message was automatically generated by Gmail.\r\n")
		},
		// The token names the person; the unverified From address is not
		// theirs, so nobody is answered (backscatter).
		outcome: app.EmailIsRequest, kind: app.KindMarketingOptout, status: app.RequestCompleted, verified: app.VerifiedToken,
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, m *app.InboundMessage) {
			r, _ := in.st.Request(context.Background(), *m.RequestID)
			if r.CampaignID == nil || *r.CampaignID != 9 || r.SubscriberID == nil || *r.SubscriberID != sub.ID {
				t.Errorf("register %+v: want the token's person and campaign", r)
			}
			if in.consent(t, sub.ID, app.PurposeMarketing) {
				t.Error("marketing still granted")
			}
			if m.ReplyPersonal {
				t.Error("the reply to another address may not be personal")
			}
			for _, rp := range in.tr.sent() {
				if rp.To == "forwarded.to@elsewhere.example" {
					t.Errorf("the unverified sender was answered: subject %q", rp.Subject)
				}
			}
		}},
	{name: "UpdateVerifiedApplied", file: "verified_update_ru.eml", subscriber: "anna.ivanova@example.ru",
		outcome: app.EmailIsRequest, kind: app.KindDataUpdate, status: app.RequestCompleted, verified: app.VerifiedAuthResults,
		reply: app.ReplyUpdated, replyText: "Мы исправили",
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, _ *app.InboundMessage) {
			got, _ := in.st.Subscriber(context.Background(), sub.ID)
			if got.Name != "Анна Сергеевна Иванова" || got.Phone != "+79161234567" || got.Status != app.StatusActive {
				t.Errorf("after the update: %q %q %s", got.Name, got.Phone, got.Status)
			}
		}},
	{name: "UpdateVerifiedUnusablePhoneBlocks", file: "outlook_en_update_ar.eml", subscriber: "john.smith@outlook.com",
		outcome: app.EmailIsRequest, kind: app.KindDataUpdate, status: app.RequestReceived, verified: app.VerifiedAuthResults,
		reply: app.ReplyUpdate, replyText: "/preferences/",
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, _ *app.InboundMessage) {
			blocked(t, in, sub, true)
		}},
	{name: "UpdateUnverifiedBlocksOnly", file: "yandex_ru_update_koi8r.eml", subscriber: "ivan.petrov@yandex.ru",
		outcome: app.EmailIsRequest, kind: app.KindDataUpdate, status: app.RequestReceived, verified: app.Unverified,
		reply: app.ReplyUpdate, replyText: "/preferences/",
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, m *app.InboundMessage) {
			blocked(t, in, sub, true)
			if got, _ := in.st.Subscriber(context.Background(), sub.ID); got.Name != "Old Name" {
				t.Errorf("an unverified message changed the name to %q", got.Name)
			}
			r, _ := in.st.Request(context.Background(), *m.RequestID)
			if r.DueAt == nil || !r.DueAt.After(r.ReceivedAt.Add(7*24*time.Hour)) {
				t.Errorf("due %v: 7 working days", r.DueAt)
			}
		}},
	{name: "UpdateSpoofedNotApplied", file: "spoof_ar_not_topmost.eml", subscriber: "victim@mail.ru",
		outcome: app.EmailIsRequest, kind: app.KindDataUpdate, status: app.RequestReceived, verified: app.Unverified,
		reply: app.ReplyUpdate,
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, _ *app.InboundMessage) {
			got, _ := in.st.Subscriber(context.Background(), sub.ID)
			if got.Name != "Old Name" || got.Phone != "+79120000000" {
				t.Errorf("a spoofed message changed the data: %q %q", got.Name, got.Phone)
			}
		}},
	{name: "RevocationVerifiedDKIM", file: "gmail_ru_revocation_base64.eml", signAs: "gmail.com", subscriber: "ivan.petrov@gmail.com",
		outcome: app.EmailIsRequest, kind: app.KindConsentRevocation, status: app.RequestCompleted, verified: app.VerifiedDKIM,
		reply: app.ReplyRevoked, replyText: "последнее письмо",
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, m *app.InboundMessage) { erased(t, in, sub, m) }},
	{name: "RevocationVerifiedByTrustedServer", file: "mailru_ru_revocation_ar.eml", subscriber: "pavel@mail.ru",
		outcome: app.EmailIsRequest, kind: app.KindConsentRevocation, status: app.RequestCompleted, verified: app.VerifiedAuthResults,
		reply: app.ReplyRevoked,
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, m *app.InboundMessage) { erased(t, in, sub, m) }},
	{name: "RevocationUntrustedResults", file: "spoof_untrusted_ar.eml", subscriber: "victim@yandex.ru",
		outcome: app.EmailIsRequest, kind: app.KindConsentRevocation, status: app.RequestAwaitingConfirmation, verified: app.Unverified,
		reply: app.ReplyRevokeConfirm, replyText: "/revoke/",
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, _ *app.InboundMessage) { notErased(t, in, sub) }},
	{name: "RevocationSignedByOtherDomain", file: "spoof_dkim_other_domain.eml", signAs: "evil.example", subscriber: "victim.person@gmail.com",
		outcome: app.EmailIsRequest, kind: app.KindConsentRevocation, status: app.RequestAwaitingConfirmation, verified: app.Unverified,
		reply: app.ReplyRevokeConfirm, replyText: "/revoke/",
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, _ *app.InboundMessage) { notErased(t, in, sub) }},
	{name: "RevocationDoubleFrom", file: "spoof_double_from.eml", signAs: "gmail.com", subscriber: "owner@gmail.com",
		outcome: app.EmailIsRequest, kind: app.KindConsentRevocation, status: app.RequestAwaitingConfirmation, verified: app.Unverified,
		reply: app.ReplyRevokeConfirm,
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, _ *app.InboundMessage) { notErased(t, in, sub) }},
	{name: "AccessVerified", file: "apple_en_access.eml", signAs: "icloud.com", subscriber: "emma.brown@icloud.com",
		outcome: app.EmailIsRequest, kind: app.KindAccess, status: app.RequestCompleted, verified: app.VerifiedDKIM,
		reply: app.ReplyAccess, replyText: "/preferences/"},
	{name: "AccessHTMLOnlyUnverified", file: "html_only_ru_access.eml", subscriber: "elena@rambler.ru",
		outcome: app.EmailIsRequest, kind: app.KindAccess, status: app.RequestCompleted, verified: app.Unverified,
		reply: app.ReplyAccess, replyText: "/preferences/",
		after: func(t *testing.T, in *inbox, _ *app.Subscriber, m *app.InboundMessage) {
			r, _ := in.st.Request(context.Background(), *m.RequestID)
			if r.DueAt == nil || !r.DueAt.After(r.ReceivedAt.Add(10*24*time.Hour)) {
				t.Errorf("due %v: 10 working days", r.DueAt)
			}
		}},
	{name: "UnclearFromSubscriberToReview", file: "outlook_ru_question_unknown.eml", subscriber: "nikolay@company.example.ru",
		outcome: app.EmailIsRequest, kind: app.KindUnknown, status: app.RequestNeedsReview, verified: app.Unverified,
		reply: app.ReplyReview,
		after: func(t *testing.T, in *inbox, _ *app.Subscriber, m *app.InboundMessage) {
			if m.Summary == nil || !strings.Contains(m.Summary.Text, "Когда приедет мой заказ?") {
				t.Errorf("summary for the reviewer: %+v", m.Summary)
			}
		}},
	{name: "UnclearFromStrangerToReviewUnanswered", file: "gmail_en_forward_inline.eml", signAs: "gmail.com",
		outcome: app.EmailIsRequest, kind: app.KindUnknown, status: app.RequestNeedsReview, verified: app.VerifiedDKIM},
	{name: "UnverifiedStrangerUnanswered", file: "iso8859_5_unsubscribe.eml",
		outcome: app.EmailIsRequest, kind: app.KindMarketingOptout, status: app.RequestCompleted, verified: app.Unverified,
		after: func(t *testing.T, in *inbox, _ *app.Subscriber, m *app.InboundMessage) {
			r, _ := in.st.Request(context.Background(), *m.RequestID)
			if r.SubscriberID != nil {
				t.Errorf("subscriber_id %v, want null", *r.SubscriberID)
			}
		}},
	{name: "VerifiedStrangerToldWeHoldNothing", signAs: "example.ru",
		raw: func(_ *testing.T, _ *inbox, _ *app.Subscriber) []byte {
			raw, _ := os.ReadFile("../app/inbound/testdata/iso8859_5_unsubscribe.eml")
			return bytes.Replace(raw, []byte("<iso5-1@example.ru>"), []byte("<iso5-2@example.ru>"), 1)
		},
		outcome: app.EmailIsRequest, kind: app.KindMarketingOptout, status: app.RequestCompleted, verified: app.VerifiedDKIM,
		reply: app.ReplyNothingHeld, replyText: "нет персональных данных",
		after: func(t *testing.T, in *inbox, _ *app.Subscriber, m *app.InboundMessage) {
			r, _ := in.st.Request(context.Background(), *m.RequestID)
			if r.SubscriberID != nil {
				t.Errorf("subscriber_id %v, want null", *r.SubscriberID)
			}
		}},
	{name: "OutOfOfficeIgnored", file: "ooo_en_outlook.eml", subscriber: "sarah.miller@contoso.com", outcome: app.EmailIsAutoReply,
		after: func(t *testing.T, in *inbox, sub *app.Subscriber, _ *app.InboundMessage) {
			if !in.consent(t, sub.ID, app.PurposeMarketing) {
				t.Error("an auto-reply withdrew a consent")
			}
		}},
	{name: "XAutoreplyIgnored", file: "ooo_en_x_autoreply.eml", outcome: app.EmailIsAutoReply},
	{name: "ReadReceiptIgnored", file: "mdn_read_receipt.eml", subscriber: "kate@example.com", outcome: app.EmailIsAutoReply},
	{name: "ListMailIgnored", file: "bulk_list_mail.eml", outcome: app.EmailIsAutoReply},
	{name: "LoopIgnored", subscriber: "looped@example.com",
		raw: func(*testing.T, *inbox, *app.Subscriber) []byte {
			return []byte("From: Shop News <NEWS@shop.example>\r\nTo: privacy@shop.example\r\nSubject: Cancel Newsletter with New Products, Services and Special Offers\r\n" +
				"Message-ID: <loop-1@shop.example>\r\n\r\nunsubscribe\r\n")
		},
		outcome: app.EmailIsLoop},
	// Delivery reports about messages we sent (their returned Message-ID
	// is our delivery's); reports that prove nothing are in
	// feedback_mail_test.go.
	{name: "PermanentBounceSuppresses", subscriber: "Gone.User@example.org", outcome: app.EmailIsBounce,
		raw:   bounceOf("dsn_postfix_permanent.eml", "campaign-12.delivery-345@shop.example"),
		after: suppressed("Gone.User@example.org", app.SuppressHardBounce)},
	{name: "GmailBounceSuppresses", subscriber: "nobody.here@gmail.com", outcome: app.EmailIsBounce,
		raw:   bounceOf("dsn_gmail_permanent.eml", "campaign-13.delivery-1@shop.example"),
		after: suppressed("nobody.here@gmail.com", app.SuppressHardBounce)},
	{name: "FreeTextBounceSuppresses", subscriber: "old.address@example.net", outcome: app.EmailIsBounce,
		raw:   bounceOf("bounce_exim_freetext.eml", "campaign-14.delivery-9@shop.example"),
		after: suppressed("old.address@example.net", app.SuppressHardBounce)},
	{name: "DelayedBounceKeeps", subscriber: "slow.user@example.net", outcome: app.EmailIsBounce,
		raw:   bounceOf("dsn_postfix_delayed.eml", "campaign-12.delivery-346@shop.example"),
		after: suppressed("slow.user@example.net", "")},
}

// TestInboundCorpus processes realistic messages end to end (stored,
// examined, acted on, answered, recorded) and checks each one's action,
// register entry, verification and reply.
func TestInboundCorpus(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	for _, c := range inboxCases {
		t.Run(c.name, func(t *testing.T) {
			var sub *app.Subscriber
			if c.subscriber != "" {
				sub = in.subscriber(t, c.subscriber)
			}
			var raw []byte
			if c.raw != nil {
				raw = c.raw(t, in, sub)
			} else {
				raw = fixture(t, c.file)
			}
			if c.signAs != "" {
				raw = in.keys.sign(t, raw, c.signAs)
			}
			parsed, err := inbound.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			before := len(in.tr.sent())
			if sub != nil && c.reply == app.ReplyRevoked {
				// The reply must leave before the address is destroyed.
				in.tr.onSend = func(*appmail.Message) {
					if got, _ := in.st.Subscriber(ctx, sub.ID); got.Status == app.StatusErased {
						t.Error("reply sent after the erasure")
					}
				}
				defer func() { in.tr.onSend = nil }()
			}
			m := in.receive(t, raw)

			if m.Status != app.InboundDone || m.Outcome != c.outcome {
				t.Fatalf("message %s/%s, want done/%s", m.Status, m.Outcome, c.outcome)
			}
			if c.kind == "" {
				if m.RequestID != nil {
					t.Errorf("request %d recorded for a %s", *m.RequestID, c.outcome)
				}
			} else {
				if m.RequestID == nil {
					t.Fatal("no request recorded")
				}
				r, err := in.st.Request(ctx, *m.RequestID)
				if err != nil {
					t.Fatal(err)
				}
				if r.Kind != c.kind || r.Status != c.status || r.Verification != c.verified || r.Channel != app.ChannelEmail ||
					r.InboundID == nil || *r.InboundID != m.ID || r.DueAt == nil || !r.ReceivedAt.Equal(m.ReceivedAt) {
					t.Errorf("register entry %+v, want %s/%s verified %q", r, c.kind, c.status, c.verified)
				}
				if sub != nil && c.outcome == app.EmailIsRequest && (r.SubscriberID == nil || *r.SubscriberID != sub.ID) {
					t.Errorf("request names subscriber %v, want %d", r.SubscriberID, sub.ID)
				}
			}

			replies := in.tr.sent()[before:]
			if c.reply == "" {
				if len(replies) != 0 {
					t.Fatalf("%d replies to a message that must not be answered: %q", len(replies), replies[0].Subject)
				}
			} else {
				if len(replies) != 1 || m.Reply != c.reply || m.RepliedAt == nil {
					t.Fatalf("%d replies, template %q replied %v; want one %s", len(replies), m.Reply, m.RepliedAt, c.reply)
				}
				rp := replies[0]
				wantTo, _ := app.NormalizeEmail(parsed.From)
				if rp.To != wantTo || rp.InReplyTo != parsed.MessageID || rp.AutoSubmitted != "auto-replied" ||
					len(rp.References) == 0 || rp.References[len(rp.References)-1] != parsed.MessageID ||
					!strings.HasPrefix(rp.Subject, "Re: ") || rp.Headers["Reply-To"] != "privacy@shop.example" {
					t.Errorf("reply to %s in-reply-to %q refs %v auto %q subject %q headers %v", rp.To, rp.InReplyTo,
						rp.References, rp.AutoSubmitted, rp.Subject, rp.Headers)
				}
				if c.replyText != "" && !strings.Contains(rp.Text, c.replyText) {
					t.Errorf("reply text lacks %q:\n%s", c.replyText, rp.Text)
				}
				cls := inbound.Classify(parsed.Subject)
				if cls.Lang == "ru" && !strings.Contains(rp.Text, "Здравствуйте") || cls.Lang == "en" && !strings.Contains(rp.Text, "Hello") {
					t.Errorf("reply not in the language of the request (%s):\n%s", cls.Lang, rp.Text)
				}
			}
			if c.after != nil {
				c.after(t, in, sub, m)
			}
		})
	}
}

// TestInboundOnce: the same message delivered twice (by the mailbox and
// the webhook, or after a restart) is processed and answered once; a task
// that runs again after a failed send does nothing twice.
func TestInboundOnce(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	sub := in.subscriber(t, "twice@example.com")
	raw := []byte("From: twice@example.com\r\nTo: privacy@shop.example\r\nSubject: Access to personal data\r\n" +
		"Message-ID: <twice-1@example.com>\r\n\r\nWhat do you hold?\r\n")
	in.tr.fail = 2 // the first sends fail: the task is retried
	first := in.receive(t, raw)
	for _, src := range []string{app.InboundIMAP, app.InboundWebhook} {
		id, created, err := in.svc.ReceiveInbound(ctx, append([]byte("Received: by mx2\r\n"), raw...), app.InboundSource{Source: src})
		if err != nil || created || id != first.ID {
			t.Fatalf("again by %s: id %d created %v %v", src, id, created, err)
		}
	}
	in.drain(t)
	// The task itself, run once more, changes nothing.
	if err := in.handlers[app.OutboxInboundProcess].ProcessTask(ctx, asynq.NewTask(app.OutboxInboundProcess,
		[]byte(fmt.Sprintf(`{"inbound_id":%d}`, first.ID)))); err != nil {
		t.Fatal(err)
	}
	if n := len(in.tr.sent()); n != 1 {
		t.Fatalf("%d replies, want 1", n)
	}
	reqs, _ := in.st.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID})
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
}

// TestInboundReplyLimit: one address gets a few replies a day, however
// many messages it sends; every request is still recorded.
func TestInboundReplyLimit(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	sub := in.subscriber(t, "chatty@example.com")
	for i := 0; i < jobs.DefaultRepliesPerDay+2; i++ {
		in.receive(t, []byte(fmt.Sprintf("From: chatty@example.com\r\nSubject: Access to personal data\r\nMessage-ID: <chatty-%d@example.com>\r\n\r\nAgain.\r\n", i)))
	}
	if n := len(in.tr.sent()); n != jobs.DefaultRepliesPerDay {
		t.Fatalf("%d replies, want %d", n, jobs.DefaultRepliesPerDay)
	}
	reqs, _ := in.st.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID})
	if len(reqs) != jobs.DefaultRepliesPerDay+2 {
		t.Fatalf("%d requests recorded", len(reqs))
	}
}

// TestInboundReviewAssignment: an unclear message assigned a kind by a
// privacy officer is processed as that kind and answered.
func TestInboundReviewAssignment(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	sub := in.subscriber(t, "nikolay@company.example.ru")
	m := in.receive(t, fixture(t, "outlook_ru_question_unknown.eml"))
	r, err := in.svc.AssignRequest(ctx, &app.Admin{ID: 1, Role: app.RolePrivacyOfficer}, *m.RequestID, app.KindMarketingOptout)
	if err != nil {
		t.Fatal(err)
	}
	in.drain(t)
	m, _ = in.svc.InboundMessage(ctx, m.ID)
	r, _ = in.st.Request(ctx, r.ID)
	if m.Round != 1 || m.Status != app.InboundDone || r.Status != app.RequestCompleted || r.Kind != app.KindMarketingOptout {
		t.Fatalf("message %+v request %+v", m, r)
	}
	if in.consent(t, sub.ID, app.PurposeMarketing) {
		t.Fatal("marketing still granted after the assignment")
	}
	replies := in.tr.sent()
	if len(replies) != 2 || !strings.Contains(replies[1].Text, "рекламу") {
		t.Fatalf("%d replies; want the review notice and the opt-out answer", len(replies))
	}
}
