package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// subscriberRoutes registers the subscriber part of the API.
func (s *Server) subscriberRoutes(api fiber.Router) {
	officer := requireRole(app.RolePrivacyOfficer)
	api.Get("/subscribers", officer, s.apiListSubscribers)
	api.Get("/subscribers/:id<int>", officer, s.apiSubscriber)
	api.Get("/subscribers/:id<int>/export", officer, s.apiExportSubscriber)
	api.Post("/policies", officer, s.apiPublishPolicy)
	api.Get("/policies", s.apiPolicies)
}

func paramID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.Errorf(app.EINVALID, "invalid id")
	}
	return id, nil
}

// apiListSubscribers lists subscribers: ?email= (exact), ?q= (part of
// email or name), ?status=, ?after= (id, for paging), ?limit= (<= 1000).
func (s *Server) apiListSubscribers(c *fiber.Ctx) error {
	f := app.SubscriberFilter{Query: c.Query("q"), Status: app.SubscriberStatus(c.Query("status"))}
	if e := c.Query("email"); e != "" {
		norm, err := app.NormalizeEmail(e)
		if err != nil {
			return &app.Error{Code: app.EINVALID, Message: "invalid email filter", Fields: map[string]string{"email": app.ErrorMessage(err)}}
		}
		f.Email = norm
	}
	switch f.Status {
	case "", app.StatusPending, app.StatusActive, app.StatusBlocked, app.StatusErased:
	default:
		return &app.Error{Code: app.EINVALID, Message: "invalid status filter", Fields: map[string]string{"status": "pending, active, blocked or erased"}}
	}
	f.AfterID = int64(c.QueryInt("after"))
	f.Limit = c.QueryInt("limit", 100)
	subs, err := s.deps.Directory.ListSubscribers(c.UserContext(), f)
	if err != nil {
		return err
	}
	subs = nonNil(subs)
	return c.JSON(fiber.Map{"subscribers": subs})
}

// subscriberDetail is one subscriber with consents and their history.
type subscriberDetail struct {
	*app.Subscriber
	Consents []consentDetail `json:"consents"`
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
	return c.JSON(d)
}

// apiExportSubscriber returns everything held about a subscriber.
func (s *Server) apiExportSubscriber(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	x, err := s.deps.Subs.ExportSubscriber(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := s.deps.Privacy.RecordAction(c.UserContext(), currentAdmin(c), app.AuditSubscriberExported, "subscriber", id, ""); err != nil {
		return err
	}
	return c.JSON(x)
}

// apiPublishPolicy publishes a new policy version.
func (s *Server) apiPublishPolicy(c *fiber.Ctx) error {
	var p app.PolicyVersion
	if err := c.BodyParser(&p); err != nil {
		return app.Errorf(app.EINVALID, "The request body is not valid JSON.")
	}
	if err := s.deps.Admins.PublishPolicy(c.UserContext(), currentAdmin(c), &p); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

// apiPolicies lists the published versions.
func (s *Server) apiPolicies(c *fiber.Ctx) error {
	ps, err := s.deps.Policies.Policies(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"policies": ps})
}
