package app

import (
	"context"
	"fmt"
	"time"
)

// Delivery feedback: bounces and complaints about the mail we sent, from
// every place they arrive (delivery reports and ARF complaints by mail, and
// the webhooks of mail providers).
//
// Reports by mail can be written by anyone, so one counts only when it
// proves that it is about a message we sent: it carries a valid delivery
// reference (DeliveryRef: our Message-ID, our X-Newsletter-Ref header, or
// the VERP envelope sender), and a bounce names that delivery's recipient.
// A report that proves nothing changes nothing. A provider's webhook is
// verified by the provider's own signature before it gets here; its events
// are the provider's word about the address it names.
//
// What each event does: a hard bounce suppresses the address (its keyed
// hash); a soft bounce is counted only; a complaint withdraws the consent
// to advertising, records a completed marketing_optout request (channel
// complaint) and suppresses the address as complaint. Every event is
// recorded once by its key (a provider's retry changes nothing), with ids
// only, and counted on its campaign.

// Feedback kinds.
const (
	FeedbackHardBounce = "hard_bounce"
	FeedbackSoftBounce = "soft_bounce"
	FeedbackComplaint  = "complaint"
)

// Feedback sources.
const (
	// FeedbackFromReport is a delivery status report by mail (RFC 3464, or
	// the free text of a mailer daemon).
	FeedbackFromReport = "dsn"
	// FeedbackFromARF is a complaint by mail in the Abuse Reporting
	// Format (RFC 5965).
	FeedbackFromARF = "arf"
	// The mail providers whose webhooks are read.
	FeedbackFromSES      = "ses"
	FeedbackFromSendGrid = "sendgrid"
	FeedbackFromMailgun  = "mailgun"
	FeedbackFromPostmark = "postmark"
)

// ChannelComplaint is the channel of an advertising opt-out recorded
// because the person marked our mail as spam (a feedback loop report or a
// provider's complaint event).
const ChannelComplaint Channel = "complaint"

// WebhookReplayWindow is how long a webhook request is remembered: a
// request seen within it is refused as a replay, and providers refuse to
// sign requests older than it (see package feedback).
const WebhookReplayWindow = 24 * time.Hour

// FeedbackEvent is one bounce or complaint, as a report or a provider
// described it. It holds personal data (Recipient): never log it, never
// queue it.
type FeedbackEvent struct {
	// Key identifies the report at its source (the provider's event id,
	// the stored message); the same key twice is one event.
	Key string
	// Source is one of the FeedbackFrom* values.
	Source string
	// Kind is one of the Feedback* kinds.
	Kind string
	// RefHints are the values that may carry the reference of the delivery
	// the report is about (DeliveryRef): the Message-ID and the
	// X-Newsletter-Ref header of the returned message, the address a
	// report was sent to, a provider's custom data. Only a valid reference
	// counts.
	RefHints []string
	// Recipient is the address the report is about; "" when the report
	// does not say (an ARF report often hides it).
	Recipient string
	// Status is the enhanced status code of a bounce, such as "5.1.1".
	Status string
	// At is when it happened; zero means now.
	At time.Time
	// InboundID is the stored message a report by mail came in.
	InboundID int64
}

// FeedbackTarget is the delivery a report names, as the store knows it.
type FeedbackTarget struct {
	DeliveryID   int64
	CampaignID   int64
	SubscriberID int64
	// Status is the delivery's status: only a sent one can bounce.
	Status DeliveryStatus
	// EmailHash is the keyed hash of the subscriber's address now; "" once
	// erased.
	EmailHash string
}

// FeedbackRecord is a feedback event as stored: ids only.
type FeedbackRecord struct {
	ID           int64
	Key          string
	Source       string
	Kind         string
	DeliveryID   *int64
	CampaignID   *int64
	SubscriberID *int64
	Status       string
	RequestID    *int64
	InboundID    *int64
	OccurredAt   time.Time
}

// FeedbackResult says what a batch of events did.
type FeedbackResult struct {
	// Applied counts the events recorded and acted on now.
	Applied int `json:"applied"`
	// Duplicates counts events recorded before (a provider's retry).
	Duplicates int `json:"duplicates"`
	// Ignored counts events that named nothing we could act on.
	Ignored int `json:"ignored"`
}

