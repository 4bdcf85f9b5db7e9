package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
	"newsletter/app/inbound"
	appmail "newsletter/app/mail"
)

// errLeaseAtRisk stops a batch whose claim could not be renewed for too
// long: another worker may take its rows over soon.
var errLeaseAtRisk = errors.New("claim lease could not be renewed")

// batch sends the deliveries of one range: it claims them a few at a time,
// sends each with a slot of the process's, and hands each result to the
// recorder. It returns when the range has nothing left
// to send now, the campaign stops running, or the SMTP server cannot be
// reached (an error: the task is retried, and the rows go back to pending
// without counting an attempt).
func (r *CampaignRunner) batch(ctx context.Context, p CampaignBatchPayload) error {
	c, err := r.cfg.Store.Campaign(ctx, p.CampaignID)
	if app.IsNotFound(err) {
		return fmt.Errorf("campaign %d batch: %v: %w", p.CampaignID, err, asynq.SkipRetry)
	}
	if err != nil {
		return fmt.Errorf("campaign %d batch: %w", p.CampaignID, err)
	}
	if c.Status != app.CampaignRunning {
		return nil
	}
	// A template the rules refuse (saved before a rule was added) sends
	// nothing: each delivery fails with the reason, for the marketer to see.
	tpl, refusal := r.template(ctx, c)
	if refusal != nil && app.ErrorCode(refusal) != app.EINVALID {
		return refusal
	}
	aud := app.AudienceOf(c, r.cfg.Operator)
	claimStart := time.Now()
	claimID, err := r.cfg.Store.CreateDeliveryClaim(ctx, c.ID, r.owner, r.opt.Lease)
	if err != nil {
		return fmt.Errorf("campaign %d batch: %w", c.ID, err)
	}
	sendErr := r.sendRange(ctx, c, tpl, refusal, aud, claimID, claimStart, p)
	// Results must be durable before the claim lets go of its rows: a row
	// released with its result still waiting would be sent again.
	syncCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opt.Lease/2)
	defer cancel()
	if err := r.rec.Sync(syncCtx); err != nil {
		return fmt.Errorf("campaign %d batch: record results: %w", c.ID, err)
	}
	if n, err := r.cfg.Store.ReleaseDeliveryClaim(syncCtx, claimID); err != nil {
		return fmt.Errorf("campaign %d batch: release claim: %w", c.ID, err)
	} else if n > 0 {
		r.cfg.Log.Info("campaign batch gave back deliveries", "campaign_id", c.ID, "claim_id", claimID, "deliveries", n)
	}
	if sendErr != nil {
		return fmt.Errorf("campaign %d batch %d-%d: %w", c.ID, p.Lo, p.Hi, sendErr)
	}
	// Deliveries of this range that wait for a retry get a follow-up task
	// at their time.
	next, err := r.cfg.Store.NextRetryAt(ctx, c.ID, p.Lo, p.Hi)
	if err != nil {
		return fmt.Errorf("campaign %d batch: %w", c.ID, err)
	}
	if next != nil {
		at := maxTime(*next, time.Now().Add(time.Second))
		follow := p
		follow.Seq++
		if err := r.cfg.Queue.enqueueBatch(ctx, follow, at); err != nil {
			return fmt.Errorf("campaign %d batch: %w", c.ID, err)
		}
		return nil
	}
	if done, err := r.cfg.Store.FinishCampaignIfDone(ctx, c.ID); err != nil {
		return fmt.Errorf("campaign %d batch: %w", c.ID, err)
	} else if done {
		r.cfg.Log.Info("campaign finished", "campaign_id", c.ID)
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sendRange is the claim-send loop of a batch. A message goes out only
// with a slot of the process's (the bound of Sending guarantees), and the
// slot comes back with the commit of its result; the batch does not wait
// for that commit before its next message when a slot is free: it renders
// and sends the next while the previous result commits, and stops only
// when every slot holds a message not yet recorded.
func (r *CampaignRunner) sendRange(ctx context.Context, c *app.Campaign, tpl *app.CampaignTemplate, refusal error,
	aud app.Audience, claimID int64, claimStart time.Time, p CampaignBatchPayload) error {
	for {
		if !r.lease.ok(claimStart, r.opt.Lease) {
			return errLeaseAtRisk
		}
		rs, err := r.cfg.Store.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claimID,
			Lo: p.Lo, Hi: p.Hi, Limit: r.opt.ClaimSize, Audience: aud})
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		for i := range rs {
			if err := ctx.Err(); err != nil {
				return err
			}
			m, renderErr := r.prepare(c, tpl, refusal, &rs[i])
			if err := r.rec.Acquire(ctx); err != nil {
				return err
			}
			if !r.lease.ok(claimStart, r.opt.Lease) {
				r.rec.Release()
				return errLeaseAtRisk
			}
			out, err := r.deliver(ctx, c, &rs[i], m, renderErr)
			if err != nil {
				r.rec.Release()
				return err
			}
			r.rec.Add(out)
		}
	}
}

