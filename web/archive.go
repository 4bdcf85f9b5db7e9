package web

import (
	"context"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// The public archive (/archive, /archive/{id}, /archive.atom) and the
// counted links of campaigns (/l/{id}). Nothing here sets a cookie or
// reads one, and nothing names a person.

// Archive is the public archive of campaigns (app.Archive).
type Archive interface {
	List(ctx context.Context, visitorLocale string, page int) ([]app.ArchivedCampaign, bool, error)
	Campaign(ctx context.Context, id int64, visitorLocale string) (*app.ArchivedCampaign, error)
}

// Clicks count followed links of campaigns (app.Clicks).
type Clicks interface {
	Follow(ctx context.Context, id string) (string, error)
}

// archiveCache is how long a browser or proxy may keep an archive page:
// a withdrawn campaign disappears from caches within it.
const archiveCache = "public, max-age=300"

// archiveEntry is one campaign on an archive page.
type archiveEntry struct {
	app.ArchivedCampaign
	Date, Datetime, LanguageName string
}

func (s *Server) archiveEntry(loc string, a app.ArchivedCampaign) archiveEntry {
	return archiveEntry{ArchivedCampaign: a, Date: a.SentAt.In(s.zone()).Format("2006-01-02"),
		Datetime: a.SentAt.UTC().Format(time.RFC3339), LanguageName: templates.T(loc, "archive.lang."+a.Language)}
}

// archiveCached marks a public archive answer as cacheable, per language.
func archiveCached(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, archiveCache)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptLanguage)
}

// archivePage lists the archive, newest first, a page at a time.
func (s *Server) archivePage(c *fiber.Ctx) error {
	loc := locale(c)
	page, err := strconv.Atoi(c.Query("page", "0"))
	if err != nil || page < 0 || page > 100000 {
		page = 0
	}
	list, more, err := s.deps.Archive.List(c.UserContext(), loc, page)
	if err != nil {
		return err
	}
	d := struct {
		Entries      []archiveEntry
		Newer, Older string
	}{}
	for _, a := range list {
		d.Entries = append(d.Entries, s.archiveEntry(loc, a))
	}
	if page > 0 {
		d.Newer = fmt.Sprintf("/archive?lang=%s&page=%d", loc, page-1)
	}
	if more {
		d.Older = fmt.Sprintf("/archive?lang=%s&page=%d", loc, page+1)
	}
	if err := s.page(c, fiber.StatusOK, "archive", loc, templates.T(loc, "archive.title"), d); err != nil {
		return err
	}
	archiveCached(c)
	return nil
}

// archived calls show with the campaign of the path in the visitor's
// language; a campaign not in the archive is a page saying so.
func (s *Server) archived(c *fiber.Ctx, show func(loc string, a *app.ArchivedCampaign) error) error {
	loc := locale(c)
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	var a *app.ArchivedCampaign
	if err == nil {
		a, err = s.deps.Archive.Campaign(c.UserContext(), id, loc)
	} else {
		err = app.Errorf(app.ENOTFOUND, "campaign not found")
	}
	if app.IsNotFound(err) {
		return s.message(c, fiber.StatusNotFound, loc, messageData{Heading: templates.T(loc, "archive.notfound"),
			Paragraphs: []string{templates.T(loc, "archive.notfound.text")}, Kind: "error"})
	}
	if err != nil {
		return err
	}
	if err := show(loc, a); err != nil {
		return err
	}
	archiveCached(c)
	return nil
}

// archiveCampaignPage shows one archived campaign: its subject and date,
// and its body in a sandboxed frame (the body's own styles need a policy
// of their own).
func (s *Server) archiveCampaignPage(c *fiber.Ctx) error {
	return s.archived(c, func(loc string, a *app.ArchivedCampaign) error {
		return s.page(c, fiber.StatusOK, "archive_campaign", loc, a.Subject, s.archiveEntry(loc, *a))
	})
}

// archiveContent answers the body of an archived campaign for the frame
// of its page: no script can run in it (previewCSP, and the frame's
// sandbox), and its links open apart.
func (s *Server) archiveContent(c *fiber.Ctx) error {
	return s.archived(c, func(_ string, a *app.ArchivedCampaign) error {
		return sendPreview(c, `<!doctype html><html lang="`+a.Language+`"><head><meta charset="utf-8">`+
			`<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">`+
			archiveFrameStyle+`</head><body>`+a.HTML+`</body></html>`)
	})
}

// archiveFrameStyle is the frame's default look, which the body's own
// styles override: the font of the public pages, images within the frame.
const archiveFrameStyle = `<style>body{margin:16px;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;` +
	`color:#1d2430;background:#fff}img{max-width:100%;height:auto}a{color:#1f5fbf}</style>`

// Atom (RFC 4287) elements of the archive feed.
type (
	atomFeed struct {
		XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
		Lang    string      `xml:"xml:lang,attr"`
		ID      string      `xml:"id"`
		Title   string      `xml:"title"`
		Updated string      `xml:"updated"`
		Author  atomAuthor  `xml:"author"`
		Links   []atomLink  `xml:"link"`
		Entries []atomEntry `xml:"entry"`
	}
	atomAuthor struct {
		Name string `xml:"name"`
	}
	atomLink struct {
		Rel  string `xml:"rel,attr"`
		Type string `xml:"type,attr,omitempty"`
		Href string `xml:"href,attr"`
	}
	atomEntry struct {
		ID      string      `xml:"id"`
		Title   string      `xml:"title"`
		Updated string      `xml:"updated"`
		Link    atomLink    `xml:"link"`
		Content atomContent `xml:"content"`
	}
	atomContent struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	}
)

// archiveFeed answers the newest page of the archive as an Atom feed.
func (s *Server) archiveFeed(c *fiber.Ctx) error {
	loc := locale(c)
	list, _, err := s.deps.Archive.List(c.UserContext(), loc, 0)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(s.opts.BaseURL.String(), "/")
	f := atomFeed{Lang: loc, ID: base + "/archive.atom?lang=" + loc,
		Title:  templates.T(loc, "archive.feed.title", s.opts.Operator.Name),
		Author: atomAuthor{Name: s.opts.Operator.Name},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/archive.atom?lang=" + loc},
			{Rel: "alternate", Type: "text/html", Href: base + "/archive?lang=" + loc}},
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339)}
	for i, a := range list {
		u := base + "/archive/" + strconv.FormatInt(a.ID, 10)
		updated := a.SentAt.UTC().Format(time.RFC3339)
		if i == 0 {
			f.Updated = updated
		}
		f.Entries = append(f.Entries, atomEntry{ID: u, Title: a.Subject, Updated: updated,
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: u + "?lang=" + loc},
			Content: atomContent{Type: "html", Body: a.HTML}})
	}
	out, err := xml.MarshalIndent(f, "", " ")
	if err != nil {
		return fmt.Errorf("archive feed: %w", err)
	}
	archiveCached(c)
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	return c.Send(append([]byte(xml.Header), out...))
}

// followLink counts one click of a campaign's link and redirects to it. A
// forged or unknown id is a page saying so; a click that could not be
// counted still redirects (app.Clicks).
func (s *Server) followLink(c *fiber.Ctx) error {
	u, err := s.deps.Clicks.Follow(c.UserContext(), c.Params("id"))
	if app.IsNotFound(err) {
		loc := locale(c)
		return s.message(c, fiber.StatusNotFound, loc, messageData{Heading: templates.T(loc, "link.unknown"),
			Paragraphs: []string{templates.T(loc, "link.unknown.text")}, Kind: "error"})
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	return c.Redirect(u, fiber.StatusFound)
}
