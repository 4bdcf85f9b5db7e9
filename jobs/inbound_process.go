package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hibiken/asynq"

	"newsletter/app"
	"newsletter/app/inbound"
	outmail "newsletter/app/mail"
)

// TypeInboundSweep destroys the raw text of old processed inbound messages.
const TypeInboundSweep = "inbound:sweep"

func init() {
	// A person waits for the answer to their request: the critical queue.
	taskSpecs[app.OutboxInboundProcess] = taskSpec{QueueCritical, 25, 2 * time.Minute}
	taskSpecs[TypeInboundSweep] = taskSpec{QueueDefault, 3, 10 * time.Minute}
}

// EmailRequests are the use cases behind emailed requests.
type EmailRequests interface {
	InboundMessage(ctx context.Context, id int64) (*app.InboundMessage, error)
	InboundRaw(ctx context.Context, id int64) ([]byte, error)
	ActOnEmail(ctx context.Context, e app.EmailRequest) (*app.InboundMessage, error)
	FinishEmail(ctx context.Context, id int64, round int, replied bool) error
	RepliesSince(ctx context.Context, senderHash string, since time.Time) (int, error)
}

// MailStatusReader tells whether a transactional message was sent.
type MailStatusReader interface {
	MailStatus(ctx context.Context, key string) (string, error)
}

// DefaultRepliesPerDay is how many replies one address gets in 24 hours
// at most: enough for a person, too few to feed a mail loop.
const DefaultRepliesPerDay = 3

// maxSummaryRunes bounds the text of a message shown to a reviewer.
const maxSummaryRunes = 4000

// InboundProcessor runs inbound:process tasks: it examines a stored
// message (parse, classify, verify the sender), has the use cases act on
// it, answers it in the same thread and closes it. Each step is idempotent,
// so a retried task finishes the work without doing any step twice: the act
// is recorded with the message, the reply is claimed once (sent_mail), and
// closing is conditional.
type InboundProcessor struct {
	Requests EmailRequests
	// Mail sends the reply (once per message and round).
	Mail *Transactional
	Sent MailStatusReader
	// TrustedAuthservID is the authserv-id of the operator's receiving
	// server (INBOUND_TRUSTED_AUTHSERV_ID): only its Authentication-Results
	// header is believed.
	TrustedAuthservID string
	// LookupTXT resolves DKIM keys; nil uses the system resolver.
	LookupTXT func(ctx context.Context, domain string) ([]string, error)
	// OwnAddresses are our own addresses (MAIL_FROM, OPERATOR_EMAIL): mail
	// from them is a loop and never answered.
	OwnAddresses []string
	// ReplyTo, when set, is the Reply-To of replies (OPERATOR_EMAIL).
	ReplyTo string
	// RepliesPerDay caps the replies to one address in 24 hours; 0 means
	// DefaultRepliesPerDay.
	RepliesPerDay int
	Log           *slog.Logger
}

// Type implements Handler.
func (InboundProcessor) Type() string { return app.OutboxInboundProcess }

// ProcessTask implements Handler.
func (h InboundProcessor) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var p app.InboundRef
	if err := decode(task, &p); err != nil {
		return err
	}
	m, err := h.Requests.InboundMessage(ctx, p.InboundID)
	if app.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Status == app.InboundReceived {
		raw, err := h.Requests.InboundRaw(ctx, m.ID)
		if err != nil {
			return err
		}
		e := h.examine(ctx, m, raw)
		if m, err = h.Requests.ActOnEmail(ctx, e); err != nil {
			return err
		}
		h.Log.Info("inbound message examined", "inbound_id", m.ID, "round", m.Round, "outcome", m.Outcome,
			"kind", m.Kind, "verification", m.Verification, "request_id", idOrZero(m.RequestID), "reply", m.Reply)
	}
	if m.Status != app.InboundActed {
		return nil
	}
	replied := false
	if m.Reply != "" {
		if replied, err = h.reply(ctx, m); err != nil {
			return err
		}
		if !replied {
			h.Log.Info("inbound message closed without its reply", "inbound_id", m.ID, "reply", m.Reply)
		}
	}
	return h.Requests.FinishEmail(ctx, m.ID, m.Round, replied)
}

