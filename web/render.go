package web

import (
	"bytes"
	"net/url"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// pageLanguage reports whether l names a language of the pages exactly,
// as an explicit choice does (?lang=, a form's locale); anything else is
// negotiated by app.NormalizeLocale.
func pageLanguage(l string) bool { return l == app.LocaleEN || l == app.LocaleRU }

// locale picks the page language: ?lang=, then Accept-Language.
func locale(c *fiber.Ctx) string {
	if l := c.Query("lang"); pageLanguage(l) {
		return l
	}
	if l := c.FormValue("locale"); pageLanguage(l) {
		return l
	}
	return app.NormalizeLocale(c.Get(fiber.HeaderAcceptLanguage))
}

// otherLangURL is the current page in the other language: its path on
// this site, cleaned, so that a request path such as //evil.example/x or
// /\evil.example/x (which browsers read as another host) cannot turn the
// link into one that leaves the site.
func otherLangURL(c *fiber.Ctx, loc string) string {
	other := "ru"
	if loc == "ru" {
		other = "en"
	}
	u := url.URL{Path: sitePath(c.Path())}
	q := url.Values{}
	q.Set("lang", other)
	u.RawQuery = q.Encode()
	return u.String()
}

// sitePath is p as an absolute path on this site: backslashes read as
// slashes (as browsers read them), dot segments resolved and runs of
// slashes collapsed, so it starts with exactly one slash.
func sitePath(p string) string {
	return path.Clean("/" + strings.ReplaceAll(p, "\\", "/"))
}

// page renders a page for a person.
func (s *Server) page(c *fiber.Ctx, status int, name, loc, title string, data any) error {
	var buf bytes.Buffer
	p := templates.Page{Title: title, Lang: loc, Operator: s.opts.Operator.Name, Analytics: s.opts.AnalyticsSrc, Data: data}
	if c.Method() == fiber.MethodGet {
		p.LangURL = otherLangURL(c, loc)
	}
	if err := s.deps.Pages.Page(&buf, name, loc, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

// messageData is the data of the generic message page.
type messageData struct {
	Heading          string
	Paragraphs       []string
	Kind             string
	ResendAction     string
	OfferPreferences bool
}

// message renders the generic message page.
func (s *Server) message(c *fiber.Ctx, status int, loc string, d messageData) error {
	return s.page(c, status, "message", loc, d.Heading, d)
}

// sendJSON answers v as JSON, or err.
func sendJSON(c *fiber.Ctx, v any, err error) error {
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// sendList answers {key: list}, or err.
func sendList[T any](c *fiber.Ctx, key string, list []T, err error) error {
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{key: nonNil(list)})
}

// nonNil returns list, or an empty list for nil: JSON lists are [] when
// empty, never null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