// RecordWebhook records the events of one verified provider webhook
// request in one transaction, with the request's replay key (a keyed hash
// of it is kept for WebhookReplayWindow): a request seen before is refused
// (EFORBIDDEN) and changes nothing. It returns once everything is
// committed, so the provider's 2xx means nothing is lost.
func (s *Feedback) RecordWebhook(ctx context.Context, replayKey string, events []FeedbackEvent) (FeedbackResult, error) {
	var res FeedbackResult
	now := s.Now.Now()
	err := s.Store.Tx(ctx, func(tx Store) error {
		res = FeedbackResult{}
		if replayKey != "" {
			fresh, err := tx.Feedback().RecordReplayKey(ctx, s.Signer.Fingerprint("webhook-replay", replayKey), now, now.Add(-WebhookReplayWindow))
			if err != nil {
				return err
			}
			if !fresh {
				return Errorf(EFORBIDDEN, "This webhook request was processed before (replayed).")
			}
		}
		for _, e := range events {
			out, err := s.applyFeedback(ctx, tx, e, false)
			if err != nil {
				return err
			}
			switch out.status {
			case feedbackApplied:
				res.Applied++
			case feedbackDuplicate:
				res.Duplicates++
			default:
				res.Ignored++
			}
		}
		return nil
	})
	if err != nil {
		return FeedbackResult{}, err
	}
	return res, nil
}

type feedbackStatus int

const (
	feedbackIgnored feedbackStatus = iota
	feedbackApplied
	feedbackDuplicate
)

// feedbackOutcome is what applying one event did.
type feedbackOutcome struct {
	status       feedbackStatus
	subscriberID int64
	requestID    int64
}

// applyFeedback records one event and acts on it, inside tx. byMail asks
// for the proof a report by mail must carry.
func (s *Feedback) applyFeedback(ctx context.Context, tx Store, e FeedbackEvent, byMail bool) (feedbackOutcome, error) {
	var out feedbackOutcome
	switch e.Kind {
	case FeedbackHardBounce, FeedbackSoftBounce, FeedbackComplaint:
	default:
		return out, nil
	}
	var target *FeedbackTarget
	if ref, ok := s.Signer.FindDeliveryRef(e.RefHints...); ok {
		t, err := tx.Feedback().FeedbackTarget(ctx, ref.DeliveryID)
		if err != nil && !IsNotFound(err) {
			return out, err
		}
		if err == nil && t.CampaignID == ref.CampaignID && t.Status == DeliverySent {
			target = t
		}
	}
	recipientHash := ""
	if e.Recipient != "" {
		recipientHash = s.Signer.KeyedHash(e.Recipient)
	}
	var hash string
	var subscriberID int64
	switch {
	case byMail:
		// Anyone can write a report: it must name a message we sent, and
		// a bounce must be about that message's recipient. (A complaint
		// report often hides the recipient; the delivery names them.)
		if target == nil || target.EmailHash == "" {
			return out, nil
		}
		if e.Kind != FeedbackComplaint && recipientHash != target.EmailHash {
			return out, nil
		}
		hash, subscriberID = target.EmailHash, target.SubscriberID
	case recipientHash != "":
		// The provider's word about the address it names. A complaint
		// about one of our deliveries is its recipient's, even when their
		// address changed since.
		hash = recipientHash
		if target != nil && (target.EmailHash == recipientHash || e.Kind == FeedbackComplaint) {
			subscriberID = target.SubscriberID
		} else {
			id, err := tx.Subscribers().SubscriberIDByHash(ctx, recipientHash)
			if err != nil {
				return out, err
			}
			subscriberID = id
		}
	case target != nil && target.EmailHash != "":
		hash, subscriberID = target.EmailHash, target.SubscriberID
	default:
		return out, nil
	}

	at := e.At.UTC()
	if at.IsZero() || at.After(s.Now.Now()) {
		at = s.Now.Now()
	}
	rec := &FeedbackRecord{Key: e.Source + ":" + e.Key, Source: e.Source, Kind: e.Kind, Status: clipRunes(e.Status, 32), OccurredAt: at}
	if target != nil {
		rec.DeliveryID, rec.CampaignID = &target.DeliveryID, &target.CampaignID
	}
	if subscriberID > 0 {
		rec.SubscriberID = &subscriberID
	}
	if e.InboundID > 0 {
		rec.InboundID = &e.InboundID
	}
	added, err := tx.Feedback().AddFeedbackEvent(ctx, rec)
	if err != nil {
		return out, err
	}
	out.subscriberID = subscriberID
	if !added {
		out.status = feedbackDuplicate
		return out, nil
	}
	out.status = feedbackApplied

	note := e.Source
	if target != nil {
		note = fmt.Sprintf("%s: campaign %d delivery %d", e.Source, target.CampaignID, target.DeliveryID)
	}
	switch e.Kind {
	case FeedbackHardBounce:
		return out, suppressUnlessListed(ctx, tx, hash, SuppressHardBounce, note)
	case FeedbackSoftBounce:
		return out, nil
	}
	// A complaint.
	if subscriberID > 0 {
		if err := s.complaintOptout(ctx, tx, subscriberID, target, e.Source, e.InboundID, at, &out); err != nil {
			return out, err
		}
		if out.requestID > 0 {
			if err := tx.Feedback().SetFeedbackRequest(ctx, rec.ID, out.requestID); err != nil {
				return out, err
			}
		}
	}
	return out, suppressUnlessListed(ctx, tx, hash, SuppressComplaint, note)
}

