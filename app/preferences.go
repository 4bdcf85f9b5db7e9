package app

import (
	"context"
	"errors"
	"strings"
)

// ResendConfirmation answers an expired confirmation link with a new one:
// the same pending change, a new expiry, a new mail.
func (s *Subscriptions) ResendConfirmation(ctx context.Context, token string) error {
	t, err := s.Signer.Verify(token, TokenConfirm, s.Now.Now())
	if err != nil && !errors.Is(err, ErrTokenExpired) {
		return err
	}
	now := s.Now.Now()
	err = s.Store.Tx(ctx, func(tx Store) error {
		old, err := tx.Subscribers().Confirmation(ctx, t.ConfirmationID)
		if IsNotFound(err) {
			return Errorf(ENOTFOUND, "This request no longer exists. Please fill in the form again.")
		}
		if err != nil {
			return err
		}
		if old.UsedAt != nil {
			return ErrLinkUsed
		}
		sub, err := tx.Subscribers().Subscriber(ctx, old.SubscriberID)
		if err != nil {
			return err
		}
		if sub.Status == StatusErased || sub.Status == StatusBlocked {
			return nil // nothing to send, and nothing to reveal
		}
		c := *old
		c.ID, c.CreatedAt, c.ExpiresAt, c.UsedAt = 0, now, now.Add(s.ConfirmTTL), nil
		if err := tx.Subscribers().CreateConfirmation(ctx, &c); err != nil {
			return err
		}
		// The old link must not work any more once a new one is out.
		if _, err := tx.Subscribers().MarkConfirmationUsed(ctx, old.ID, now); err != nil {
			return err
		}
		return addOutbox(ctx, tx, OutboxConfirmation, ConfirmationRef{ConfirmationID: c.ID})
	})
	if err == nil {
		s.wake()
	}
	return err
}

// RequestPreferencesLink mails a link to the preference centre to an
// address on file. The answer is the same for unknown addresses.
func (s *Subscriptions) RequestPreferencesLink(ctx context.Context, email string) error {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	err = s.Store.Tx(ctx, func(tx Store) error {
		sub, err := tx.Subscribers().SubscriberByEmail(ctx, addr)
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if sub.Status != StatusActive && sub.Status != StatusBlocked {
			return nil
		}
		return addOutbox(ctx, tx, OutboxPreferences, SubscriberRef{SubscriberID: sub.ID})
	})
	if err == nil {
		s.wake()
	}
	return err
}

// PreferencesView is what the preference centre shows.
type PreferencesView struct {
	Subscriber *Subscriber
	Consents   map[Purpose]bool
	// Newsletters are the ones offered (public) and the ones the person
	// is on; On says which they are on now.
	Newsletters []Newsletter
	On          map[int64]bool
}

// ErrPreferencesByMail is the answer of the preference centre to a
// preferences link that opens nothing: the link of bulk mail, or one
// mailed before links were bound to an address. Its holder may only have
// a fresh link mailed to the address on file (MailPreferencesLink).
var ErrPreferencesByMail = &Error{Code: EFORBIDDEN, Message: "This link can only have a new link mailed to the address on file."}

// SubscriberForToken returns the subscriber a preferences link opens. Only
// a link mailed to the person opens their data: one with an expiry, bound
// to the address on file (Links.PreferencesToken). A link without an
// address tag gives ErrPreferencesByMail, whoever it names; one bound to
// another address (the address changed since) gives ErrTokenExpired.
func (s *Subscriptions) SubscriberForToken(ctx context.Context, token string) (*Subscriber, error) {
	t, err := s.Signer.Verify(token, TokenPreferences, s.Now.Now())
	if err != nil {
		return nil, err
	}
	if t.AddressTag == "" || t.ExpiresAt.IsZero() {
		return nil, ErrPreferencesByMail
	}
	sub, err := s.Store.Subscribers().Subscriber(ctx, t.SubscriberID)
	if IsNotFound(err) || (err == nil && sub.Status == StatusErased) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if !s.Signer.SameAddress(t.AddressTag, sub.Email) {
		return nil, ErrTokenExpired
	}
	return sub, nil
}

// MailPreferencesLink mails a fresh preference-centre link to the address
// on file of the person a preferences link names, whatever the link opens
// (bulk mail's, an old one, or a current one). It answers the same whether
// or not anything is sent (an erased, pending or unknown person gets
// nothing); only a forged, altered or expired link is refused.
func (s *Subscriptions) MailPreferencesLink(ctx context.Context, token string) error {
	t, err := s.Signer.Verify(token, TokenPreferences, s.Now.Now())
	if err != nil {
		return err
	}
	return s.mailPreferencesLink(ctx, t.SubscriberID)
}

