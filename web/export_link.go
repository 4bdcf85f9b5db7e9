package web

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// linkLocale is the language of a page opened from a person's mail: the
// one asked for, else the person's own.
func linkLocale(c *fiber.Ctx, person string) string {
	if l := c.Query("lang"); pageLanguage(l) {
		return l
	}
	if person != "" {
		return app.NormalizeLocale(person)
	}
	return locale(c)
}

// exportLinkPage opens the printable export a mailed link names; an
// expired link, or one mailed to an address no longer on file, gets a page
// saying so in the person's language.
func (s *Server) exportLinkPage(c *fiber.Ctx) error {
	token := c.Params("token")
	x, person, err := s.deps.Privacy.ExportForLink(c.UserContext(), token)
	loc := linkLocale(c, person)
	if err != nil {
		return s.exportLinkProblem(c, loc, err)
	}
	return s.sendExportDoc(c, loc, s.newExportDoc(loc, x, "/export/"+token+"/json"))
}

// exportLinkJSON downloads the export a mailed link names, as JSON.
func (s *Server) exportLinkJSON(c *fiber.Ctx) error {
	x, person, err := s.deps.Privacy.ExportForLink(c.UserContext(), c.Params("token"))
	if err != nil {
		return s.exportLinkProblem(c, linkLocale(c, person), err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="my-data.json"`)
	return c.JSON(x)
}

// exportLinkProblem answers a bad or expired export link, never indexed.
func (s *Server) exportLinkProblem(c *fiber.Ctx, loc string, err error) error {
	c.Set("X-Robots-Tag", "noindex, nofollow")
	if errors.Is(err, app.ErrTokenExpired) && !wantsJSON(c) {
		return s.message(c, fiber.StatusBadRequest, loc, messageData{Kind: "link-problem", Heading: templates.T(loc, "export.expired.title"),
			Paragraphs: []string{templates.T(loc, "export.expired.text")}, OfferPreferences: true})
	}
	return s.linkError(c, loc, err, "")
}

// adminMailExport mails the subscriber a link to their data export, at the
// address on file and in their language; the action is audited. It leads
// back to the subscriber's page, or to the access request it was mailed
// from (form field request).
func (s *Server) adminMailExport(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.deps.Privacy.MailExport(c.UserContext(), currentAdmin(c), id); err != nil {
		return err
	}
	back := "/admin/subscribers/" + strconv.FormatInt(id, 10)
	if r, err := strconv.ParseInt(c.FormValue("request"), 10, 64); err == nil && r > 0 {
		back = "/admin/requests/" + strconv.FormatInt(r, 10) // mailed from an access request's page
	}
	return c.Redirect(back+"?ok=admin.ok.export_mailed", fiber.StatusSeeOther)
}
