package app

import (
	"context"
	"fmt"
	"time"
)

// ConsentTexts are the exact texts of the consent checkboxes a person saw,
// per purpose, as rendered in their language.
type ConsentTexts map[Purpose]string

// Subscribe records a subscription from a form and sends the confirmation
// mail (double opt-in). The answer is the same whether or not the address is
// known: a new address becomes a pending subscriber; a known one only gets a
// new confirmation, and its data change only when the person confirms.
// Evidence (time, IP, user agent, form, page, policy version) and the consent
// texts are kept with the confirmation until it is used, then written as
// consent events.
func (s *Subscriptions) Subscribe(ctx context.Context, in SubscribeInput, ev Evidence, texts ConsentTexts) error {
	err := s.subscribe(ctx, in, ev, texts)
	if ErrorCode(err) == ECONFLICT {
		// Two submissions of a new address raced and the other created the
		// subscriber; once more finds it.
		err = s.subscribe(ctx, in, ev, texts)
	}
	return err
}

func (s *Subscriptions) subscribe(ctx context.Context, in SubscribeInput, ev Evidence, texts ConsentTexts) error {
	if err := in.Validate(s.Operator.CrossBorderRequired(), s.Operator.Country); err != nil {
		return err
	}
	now := s.Now.Now()
	ev.At, ev.FormID, ev.Page = now, in.FormID, in.Page
	if ev.Channel == "" {
		ev.Channel = ChannelWeb
	}
	purposes := []Purpose{PurposeProcessing}
	if in.ConsentMarketing {
		purposes = append(purposes, PurposeMarketing)
	}
	if in.ConsentCrossBorder {
		purposes = append(purposes, PurposeCrossBorder)
	}
	chosen, err := s.chosenNewsletters(ctx, &in)
	if err != nil {
		return err
	}
	policy, err := s.currentPolicy(ctx)
	if err != nil {
		return fmt.Errorf("current policy: %w", err)
	}
	ev.PolicyVersion = policy.Version
	sub := &Subscriber{Email: in.Email, EmailHash: s.Signer.KeyedHash(in.Email), Name: in.Name, Phone: in.Phone,
		Locale: in.Locale, Status: StatusPending, CreatedAt: now}
	conf := &Confirmation{
		Kind: ConfirmSubscribe, Email: in.Email, Name: in.Name, Phone: in.Phone,
		Locale: in.Locale, Purposes: purposes, ConsentTexts: map[Purpose]string{}, Evidence: ev,
		CreatedAt: now, ExpiresAt: now.Add(s.ConfirmTTL), Newsletters: chosen,
	}
	for _, p := range purposes {
		conf.ConsentTexts[p] = texts[p]
	}
	// A blocked subscriber gets no confirmation (processing is suspended),
	// and the answer stays the same so the form reveals nothing.
	_, err = s.Store.Subscribers().RecordSubscription(ctx, sub, conf, OutboxConfirmation)
	if err != nil {
		return err
	}
	s.wake()
	return nil
}

// policyCacheTTL is how long the current policy version is remembered: a
// newly published version applies to consents given after at most this.
const policyCacheTTL = 5 * time.Second

// currentPolicy returns the current policy version, cached briefly (every
// subscription records it).
func (s *Subscriptions) currentPolicy(ctx context.Context) (*PolicyVersion, error) {
	s.policyMu.Lock()
	p, at := s.policy, s.policyAt
	s.policyMu.Unlock()
	if p != nil && s.Now.Now().Sub(at) < policyCacheTTL && s.Now.Now().Sub(at) >= 0 {
		return p, nil
	}
	p, err := s.Store.Policies().CurrentPolicy(ctx)
	if err != nil {
		return nil, err
	}
	s.policyMu.Lock()
	s.policy, s.policyAt = p, s.Now.Now()
	s.policyMu.Unlock()
	return p, nil
}

// ConfirmationRef is the id-only payload of confirmation mail tasks.
type ConfirmationRef struct {
	ConfirmationID int64 `json:"confirmation_id"`
}

// SubscriberRef is the id-only payload of tasks about one subscriber.
type SubscriberRef struct {
	SubscriberID int64 `json:"subscriber_id"`
	RequestID    int64 `json:"request_id,omitempty"`
}

// ErrLinkUsed is returned for a confirmation link that was already used.
var ErrLinkUsed = &Error{Code: EINVALID, Message: "This link has already been used."}

// ConfirmResult tells the confirmation page what happened.
type ConfirmResult struct {
	Subscriber *Subscriber
	Kind       string
}

// CheckConfirmation verifies a confirmation link without using it, for the
// page that shows the confirm button (a GET never confirms).
func (s *Subscriptions) CheckConfirmation(ctx context.Context, token string) (*Confirmation, error) {
	t, err := s.Signer.Verify(token, TokenConfirm, s.Now.Now())
	if err != nil {
		return nil, err
	}
	c, err := s.Store.Subscribers().Confirmation(ctx, t.ConfirmationID)
	if IsNotFound(err) {
		return nil, ErrTokenExpired // purged after expiry
	}
	if err != nil {
		return nil, err
	}
	if c.UsedAt != nil {
		return c, ErrLinkUsed
	}
	return c, nil
}

