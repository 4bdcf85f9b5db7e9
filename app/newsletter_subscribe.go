package app

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Choosing newsletters on the form and in the preference centre.

// chosenNewsletters checks the newsletters a subscription chose: public
// ones only, and marketing ones with the consent to advertising. It
// returns their ids, sorted and without repeats; the error is an *Error
// with code EINVALID and the field FieldNewsletters, in the input's
// language.
func (s *Subscriptions) chosenNewsletters(ctx context.Context, in *SubscribeInput) ([]int64, error) {
	if len(in.Newsletters) == 0 {
		return nil, nil
	}
	ids := slices.Compact(slices.Sorted(slices.Values(in.Newsletters)))
	offered, err := s.offeredNewsletters(ctx)
	if err != nil {
		return nil, err
	}
	locale := NormalizeLocale(in.Locale)
	for _, id := range ids {
		n, ok := offered[id]
		key := ""
		switch {
		case !ok:
			key = msgNewslettersUnknown
		case n.Purpose == CampaignMarketing && !in.ConsentMarketing:
			key = msgNewslettersConsent
		}
		if key != "" {
			return nil, &Error{Code: EINVALID, Message: Message(locale, msgFormInvalidFields),
				Fields: map[string]string{FieldNewsletters: Message(locale, key)}}
		}
	}
	return ids, nil
}

// offeredNewsletters returns the public newsletters by id.
func (s *Subscriptions) offeredNewsletters(ctx context.Context) (map[int64]Newsletter, error) {
	all, err := s.Store.Newsletters().ListNewsletters(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64]Newsletter{}
	for _, n := range all {
		if n.Public {
			out[n.ID] = n
		}
	}
	return out, nil
}

// joinChosen makes the subscriber of a confirmed subscription a member of
// the newsletters it chose, with the evidence of the form.
func joinChosen(ctx context.Context, tx Store, subscriberID int64, c *Confirmation, at time.Time) error {
	if len(c.Newsletters) == 0 {
		return nil
	}
	ev := c.Evidence
	ev.At = at
	if ev.Channel == "" {
		ev.Channel = ChannelWeb
	}
	_, err := tx.Newsletters().JoinNewsletters(ctx, NewsletterChange{SubscriberID: subscriberID, NewsletterIDs: c.Newsletters,
		Evidence: ev, RequestID: c.RequestID})
	return err
}

// leaveByMail carries out the mailto of a campaign's List-Unsubscribe: the
// person leaves the campaign's newsletters they are on, for request r. It
// reports false when the token named no campaign still held (the caller
// then stops all advertising).
func leaveByMail(ctx context.Context, tx Store, subscriberID, campaignID int64, ev Evidence, r *Request) (bool, error) {
	if campaignID == 0 {
		return false, nil
	}
	if _, err := tx.Campaigns().Campaign(ctx, campaignID); IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	ids, err := leaveCampaignNewsletters(ctx, tx, subscriberID, campaignID, ev, &r.ID)
	if err != nil {
		return false, err
	}
	r.Note = fmt.Sprintf("left the newsletters the message was sent for: %v", ids)
	return true, nil
}

// preferenceNewsletters returns the newsletters the preference centre
// shows (the public ones and those the person is on) and which they are on.
func (s *Subscriptions) preferenceNewsletters(ctx context.Context, st Store, subscriberID int64) ([]Newsletter, map[int64]bool, error) {
	all, err := st.Newsletters().ListNewsletters(ctx)
	if err != nil {
		return nil, nil, err
	}
	ms, err := st.Newsletters().Memberships(ctx, subscriberID)
	if err != nil {
		return nil, nil, err
	}
	on := map[int64]bool{}
	for _, n := range OnNow(ms) {
		on[n.ID] = true
	}
	var shown []Newsletter
	for _, n := range all {
		if n.Public || on[n.ID] {
			shown = append(shown, n)
		}
	}
	return shown, on, nil
}

// saveWithNewsletters saves the consent to advertising and the choice of
// newsletters of the preference centre: the ones ticked are joined before
// the consent is granted (so it joins no default), the ones unticked are
// left after. Joining a marketing newsletter needs the consent;
// withdrawing the consent leaves them all.
func (s *Subscriptions) saveWithNewsletters(ctx context.Context, tx Store, sub *Subscriber, in ProfileInput, ev Evidence) error {
	shown, on, err := s.preferenceNewsletters(ctx, tx, sub.ID)
	if err != nil {
		return err
	}
	ev.FormID = "preferences"
	var join, leave []int64
	for _, n := range shown {
		want := slices.Contains(in.Newsletters, n.ID)
		if want && !on[n.ID] && n.Purpose == CampaignMarketing && !in.Marketing {
			return &Error{Code: EINVALID, Message: Message(sub.Locale, msgFormInvalidFields),
				Fields: map[string]string{FieldNewsletters: Message(sub.Locale, msgNewslettersConsent)}}
		}
		switch {
		case want && !on[n.ID]:
			join = append(join, n.ID)
		case !want && on[n.ID]:
			leave = append(leave, n.ID)
		}
	}
	if len(join) > 0 {
		if sub.Status != StatusActive {
			return Errorf(ECONFLICT, "The subscription is not active.")
		}
		if _, err := tx.Newsletters().JoinNewsletters(ctx, NewsletterChange{SubscriberID: sub.ID, NewsletterIDs: join, Evidence: ev}); err != nil {
			return err
		}
	}
	if err := s.setMarketing(ctx, tx, sub, in.Marketing, in.MarketingText, ev, 0); err != nil {
		return err
	}
	if len(leave) > 0 {
		if _, err := tx.Newsletters().LeaveNewsletters(ctx, NewsletterChange{SubscriberID: sub.ID, NewsletterIDs: leave, Evidence: ev}); err != nil {
			return err
		}
	}
	return s.dataCorrected(ctx, tx, sub.ID, 0, ev.At)
}
