package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// The page of one request: what it is, its thread of notes, and what the
// officer can do with it (note, complete or reject, extend).

func requestPath(id int64) string { return "/admin/requests/" + strconv.FormatInt(id, 10) }

type noteView struct {
	app.RequestNote
	When, KindLabel string
}

type requestData struct {
	Row     requestRow
	Notes   []noteView
	Message string
	// Note is the text of a refused note, kept for another try.
	Note string
}

// adminRequest shows a request with its thread.
func (s *Server) adminRequest(c *fiber.Ctx) error {
	return s.requestPage(c, fiber.StatusOK, "", "")
}

func (s *Server) requestPage(c *fiber.Ctx, status int, msg, note string) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx, loc := c.UserContext(), adminLocale(c)
	r, err := s.deps.Privacy.Request(ctx, id)
	if err != nil {
		return err
	}
	notes, err := s.deps.Privacy.RequestNotes(ctx, id)
	if err != nil {
		return err
	}
	d := requestData{Row: s.newRequestRow(loc, *r, time.Now().UTC()), Message: msg, Note: note}
	for _, n := range notes {
		d.Notes = append(d.Notes, noteView{RequestNote: n, When: fmtTime(n.CreatedAt),
			KindLabel: templates.T(loc, "admin.notekind."+string(n.Kind))})
	}
	return s.adminPage(c, status, "admin_request", "requests", templates.T(loc, "admin.review.request", id), d)
}

// adminAddNote appends a note to a request's thread.
func (s *Server) adminAddNote(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	note := c.FormValue("note")
	if _, err := s.deps.Privacy.AddRequestNote(c.UserContext(), currentAdmin(c), id, note); err != nil {
		msg, _, err := formErrors(err)
		if err != nil {
			return err
		}
		return s.requestPage(c, fiber.StatusUnprocessableEntity, msg, note)
	}
	return redirectOK(c, requestPath(id), "admin.ok.note_added")
}

// apiRequestNotes lists the thread of a request, oldest first.
func (s *Server) apiRequestNotes(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	notes, err := s.deps.Privacy.RequestNotes(c.UserContext(), id)
	if err != nil {
		return err
	}
	if notes == nil {
		notes = []app.RequestNote{}
	}
	return c.JSON(fiber.Map{"notes": notes})
}

// apiAddRequestNote appends a note to a request's thread: {"note"}.
func (s *Server) apiAddRequestNote(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	var b struct {
		Note string `json:"note"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	n, err := s.deps.Privacy.AddRequestNote(c.UserContext(), currentAdmin(c), id, b.Note)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(n)
}
