package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
	"newsletter/app/mail"
	"newsletter/app/metrics"
	"newsletter/templates"
)

// TransactionalStore is what transactional mail needs from the database.
type TransactionalStore interface {
	Confirmation(ctx context.Context, id int64) (*app.Confirmation, error)
	Subscriber(ctx context.Context, id int64) (*app.Subscriber, error)
	ClaimMail(ctx context.Context, key string) (bool, error)
	FinishMail(ctx context.Context, key, status, errText string) error
}

// MailRenderer renders a mail template in a language.
type MailRenderer interface {
	Mail(name, locale string, data MailData) (subject, html, text string, err error)
}

// MailData is what transactional templates receive.
type MailData = templates.Mail

// Transactional sends the one-off messages of the product (confirmations,
// preference links), each exactly once: a claim row per message is taken
// before sending and its outcome recorded after.
type Transactional struct {
	Store      TransactionalStore
	Render     MailRenderer
	Transport  mail.Transport
	Links      *app.Links
	From       string
	Operator   app.Operator
	PendingTTL time.Duration
	Metrics    *metrics.Metrics
	Log        *slog.Logger
	// Gate, when set, may refuse a confirmation or preferences message
	// (the cross-border rule, a manual suppression).
	Gate MailGate
	// Layouts, when set, reads the owner's mail layout of each language
	// (app.Layouts); nil: the defaults.
	Layouts func(ctx context.Context) (app.MailLayouts, error)
}

// MailGate decides whether a message may reach a subscriber's address
// through the configured mail infrastructure; pending are the consents
// given in the form the message confirms (app.Privacy.MayMail).
type MailGate interface {
	MayMail(ctx context.Context, subscriberID int64, to string, pending []app.Purpose) (bool, error)
}

// mayMail asks the gate, if any.
func (t *Transactional) mayMail(ctx context.Context, subscriberID int64, to string, pending []app.Purpose) (bool, error) {
	if t.Gate == nil {
		return true, nil
	}
	return t.Gate.MayMail(ctx, subscriberID, to, pending)
}

// send renders and sends one message once; key names it for idempotency.
// subscriberID is the person the message is for (0: none), for the file
// outbox to name its file by.
func (t *Transactional) send(ctx context.Context, key, template, locale, to, toName string, subscriberID int64, data MailData,
	extra func(*mail.Message)) error {
	ok, err := t.Store.ClaimMail(ctx, key)
	if err != nil {
		return err
	}
	if !ok {
		return nil // sent already, or being sent by another attempt
	}
	data.Operator, data.OperatorAddress = t.Operator.Name, t.Operator.Address
	data.SiteURL = t.Links.Page("")
	if t.Layouts != nil {
		ls, err := t.Layouts(ctx)
		if err != nil {
			_ = t.Store.FinishMail(ctx, key, "failed_temporary", err.Error())
			return fmt.Errorf("mail layout: %w", err)
		}
		data.Layout = ls.Of(locale)
	}
	subject, html, text, err := t.Render.Mail(template, locale, data)
	if err != nil {
		_ = t.Store.FinishMail(ctx, key, "failed_temporary", err.Error())
		return err
	}
	m := &mail.Message{From: t.From, To: to, ToName: toName, Subject: subject, HTML: html, Text: text,
		MessageID: messageID(key, t.From), SubscriberID: subscriberID,
		// RFC 3834: mail the product generates on its own, not a reply.
		AutoSubmitted: "auto-generated"}
	if extra != nil {
		extra(m)
	}
	res := t.Transport.Send(ctx, []*mail.Message{m})[0]
	kind := strings.SplitN(key, ":", 2)[0]
	switch {
	case res.OK():
		t.count(kind, "")
		return t.Store.FinishMail(ctx, key, "sent", "")
	case res.Permanent:
		t.count(kind, "permanent")
		t.Log.Warn("mail rejected", "kind", kind, "key", key, "err", res.Err)
		return t.Store.FinishMail(ctx, key, "failed", res.Err.Error())
	default:
		t.count(kind, "temporary")
		if err := t.Store.FinishMail(ctx, key, "failed_temporary", res.Err.Error()); err != nil {
			return err
		}
		return fmt.Errorf("send %s: %w", key, res.Err) // asynq retries with backoff
	}
}

func (t *Transactional) count(kind, failure string) {
	if t.Metrics == nil {
		return
	}
	if failure == "" {
		t.Metrics.MailSent.WithLabelValues(kind).Inc()
	} else {
		t.Metrics.MailFailed.WithLabelValues(kind, failure).Inc()
	}
}

// messageID makes a Message-ID unique per message key, on the sender's domain.
func messageID(key, from string) string {
	domain := "localhost"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = strings.TrimRight(from[i+1:], "> ")
	}
	return strings.NewReplacer(":", ".", "/", ".").Replace(key) + "." + app.RandomSecret(6) + "@" + domain
}