// mailPreferencesLink queues a preferences link for an active or blocked
// subscriber; it does nothing for anyone else.
func (s *Subscriptions) mailPreferencesLink(ctx context.Context, subscriberID int64) error {
	queued := false
	err := s.Store.Tx(ctx, func(tx Store) error {
		sub, err := tx.Subscribers().Subscriber(ctx, subscriberID)
		if IsNotFound(err) {
			return nil
		}
		if err != nil || (sub.Status != StatusActive && sub.Status != StatusBlocked) {
			return err
		}
		queued = true
		return addOutbox(ctx, tx, OutboxPreferences, SubscriberRef{SubscriberID: sub.ID})
	})
	if err == nil && queued {
		s.wake()
	}
	return err
}

// Preferences returns what the preference centre shows for a link.
func (s *Subscriptions) Preferences(ctx context.Context, token string) (*PreferencesView, error) {
	sub, err := s.SubscriberForToken(ctx, token)
	if err != nil {
		return nil, err
	}
	consents, err := s.Store.Subscribers().Consents(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	v := &PreferencesView{Subscriber: sub, Consents: map[Purpose]bool{}}
	for _, c := range consents {
		v.Consents[c.Purpose] = c.Granted
	}
	if v.Newsletters, v.On, err = s.preferenceNewsletters(ctx, s.Store, sub.ID); err != nil {
		return nil, err
	}
	return v, nil
}

// ProfileInput is a person's own edit of their data and choices.
type ProfileInput struct {
	Name      string
	Phone     string
	Marketing bool
	// MarketingText is the exact text of the marketing choice as shown.
	MarketingText string
	// ChoseNewsletters says the newsletters were on the form: then
	// Newsletters (the ids ticked) is the person's choice among those
	// shown, and the others shown are left.
	ChoseNewsletters bool
	Newsletters      []int64
}

// UpdateProfile applies a person's edit from the preference centre: data
// changes get an audit entry, consent changes an event (and a withdrawal a
// completed marketing_optout request).
func (s *Subscriptions) UpdateProfile(ctx context.Context, token string, in ProfileInput, ev Evidence) error {
	sub, err := s.SubscriberForToken(ctx, token)
	if err != nil {
		return err
	}
	locale := sub.Locale
	fields := map[string]string{}
	name, err := NormalizeName(in.Name)
	if err != nil {
		fields[FieldName] = localizedField(err, locale)
	}
	phone, err := NormalizePhone(in.Phone, s.Operator.Country)
	if err != nil {
		fields[FieldPhone] = localizedField(err, locale)
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: Message(locale, msgFormInvalidFields), Fields: fields}
	}
	ev.At = s.Now.Now()
	ev.Channel = ChannelWeb
	return s.Store.Tx(ctx, func(tx Store) error {
		sub, err := tx.Subscribers().Subscriber(ctx, sub.ID)
		if err != nil {
			return err
		}
		var changed []string
		if name != sub.Name {
			changed = append(changed, "name")
		}
		if phone != sub.Phone {
			changed = append(changed, "phone")
		}
		if len(changed) > 0 {
			sub.Name, sub.Phone = name, phone
			if err := tx.Subscribers().UpdateSubscriber(ctx, sub); err != nil {
				return err
			}
			if err := audit(ctx, tx.Audit(), SubscriberActor(sub.ID), "profile_updated", "subscriber", sub.ID, "fields: "+strings.Join(changed, ",")); err != nil {
				return err
			}
		}
		if in.ChoseNewsletters {
			return s.saveWithNewsletters(ctx, tx, sub, in, ev)
		}
		if err := s.setMarketing(ctx, tx, sub, in.Marketing, in.MarketingText, ev, 0); err != nil {
			return err
		}
		// Saving the profile is the correction an open data_update request
		// waits for: it completes and lifts the block it caused (152-FZ
		// art. 21 part 2).
		return s.dataCorrected(ctx, tx, sub.ID, 0, ev.At)
	})
}

