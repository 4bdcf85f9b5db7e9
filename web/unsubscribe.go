package web

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// maxOneClickBody bounds the body read when looking for an RFC 8058
// one-click request; real ones are about 26 bytes.
const maxOneClickBody = 8 << 10

// isOneClick reports an RFC 8058 one-click unsubscribe body: the field
// List-Unsubscribe with the value One-Click, sent as
// application/x-www-form-urlencoded or multipart/form-data (a body without
// a content type is read as the former).
func isOneClick(contentType string, body []byte) bool {
	if len(body) == 0 || len(body) > maxOneClickBody {
		return false
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if strings.TrimSpace(contentType) == "" {
		mt, err = "application/x-www-form-urlencoded", nil
	}
	if err != nil {
		return false
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		// A value that does not decode is left out; the rest is still read.
		vals, _ := url.ParseQuery(strings.TrimSpace(string(body)))
		return oneClickValue(vals["List-Unsubscribe"])
	case "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" {
			return false
		}
		mr := multipart.NewReader(bytes.NewReader(body), boundary)
		for i := 0; i < 8; i++ {
			p, err := mr.NextPart()
			if err != nil {
				return false
			}
			if p.FormName() != "List-Unsubscribe" {
				continue
			}
			v, err := io.ReadAll(io.LimitReader(p, 64))
			if err != nil {
				return false
			}
			return oneClickValue([]string{string(v)})
		}
	}
	return false
}

func oneClickValue(vals []string) bool {
	return len(vals) == 1 && strings.TrimSpace(vals[0]) == "One-Click"
}

type unsubscribeData struct {
	Action, Masked  string
	Held, Marketing bool
	// Newsletters names the newsletters the message was sent for that
	// the person is still on ("" when none).
	Newsletters string
}

// newsletterNames lists the names of newsletters, quoted, for a sentence.
func newsletterNames(loc string, ns []app.Newsletter) string {
	names := make([]string, len(ns))
	for i, n := range ns {
		names[i] = templates.T(loc, "unsub.newsletter.quoted", n.Name)
	}
	return strings.Join(names, ", ")
}

// unsubscribeStatus names the state of a link for programs.
func unsubscribeStatus(st *app.UnsubscribeState) fiber.Map {
	status := "none"
	if st.Subscriber != nil {
		status = string(st.Subscriber.Status)
	}
	ids := make([]int64, len(st.Newsletters))
	for i, n := range st.Newsletters {
		ids[i] = n.ID
	}
	return fiber.Map{"subscriber_status": status, "marketing": st.Marketing, "newsletters": ids}
}

// unsubscribePage shows the choices of an unsubscribe link. A GET never
// changes anything: mail scanners fetch links.
func (s *Server) unsubscribePage(c *fiber.Ctx) error {
	token := c.Params("token")
	st, err := s.deps.Unsubscribes.UnsubscribeState(c.UserContext(), token)
	loc := locale(c)
	if err != nil {
		return s.linkError(c, loc, err, "")
	}
	if wantsJSON(c) {
		return c.JSON(unsubscribeStatus(st))
	}
	if st.Subscriber != nil && c.Query("lang") == "" {
		loc = st.Subscriber.Locale
	}
	d := unsubscribeData{Action: "/u/" + token, Masked: st.MaskedEmail(), Held: st.Subscriber != nil, Marketing: st.Marketing,
		Newsletters: newsletterNames(loc, st.Newsletters)}
	return s.page(c, fiber.StatusOK, "unsubscribe", loc, templates.T(loc, "unsub.title"), d)
}

// unsubscribe is the RFC 8058 one-click endpoint (a body of
// List-Unsubscribe=One-Click: 200, never a redirect, no cookie or form
// token needed) and the target of the unsubscribe page's buttons.
func (s *Server) unsubscribe(c *fiber.Ctx) error {
	token := c.Params("token")
	ev := evidence(c, "")
	if isOneClick(c.Get(fiber.HeaderContentType), c.Body()) {
		return s.oneClick(c, token, ev)
	}
	choice := c.FormValue("choice")
	if isJSONBody(c) {
		var body struct {
			Choice string `json:"choice"`
		}
		if err := decodeJSON(c, &body, extraFields); err != nil {
			return err
		}
		choice = body.Choice
	}
	loc := locale(c)
	if choice == app.UnsubscribePreferences {
		if err := s.limitLinkMail(c, loc, token, app.TokenUnsubscribe); err != nil {
			return err
		}
	}
	st, err := s.deps.Unsubscribes.Unsubscribe(c.UserContext(), token, choice, ev)
	if err != nil {
		return s.linkError(c, loc, err, "")
	}
	if wantsJSON(c) {
		return c.JSON(unsubscribeStatus(st))
	}
	d := messageData{Kind: "unsubscribed"}
	switch choice {
	case app.UnsubscribeNewsletter:
		d.Heading, d.Paragraphs = templates.T(loc, "unsub.left.title"), []string{templates.T(loc, "unsub.left.text")}
	case app.UnsubscribeMarketing:
		d.Heading, d.Paragraphs = templates.T(loc, "unsub.done.title"), []string{templates.T(loc, "unsub.done.text")}
	default:
		d.Heading, d.Paragraphs = templates.T(loc, "prefs.sent.title"), []string{templates.T(loc, "prefs.sent.text")}
	}
	return s.message(c, fiber.StatusOK, loc, d)
}

// oneClick leaves the newsletter the message was sent for (or, for a link
// of no campaign, withdraws the marketing consent) and answers 200 with a short
// body; repeating it answers the same and changes nothing.
func (s *Server) oneClick(c *fiber.Ctx, token string, ev app.Evidence) error {
	loc := locale(c)
	if err := s.deps.Unsubscribes.OneClickUnsubscribe(c.UserContext(), token, ev); err != nil {
		return s.linkError(c, loc, err, "")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"status": "unsubscribed"})
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(fiber.StatusOK).SendString(templates.T(loc, "unsub.oneclick") + "\n")
}