// ConfirmationMail sends the double opt-in link of a confirmation (a new
// subscription, or a new address).
type ConfirmationMail struct{ *Transactional }

// Type implements Handler.
func (ConfirmationMail) Type() string { return app.OutboxConfirmation }

// ProcessTask implements Handler.
func (h ConfirmationMail) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var p app.ConfirmationRef
	if err := decode(task, &p); err != nil {
		return err
	}
	c, err := h.Store.Confirmation(ctx, p.ConfirmationID)
	if app.IsNotFound(err) {
		return nil // purged: nothing to send
	}
	if err != nil {
		return err
	}
	if c.UsedAt != nil || time.Now().After(c.ExpiresAt) {
		return nil
	}
	sub, err := h.Store.Subscriber(ctx, c.SubscriberID)
	if err != nil {
		return err
	}
	if sub.Status == app.StatusErased || sub.Status == app.StatusBlocked {
		return nil
	}
	if ok, err := h.mayMail(ctx, sub.ID, c.Email, c.Purposes); err != nil || !ok {
		return err
	}
	tmpl := "confirmation"
	if c.Kind == app.ConfirmEmailChange {
		tmpl = "email_change"
	}
	data := MailData{Name: c.Name, URL: h.Links.Confirm(c.ID, c.SubscriberID, c.ExpiresAt), Days: int(h.PendingTTL.Hours() / 24)}
	return h.send(ctx, fmt.Sprintf("confirmation:%d", c.ID), tmpl, c.Locale, c.Email, c.Name, c.SubscriberID, data, nil)
}

// recipient decodes a task's SubscriberRef and reads its subscriber. It
// returns nil, with a nil error when there is nothing to send, when
// wanted refuses the subscriber or the gate refuses their address.
func (t *Transactional) recipient(ctx context.Context, task *asynq.Task, wanted func(*app.Subscriber) bool) (*app.Subscriber, error) {
	var p app.SubscriberRef
	if err := decode(task, &p); err != nil {
		return nil, err
	}
	sub, err := t.Store.Subscriber(ctx, p.SubscriberID)
	if err != nil {
		return nil, err
	}
	if !wanted(sub) {
		return nil, nil
	}
	if ok, err := t.mayMail(ctx, sub.ID, sub.Email, nil); err != nil || !ok {
		return nil, err
	}
	return sub, nil
}

// PreferencesMail sends a link to the preference centre.
type PreferencesMail struct{ *Transactional }

// Type implements Handler.
func (PreferencesMail) Type() string { return app.OutboxPreferences }

// ProcessTask implements Handler.
func (h PreferencesMail) ProcessTask(ctx context.Context, task *asynq.Task) error {
	sub, err := h.recipient(ctx, task, func(sub *app.Subscriber) bool {
		return sub.Status == app.StatusActive || sub.Status == app.StatusBlocked
	})
	if sub == nil {
		return err
	}
	taskID, _ := asynq.GetTaskID(ctx)
	data := MailData{Name: sub.Name, URL: h.Links.Preferences(sub)}
	return h.send(ctx, "preferences:"+taskID, "preferences", sub.Locale, sub.Email, sub.Name, sub.ID, data, nil)
}

// ExtensionNotices finds what the notice of an extended request says.
type ExtensionNotices interface {
	ExtensionNotice(ctx context.Context, subscriberID, requestID int64) (*app.ExtensionNotice, error)
}

// ExtensionNoticeMail sends the reasoned notice of an extended access
// request (152-FZ art. 14 part 3): the new deadline and the reason. It is
// correspondence about the person's own request, so it reaches a blocked
// person too; the cross-border rule and a manual suppression still hold.
type ExtensionNoticeMail struct {
	*Transactional
	Notices ExtensionNotices
}

// Type implements Handler.
func (ExtensionNoticeMail) Type() string { return app.OutboxRequestExtended }

// ProcessTask implements Handler.
func (h ExtensionNoticeMail) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var p app.SubscriberRef
	if err := decode(task, &p); err != nil {
		return err
	}
	n, err := h.Notices.ExtensionNotice(ctx, p.SubscriberID, p.RequestID)
	if err != nil || n == nil {
		return err
	}
	sub := n.Subscriber
	if ok, err := h.mayMail(ctx, sub.ID, sub.Email, nil); err != nil {
		return err
	} else if !ok {
		h.Log.Warn("extension notice withheld by the mail rules; answer the person another way",
			"request_id", p.RequestID, "subscriber_id", sub.ID)
		return nil
	}
	locale := app.NormalizeLocale(sub.Locale)
	data := MailData{Name: sub.Name, Received: civilDate(locale, n.Received), Due: civilDate(locale, n.Due), Reason: n.Reason,
		URL: h.Links.Preferences(sub)}
	// Answers about the request go to the operator's privacy mailbox.
	var replyTo func(*mail.Message)
	if a, err := netmail.ParseAddress(h.Operator.Email); err == nil {
		replyTo = func(m *mail.Message) { m.Headers = map[string]string{"Reply-To": a.Address} }
	}
	return h.send(ctx, fmt.Sprintf("extension:%d", p.RequestID), "request_extended", locale, sub.Email, sub.Name, sub.ID, data, replyTo)
}

