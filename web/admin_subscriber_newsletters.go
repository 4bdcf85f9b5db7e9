package web

import (
	"context"

	"newsletter/app"
	"newsletter/templates"
)

// membershipView is one of a subscriber's newsletters as the console's
// subscriber page shows it, in the console's language.
type membershipView struct {
	app.NewsletterMembership
	// Description is the newsletter's description in the console's
	// language (empty when the newsletters are not plugged in).
	Description string
	Purpose     string
	Channel     string
	Joined      string
	Left        string
}

// newsletterEventView is one join or leave of a subscriber's newsletter
// history.
type newsletterEventView struct {
	app.NewsletterEvent
	Newsletter string
	When       string
	Action     string
	Channel    string
}

// subscriberNewsletters are the newsletters subscriber id is on or has
// left, and the joins and leaves as they were recorded, oldest first, in
// words of loc.
func (s *Server) subscriberNewsletters(ctx context.Context, loc string, id int64) ([]membershipView, []newsletterEventView, error) {
	ms, err := s.deps.Directory.Memberships(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	events, err := s.deps.Directory.NewsletterEvents(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	descriptions := map[int64]string{}
	if s.deps.Newsletters != nil {
		list, err := s.deps.Newsletters.List(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, n := range list {
			descriptions[n.ID] = n.Description.In(loc)
		}
	}
	names := map[int64]string{}
	out := make([]membershipView, len(ms))
	for i, m := range ms {
		names[m.NewsletterID] = m.Name
		out[i] = membershipView{NewsletterMembership: m, Description: descriptions[m.NewsletterID],
			Purpose: templates.T(loc, "admin.purpose."+string(m.Purpose)), Channel: templates.T(loc, "admin.channel."+string(m.Channel)),
			Joined: s.localTime(m.JoinedAt), Left: s.localTimePtr(m.LeftAt)}
	}
	history := make([]newsletterEventView, len(events))
	for i, e := range events {
		history[i] = newsletterEventView{NewsletterEvent: e, Newsletter: names[e.NewsletterID], When: s.localTime(e.At),
			Action: templates.T(loc, "admin.nl."+string(e.Action)), Channel: templates.T(loc, "admin.channel."+string(e.Channel))}
	}
	return out, history, nil
}
