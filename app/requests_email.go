package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Acting on an emailed request (ActOnEmail); the intake and the life of
// a stored message are in inbound_mail.go.

// Dispositions: what an examined message turned out to be.
const (
	// EmailIsRequest is a person's message: a request of some kind.
	EmailIsRequest = "request"
	// EmailIsAutoReply is an automatic answer (out of office, read
	// receipt, list mail): never answered, never acted on.
	EmailIsAutoReply = "auto_reply"
	// EmailIsBounce is a delivery status report: it goes to bounce
	// handling and is never answered.
	EmailIsBounce = "bounce"
	// EmailIsLoop is a message from one of our own addresses.
	EmailIsLoop = "loop"
	// EmailIsMalformed could not be read, or has no usable sender.
	EmailIsMalformed = "malformed"
)

// Verification methods recorded in the register for emailed requests.
const (
	VerifiedDKIM        = "dkim"
	VerifiedAuthResults = "authentication-results"
	VerifiedToken       = "token"
	VerifiedLink        = "confirmation_link"
	Unverified          = "none"
)

// Replies: the mail templates answering emailed requests.
const (
	ReplyOptout = "reply_optout"
	// ReplyLeft answers the mailto of a campaign's List-Unsubscribe: the
	// newsletter it was sent for was left.
	ReplyLeft          = "reply_left"
	ReplyUpdate        = "reply_update"
	ReplyUpdated       = "reply_update_done"
	ReplyRevoked       = "reply_revoke"
	ReplyRevokeConfirm = "reply_revoke_confirm"
	ReplyAccess        = "reply_access"
	ReplyReview        = "reply_review"
	ReplyNothingHeld   = "reply_nothing"
)

// EmailRequest is what examining a stored message found; ActOnEmail acts on
// it. It holds personal data: never log it, never queue it.
type EmailRequest struct {
	InboundID int64
	// Round is the round of the message that was examined.
	Round int
	// Disposition is one of the EmailIs* values.
	Disposition string
	// From is the sender's address, normalized (NormalizeEmail). It alone
	// identifies the person, unless Token does for an opt-out.
	From string
	Kind RequestKind
	// Lang is the language of the request, "en" or "ru".
	Lang string
	// Token is the token of our List-Unsubscribe mailto subject, not yet
	// checked.
	Token string
	// Verified reports that the domain of From vouches for the message;
	// Verification names the method that passed (VerifiedDKIM or
	// VerifiedAuthResults), VerificationDetail explains the outcome with
	// domains only.
	Verified           bool
	Verification       string
	VerificationDetail string
	// Name and Phone are the corrections a data update gives, as written.
	Name, Phone string
	// Feedback are the bounces or the complaint a delivery or ARF report
	// describes (Disposition EmailIsBounce or EmailIsComplaint), and
	// ReportRefs the values of the report that may name the message it is
	// about (see FeedbackEvent.RefHints).
	Feedback   []FeedbackEvent
	ReportRefs []string
	// Summary is what a reviewer sees of the message.
	Summary *MessageSummary
}

