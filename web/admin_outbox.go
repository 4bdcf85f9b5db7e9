package web

import (
	"bytes"
	"io"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// outboxPageSize is how many messages a page of the outbox lists.
const outboxPageSize = 50

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
	Rows []outboxRow
	// Total is how many messages the outbox holds; Found how many match
	// Q (all of them without one).
	Total, Found int
	Q            string
	// Page is the page shown (from 1) of Pages; Prev and Next are the
	// pages before and after it, 0 when there is none.
	Page, Pages, Prev, Next int
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
func readOutboxMessage(raw []byte, withBodies bool, zone *time.Location) (*outboxMessage, error) {
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
		m.Date = formatTime(t, zone)
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

// adminOutbox lists the messages the embedded mode wrote, newest first,
// outboxPageSize a page; ?q= keeps those whose recipient or subject holds
// the words (any case, any script) and ?page= picks the page.
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
	d := outboxData{Total: len(names), Q: strings.TrimSpace(c.Query("q")), Page: 1}
	if n, err := strconv.Atoi(c.Query("page")); err == nil && n > 1 {
		d.Page = n
	}
	// hits are the rows found when searching; without a query only the
	// page shown is read.
	var hits []outboxRow
	d.Found = len(names)
	if d.Q != "" {
		// A search reads every message's headers: the outbox is the
		// embedded mode's, small by design.
		words := strings.Fields(strings.ToLower(d.Q))
		for _, n := range names {
			if r := s.outboxListRow(n); r.matches(words) {
				hits = append(hits, r)
			}
		}
		d.Found = len(hits)
	}
	d.Pages = (d.Found + outboxPageSize - 1) / outboxPageSize
	d.Page = max(min(d.Page, d.Pages), 1)
	from := (d.Page - 1) * outboxPageSize
	to := min(from+outboxPageSize, d.Found)
	if d.Q != "" {
		d.Rows = hits[from:to]
	} else {
		for _, n := range names[from:to] {
			d.Rows = append(d.Rows, s.outboxListRow(n))
		}
	}
	if d.Page > 1 {
		d.Prev = d.Page - 1
	}
	if d.Page < d.Pages {
		d.Next = d.Page + 1
	}
	return s.sectionPage(c, fiber.StatusOK, "outbox", d)
}

// outboxListRow reads one message's headers for the list.
func (s *Server) outboxListRow(name string) outboxRow {
	path := filepath.Join(s.opts.OutboxDir, name)
	row := outboxRow{Name: name}
	if fi, err := os.Stat(path); err == nil {
		row.Size = fi.Size()
	}
	if raw, err := readHead(path); err == nil {
		if m, err := readOutboxMessage(raw, false, s.zone()); err == nil {
			row.Subject, row.To, row.Date = m.Subject, m.To, m.Date
		}
	}
	return row
}

// matches says whether every word (lower case) is in the row's recipient
// or subject.
func (r outboxRow) matches(words []string) bool {
	hay := strings.ToLower(r.To + "\n" + r.Subject)
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
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
	m, err := readOutboxMessage(raw, true, s.zone())
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