// complaintOptout withdraws the advertising consent of a subscriber who
// complained and records the completed marketing_optout request.
func (s *Feedback) complaintOptout(ctx context.Context, tx Store, subscriberID int64, target *FeedbackTarget, source string,
	inboundID int64, at time.Time, out *feedbackOutcome) error {
	if err := tx.Subscribers().LockSubscriber(ctx, subscriberID); err != nil {
		return err
	}
	sub, err := tx.Subscribers().Subscriber(ctx, subscriberID)
	if IsNotFound(err) || (err == nil && sub.Status == StatusErased) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.Now.Now()
	r := &Request{SubscriberID: &sub.ID, Kind: KindMarketingOptout, Channel: ChannelComplaint, Status: RequestCompleted,
		ReceivedAt: at, DueAt: &at, CompletedAt: &now, Verification: source, Note: "the person marked our mail as spam"}
	if target != nil {
		r.CampaignID = &target.CampaignID
	}
	if inboundID > 0 {
		r.InboundID = &inboundID
	}
	if err := tx.Requests().CreateRequest(ctx, r); err != nil {
		return err
	}
	out.requestID = r.ID
	_, err = withdrawMarketing(ctx, tx, sub.ID, Evidence{At: now, Channel: ChannelComplaint}, r.ID)
	return err
}

// suppressionRank orders suppression reasons: a stronger one is never
// replaced by a weaker one (a complaint replaces a bounce; nothing
// replaces an erasure or the operator's own decision).
var suppressionRank = map[string]int{"": 0, SuppressHardBounce: 1, SuppressComplaint: 2, SuppressManual: 3, SuppressErased: 3}

// suppressUnlessListed puts hash on the suppression list for reason,
// unless it is listed already for the same or a stronger reason.
func suppressUnlessListed(ctx context.Context, tx Store, hash, reason, note string) error {
	cur, err := tx.Suppressions().SuppressionReason(ctx, hash)
	if err != nil {
		return err
	}
	if suppressionRank[cur] >= suppressionRank[reason] {
		return nil
	}
	return tx.Suppressions().Suppress(ctx, hash, reason, note)
}

// clipRunes cuts s to at most n runes.
func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// WebhookRequest is a mail provider's webhook request as it arrived.
type WebhookRequest struct {
	// Header returns the first value of a request header ("" when absent).
	Header func(name string) string
	Body   []byte
}

// WebhookBatch is what a verified webhook request holds.
type WebhookBatch struct {
	// ReplayKey identifies the request (the provider's token, signature or
	// message id): a request with a key seen before is refused.
	ReplayKey string
	// Events are its bounces and complaints; none for a request that only
	// confirms a subscription or reports something else.
	Events []FeedbackEvent
}
