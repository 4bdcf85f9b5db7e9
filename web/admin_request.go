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
	// Note and Answer are the texts of a refused note or answer, kept
	// for another try.
	Note, Answer string
	// CanAnswer says the person has an address on file, in AnswerLang.
	CanAnswer  bool
	AnswerLang string
}

// adminRequest shows a request with its thread.
func (s *Server) adminRequest(c *fiber.Ctx) error {
	return s.requestPage(c, fiber.StatusOK, "", "")
}

func (s *Server) requestPage(c *fiber.Ctx, status int, msg, note string) error {
	return s.requestPageWith(c, status, msg, requestData{Note: note})
}

func (s *Server) requestPageWith(c *fiber.Ctx, status int, msg string, d requestData) error {
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
	d.Row, d.Message = s.newRequestRow(loc, *r, time.Now().UTC()), msg
	if r.SubscriberID != nil {
		sub, err := s.deps.Directory.Subscriber(ctx, *r.SubscriberID)
		if err != nil && !app.IsNotFound(err) {
			return err
		}
		if err == nil && sub.Status != app.StatusErased && sub.Email != "" {
			d.CanAnswer, d.AnswerLang = true, templates.T(app.NormalizeLocale(sub.Locale), "lang.name")
		}
	}
	for _, n := range notes {
		d.Notes = append(d.Notes, noteView{RequestNote: n, When: s.localTime(n.CreatedAt),
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
		msg, _, err := formErrors(adminLocale(c), err)
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

// adminAnswer mails the person a free-text answer and records it in the
// request's thread.
func (s *Server) adminAnswer(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	text := c.FormValue("answer")
	if _, err := s.deps.Privacy.AnswerRequest(c.UserContext(), currentAdmin(c), id, text); err != nil {
		msg, _, err := formErrors(adminLocale(c), err)
		if err != nil {
			return err
		}
		return s.requestPageWith(c, fiber.StatusUnprocessableEntity, msg, requestData{Answer: text})
	}
	return redirectOK(c, requestPath(id), "admin.ok.answered")
}

// apiAnswerRequest mails the person a free-text answer: {"answer"}.
func (s *Server) apiAnswerRequest(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	var b struct {
		Answer string `json:"answer"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	n, err := s.deps.Privacy.AnswerRequest(c.UserContext(), currentAdmin(c), id, b.Answer)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(n)
}