// Confirm uses a confirmation link: the subscription becomes active (or the
// new address takes effect), the person's data from the form are applied, and
// each consent gets its granted event (with the evidence of the form) and its
// confirmed event (with the evidence of this click). A link works once.
func (s *Subscriptions) Confirm(ctx context.Context, token string, ev Evidence) (*ConfirmResult, error) {
	t, err := s.Signer.Verify(token, TokenConfirm, s.Now.Now())
	if err != nil {
		return nil, err
	}
	now := s.Now.Now()
	ev.At = now
	if ev.Channel == "" {
		ev.Channel = ChannelWeb
	}
	var res ConfirmResult
	err = s.Store.Tx(ctx, func(tx Store) error {
		c, err := tx.Subscribers().Confirmation(ctx, t.ConfirmationID)
		if IsNotFound(err) {
			return ErrTokenExpired
		}
		if err != nil {
			return err
		}
		if ok, err := tx.Subscribers().MarkConfirmationUsed(ctx, c.ID, now); err != nil {
			return err
		} else if !ok {
			return ErrLinkUsed
		}
		sub, err := tx.Subscribers().Subscriber(ctx, c.SubscriberID)
		if err != nil {
			return err
		}
		if sub.Status == StatusErased {
			return ErrTokenExpired
		}
		res.Subscriber, res.Kind = sub, c.Kind
		switch c.Kind {
		case ConfirmSubscribe:
			return s.applySubscription(ctx, tx, sub, c, ev)
		case ConfirmEmailChange:
			return s.applyEmailChange(ctx, tx, sub, c)
		default:
			return Errorf(EINVALID, "unknown confirmation")
		}
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

func (s *Subscriptions) applySubscription(ctx context.Context, tx Store, sub *Subscriber, c *Confirmation, ev Evidence) error {
	sub.Name, sub.Phone, sub.Locale = c.Name, c.Phone, c.Locale
	if sub.Status == StatusPending {
		sub.Status = StatusActive
		if err := tx.Events().RecordEvent(ctx, Event{Type: EventSubscriberConfirmed, At: ev.At,
			Data: EventData{SubscriberID: sub.ID, Purposes: c.Purposes}}); err != nil {
			return err
		}
	}
	if sub.ConfirmedAt == nil {
		sub.ConfirmedAt = &ev.At
	}
	if err := tx.Subscribers().UpdateSubscriber(ctx, sub); err != nil {
		return err
	}
	// The newsletters chosen first: a consent whose purpose has none
	// chosen then joins that purpose's default.
	if err := joinChosen(ctx, tx, sub.ID, c, ev.At); err != nil {
		return err
	}
	for _, p := range c.Purposes {
		granted := c.Evidence
		granted.Channel = ChannelWeb
		if err := tx.Subscribers().AddConsentEvent(ctx, &ConsentEvent{SubscriberID: sub.ID, Purpose: p, Action: ConsentGranted,
			Evidence: granted, ConsentText: c.ConsentTexts[p]}); err != nil {
			return err
		}
		confirmed := ev
		confirmed.FormID, confirmed.Page, confirmed.PolicyVersion = c.Evidence.FormID, c.Evidence.Page, c.Evidence.PolicyVersion
		if err := tx.Subscribers().AddConsentEvent(ctx, &ConsentEvent{SubscriberID: sub.ID, Purpose: p, Action: ConsentConfirmed,
			Evidence: confirmed, ConsentText: c.ConsentTexts[p]}); err != nil {
			return err
		}
		if err := tx.Subscribers().SetConsent(ctx, sub.ID, p, true, ev.At); err != nil {
			return err
		}
	}
	// A new, confirmed consent lifts a suppression from an earlier erasure
	// or bounce; one the operator put by hand stays.
	hash := s.Signer.KeyedHash(sub.Email)
	if reason, err := tx.Suppressions().SuppressionReason(ctx, hash); err != nil {
		return err
	} else if reason != "" && reason != SuppressManual {
		if err := tx.Suppressions().Unsuppress(ctx, hash); err != nil {
			return err
		}
	}
	return nil
}

func (s *Subscriptions) applyEmailChange(ctx context.Context, tx Store, sub *Subscriber, c *Confirmation) error {
	sub.Email, sub.EmailHash = c.Email, s.Signer.KeyedHash(c.Email)
	if err := tx.Subscribers().UpdateSubscriber(ctx, sub); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return Errorf(ECONFLICT, "This address is already subscribed.")
		}
		return err
	}
	return audit(ctx, tx.Audit(), SubscriberActor(sub.ID), "email_changed", "subscriber", sub.ID, fmt.Sprintf("confirmation %d", c.ID))
}
