package web

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// apiNewsletters lists every newsletter, the defaults first.
func (s *Server) apiNewsletters(c *fiber.Ctx) error {
	list, err := s.deps.Newsletters.List(c.UserContext())
	return sendList(c, "newsletters", list, err)
}

// apiNewsletter is one newsletter.
func (s *Server) apiNewsletter(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	n, err := s.deps.Newsletters.Get(c.UserContext(), id)
	return sendJSON(c, n, err)
}

// apiCreateNewsletter makes a newsletter (owners): name, description
// {"en","ru"}, purpose, public.
func (s *Server) apiCreateNewsletter(c *fiber.Ctx) error {
	var in app.NewsletterInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	n, err := s.deps.Newsletters.Create(c.UserContext(), currentAdmin(c), in)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/v1/newsletters/%d", n.ID))
	return c.Status(fiber.StatusCreated).JSON(n)
}

// apiPatchNewsletter changes the fields of a newsletter the body names
// (owners).
func (s *Server) apiPatchNewsletter(c *fiber.Ctx) error {
	var in app.NewsletterInput
	id, err := idAndBody(c, &in)
	if err != nil {
		return err
	}
	n, err := s.deps.Newsletters.Update(c.UserContext(), currentAdmin(c), id, in)
	return sendJSON(c, n, err)
}
