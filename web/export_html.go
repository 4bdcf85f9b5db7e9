package web

import (
	"bytes"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// exportDoc is the printable rendering of an app.Export: every field of
// the JSON export, with codes put in words of the reader's language.
type exportDoc struct {
	Sub                                 *app.Subscriber
	Status, Created, Updated, Confirmed string
	Erased, ExportedAt                  string
	Consents                            []exportConsent
	Events                              []exportEvent
	Requests                            []exportRequest
	Deliveries                          []exportDelivery
	Newsletters                         []exportMembership
	NewsletterEvents                    []exportNewsletterEvent
	// JSONURL downloads the same export as JSON; empty for none.
	JSONURL string
}

type exportConsent struct {
	Purpose, Code, Granted, Updated string
}

type exportEvent struct {
	app.ConsentEvent
	When, Purpose, Action, Channel string
}

type exportRequest struct {
	app.Request
	Kind, Channel, Status, Received, Due, Completed, Flagged string
}

type exportMembership struct {
	app.NewsletterMembership
	Purpose, Channel, Joined, Left string
}

type exportNewsletterEvent struct {
	app.NewsletterEvent
	When, Action, Channel string
}

type exportDelivery struct {
	app.DeliveryRecord
	Sent, Purpose, Status string
}

// newExportDoc puts x in words of loc, its times in the operator's time zone.
func (s *Server) newExportDoc(loc string, x *app.Export, jsonURL string) exportDoc {
	tr := func(prefix, code string) string { return templates.T(loc, prefix+code) }
	sub := x.Subscriber
	d := exportDoc{Sub: sub, Status: tr("admin.status.", string(sub.Status)), Created: s.localTime(sub.CreatedAt),
		Updated: s.localTime(sub.UpdatedAt), Confirmed: s.localTimePtr(sub.ConfirmedAt), Erased: s.localTimePtr(sub.ErasedAt),
		ExportedAt: s.localTime(x.ExportedAt), JSONURL: jsonURL}
	for _, c := range x.Consents {
		granted := tr("export.", "no")
		if c.Granted {
			granted = tr("export.", "yes")
		}
		d.Consents = append(d.Consents, exportConsent{Purpose: tr("admin.purpose.", string(c.Purpose)), Code: string(c.Purpose),
			Granted: granted, Updated: s.localTime(c.UpdatedAt)})
	}
	for _, e := range x.ConsentEvents {
		d.Events = append(d.Events, exportEvent{ConsentEvent: e, When: s.localTime(e.At), Purpose: tr("admin.purpose.", string(e.Purpose)),
			Action: tr("admin.action.", string(e.Action)), Channel: tr("admin.channel.", string(e.Channel))})
	}
	for _, r := range x.Requests {
		flagged := ""
		if r.FlaggedAt != nil {
			flagged = s.localTime(*r.FlaggedAt)
		}
		d.Requests = append(d.Requests, exportRequest{Request: r, Kind: tr("admin.kind.", string(r.Kind)),
			Channel: tr("admin.channel.", string(r.Channel)), Status: tr("admin.reqstatus.", string(r.Status)),
			Received: s.localTime(r.ReceivedAt), Due: s.localTimePtr(r.DueAt), Completed: s.localTimePtr(r.CompletedAt), Flagged: flagged})
	}
	for _, r := range x.Deliveries {
		d.Deliveries = append(d.Deliveries, exportDelivery{DeliveryRecord: r, Sent: s.localTimePtr(r.SentAt),
			Purpose: tr("admin.purpose.", r.Purpose), Status: tr("admin.dstatus.", r.Status)})
	}
	for _, m := range x.Newsletters {
		d.Newsletters = append(d.Newsletters, exportMembership{NewsletterMembership: m, Purpose: tr("admin.purpose.", string(m.Purpose)),
			Channel: tr("admin.channel.", string(m.Channel)), Joined: s.localTime(m.JoinedAt), Left: s.localTimePtr(m.LeftAt)})
	}
	for _, e := range x.NewsletterEvents {
		d.NewsletterEvents = append(d.NewsletterEvents, exportNewsletterEvent{NewsletterEvent: e, When: s.localTime(e.At),
			Action: tr("export.nl.", string(e.Action)), Channel: tr("admin.channel.", string(e.Channel))})
	}
	return d
}

// sendExportDoc answers the printable export: a document of its own with
// no external resources, never stored by a cache and never indexed.
func (s *Server) sendExportDoc(c *fiber.Ctx, loc string, d exportDoc) error {
	var buf bytes.Buffer
	p := templates.Page{Title: templates.T(loc, "export.title"), Lang: loc, Operator: s.opts.Operator.Name, Data: d}
	if err := s.deps.Pages.Page(&buf, "doc_export", loc, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return c.Status(fiber.StatusOK).Send(buf.Bytes())
}

// adminExportSubscriberHTML shows everything held about a subscriber as a
// printable document in the console's language, and records that an
// operator exported it.
func (s *Server) adminExportSubscriberHTML(c *fiber.Ctx) error {
	id, x, err := s.exportSubscriber(c)
	if err != nil {
		return err
	}
	loc := adminLocale(c)
	return s.sendExportDoc(c, loc, s.newExportDoc(loc, x, "/admin/subscribers/"+strconv.FormatInt(id, 10)+"/export"))
}