// setMarketing grants or withdraws the marketing consent if it differs from
// granted, with its event; a withdrawal also records a completed
// marketing_optout request.
func (s *Subscriptions) setMarketing(ctx context.Context, tx Store, sub *Subscriber, granted bool, text string, ev Evidence, campaignID int64) error {
	if !granted {
		// The store withdraws it only if granted, with the event and the
		// request, the same way a one-click opt-out does.
		_, err := tx.Subscribers().WithdrawMarketing(ctx, sub.ID, campaignID, ev)
		return err
	}
	consents, err := tx.Subscribers().Consents(ctx, sub.ID)
	if err != nil {
		return err
	}
	for _, c := range consents {
		if c.Purpose == PurposeMarketing && c.Granted {
			return nil
		}
	}
	if sub.Status != StatusActive {
		return Errorf(ECONFLICT, "The subscription is not active.")
	}
	if err := tx.Subscribers().AddConsentEvent(ctx, &ConsentEvent{SubscriberID: sub.ID, Purpose: PurposeMarketing, Action: ConsentGranted,
		Evidence: ev, ConsentText: text}); err != nil {
		return err
	}
	return tx.Subscribers().SetConsent(ctx, sub.ID, PurposeMarketing, true, ev.At)
}

func localizedField(err error, locale string) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return Message(locale, fe.Key)
	}
	return ErrorMessage(err)
}

// ChangeEmail starts a change of address: the new address gets a
// confirmation link and takes effect only when it is followed.
func (s *Subscriptions) ChangeEmail(ctx context.Context, token, newEmail string, ev Evidence) error {
	sub, err := s.SubscriberForToken(ctx, token)
	if err != nil {
		return err
	}
	addr, err := NormalizeEmail(newEmail)
	if err != nil {
		return &Error{Code: EINVALID, Message: Message(sub.Locale, msgFormInvalidFields),
			Fields: map[string]string{FieldEmail: localizedField(err, sub.Locale)}}
	}
	if addr == sub.Email {
		return nil
	}
	now := s.Now.Now()
	ev.At, ev.Channel = now, ChannelWeb
	err = s.Store.Tx(ctx, func(tx Store) error {
		c := &Confirmation{SubscriberID: sub.ID, Kind: ConfirmEmailChange, Email: addr, Name: sub.Name, Phone: sub.Phone,
			Locale: sub.Locale, Evidence: ev, CreatedAt: now, ExpiresAt: now.Add(s.ConfirmTTL)}
		if err := tx.Subscribers().CreateConfirmation(ctx, c); err != nil {
			return err
		}
		return addOutbox(ctx, tx, OutboxConfirmation, ConfirmationRef{ConfirmationID: c.ID})
	})
	if err == nil {
		s.wake()
	}
	return err
}

// Revoke withdraws every consent of the person behind a preferences link,
// stops all mail at once and schedules the erasure of their data (152-FZ
// art. 21 part 5: within 30 days; here, as soon as the queue runs it). The
// web asks for it on a page of its own that states the consequence, so one
// press in the preference centre never erases anyone.
func (s *Subscriptions) Revoke(ctx context.Context, token string, ev Evidence) error {
	sub, err := s.SubscriberForToken(ctx, token)
	if err != nil {
		return err
	}
	ev.At, ev.Channel = s.Now.Now(), ChannelWeb
	err = s.Store.Tx(ctx, func(tx Store) error {
		_, err := s.revoke(ctx, tx, sub.ID, ev, "link")
		return err
	})
	if err == nil {
		s.wake()
	}
	return err
}

// revoke withdraws every granted consent, records a consent_revocation
// request and writes the erasure task; it returns the request.
func (s *Subscriptions) revoke(ctx context.Context, tx Store, subscriberID int64, ev Evidence, verification string) (*Request, error) {
	sub, err := tx.Subscribers().Subscriber(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	if sub.Status == StatusErased {
		return nil, nil
	}
	r := &Request{SubscriberID: &sub.ID, Kind: KindConsentRevocation, Channel: ev.Channel, Status: RequestReceived,
		ReceivedAt: ev.At, DueAt: s.Calendar.DueAt(KindConsentRevocation, ev.At), Verification: verification}
	if err := tx.Requests().CreateRequest(ctx, r); err != nil {
		return nil, err
	}
	consents, err := tx.Subscribers().Consents(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range consents {
		if !c.Granted {
			continue
		}
		if err := tx.Subscribers().AddConsentEvent(ctx, &ConsentEvent{SubscriberID: sub.ID, Purpose: c.Purpose, Action: ConsentWithdrawn,
			Evidence: ev, RequestID: &r.ID}); err != nil {
			return nil, err
		}
		if err := tx.Subscribers().SetConsent(ctx, sub.ID, c.Purpose, false, ev.At); err != nil {
			return nil, err
		}
	}
	if err := addOutbox(ctx, tx, OutboxErase, SubscriberRef{SubscriberID: sub.ID, RequestID: r.ID}); err != nil {
		return nil, err
	}
	return r, nil
}
