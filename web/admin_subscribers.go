package web

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

type subscriberListRow struct {
	app.Subscriber
	StatusLabel string
	Created     string
}

type subscribersData struct {
	Q      string
	Status string
	Rows   []subscriberListRow
	Next   int64
}

// adminSubscribers searches subscribers by part of the email or name.
func (s *Server) adminSubscribers(c *fiber.Ctx) error {
	loc := adminLocale(c)
	f := app.SubscriberFilter{Query: strings.TrimSpace(c.Query("q")), Status: app.SubscriberStatus(c.Query("status")),
		AfterID: queryID(c, "after"), Limit: adminPageLimit}
	switch f.Status {
	case "", app.StatusPending, app.StatusActive, app.StatusBlocked, app.StatusErased:
	default:
		f.Status = ""
	}
	list, err := s.deps.Directory.ListSubscribers(c.UserContext(), f)
	if err != nil {
		return err
	}
	d := subscribersData{Q: f.Query, Status: string(f.Status)}
	for _, sub := range list {
		d.Rows = append(d.Rows, subscriberListRow{Subscriber: sub, StatusLabel: templates.T(loc, "admin.status."+string(sub.Status)),
			Created: s.localTime(sub.CreatedAt)})
	}
	if len(list) == adminPageLimit {
		d.Next = list[len(list)-1].ID
	}
	return s.sectionPage(c, fiber.StatusOK, "subscribers", d)
}

type consentView struct {
	Purpose string
	Granted bool
	Updated string
}

type eventView struct {
	app.ConsentEvent
	When    string
	Purpose string
	Action  string
	Channel string
}

type subscriberData struct {
	Sub         *app.Subscriber
	StatusLabel string
	Created     string
	Confirmed   string
	Erased      string
	Consents    []consentView
	Events      []eventView
	Requests    []requestRow
	Deliveries  []deliveryView
	// Newsletters and NewsletterHistory are the newsletters the person is
	// on or has left, and each join and leave as it was recorded.
	Newsletters       []membershipView
	NewsletterHistory []newsletterEventView
	Message           string
	CanBlock          bool
	CanUnblock        bool
	CanErase          bool
	CanExport         bool
	// Today is the date in the operator's time zone (YYYY-MM-DD).
	Today string
}

type deliveryView struct {
	app.DeliveryRecord
	Sent        string
	StatusLabel string
}

// adminSubscriber shows one subscriber with the full consent history,
// requests, mail sent and what can be done.
func (s *Server) adminSubscriber(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	return s.subscriberPage(c, fiber.StatusOK, id, "")
}

func (s *Server) subscriberPage(c *fiber.Ctx, status int, id int64, msg string) error {
	ctx, loc, now := c.UserContext(), adminLocale(c), time.Now().UTC()
	sub, err := s.deps.Directory.Subscriber(ctx, id)
	if err != nil {
		return err
	}
	d := subscriberData{Sub: sub, Message: msg, StatusLabel: templates.T(loc, "admin.status."+string(sub.Status)), Created: s.localTime(sub.CreatedAt),
		Confirmed: s.localTimePtr(sub.ConfirmedAt), Erased: s.localTimePtr(sub.ErasedAt)}
	consents, err := s.deps.Directory.Consents(ctx, id)
	if err != nil {
		return err
	}
	for _, cn := range consents {
		d.Consents = append(d.Consents, consentView{Purpose: templates.T(loc, "admin.purpose."+string(cn.Purpose)), Granted: cn.Granted,
			Updated: s.localTime(cn.UpdatedAt)})
	}
	events, err := s.deps.Directory.ConsentEvents(ctx, id)
	if err != nil {
		return err
	}
	for _, e := range events {
		d.Events = append(d.Events, eventView{ConsentEvent: e, When: s.localTime(e.At), Purpose: templates.T(loc, "admin.purpose."+string(e.Purpose)),
			Action: templates.T(loc, "admin.action."+string(e.Action)), Channel: templates.T(loc, "admin.channel."+string(e.Channel))})
	}
	if s.deps.Privacy != nil {
		reqs, err := s.deps.Privacy.Requests(ctx, app.RequestQuery{SubscriberID: id, Limit: 200})
		if err != nil {
			return err
		}
		for _, r := range reqs {
			d.Requests = append(d.Requests, s.newRequestRow(loc, r, now))
		}
	}
	if d.Newsletters, d.NewsletterHistory, err = s.subscriberNewsletters(ctx, loc, id); err != nil {
		return err
	}
	deliveries, err := s.deps.Dashboard.SubscriberDeliveries(ctx, id)
	if err != nil {
		return err
	}
	for _, r := range deliveries {
		d.Deliveries = append(d.Deliveries, deliveryView{DeliveryRecord: r, Sent: s.localTimePtr(r.SentAt),
			StatusLabel: templates.T(loc, "admin.dstatus."+r.Status)})
	}
	if s.deps.Privacy != nil {
		d.CanBlock = sub.Status == app.StatusActive || sub.Status == app.StatusPending || sub.Status == app.StatusBlocked
		d.CanUnblock = sub.Status == app.StatusBlocked
		d.CanErase = sub.Status != app.StatusErased
		d.CanExport = sub.Status != app.StatusErased
	}
	d.Today = time.Now().In(s.zone()).Format(time.DateOnly)
	title := templates.T(loc, "admin.subscriber.title", sub.ID)
	return s.adminPage(c, status, "admin_subscriber", "subscribers", title, d)
}

