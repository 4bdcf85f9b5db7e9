package app

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Opting out by link: the RFC 8058 one-click endpoint and the unsubscribe
// page behind every campaign's unsubscribe token, and the page that
// confirms a revocation of consent asked for by email.

// Choices of the unsubscribe page.
const (
	// UnsubscribeNewsletter leaves the newsletters the message was sent
	// for; the others, and the consents, stay.
	UnsubscribeNewsletter = "newsletter"
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
	// Newsletters are the campaign's newsletters the person is on now:
	// what leaving "this newsletter" leaves.
	Newsletters []Newsletter
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
func (s *Subscriptions) UnsubscribeState(ctx context.Context, token string) (*UnsubscribeState, error) {
	t, err := s.Signer.Verify(token, TokenUnsubscribe, s.Now.Now())
	if err != nil {
		return nil, err
	}
	return s.unsubscribeState(ctx, s.Store, t)
}

func (s *Subscriptions) unsubscribeState(ctx context.Context, st Store, t Token) (*UnsubscribeState, error) {
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
	if out.Newsletters, err = campaignNewslettersOn(ctx, st, sub.ID, t.CampaignID); err != nil {
		return nil, err
	}
	return out, nil
}

// campaignNewslettersOn returns the newsletters of a campaign that a
// subscriber is on now (none for no campaign).
func campaignNewslettersOn(ctx context.Context, st Store, subscriberID, campaignID int64) ([]Newsletter, error) {
	if campaignID == 0 {
		return nil, nil
	}
	c, err := st.Campaigns().Campaign(ctx, campaignID)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ms, err := st.Newsletters().Memberships(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	var out []Newsletter
	for _, n := range OnNow(ms) {
		if slices.Contains(c.NewsletterIDs, n.ID) {
			out = append(out, n)
		}
	}
	return out, nil
}

// leaveCampaignNewsletters leaves the newsletters of a campaign the
// person is on, with the campaign named in the evidence; it returns the
// ids left (none when there were none left to leave).
func leaveCampaignNewsletters(ctx context.Context, st Store, subscriberID, campaignID int64, ev Evidence, requestID *int64) ([]int64, error) {
	on, err := campaignNewslettersOn(ctx, st, subscriberID, campaignID)
	if err != nil || len(on) == 0 {
		return nil, err
	}
	ids := make([]int64, len(on))
	for i, n := range on {
		ids[i] = n.ID
	}
	return st.Newsletters().LeaveNewsletters(ctx, NewsletterChange{SubscriberID: subscriberID, NewsletterIDs: ids,
		Evidence: ev, RequestID: requestID, CampaignID: campaignID})
}

// OneClickUnsubscribe is the RFC 8058 one-click unsubscribe: the person
// the token names leaves the newsletters the message was sent for (the
// campaign's that they are on), each leave recorded with its evidence and
// the campaign; their consents and other newsletters stay. A token of no
// campaign (or of one no longer held) withdraws the marketing consent, with a consent event and a
// completed marketing_optout request. Repeating it changes nothing. Mail
// already queued for the person is skipped at send time.
func (s *Subscriptions) OneClickUnsubscribe(ctx context.Context, token string, ev Evidence) error {
	t, err := s.Signer.Verify(token, TokenUnsubscribe, s.Now.Now())
	if err != nil {
		return err
	}
	ev.Channel, ev.At = ChannelOneClick, s.Now.Now()
	known, err := s.campaignKnown(ctx, t.CampaignID)
	if err != nil {
		return err
	}
	if !known {
		// One atomic step: a mail client may send this at a high rate,
		// and the opt-out must hold before the answer.
		_, err = s.Store.Subscribers().WithdrawMarketing(ctx, t.SubscriberID, t.CampaignID, ev)
		return err
	}
	return s.leaveNewsletter(ctx, t, ev)
}

// campaignKnown reports whether id names a campaign that exists.
func (s *Subscriptions) campaignKnown(ctx context.Context, id int64) (bool, error) {
	if id == 0 {
		return false, nil
	}
	_, err := s.Store.Campaigns().Campaign(ctx, id)
	if IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// leaveNewsletter makes the person t names leave the newsletters t's
// campaign was sent for.
func (s *Subscriptions) leaveNewsletter(ctx context.Context, t Token, ev Evidence) error {
	return s.Store.Tx(ctx, func(tx Store) error {
		sub, err := s.lockedSubscriber(ctx, tx, t.SubscriberID)
		if err != nil || sub == nil {
			return err
		}
		_, err = leaveCampaignNewsletters(ctx, tx, sub.ID, t.CampaignID, ev, nil)
		return err
	})
}

// optOutMarketing withdraws the marketing consent of the person t names.
func (s *Subscriptions) optOutMarketing(ctx context.Context, t Token, ev Evidence) error {
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
func (s *Subscriptions) lockedSubscriber(ctx context.Context, tx Store, id int64) (*Subscriber, error) {
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
func (s *Subscriptions) Unsubscribe(ctx context.Context, token, choice string, ev Evidence) (*UnsubscribeState, error) {
	t, err := s.Signer.Verify(token, TokenUnsubscribe, s.Now.Now())
	if err != nil {
		return nil, err
	}
	ev.Channel = ChannelWeb
	switch choice {
	case UnsubscribeNewsletter:
		ev.At = s.Now.Now()
		var known bool
		if known, err = s.campaignKnown(ctx, t.CampaignID); err == nil && !known {
			return nil, Errorf(EINVALID, "This message was sent for no newsletter.")
		} else if err == nil {
			err = s.leaveNewsletter(ctx, t, ev)
		}
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
func (s *Subscriptions) CheckRevocation(ctx context.Context, token string) (*Confirmation, error) {
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
func (s *Subscriptions) revocation(ctx context.Context, st Store, token string) (*Confirmation, error) {
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
func (s *Subscriptions) ConfirmRevocation(ctx context.Context, token string, ev Evidence) error {
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
func (s *Subscriptions) CancelRevocation(ctx context.Context, token string) error {
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
func (s *Subscriptions) useRevocation(ctx context.Context, tx Store, token string) (*Confirmation, *Subscriber, error) {
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
func (s *Subscriptions) revocationRequest(ctx context.Context, tx Store, c *Confirmation, sub *Subscriber, now time.Time) (*Request, error) {
	if c.RequestID != nil {
		return tx.Requests().Request(ctx, *c.RequestID)
	}
	r := &Request{SubscriberID: &sub.ID, Kind: KindConsentRevocation, Channel: ChannelEmail, Status: RequestReceived,
		ReceivedAt: now, DueAt: s.Calendar.DueAt(KindConsentRevocation, now), Verification: VerifiedLink}
	return r, tx.Requests().CreateRequest(ctx, r)
}
