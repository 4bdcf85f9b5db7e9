package web

import (
	"context"
	"errors"
	"html"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// statusOf maps domain error codes to HTTP statuses: the one place that does.
var statusOf = map[string]int{
	app.EINVALID:      fiber.StatusUnprocessableEntity,
	app.ENOTFOUND:     fiber.StatusNotFound,
	app.ECONFLICT:     fiber.StatusConflict,
	app.EUNAUTHORIZED: fiber.StatusUnauthorized,
	app.EFORBIDDEN:    fiber.StatusForbidden,
	app.ERATELIMIT:    fiber.StatusTooManyRequests,
	app.EUNAVAILABLE:  fiber.StatusServiceUnavailable,
	app.EINTERNAL:     fiber.StatusInternalServerError,
}

// wantsJSON reports whether the client is a program expecting JSON.
func wantsJSON(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") || strings.HasPrefix(c.Path(), "/webhooks/") {
		return true
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON) {
		return true
	}
	return strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON)
}

// handleError answers an error as JSON or as a page. Internal errors are
// logged once, with the request id; the client sees a plain message.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	code := app.ErrorCode(err)
	msg := app.ErrorMessage(err)
	own := err // the error msg is the message of, nil when msg is another's
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status, msg, own = fe.Code, fe.Message, nil
		code = strings.ToLower(strings.ReplaceAll(fiberStatusText(fe.Code), " ", "_"))
	} else if st, ok := statusOf[code]; ok {
		status = st
	}
	if status >= 500 && fe == nil {
		own = nil
		if down := s.downDependency(c); down != "" {
			// Not a bug: a dependency is unreachable. Say so, and when to
			// come back.
			s.deps.Log.Warn("request failed: dependency down", "request_id", requestID(c), "route", c.Route().Path, "down", down)
			status, code = fiber.StatusServiceUnavailable, app.EUNAVAILABLE
			msg = "The service is temporarily unavailable. Please try again in a minute."
			c.Set(fiber.HeaderRetryAfter, "30")
		} else {
			s.deps.Log.Error("request failed", "request_id", requestID(c), "route", c.Route().Path, "err", err)
			msg = "Something went wrong on our side. Please try again later."
		}
	}
	if status == fiber.StatusRequestEntityTooLarge && c.Path() == "/admin/import" &&
		importLimit(s, &c.Request().Header, c.Path()) == s.opts.ImportBodyLimit {
		// Refused while it arrived, before the console's routes: say the
		// import's cap to whom it applies (others had the server's limit).
		msg, own = templates.T(locale(c), "admin.import.toolarge", s.opts.ImportBodyLimit>>20), nil
	}
	if wantsJSON(c) {
		body := fiber.Map{"error": msg, "code": code}
		if f := app.ErrorFields(err); len(f) > 0 {
			body["fields"] = f
		}
		return c.Status(status).JSON(body)
	}
	return s.errorPage(c, status, msg, own)
}

// downDependency names the first readiness check that fails now, or "".
func (s *Server) downDependency(c *fiber.Ctx) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, ch := range s.deps.Checks {
		if err := ch.Ping.Ping(ctx); err != nil {
			return ch.Name
		}
	}
	return ""
}

// errorPage renders a page for a person with msg, the message of own
// when own is not nil.
func (s *Server) errorPage(c *fiber.Ctx, status int, msg string, own error) error {
	if s.deps.Pages != nil {
		loc := locale(c)
		if own != nil {
			msg, _ = templates.TranslateError(loc, own)
		} else {
			msg = templates.TranslateMessage(loc, msg)
		}
		if status == fiber.StatusNotFound && strings.HasPrefix(msg, "Cannot ") {
			msg = templates.T(loc, "notfound.text") // not fiber's "Cannot GET /path"
		}
		if err := s.message(c, status, loc, messageData{Heading: errorHeading(loc, status), Paragraphs: []string{msg}, Kind: "error"}); err == nil {
			return nil
		}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).SendString("<!doctype html><html lang=en><meta charset=utf-8><title>" +
		html.EscapeString(fiberStatusText(status)) + "</title><main><h1>" + html.EscapeString(fiberStatusText(status)) +
		"</h1><p>" + html.EscapeString(msg) + "</p></main></html>")
}

// errorHeading is the heading of an error page for a person.
func errorHeading(loc string, status int) string {
	switch status {
	case fiber.StatusNotFound:
		return templates.T(loc, "notfound.title")
	case fiber.StatusTooManyRequests:
		return templates.T(loc, "ratelimit.title")
	}
	return templates.T(loc, "error.title")
}

func fiberStatusText(code int) string {
	if t := fiber.ErrBadRequest; code == t.Code {
		return "Bad request"
	}
	return strings.TrimSpace(statusText(code))
}