// adminExportSubscriber downloads everything held about a subscriber, as
// JSON, and records that an operator exported it.
func (s *Server) adminExportSubscriber(c *fiber.Ctx) error {
	id, x, err := s.exportSubscriber(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="subscriber-`+strconv.FormatInt(id, 10)+`.json"`)
	return c.JSON(x)
}

type requestsData struct {
	View    string
	Kind    string
	Status  string
	Rows    []requestRow
	Next    int64
	Kinds   []option
	States  []option
	Message string
}

type option struct {
	Value, Label string
}

// openRequestLimit bounds the open-requests view.
const openRequestLimit = 500

// adminRequests is the request register: open requests by deadline
// (overdue first), or every request with filters.
func (s *Server) adminRequests(c *fiber.Ctx) error {
	return s.requestsPage(c, fiber.StatusOK, "")
}

func (s *Server) requestsPage(c *fiber.Ctx, status int, msg string) error {
	loc, now := adminLocale(c), time.Now().UTC()
	d := requestsData{View: c.Query("view", "open"), Kind: c.Query("kind"), Status: c.Query("status"), Message: msg}
	for _, k := range []app.RequestKind{app.KindMarketingOptout, app.KindDataUpdate, app.KindConsentRevocation, app.KindAccess, app.KindUnknown} {
		d.Kinds = append(d.Kinds, option{string(k), templates.T(loc, "admin.kind."+string(k))})
	}
	for _, st := range []app.RequestStatus{app.RequestReceived, app.RequestAwaitingConfirmation, app.RequestNeedsReview, app.RequestCompleted, app.RequestRejected} {
		d.States = append(d.States, option{string(st), templates.T(loc, "admin.reqstatus."+string(st))})
	}
	var (
		reqs []app.Request
		err  error
	)
	if d.View == "open" {
		reqs, err = s.openRequests(c, app.RequestKind(d.Kind), nil, openRequestLimit)
	} else {
		d.View = "all"
		q := app.RequestQuery{Kind: app.RequestKind(d.Kind), Status: app.RequestStatus(d.Status), AfterID: queryID(c, "after"), Limit: adminPageLimit}
		reqs, err = s.deps.Privacy.Requests(c.UserContext(), q)
		if len(reqs) == adminPageLimit {
			d.Next = reqs[len(reqs)-1].ID
		}
	}
	if err != nil {
		return err
	}
	for _, r := range reqs {
		d.Rows = append(d.Rows, s.newRequestRow(loc, r, now))
	}
	return s.sectionPage(c, status, "requests", d)
}

type destructionRow struct {
	app.Destruction
	When string
	By   string
}

type destructionsData struct {
	Rows []destructionRow
	Next int64
}

// adminDestructions lists destruction records, oldest first.
func (s *Server) adminDestructions(c *fiber.Ctx) error {
	list, err := s.deps.Privacy.Destructions(c.UserContext(), queryID(c, "after"), adminPageLimit)
	if err != nil {
		return err
	}
	by, err := s.destructionWords(c, list)
	if err != nil {
		return err
	}
	d := destructionsData{}
	for _, x := range list {
		d.Rows = append(d.Rows, destructionRow{Destruction: x, When: s.localTime(x.DestroyedAt), By: by[x.SubscriberID]})
	}
	if len(list) == adminPageLimit {
		d.Next = list[len(list)-1].ID
	}
	return s.sectionPage(c, fiber.StatusOK, "destructions", d)
}

// adminDestructionsCSV downloads every destruction record as CSV, the
// same file the API gives (and recorded in the audit log the same way).
func (s *Server) adminDestructionsCSV(c *fiber.Ctx) error {
	c.Request().URI().QueryArgs().Set("format", "csv")
	return s.apiDestructions(c)
}

type policiesData struct {
	Rows    []policyRow
	In      app.PolicyVersion
	Message string
	Errors  map[string]string
}

type policyRow struct {
	app.PolicyVersion
	Published string
	Current   bool
}

// adminPolicies lists the published policy versions with a form for the
// next one, filled with the current text.
func (s *Server) adminPolicies(c *fiber.Ctx) error {
	d, err := s.policiesData(c)
	if err != nil {
		return err
	}
	if len(d.Rows) > 0 {
		d.In.BodyEN, d.In.BodyRU = d.Rows[0].BodyEN, d.Rows[0].BodyRU
	}
	return s.sectionPage(c, fiber.StatusOK, "policies", d)
}

func (s *Server) policiesData(c *fiber.Ctx) (policiesData, error) {
	ps, err := s.deps.Policies.ListPolicies(c.UserContext())
	if err != nil {
		return policiesData{}, err
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].PublishedAt.After(ps[j].PublishedAt) })
	d := policiesData{}
	for i, p := range ps {
		d.Rows = append(d.Rows, policyRow{PolicyVersion: p, Published: s.localTime(p.PublishedAt), Current: i == 0})
	}
	return d, nil
}

// adminPublishPolicy publishes a new policy version.
func (s *Server) adminPublishPolicy(c *fiber.Ctx) error {
	p := app.PolicyVersion{Version: c.FormValue("version"), BodyEN: c.FormValue("body_en"), BodyRU: c.FormValue("body_ru")}
	if err := s.deps.Publisher.PublishPolicy(c.UserContext(), currentAdmin(c), &p); err != nil {
		msg, fields, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		d, derr := s.policiesData(c)
		if derr != nil {
			return derr
		}
		d.In, d.Message, d.Errors = p, msg, fields
		return s.sectionPage(c, fiber.StatusUnprocessableEntity, "policies", d)
	}
	return redirectOK(c, "/admin/policies", "admin.ok.policy_published")
}
