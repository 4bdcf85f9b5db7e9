package app

import (
	"context"
	"strings"
	"time"
)

// Opting out by link: the RFC 8058 one-click endpoint and the unsubscribe
// page behind every campaign's unsubscribe token, and the page that
// confirms a revocation of consent asked for by email.

// Choices of the unsubscribe page.
const (
	// UnsubscribeMarketing stops marketing mail (the consent to
	// advertising is withdrawn); informational mail continues.
	UnsubscribeMarketing = "marketing"
	// UnsubscribePreferences mails a link to the preference centre to the
	// address on file.
	UnsubscribePreferences = "preferences"
)

// UnsubscribeState is what the unsubscribe page shows for a link.
type UnsubscribeState struct {
	// Subscriber is nil when nothing is held about the person any more
	// (erased, or never confirmed and deleted).
	Subscriber *Subscriber
	// Marketing reports that the marketing consent is still granted.
	Marketing bool
	// CampaignID is the campaign whose mail carried the link, 0 for none.
	CampaignID int64
}

// MaskedEmail shows the address on file without revealing it to whoever
// holds a forwarded link: "a***@example.com".
func (u *UnsubscribeState) MaskedEmail() string {
	if u == nil || u.Subscriber == nil {
		return ""
	}
	local, domain, ok := strings.Cut(u.Subscriber.Email, "@")
	if !ok || local == "" {
		return ""
	}
	return local[:1] + "***@" + domain
}

// UnsubscribeState checks an unsubscribe link and returns what the page
// shows. It changes nothing: mail scanners follow links.
func (s *Service) UnsubscribeState(ctx context.Context, token string) (*UnsubscribeState, error) {
	t, err := s.Signer.Verify(token, TokenUnsubscribe, s.Now.Now())
	if err != nil {
		return nil, err
	}
	return s.unsubscribeState(ctx, s.Store, t)
}