type revokeData struct {
	Action string
}

// revokePage shows the buttons of a link confirming a revocation asked
// for by email; a GET changes nothing.
func (s *Server) revokePage(c *fiber.Ctx) error {
	token := c.Params("token")
	conf, err := s.deps.Unsubscribes.CheckRevocation(c.UserContext(), token)
	loc := locale(c)
	if conf != nil && conf.Locale != "" && c.Query("lang") == "" {
		loc = app.NormalizeLocale(conf.Locale)
	}
	if err != nil {
		return s.linkError(c, loc, err, "")
	}
	return s.page(c, fiber.StatusOK, "revoke", loc, templates.T(loc, "revoke.title"), revokeData{Action: "/revoke/" + token})
}

// revoke confirms the revocation (choice "revoke": every consent is
// withdrawn and the data erased) or keeps the subscription (choice "keep").
func (s *Server) revoke(c *fiber.Ctx) error {
	token := c.Params("token")
	loc := locale(c)
	var err error
	d := messageData{Kind: "revoked"}
	switch c.FormValue("choice") {
	case "revoke":
		ev := evidence(c, "")
		err = s.deps.Unsubscribes.ConfirmRevocation(c.UserContext(), token, ev)
		d.Heading, d.Paragraphs = templates.T(loc, "prefs.revoked.title"), []string{templates.T(loc, "prefs.revoked.text")}
	case "keep":
		err = s.deps.Unsubscribes.CancelRevocation(c.UserContext(), token)
		d.Kind, d.Heading, d.Paragraphs = "kept", templates.T(loc, "revoke.kept.title"), []string{templates.T(loc, "revoke.kept.text")}
	default:
		return app.Errorf(app.EINVALID, "Unknown choice.")
	}
	if err != nil {
		return s.linkError(c, loc, err, "")
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"status": d.Kind})
	}
	return s.message(c, fiber.StatusOK, loc, d)
}