// prepare renders the message of one delivery, or says why it is not
// sent: a template refused by the rules (refusal), or a message that
// cannot be rendered within its caps.
func (r *CampaignRunner) prepare(c *app.Campaign, tpl *app.CampaignTemplate, refusal error, rc *app.Recipient) (*appmail.Message, error) {
	if refusal != nil {
		return nil, errors.New("not sent: " + app.ErrorMessage(refusal))
	}
	m, err := r.message(c, tpl, rc, false)
	if err != nil {
		return nil, fmt.Errorf("not sent: %w", err)
	}
	return m, nil
}

// deliver sends the message m of one delivery (or records renderErr, the
// reason it could not be made) and says what to record. It returns an
// error, and nothing to record, when the server gave no answer
// (unreachable, connection lost, context ended): the row goes back to
// pending when the claim is released.
func (r *CampaignRunner) deliver(ctx context.Context, c *app.Campaign, rc *app.Recipient, m *appmail.Message, renderErr error) (app.DeliveryOutcome, error) {
	out := app.DeliveryOutcome{CampaignID: c.ID, DeliveryID: rc.DeliveryID}
	if renderErr != nil {
		out.Status, out.Error = app.DeliveryFailed, renderErr.Error()
		r.count(false, "permanent")
		return out, nil
	}
	res := r.cfg.Transport.Send(ctx, []*appmail.Message{m})[0]
	out.Code = res.Code
	switch {
	case res.OK():
		out.Status = app.DeliverySent
		r.count(true, "")
	case res.Permanent:
		out.Status, out.Error = app.DeliveryFailed, res.Err.Error()
		if res.NoSuchUser {
			out.SuppressHash = r.cfg.Signer.KeyedHash(rc.Email)
		}
		r.count(false, "permanent")
	case res.Code == 0:
		r.count(false, "temporary")
		return out, fmt.Errorf("delivery %d: %w", rc.DeliveryID, res.Err)
	default: // a 4xx answer: later, with backoff
		out.Error = res.Err.Error()
		r.count(false, "temporary")
		if rc.Attempts+1 >= r.opt.MaxAttempts {
			out.Status = app.DeliveryFailed
		} else {
			out.Status, out.RetryAt = app.DeliveryPending, time.Now().Add(r.backoff(rc.Attempts))
		}
	}
	return out, nil
}

// backoff is the delay before attempt n+1 after n attempts.
func (r *CampaignRunner) backoff(n int) time.Duration {
	d := r.opt.RetryBase
	for i := 0; i < n && d < r.opt.RetryMax; i++ {
		d *= 2
	}
	return min(d, r.opt.RetryMax)
}

func (r *CampaignRunner) count(ok bool, class string) {
	if r.cfg.Metrics == nil {
		return
	}
	if ok {
		r.cfg.Metrics.MailSent.WithLabelValues("campaign").Inc()
		return
	}
	r.cfg.Metrics.MailFailed.WithLabelValues("campaign", class).Inc()
}