// ActOnEmail records an examined message in the request register and acts
// on it, in one transaction, and returns the message with the reply still
// to send. It does nothing for a message already acted on (or examined in
// an earlier round), so a retried task acts once.
//
//   - Auto-replies and loops: nothing.
//   - Unreadable messages, or without a usable sender: review.
//   - Delivery and complaint reports: acted on only when they prove they
//     are about a message we sent (see applyFeedback); else nothing.
//   - Requests, by kind, of the person the From address names (or, for an
//     opt-out, the person our signed mailto token names):
//     marketing_optout withdraws the marketing consent at once, verified or
//     not; data_update applies the Name:/Phone: corrections of a verified
//     message, or else blocks the record until the person corrects it
//     through their preferences; consent_revocation withdraws every consent
//     when verified (the erasure follows the reply, see FinishEmail), or
//     else blocks the record and mails a confirmation link; access is
//     answered with a link to the person's data; an unclear message waits
//     for a privacy officer.
//   - A sender we hold nothing about is told so when the message is
//     verified; an unverified one gets no answer (anyone can forge a From
//     address). The request is recorded either way.
func (s *Register) ActOnEmail(ctx context.Context, e EmailRequest) (*InboundMessage, error) {
	now := s.Now.Now()
	var out *InboundMessage
	err := s.Store.Tx(ctx, func(tx Store) error {
		m, err := tx.Inbound().LockInbound(ctx, e.InboundID)
		if err != nil {
			return err
		}
		out = m
		if m.Status != InboundReceived || m.Round != e.Round {
			return nil
		}
		m.ProcessedAt, m.Lang = &now, NormalizeLocale(e.Lang)
		m.Verification, m.VerificationDetail = Unverified, e.VerificationDetail
		if e.Verified {
			m.Verification = e.Verification
		}
		switch e.Disposition {
		case EmailIsRequest:
			m.Outcome = EmailIsRequest
			if err := s.actOnRequest(ctx, tx, m, e, now); err != nil {
				return err
			}
		case EmailIsBounce, EmailIsComplaint:
			m.Status = InboundDone
			if err := s.Feedback.actOnReport(ctx, tx, m, e); err != nil {
				return err
			}
		case EmailIsAutoReply, EmailIsLoop:
			m.Outcome, m.Status = e.Disposition, InboundDone
		default:
			// Unreadable, or no sender: a person reads it (holdUnreadable).
			if err := s.holdUnreadable(ctx, tx, m, e); err != nil {
				return err
			}
		}
		return tx.Inbound().UpdateInbound(ctx, m)
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return out, nil
}

// Block reasons of emailed requests; the request id follows.
const (
	blockDataDisputed      = "data disputed: request %d"
	blockRevocationPending = "revocation awaiting confirmation: request %d"
)

func (s *Register) actOnRequest(ctx context.Context, tx Store, m *InboundMessage, e EmailRequest, now time.Time) error {
	kind := e.Kind
	if m.ForcedKind != "" {
		kind = m.ForcedKind
	}
	switch kind {
	case KindMarketingOptout, KindDataUpdate, KindConsentRevocation, KindAccess:
	default:
		kind = KindUnknown
	}
	m.Kind, m.Status = kind, InboundActed
	m.SenderHash = s.Signer.Fingerprint(InboundSenderNamespace, e.From)
	m.Reply, m.ReplyPersonal, m.EraseAfterReply, m.ConfirmationID = "", false, false, nil

	sub, campaignID, err := s.identify(ctx, tx, e, kind)
	if err != nil {
		return err
	}
	if sub != nil {
		if err := tx.Subscribers().LockSubscriber(ctx, sub.ID); err != nil {
			return err
		}
		// The reply may carry the person's name and links to their data
		// only when it goes to the address on file.
		m.ReplyPersonal = sub.Email != "" && sub.Email == e.From
	}

	// A reply is mail like any other: judged before the request changes
	// any consent.
	mayReply, err := s.mayReply(ctx, tx, sub, e.From, m.ReplyPersonal)
	if err != nil {
		return err
	}

	r := &Request{}
	if m.RequestID != nil {
		if r, err = tx.Requests().Request(ctx, *m.RequestID); err != nil {
			return err
		}
	}
	r.Kind, r.Channel, r.Status = kind, ChannelEmail, RequestReceived
	r.ReceivedAt, r.DueAt, r.CompletedAt = m.ReceivedAt, s.Calendar.DueAt(kind, m.ReceivedAt), nil
	r.Verification, r.InboundID, r.SubscriberID, r.CampaignID = m.Verification, &m.ID, nil, nil
	if campaignID > 0 {
		r.CampaignID = &campaignID
		if !e.Verified {
			r.Verification = VerifiedToken
		}
	}
	if sub != nil {
		r.SubscriberID = &sub.ID
		m.SubscriberID = &sub.ID
	}
	if r.ID == 0 {
		if err := tx.Requests().CreateRequest(ctx, r); err != nil {
			return err
		}
	}
	m.RequestID = &r.ID
	complete := func() { r.Status, r.CompletedAt = RequestCompleted, &now }
	ev := Evidence{At: now, Channel: ChannelEmail}

	switch {
	case sub == nil && kind == KindUnknown:
		// Not clearly a request, from someone we know nothing about: a
		// person looks at it; no automatic answer to what may be spam.
		r.Status, m.Summary = RequestNeedsReview, e.Summary
	case sub == nil:
		complete()
		r.Note = "no personal data held for the sender"
		m.Reply = ReplyNothingHeld
	case kind == KindMarketingOptout:
		// The mailto of a campaign's message (its token names the
		// campaign) leaves the newsletters it was sent for; the policy's
		// subject alone stops all advertising.
		left, err := leaveByMail(ctx, tx, sub.ID, campaignID, ev, r)
		if err != nil {
			return err
		}
		m.Reply = ReplyLeft
		if !left {
			if _, err := withdrawMarketing(ctx, tx, sub.ID, ev, r.ID); err != nil {
				return err
			}
			m.Reply = ReplyOptout
		}
		complete()
	case kind == KindDataUpdate:
		applied, err := s.applyEmailedCorrection(ctx, tx, sub, e)
		if err != nil {
			return err
		}
		if applied {
			complete()
			r.Note = "corrected from the verified message"
			m.Reply = ReplyUpdated
			if err := s.dataCorrected(ctx, tx, sub.ID, r.ID, now); err != nil {
				return err
			}
			break
		}
		// 152-FZ art. 21 part 1: inaccurate data is blocked on receipt,
		// until the person corrects it.
		if _, err := s.block(ctx, tx, nil, sub.ID, fmt.Sprintf(blockDataDisputed, r.ID), &r.ID); err != nil {
			return err
		}
		m.Reply = ReplyUpdate
	case kind == KindConsentRevocation && e.Verified:
		if err := withdrawAll(ctx, tx, sub.ID, ev, r.ID); err != nil {
			return err
		}
		// Erase completes the request, after the reply (FinishEmail).
		m.Reply, m.EraseAfterReply = ReplyRevoked, true
	case kind == KindConsentRevocation:
		// Stop all mail at once; destroy the data when the person
		// confirms from the address on file.
		if _, err := s.block(ctx, tx, nil, sub.ID, fmt.Sprintf(blockRevocationPending, r.ID), &r.ID); err != nil {
			return err
		}
		c := &Confirmation{SubscriberID: sub.ID, Kind: ConfirmRevocation, Locale: m.Lang, RequestID: &r.ID,
			Evidence: ev, CreatedAt: now, ExpiresAt: now.Add(RevokeLinkTTL)}
		if err := tx.Subscribers().CreateConfirmation(ctx, c); err != nil {
			return err
		}
		r.Status, m.ConfirmationID, m.Reply = RequestAwaitingConfirmation, &c.ID, ReplyRevokeConfirm
	case kind == KindAccess:
		// The answer is the reply: a link, to the address on file, to the
		// person's data and its download.
		complete()
		m.Reply = ReplyAccess
	default:
		r.Status, m.Summary, m.Reply = RequestNeedsReview, e.Summary, ReplyReview
	}
	if (m.Reply == ReplyAccess || m.Reply == ReplyRevokeConfirm || m.Reply == ReplyUpdate) && !m.ReplyPersonal {
		m.Reply = ReplyReview // links to a person's data go to their own address only
	}
	if !e.Verified && !m.ReplyPersonal && m.Reply != "" {
		// Anyone can write any From: an unverified message from an
		// address we hold nothing for is not answered, so a forged one
		// cannot make us mail a stranger (backscatter).
		m.Reply = ""
		r.Note = strings.TrimPrefix(r.Note+"; not answered: sender not verified", "; ")
	}
	if !mayReply {
		m.Reply = ""
	}
	return tx.Requests().UpdateRequest(ctx, r)
}

// mayReply applies to a reply the rules of all mail (see MayMail): never to
// an address the operator suppressed by hand, and, through infrastructure in
// a country without adequate protection, only to the address of a person who
// gave the cross-border consent.
func (s *Register) mayReply(ctx context.Context, tx Store, sub *Subscriber, addr string, personal bool) (bool, error) {
	reason, err := tx.Suppressions().SuppressionReason(ctx, s.Signer.KeyedHash(addr))
	if err != nil {
		return false, err
	}
	if reason == SuppressManual {
		return false, nil
	}
	if !s.Operator.CrossBorderRequired() {
		return true, nil
	}
	if sub == nil || !personal {
		return false, nil
	}
	return crossBorderGranted(ctx, tx, sub.ID)
}

// identify finds the person a request is about: for an opt-out the person
// our signed mailto token names, else the one with the From address. It
// returns nil when we hold nothing about them.
func (s *Register) identify(ctx context.Context, tx Store, e EmailRequest, kind RequestKind) (*Subscriber, int64, error) {
	if e.Token != "" && kind == KindMarketingOptout {
		if t, err := s.Signer.Verify(e.Token, TokenUnsubscribe, s.Now.Now()); err == nil {
			sub, err := tx.Subscribers().Subscriber(ctx, t.SubscriberID)
			if err != nil && !IsNotFound(err) {
				return nil, 0, err
			}
			if err == nil && sub.Status != StatusErased {
				return sub, t.CampaignID, nil
			}
		}
	}
	if e.From == "" {
		return nil, 0, nil
	}
	sub, err := tx.Subscribers().SubscriberByEmail(ctx, e.From)
	if IsNotFound(err) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return sub, 0, nil
}

// applyEmailedCorrection applies the Name:/Phone: corrections of a
// verified data-update message; it reports false when the message is not
// verified or gives no valid correction.
func (s *Register) applyEmailedCorrection(ctx context.Context, tx Store, sub *Subscriber, e EmailRequest) (bool, error) {
	if !e.Verified || (e.Name == "" && e.Phone == "") {
		return false, nil
	}
	name, phone := sub.Name, sub.Phone
	var changed []string
	if e.Name != "" {
		n, err := NormalizeName(e.Name)
		if err != nil {
			return false, nil
		}
		if n != name {
			name = n
			changed = append(changed, "name")
		}
	}
	if e.Phone != "" {
		p, err := NormalizePhone(e.Phone, s.Operator.Country)
		if err != nil {
			return false, nil
		}
		if p != phone {
			phone = p
			changed = append(changed, "phone")
		}
	}
	if len(changed) == 0 {
		return true, nil // the data on file already reads so
	}
	sub.Name, sub.Phone = name, phone
	if err := tx.Subscribers().UpdateSubscriber(ctx, sub); err != nil {
		return false, err
	}
	return true, audit(ctx, tx.Audit(), SubscriberActor(sub.ID), "profile_updated", "subscriber", sub.ID, "by email; fields: "+strings.Join(changed, ","))
}

// dataCorrected completes the open data_update requests of a subscriber
// (but exceptID) once their data is corrected, and lifts the blocks those
// requests caused.
func (c *Core) dataCorrected(ctx context.Context, tx Store, subscriberID, exceptID int64, now time.Time) error {
	reqs, err := tx.Requests().QueryRequests(ctx, RequestQuery{SubscriberID: subscriberID, Kind: KindDataUpdate, Status: RequestReceived, Limit: 1000})
	if err != nil {
		return err
	}
	for i := range reqs {
		r := &reqs[i]
		if r.ID == exceptID {
			continue
		}
		r.Status, r.CompletedAt, r.Note = RequestCompleted, &now, "corrected by the person"
		if err := tx.Requests().UpdateRequest(ctx, r); err != nil {
			return err
		}
		if err := c.unblockFor(ctx, tx, nil, subscriberID, r.ID); err != nil {
			return err
		}
	}
	return nil
}

// withdrawMarketing withdraws the marketing consent of a subscriber for
// request requestID; it reports false when it was not granted.
func withdrawMarketing(ctx context.Context, tx Store, subscriberID int64, ev Evidence, requestID int64) (bool, error) {
	consents, err := tx.Subscribers().Consents(ctx, subscriberID)
	if err != nil {
		return false, err
	}
	for _, c := range consents {
		if c.Purpose != PurposeMarketing || !c.Granted {
			continue
		}
		if err := tx.Subscribers().AddConsentEvent(ctx, &ConsentEvent{SubscriberID: subscriberID, Purpose: PurposeMarketing,
			Action: ConsentWithdrawn, Evidence: ev, RequestID: &requestID}); err != nil {
			return false, err
		}
		return true, tx.Subscribers().SetConsent(ctx, subscriberID, PurposeMarketing, false, ev.At)
	}
	return false, nil
}

// withdrawAll withdraws every granted consent of a subscriber for request
// requestID: no mail of any kind goes to them any more.
func withdrawAll(ctx context.Context, tx Store, subscriberID int64, ev Evidence, requestID int64) error {
	consents, err := tx.Subscribers().Consents(ctx, subscriberID)
	if err != nil {
		return err
	}
	for _, c := range consents {
		if !c.Granted {
			continue
		}
		if err := tx.Subscribers().AddConsentEvent(ctx, &ConsentEvent{SubscriberID: subscriberID, Purpose: c.Purpose,
			Action: ConsentWithdrawn, Evidence: ev, RequestID: &requestID}); err != nil {
			return err
		}
		if err := tx.Subscribers().SetConsent(ctx, subscriberID, c.Purpose, false, ev.At); err != nil {
			return err
		}
	}
	return nil
}