var monthsRU = [...]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"}

// civilDate writes the date of t out in a language: "2 December 2026",
// "2 декабря 2026 года" (the word, not "г.", so that a sentence ending on
// the date does not end on two full stops).
func civilDate(locale string, t time.Time) string {
	if locale == app.LocaleRU {
		return fmt.Sprintf("%d %s %d года", t.Day(), monthsRU[t.Month()-1], t.Year())
	}
	return t.Format("2 January 2006")
}

// RequestReader reads the request register.
type RequestReader interface {
	Request(ctx context.Context, id int64) (*app.Request, error)
}

// AdminLister lists the console's accounts.
type AdminLister interface {
	ListAdmins(ctx context.Context) ([]app.AdminAccount, error)
}

// DeadlineAlertMail tells the people who answer requests which ones a
// sweep found overdue or due soon, by id, kind and deadline: no personal
// data. It goes to every privacy officer of the console (to the owners
// when there is none), each at their own address; only a product without
// console accounts mails OPERATOR_EMAIL, which is often the very mailbox
// the product reads requests from.
type DeadlineAlertMail struct {
	*Transactional
	Requests RequestReader
	Admins   AdminLister
	// Location is where deadlines fall (the calendar's); nil means UTC.
	Location *time.Location
}

// Type implements Handler.
func (DeadlineAlertMail) Type() string { return app.OutboxDeadlineAlert }

// alertRecipient is one addressee of an alert and its part of the key.
type alertRecipient struct{ key, email string }

// recipients are the privacy officers, else the owners, else the
// operator's address.
func (h DeadlineAlertMail) recipients(ctx context.Context) ([]alertRecipient, error) {
	admins, err := h.Admins.ListAdmins(ctx)
	if err != nil {
		return nil, err
	}
	for _, role := range []app.Role{app.RolePrivacyOfficer, app.RoleOwner} {
		var out []alertRecipient
		for _, a := range admins {
			if a.Role == role && a.Email != "" {
				out = append(out, alertRecipient{key: fmt.Sprintf("admin%d", a.ID), email: a.Email})
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	if len(admins) == 0 && h.Operator.Email != "" {
		return []alertRecipient{{key: "operator", email: h.Operator.Email}}, nil
	}
	return nil, nil
}

// ProcessTask implements Handler.
func (h DeadlineAlertMail) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var p app.DeadlineAlert
	if err := decode(task, &p); err != nil {
		return err
	}
	to, err := h.recipients(ctx)
	if err != nil || len(to) == 0 {
		return err
	}
	locale := app.LocaleEN
	if h.Operator.Country == "" || strings.EqualFold(h.Operator.Country, "RU") {
		locale = app.LocaleRU
	}
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	data := MailData{Overdue: p.Overdue, DueSoon: p.DueSoon, URL: h.Links.Page("/admin/requests")}
	for i, ids := range [][]int64{p.OverdueIDs, p.DueSoonIDs} {
		for _, id := range ids {
			r, err := h.Requests.Request(ctx, id)
			if app.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if r.Status == app.RequestCompleted || r.Status == app.RequestRejected || r.DueAt == nil {
				continue // answered since
			}
			data.Requests = append(data.Requests, templates.AlertRequest{ID: r.ID, Kind: string(r.Kind), Channel: string(r.Channel),
				Due: civilDate(locale, r.DueAt.In(loc)), Overdue: i == 0})
		}
	}
	if len(data.Requests) == 0 {
		return nil
	}
	data.More = int64(len(p.OverdueIDs)+len(p.DueSoonIDs)) < p.Overdue+p.DueSoon
	key := alertKey(p)
	for _, r := range to {
		if err := h.send(ctx, key+":"+r.key, "deadline_alert", locale, r.email, "", 0, data, nil); err != nil {
			return err // asynq retries; those sent already are not sent again
		}
	}
	return nil
}

// alertKey names an alert by what it flagged: a request is flagged once
// per state (due soon, overdue), so two sweeps never flag the same list,
// and a task run twice sends one message.
func alertKey(p app.DeadlineAlert) string {
	h := sha256.New()
	fmt.Fprintf(h, "overdue %v due soon %v", p.OverdueIDs, p.DueSoonIDs)
	return "deadline_alert:" + hex.EncodeToString(h.Sum(nil)[:12])
}