func idOrZero(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// examine reads a stored message: what it is, who sent it, what it asks
// for, and whether the sender's domain vouches for it.
func (h InboundProcessor) examine(ctx context.Context, m *app.InboundMessage, raw []byte) app.EmailRequest {
	e := app.EmailRequest{InboundID: m.ID, Round: m.Round, Disposition: app.EmailIsMalformed}
	if raw == nil {
		return e // destroyed before it was processed: reviewed without text
	}
	// Unreadable, or no sender: a person reads the raw text.
	e.Summary = &app.MessageSummary{Text: truncateRunes(printable(raw), maxSummaryRunes), Reason: app.ReviewUnreadable}
	msg, err := inbound.Parse(raw)
	if err != nil {
		return e
	}
	switch {
	case msg.IsComplaint:
		e.Disposition, e.Summary, e.ReportRefs = app.EmailIsComplaint, reportSummary(msg), msg.ReportReferences()
		e.Feedback = complaintFeedback(msg)
		return e
	case msg.IsDSN:
		e.Disposition, e.Summary, e.ReportRefs = app.EmailIsBounce, reportSummary(msg), msg.ReportReferences()
		e.Feedback = bounceFeedback(msg)
		return e
	case inbound.IsFromSelf(msg, h.OwnAddresses):
		e.Disposition = app.EmailIsLoop
		return e
	case msg.AutoReply:
		e.Disposition = app.EmailIsAutoReply
		return e
	}
	from, err := app.NormalizeEmail(msg.From)
	if err != nil {
		return e // no address to identify the person by, or to answer
	}
	c := inbound.Read(msg, h.OwnAddresses)
	e.Disposition, e.From, e.Kind, e.Lang, e.Token = app.EmailIsRequest, from, c.Kind, c.Lang, c.Token
	if m.Round > 0 && m.VerificationDetail != "" {
		// Processed again after review: keep what was found on receipt
		// (keys may have rotated since).
		e.Verified = m.Verification == app.VerifiedDKIM || m.Verification == app.VerifiedAuthResults
		e.Verification, e.VerificationDetail = m.Verification, m.VerificationDetail
	} else {
		v := inbound.Verify(ctx, raw, msg.FromDomain(),
			inbound.VerifyOptions{LookupTXT: h.LookupTXT, TrustedAuthservID: h.TrustedAuthservID})
		e.Verified, e.VerificationDetail = v.Pass, v.Detail
		if v.Pass {
			e.Verification = v.Method
		}
	}
	f := msg.Fields()
	e.Name, e.Phone = f.Name, f.Phone
	e.Summary = &app.MessageSummary{From: msg.From, FromName: msg.FromName, Subject: msg.Subject, Date: msg.Date,
		Text: truncateRunes(msg.Text, maxSummaryRunes), Lang: c.Lang, Reason: c.Review}
	return e
}

// bounceFeedback turns a delivery report into events: a permanent failure
// of a recipient is a hard bounce, a temporary one (or a delay) a soft
// bounce. Whether the report is about a message we sent is for the use case
// to judge, from the references it carries.
func bounceFeedback(msg *inbound.Message) []app.FeedbackEvent {
	b := msg.Bounce
	if b == nil {
		return nil
	}
	hints := msg.ReportReferences()
	var out []app.FeedbackEvent
	for _, r := range b.Recipients {
		kind := ""
		switch {
		case r.Permanent:
			kind = app.FeedbackHardBounce
		case r.Action == "failed" || r.Action == "delayed":
			kind = app.FeedbackSoftBounce
		default:
			continue
		}
		out = append(out, app.FeedbackEvent{Source: app.FeedbackFromReport, Kind: kind, RefHints: hints,
			Recipient: r.Address, Status: r.Status})
	}
	return out
}

// complaintFeedback turns an ARF report of unwanted mail into a complaint
// event.
func complaintFeedback(msg *inbound.Message) []app.FeedbackEvent {
	if msg.Complaint == nil || !msg.Complaint.Counts() {
		return nil
	}
	return []app.FeedbackEvent{{Source: app.FeedbackFromARF, Kind: app.FeedbackComplaint, RefHints: msg.ReportReferences(),
		Recipient: msg.Complaint.OriginalRcptTo}}
}

// reportSummary is what a privacy officer sees of a report nothing was done
// with: who sent it and its subject, not its text (which quotes other
// people's addresses).
func reportSummary(msg *inbound.Message) *app.MessageSummary {
	return &app.MessageSummary{From: msg.From, FromName: msg.FromName, Subject: truncateRunes(msg.Subject, maxSubjectRunes),
		Date: msg.Date}
}

// maxSubjectRunes bounds a subject kept for an officer to read.
const maxSubjectRunes = 250

// printable is raw as UTF-8 text without control characters other than
// line breaks and tabs (a database refuses NUL in text).
func printable(raw []byte) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(string(raw), "\uFFFD"))
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// reply answers a message in its thread, in the language of the request,
// as an automatic reply (RFC 3834). It reports whether a reply went out.
func (h InboundProcessor) reply(ctx context.Context, m *app.InboundMessage) (bool, error) {
	raw, err := h.Requests.InboundRaw(ctx, m.ID)
	if err != nil || raw == nil {
		return false, err
	}
	msg, err := inbound.Parse(raw)
	if err != nil {
		return false, nil
	}
	to, err := app.NormalizeEmail(msg.From)
	if err != nil {
		return false, nil
	}
	limit := h.RepliesPerDay
	if limit <= 0 {
		limit = DefaultRepliesPerDay
	}
	key := fmt.Sprintf("reply:%d.%d", m.ID, m.Round)
	if st, err := h.Sent.MailStatus(ctx, key); err != nil {
		return false, err
	} else if st == "" {
		n, err := h.Requests.RepliesSince(ctx, m.SenderHash, time.Now().Add(-24*time.Hour))
		if err != nil {
			return false, err
		}
		if n >= limit {
			h.Log.Info("reply withheld: daily limit for the address reached", "inbound_id", m.ID)
			return false, nil
		}
	}
	data, ok, err := h.replyData(ctx, m)
	if err != nil || !ok {
		return false, err
	}
	threadID := msg.MessageID
	refs := append([]string{}, msg.References...)
	if threadID != "" {
		refs = append(refs, threadID)
	}
	if len(refs) > 20 {
		refs = append(refs[:1], refs[len(refs)-19:]...)
	}
	var personID int64 // a reply to the address on file is the person's mail
	if m.ReplyPersonal && m.SubscriberID != nil {
		personID = *m.SubscriberID
	}
	err = h.Mail.send(ctx, key, m.Reply, m.Lang, to, data.Name, personID, data, func(out *outmail.Message) {
		out.AutoSubmitted = "auto-replied"
		out.InReplyTo, out.References = threadID, refs
		out.Subject = replySubject(m.Kind, m.Lang, out.Subject)
		if h.ReplyTo != "" {
			if a, err := mail.ParseAddress(h.ReplyTo); err == nil {
				out.Headers = map[string]string{"Reply-To": a.Address}
			}
		}
	})
	if err != nil {
		return false, err
	}
	st, err := h.Sent.MailStatus(ctx, key)
	return st == "sent", err
}

