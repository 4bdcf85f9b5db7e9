package web

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// apiListSubscribers lists subscribers: ?email= (exact), ?q= (part of
// email or name), ?status=, ?after= (id, for paging), ?limit= (<= 1000).
func (s *Server) apiListSubscribers(c *fiber.Ctx) error {
	bad := map[string]string{}
	f := app.SubscriberFilter{Query: c.Query("q"), AfterID: queryID(c, "after"), Limit: queryLimit(c, 100),
		Status: queryOneOf(c, "status", bad, app.StatusPending, app.StatusActive, app.StatusBlocked, app.StatusErased)}
	if e := c.Query("email"); e != "" {
		norm, err := app.NormalizeEmail(e)
		if err != nil {
			bad["email"] = app.ErrorMessage(err)
		}
		f.Email = norm
	}
	if err := invalidFilter(bad); err != nil {
		return err
	}
	subs, err := s.deps.Directory.ListSubscribers(c.UserContext(), f)
	return sendList(c, "subscribers", subs, err)
}

// subscriberDetail is one subscriber with consents and their history.
type subscriberDetail struct {
	*app.Subscriber
	Consents []consentDetail `json:"consents"`
	// Newsletters are the newsletters the person is or was on, each with
	// its joins and leaves.
	Newsletters []membershipDetail `json:"newsletters"`
}

type membershipDetail struct {
	app.NewsletterMembership
	Current bool                  `json:"current"`
	History []app.NewsletterEvent `json:"history"`
}

type consentDetail struct {
	app.Consent
	History []app.ConsentEvent `json:"history"`
}

// apiSubscriber returns one subscriber with every consent and its history.
func (s *Server) apiSubscriber(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	sub, err := s.deps.Directory.Subscriber(ctx, id)
	if err != nil {
		return err
	}
	consents, err := s.deps.Directory.Consents(ctx, id)
	if err != nil {
		return err
	}
	events, err := s.deps.Directory.ConsentEvents(ctx, id)
	if err != nil {
		return err
	}
	d := subscriberDetail{Subscriber: sub, Consents: []consentDetail{}}
	byPurpose := map[app.Purpose][]app.ConsentEvent{}
	for _, e := range events {
		byPurpose[e.Purpose] = append(byPurpose[e.Purpose], e)
	}
	for _, cons := range consents {
		h := byPurpose[cons.Purpose]
		h = nonNil(h)
		d.Consents = append(d.Consents, consentDetail{Consent: cons, History: h})
	}
	if d.Newsletters, err = s.memberships(ctx, id); err != nil {
		return err
	}
	return c.JSON(d)
}

// exportSubscriber is everything held about the subscriber of the path,
// for an operator; the export is recorded in the audit log.
func (s *Server) exportSubscriber(c *fiber.Ctx) (int64, *app.Export, error) {
	id, err := paramID(c)
	if err != nil {
		return 0, nil, err
	}
	x, err := s.deps.Privacy.ExportSubscriber(c.UserContext(), id)
	if err != nil {
		return 0, nil, err
	}
	err = s.deps.Privacy.RecordAction(c.UserContext(), currentAdmin(c), app.AuditSubscriberExported, "subscriber", id, "")
	return id, x, err
}

// apiExportSubscriber returns everything held about a subscriber.
func (s *Server) apiExportSubscriber(c *fiber.Ctx) error {
	_, x, err := s.exportSubscriber(c)
	return sendJSON(c, x, err)
}

// apiPublishPolicy publishes a new policy version.
func (s *Server) apiPublishPolicy(c *fiber.Ctx) error {
	var p app.PolicyVersion
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	if err := s.deps.Publisher.PublishPolicy(c.UserContext(), currentAdmin(c), &p); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

// apiPolicies lists the published versions.
func (s *Server) apiPolicies(c *fiber.Ctx) error {
	ps, err := s.deps.Policies.ListPolicies(c.UserContext())
	return sendList(c, "policies", ps, err)
}

// memberships lists a subscriber's newsletters with their history.
func (s *Server) memberships(ctx context.Context, id int64) ([]membershipDetail, error) {
	ms, err := s.deps.Directory.Memberships(ctx, id)
	if err != nil {
		return nil, err
	}
	events, err := s.deps.Directory.NewsletterEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	byNewsletter := map[int64][]app.NewsletterEvent{}
	for _, e := range events {
		byNewsletter[e.NewsletterID] = append(byNewsletter[e.NewsletterID], e)
	}
	out := make([]membershipDetail, len(ms))
	for i, m := range ms {
		out[i] = membershipDetail{NewsletterMembership: m, Current: m.Current(), History: nonNil(byNewsletter[m.NewsletterID])}
	}
	return out, nil
}
