package web

import (
	"bytes"
	"io"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/emersion/go-message/mail"
	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// outboxShown is how many of the newest messages the outbox page lists.
const outboxShown = 200

// outboxName is the shape of the files the embedded mode writes.
var outboxName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,250}\.eml$`)

type outboxRow struct {
	Name    string
	Subject string
	To      string
	Date    string
	Size    int64
}

type outboxData struct {
	Rows  []outboxRow
	Total int
}

// outboxMessage is one .eml file read for the console.
type outboxMessage struct {
	Name    string
	From    string
	To      string
	Subject string
	Date    string
	Text    string
	HasHTML bool
	html    string
	Headers []outboxHeader
}

type outboxHeader struct {
	Key, Value string
}

// readOutboxMessage parses a stored message: headers, text and HTML parts.
func readOutboxMessage(raw []byte, withBodies bool) (*outboxMessage, error) {
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && r == nil {
		return nil, app.Errorf(app.EINVALID, "The message cannot be read.")
	}
	defer r.Close()
	m := &outboxMessage{}
	dec := new(mime.WordDecoder)
	decode := func(v string) string {
		if d, err := dec.DecodeHeader(v); err == nil {
			return d
		}
		return v
	}
	h := r.Header
	m.Subject = decode(h.Get("Subject"))
	m.From = decode(h.Get("From"))
	m.To = decode(h.Get("To"))
	if t, err := h.Date(); err == nil {
		m.Date = fmtTime(t)
	}
	if !withBodies {
		return m, nil
	}
	for f := h.Fields(); f.Next(); {
		switch strings.ToLower(f.Key()) {
		case "dkim-signature", "received":
			continue
		}
		m.Headers = append(m.Headers, outboxHeader{Key: f.Key(), Value: decode(f.Value())})
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			break
		}
		ih, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			continue
		}
		ct, _, _ := ih.ContentType()
		b, _ := io.ReadAll(io.LimitReader(p.Body, 2<<20))
		switch ct {
		case "text/plain":
			if m.Text == "" {
				m.Text = string(b)
			}
		case "text/html":
			if m.html == "" {
				m.html, m.HasHTML = string(b), true
			}
		}
	}
	return m, nil
}

// adminOutbox lists the newest messages the embedded mode wrote.
func (s *Server) adminOutbox(c *fiber.Ctx) error {
	entries, err := os.ReadDir(s.opts.OutboxDir)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && outboxName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names))) // names start with the time written
	d := outboxData{Total: len(names)}
	if len(names) > outboxShown {
		names = names[:outboxShown]
	}
	for _, n := range names {
		path := filepath.Join(s.opts.OutboxDir, n)
		row := outboxRow{Name: n}
		if fi, err := os.Stat(path); err == nil {
			row.Size = fi.Size()
		}
		if raw, err := readHead(path); err == nil {
			if m, err := readOutboxMessage(raw, false); err == nil {
				row.Subject, row.To, row.Date = m.Subject, m.To, m.Date
			}
		}
		d.Rows = append(d.Rows, row)
	}
	return s.sectionPage(c, fiber.StatusOK, "outbox", d)
}

// readHead reads the start of a file, enough for its headers.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 16<<10))
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		b = b[:i+4]
	} else if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		b = b[:i+2]
	}
	return b, err
}

// outboxFile reads the message named in the path, with its bodies.
func (s *Server) outboxFile(c *fiber.Ctx) (*outboxMessage, error) {
	name := c.Params("name")
	if !outboxName.MatchString(name) {
		return nil, app.Errorf(app.ENOTFOUND, "message not found")
	}
	raw, err := os.ReadFile(filepath.Join(s.opts.OutboxDir, name))
	if os.IsNotExist(err) {
		return nil, app.Errorf(app.ENOTFOUND, "message not found")
	}
	if err != nil {
		return nil, err
	}
	m, err := readOutboxMessage(raw, true)
	if err != nil {
		return nil, err
	}
	m.Name = name
	return m, nil
}

// adminOutboxMessage shows one message: headers, text and HTML.
func (s *Server) adminOutboxMessage(c *fiber.Ctx) error {
	m, err := s.outboxFile(c)
	if err != nil {
		return err
	}
	title := m.Subject
	if title == "" {
		title = m.Name
	}
	return s.adminPage(c, fiber.StatusOK, "admin_outbox_message", "outbox", title, m)
}

// adminOutboxHTML answers a message's HTML part for a sandboxed frame.
func (s *Server) adminOutboxHTML(c *fiber.Ctx) error {
	m, err := s.outboxFile(c)
	if err != nil {
		return err
	}
	if !m.HasHTML {
		return app.Errorf(app.ENOTFOUND, "the message has no HTML part")
	}
	return sendPreview(c, m.html)
}