// replyData fills the reply template: the person's name and a link to
// their data only when the reply goes to the address on file. ok is false
// when the reply can no longer be made (its confirmation was purged).
func (h InboundProcessor) replyData(ctx context.Context, m *app.InboundMessage) (MailData, bool, error) {
	var data MailData
	if !m.ReplyPersonal || m.SubscriberID == nil {
		return data, true, nil
	}
	sub, err := h.Mail.Store.Subscriber(ctx, *m.SubscriberID)
	if app.IsNotFound(err) {
		return data, true, nil
	}
	if err != nil {
		return data, false, err
	}
	if sub.Status == app.StatusErased {
		return data, true, nil
	}
	data.Name = sub.Name
	switch m.Reply {
	case app.ReplyOptout, app.ReplyLeft, app.ReplyUpdate, app.ReplyUpdated, app.ReplyAccess:
		data.URL = h.Mail.Links.Preferences(sub)
	case app.ReplyRevokeConfirm:
		if m.ConfirmationID == nil {
			return data, false, nil
		}
		c, err := h.Mail.Store.Confirmation(ctx, *m.ConfirmationID)
		if app.IsNotFound(err) {
			return data, false, nil
		}
		if err != nil {
			return data, false, err
		}
		data.URL = h.Mail.Links.Revoke(c.ID, c.SubscriberID, c.ExpiresAt)
		data.Days = int(time.Until(c.ExpiresAt).Hours() / 24)
	}
	return data, true, nil
}

// replySubject is "Re: " and the policy's own title for the request kind
// in the request's language, or, for a kind without one, the reply
// template's own subject. It never repeats the incoming subject: whoever
// forged that message chose its words, and the reply is DKIM-signed mail
// of ours. The thread is kept by In-Reply-To and References.
func replySubject(kind app.RequestKind, lang, templateSubject string) string {
	title := inbound.PolicySubject(kind, lang)
	if title == "" {
		title = templateSubject
	}
	return "Re: " + title
}

// InboundSweeper destroys old raw inbound messages.
type InboundSweeper interface {
	SweepInbound(ctx context.Context) (int64, error)
}

// InboundSweepHandler runs the periodic inbound:sweep.
type InboundSweepHandler struct {
	Sweeper InboundSweeper
	Log     *slog.Logger
}

// Type implements Handler.
func (InboundSweepHandler) Type() string { return TypeInboundSweep }

// ProcessTask implements Handler.
func (h InboundSweepHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	n, err := h.Sweeper.SweepInbound(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		h.Log.Info("inbound sweep done", "raw_destroyed", n)
	}
	return nil
}