// message renders the message of one delivery: merge fields, footer, a
// Message-ID of its own (the delivery reference: the same each time this
// delivery is sent, so a copy sent again after a crash can be recognized,
// and a report about it names it), List-Id, and
// List-Unsubscribe with the one-click URL and a mailto whose subject is the
// policy's opt-out subject with the signed token.
func (r *CampaignRunner) message(c *app.Campaign, tpl *app.CampaignTemplate, rc *app.Recipient, test bool) (*appmail.Message, error) {
	token := r.cfg.Links.UnsubscribeToken(rc.SubscriberID, c.ID)
	unsubscribe := r.cfg.Links.Page("/u/" + token)
	out, err := tpl.Render(rc.Locale, app.MergeFields{Name: rc.Name, UnsubscribeURL: unsubscribe,
		PreferencesURL: r.cfg.Links.PreferencesRequest(rc.SubscriberID)})
	if err != nil {
		return nil, err
	}
	m := &appmail.Message{
		From: r.cfg.From, To: rc.Email, ToName: rc.Name, Subject: out.Subject, HTML: out.HTML, Text: out.Text,
		ListID:             r.cfg.Operator.Name + " <" + string(c.Purpose) + "." + r.listHost + ">",
		ListUnsubscribeURL: unsubscribe,
		SubscriberID:       rc.SubscriberID,
	}
	if test {
		var b [8]byte
		_, _ = rand.Read(b[:])
		m.MessageID = "t" + hex.EncodeToString(b[:]) + ".c" + strconv.FormatInt(c.ID, 10) + "." + r.idSalt + "@" + r.domain
		m.Subject = "[Test] " + m.Subject
	} else {
		// The delivery reference names this delivery in every report
		// about it: the Message-ID, a header providers echo, and with
		// VERP the envelope sender.
		ref := r.cfg.Signer.DeliveryRef(rc.DeliveryID, c.ID)
		m.MessageID = ref + "@" + r.domain
		m.Headers = map[string]string{app.DeliveryRefHeader: ref}
		if r.cfg.RefHeaders != nil {
			maps.Copy(m.Headers, r.cfg.RefHeaders(ref))
		}
		if r.cfg.ReturnPath != "" {
			m.ReturnPath = app.VERPAddress(r.cfg.ReturnPath, ref)
		}
	}
	if r.cfg.Operator.Email != "" {
		m.ListUnsubscribeMailto = appmail.UnsubscribeMailto(r.cfg.Operator.Email, inbound.MailtoSubject(tpl.Locale(rc.Locale), token))
	}
	return m, nil
}

// SendTest sends c at once, as it would reach a person named "Test", to
// each address, one message per language the campaign is written in
// (its subject marked with the language); its links name no subscriber.
// It implements app.CampaignTester.
func (r *CampaignRunner) SendTest(ctx context.Context, c *app.Campaign, to []string) error {
	tpl, err := r.template(ctx, c)
	if err != nil {
		return err
	}
	langs := []string{c.Locale}
	if len(c.Translations) > 0 {
		langs = c.Languages()
	}
	msgs := make([]*appmail.Message, 0, len(to)*len(langs))
	for _, addr := range to {
		for _, lang := range langs {
			m, err := r.message(c, tpl, &app.Recipient{Email: addr, Name: "Test", Locale: lang}, true)
			if err != nil {
				return &app.Error{Code: app.EINVALID, Message: "The test message could not be made: " + err.Error()}
			}
			if len(langs) > 1 {
				m.Subject = "[Test " + strings.ToUpper(lang) + "]" + strings.TrimPrefix(m.Subject, "[Test]")
			}
			msgs = append(msgs, m)
		}
	}
	for _, res := range r.cfg.Transport.Send(ctx, msgs) {
		if !res.OK() {
			r.count(false, map[bool]string{true: "permanent", false: "temporary"}[res.Permanent])
			return &app.Error{Code: app.EUNAVAILABLE, Message: "The mail server did not accept the test message: " + res.Err.Error()}
		}
		r.count(true, "")
	}
	r.cfg.Log.Info("campaign test sent", "campaign_id", c.ID, "messages", len(msgs))
	return nil
}