func (s *Service) unsubscribeState(ctx context.Context, st Store, t Token) (*UnsubscribeState, error) {
	out := &UnsubscribeState{CampaignID: t.CampaignID}
	sub, err := st.Subscribers().Subscriber(ctx, t.SubscriberID)
	if IsNotFound(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if sub.Status == StatusErased {
		return out, nil
	}
	consents, err := st.Subscribers().Consents(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	out.Subscriber = sub
	for _, c := range consents {
		if c.Purpose == PurposeMarketing {
			out.Marketing = c.Granted
		}
	}
	return out, nil
}

// OneClickUnsubscribe is the RFC 8058 one-click unsubscribe: it withdraws
// the marketing consent of the person the token names within the request,
// with a consent event and a completed marketing_optout request that names
// the campaign. Repeating it changes nothing. Mail already queued for the
// person is skipped at send time.
func (s *Service) OneClickUnsubscribe(ctx context.Context, token string, ev Evidence) error {
	t, err := s.Signer.Verify(token, TokenUnsubscribe, s.Now.Now())
	if err != nil {
		return err
	}
	ev.Channel, ev.At = ChannelOneClick, s.Now.Now()
	// One atomic step: a mail client may send this at a high rate, and
	// the opt-out must hold before the answer.
	_, err = s.Store.Subscribers().WithdrawMarketing(ctx, t.SubscriberID, t.CampaignID, ev)
	return err
}

// optOutMarketing withdraws the marketing consent of the person t names.
func (s *Service) optOutMarketing(ctx context.Context, t Token, ev Evidence) error {
	ev.At = s.Now.Now()
	return s.Store.Tx(ctx, func(tx Store) error {
		sub, err := s.lockedSubscriber(ctx, tx, t.SubscriberID)
		if err != nil || sub == nil {
			return err
		}
		return s.setMarketing(ctx, tx, sub, false, "", ev, t.CampaignID)
	})
}

// lockedSubscriber locks and returns a subscriber; nil when we hold nothing
// about them.
func (s *Service) lockedSubscriber(ctx context.Context, tx Store, id int64) (*Subscriber, error) {
	if err := tx.Subscribers().LockSubscriber(ctx, id); err != nil {
		return nil, err
	}
	sub, err := tx.Subscribers().Subscriber(ctx, id)
	if IsNotFound(err) || (err == nil && sub.Status == StatusErased) {
		return nil, nil
	}
	return sub, err
}

// Unsubscribe carries out a choice of the unsubscribe page (one of the
// Unsubscribe* constants) for the person the token names and returns the
// state after it.
func (s *Service) Unsubscribe(ctx context.Context, token, choice string, ev Evidence) (*UnsubscribeState, error) {
	t, err := s.Signer.Verify(token, TokenUnsubscribe, s.Now.Now())
	if err != nil {
		return nil, err
	}
	ev.Channel = ChannelWeb
	switch choice {
	case UnsubscribeMarketing:
		err = s.optOutMarketing(ctx, t, ev)
	case UnsubscribePreferences:
		// The link opens the person's data: it goes to their own address,
		// never to whoever holds a (possibly forwarded) message. Revoking
		// consent, which erases the data, is done there too, behind a
		// confirmation: an unsubscribe link travels in bulk mail.
		err = s.mailPreferencesLink(ctx, t.SubscriberID)
	default:
		return nil, Errorf(EINVALID, "Unknown choice.")
	}
	if err != nil {
		return nil, err
	}
	s.wake()
	return s.unsubscribeState(ctx, s.Store, t)
}

// CheckRevocation checks a link confirming an emailed revocation without
// using it, for the page that shows the buttons.
func (s *Service) CheckRevocation(ctx context.Context, token string) (*Confirmation, error) {
	c, err := s.revocation(ctx, s.Store, token)
	if err != nil {
		return nil, err
	}
	if c.UsedAt != nil {
		return c, ErrLinkUsed
	}
	return c, nil
}

// revocation returns the confirmation a revoke link names.
func (s *Service) revocation(ctx context.Context, st Store, token string) (*Confirmation, error) {
	t, err := s.Signer.Verify(token, TokenRevoke, s.Now.Now())
	if err != nil {
		return nil, err
	}
	c, err := st.Subscribers().Confirmation(ctx, t.ConfirmationID)
	if IsNotFound(err) {
		return nil, ErrTokenExpired // purged after expiry
	}
	if err != nil {
		return nil, err
	}
	if c.Kind != ConfirmRevocation || c.SubscriberID != t.SubscriberID {
		return nil, ErrTokenInvalid
	}
	return c, nil
}

// ConfirmRevocation uses a revoke link: the person confirmed, from the
// address on file, the revocation they asked for by email. Every consent is
// withdrawn and the erasure of their data is queued; it completes the
// request.
func (s *Service) ConfirmRevocation(ctx context.Context, token string, ev Evidence) error {
	now := s.Now.Now()
	ev.At, ev.Channel = now, ChannelWeb
	err := s.Store.Tx(ctx, func(tx Store) error {
		c, sub, err := s.useRevocation(ctx, tx, token)
		if err != nil || sub == nil {
			return err
		}
		r, err := s.revocationRequest(ctx, tx, c, sub, now)
		if err != nil {
			return err
		}
		r.Status, r.Verification = RequestReceived, VerifiedLink
		if err := tx.Requests().UpdateRequest(ctx, r); err != nil {
			return err
		}
		if err := withdrawAll(ctx, tx, sub.ID, ev, r.ID); err != nil {
			return err
		}
		return addOutbox(ctx, tx, OutboxErase, SubscriberRef{SubscriberID: sub.ID, RequestID: r.ID})
	})
	if err == nil {
		s.wake()
	}
	return err
}

// CancelRevocation uses a revoke link to keep the subscription: the person
// says, from the address on file, that they did not ask to revoke. The
// request is rejected and the block it caused is lifted.
func (s *Service) CancelRevocation(ctx context.Context, token string) error {
	now := s.Now.Now()
	return s.Store.Tx(ctx, func(tx Store) error {
		c, sub, err := s.useRevocation(ctx, tx, token)
		if err != nil || sub == nil {
			return err
		}
		r, err := s.revocationRequest(ctx, tx, c, sub, now)
		if err != nil {
			return err
		}
		r.Status, r.CompletedAt, r.Verification = RequestRejected, &now, VerifiedLink
		r.Note = "the person kept the subscription"
		if err := tx.Requests().UpdateRequest(ctx, r); err != nil {
			return err
		}
		return s.unblockFor(ctx, tx, nil, sub.ID, r.ID)
	})
}

// useRevocation marks a revoke link used and returns its confirmation and
// the subscriber (nil when already erased).
func (s *Service) useRevocation(ctx context.Context, tx Store, token string) (*Confirmation, *Subscriber, error) {
	c, err := s.revocation(ctx, tx, token)
	if err != nil {
		return nil, nil, err
	}
	if ok, err := tx.Subscribers().MarkConfirmationUsed(ctx, c.ID, s.Now.Now()); err != nil {
		return nil, nil, err
	} else if !ok {
		return nil, nil, ErrLinkUsed
	}
	sub, err := s.lockedSubscriber(ctx, tx, c.SubscriberID)
	return c, sub, err
}

// revocationRequest returns the request a revoke link belongs to, or
// records one when it has none.
func (s *Service) revocationRequest(ctx context.Context, tx Store, c *Confirmation, sub *Subscriber, now time.Time) (*Request, error) {
	if c.RequestID != nil {
		return tx.Requests().Request(ctx, *c.RequestID)
	}
	r := &Request{SubscriberID: &sub.ID, Kind: KindConsentRevocation, Channel: ChannelEmail, Status: RequestReceived,
		ReceivedAt: now, DueAt: s.Calendar.DueAt(KindConsentRevocation, now), Verification: VerifiedLink}
	return r, tx.Requests().CreateRequest(ctx, r)
}
