package inbound

import (
	"bytes"
	"errors"
	"io"
	"net/mail"
	stdtextproto "net/textproto"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// ErrMalformed is returned by Parse when the input is not a message at all:
// empty, or a header that cannot be read.
var ErrMalformed = errors.New("inbound: malformed message")

const (
	maxDepth     = 6       // nesting of multiparts and attached messages
	maxParts     = 200     // parts read from one multipart
	maxTextBytes = 4 << 20 // bytes read from one text part
	maxAttached  = 8 << 20 // bytes read from one attached message
)

// Message is an inbound message, parsed and decoded.
//
// Addresses are plain "local@domain" strings whose domain is lower-cased; the
// local part keeps its case. Fields the message lacks are left empty.
type Message struct {
	// MessageID is the Message-ID without angle brackets.
	MessageID string
	// InReplyTo is the first message id of In-Reply-To, without brackets.
	InReplyTo string
	// References are the message ids of References, oldest first.
	References []string
	// From is the sender's address. It alone identifies the person.
	From string
	// FromName is the display name of From, decoded.
	FromName string
	// ReplyTo is the first Reply-To address, if any. It never identifies the
	// person; it is kept for information.
	ReplyTo string
	// To lists the To addresses.
	To []string
	// Subject is the decoded subject.
	Subject string
	// Date is the Date header, zero when missing or unreadable.
	Date time.Time
	// Text is what the person wrote: the readable body (HTML turned into
	// text) without quoted replies, forwarded content, signatures and
	// "sent from my phone" lines.
	Text string
	// Quoted is the text separated from Text as quoted: earlier messages of
	// the thread, and a signature.
	Quoted string
	// Forwarded is the forwarded message, from a message/rfc822 part or an
	// inline forwarded block; nil when there is none. Its Text, From and
	// Subject are set; for an inline block the header fields are those the
	// block shows.
	Forwarded *Message
	// AutoReply reports a machine-generated answer (Auto-Submitted other than
	// "no", X-Autoreply, X-Autorespond, Precedence auto_reply/bulk/junk/list,
	// an empty Return-Path, a read receipt, out-of-office subjects). Such a
	// message must never be answered or acted on.
	AutoReply bool
	// IsDSN reports a delivery status report (a bounce): RFC 3464 reports and
	// the common free-text bounces of mailer daemons. It must never be
	// answered; Bounce says what failed.
	IsDSN bool
	// Bounce is the parsed delivery status report when IsDSN is set.
	Bounce *Bounce
	// IsComplaint reports an ARF feedback report (RFC 5965): a mailbox
	// provider's report that a user marked a message as spam. It must never
	// be answered; Complaint says what was reported.
	IsComplaint bool
	// Complaint is the parsed feedback report when IsComplaint is set.
	Complaint *Complaint

	header textproto.Header
}

// Header returns the first value of the header field key, with RFC 2047
// encoded words decoded; "" when absent.
func (m *Message) Header(key string) string {
	if m == nil || !m.header.Has(key) {
		return ""
	}
	return decodeHeader(m.header.Get(key))
}

// HeaderValues returns every raw value of the header field key, topmost
// first, unfolded but not decoded.
func (m *Message) HeaderValues(key string) []string {
	if m == nil {
		return nil
	}
	var out []string
	fields := m.header.FieldsByKey(key)
	for fields.Next() {
		out = append(out, unfold(fields.Value()))
	}
	return out
}

// HeaderKeys returns the names of the header fields present, topmost first,
// each name once.
func (m *Message) HeaderKeys() []string {
	if m == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	f := m.header.Fields()
	for f.Next() {
		k := stdtextproto.CanonicalMIMEHeaderKey(f.Key())
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// FromDomain returns the lower-cased domain of From, or "".
func (m *Message) FromDomain() string {
	if m == nil {
		return ""
	}
	return domainOf(m.From)
}

// Parse reads a raw RFC 5322 message. It decodes any common charset
// (UTF-8, KOI8-R, windows-1251, ISO-8859-5, ...; undeclared 8-bit text is
// guessed), RFC 2047 encoded words, quoted-printable and base64; picks the
// plain-text alternative or turns HTML into text; separates quoted replies and
// forwarded messages from the person's own text; and recognizes auto-replies
// and delivery status reports.
//
// Parse is lenient, as mail clients are: header lines that are not fields
// (no colon) are skipped, and a damaged body yields as much text as could be
// read. It returns ErrMalformed only when there is no readable header.
func Parse(raw []byte) (*Message, error) {
	return parse(raw, 0)
}

func parse(raw []byte, depth int) (*Message, error) {
	raw = skipBadHeaderLines(stripMboxFrom(raw))
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, ErrMalformed
	}
	// Unknown charsets and transfer encodings return an error with a
	// readable entity: only a missing entity is fatal.
	e, _ := message.Read(bytes.NewReader(raw))
	if e == nil {
		// A message that is only a header, without the blank line that
		// ends it, is still a message.
		e, _ = message.Read(io.MultiReader(bytes.NewReader(raw), strings.NewReader("\r\n\r\n")))
		if e == nil {
			return nil, ErrMalformed
		}
	}

	m := &Message{header: e.Header.Header}
	m.readHeader()

	w := &walker{}
	body := w.text(e, depth)
	if w.rfc822 != nil && depth < maxDepth {
		if fm, err := parse(w.rfc822, depth+1); err == nil {
			m.Forwarded = fm
		}
	}

	own, quoted, fwd := splitReply(body, hasForwardPrefix(m.Subject), 0)
	m.Text, m.Quoted = own, quoted
	if m.Forwarded == nil {
		m.Forwarded = fwd
	}

	m.AutoReply = isAutoReply(m, w.mdn)
	if m.detectComplaint(w, depth); !m.IsComplaint {
		m.detectBounce(w, body, depth)
	}
	if m.IsDSN || m.IsComplaint {
		// The returned message is the bounced original, not a forward.
		m.Forwarded = nil
	}
	return m, nil
}

func (m *Message) readHeader() {
	h := m.header
	m.MessageID = firstMsgID(h.Get("Message-Id"))
	m.InReplyTo = firstMsgID(h.Get("In-Reply-To"))
	m.References = msgIDs(h.Get("References"))
	m.From, m.FromName = parseAddress(h.Get("From"))
	m.ReplyTo, _ = parseAddress(h.Get("Reply-To"))
	m.To = parseAddressList(h.Get("To"))
	m.Subject = cleanSubject(decodeHeader(h.Get("Subject")))
	m.Date = parseDate(h.Get("Date"))
}

func stripMboxFrom(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}

// walker collects the readable text of an entity tree, and the parts that are
// not text: an attached message, a delivery status report.
type walker struct {
	rfc822     []byte // first attached message (message/rfc822)
	reportType string // report-type of a multipart/report
	dsn        []byte // message/delivery-status body
	original   []byte // returned message or its headers, in a report
	arf        []byte // message/feedback-report body
	mdn        bool   // a read receipt (disposition notification)
}

// text returns the readable text of e.
func (w *walker) text(e *message.Entity, depth int) string {
	t, _ := w.entity(e, depth)
	return t
}

// entity returns the text of e and whether it came from a plain-text part.
func (w *walker) entity(e *message.Entity, depth int) (string, bool) {
	if depth > maxDepth {
		return "", false
	}
	mt, params, err := e.Header.ContentType()
	if err != nil || mt == "" {
		mt = "text/plain"
	}
	disp, _, _ := e.Header.ContentDisposition()
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		return w.multipart(e, mt, params, depth)
	case mt == "message/rfc822" || mt == "message/global":
		b := readLimited(e.Body, maxAttached)
		if w.reportType != "" && w.original == nil {
			w.original = b
		} else if w.rfc822 == nil {
			w.rfc822 = b
		}
		return "", false
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		if w.dsn == nil {
			w.dsn = readLimited(e.Body, maxTextBytes)
		}
		return "", false
	case mt == "text/rfc822-headers" || mt == "message/global-headers":
		if w.original == nil {
			w.original = readLimited(e.Body, maxTextBytes)
		}
		return "", false
	case mt == "message/feedback-report":
		if w.arf == nil {
			w.arf = readLimited(e.Body, maxTextBytes)
		}
		return "", false
	case mt == "message/disposition-notification":
		w.mdn = true
		return "", false
	case mt == "text/plain" || mt == "text/html" || mt == "text/enriched":
		if strings.EqualFold(disp, "attachment") {
			return "", false
		}
		s := decodeText(readLimited(e.Body, maxTextBytes))
		if mt == "text/html" {
			return htmlToText(s), false
		}
		return normalizeNewlines(s), true
	}
	return "", false
}

func (w *walker) multipart(e *message.Entity, mt string, params map[string]string, depth int) (string, bool) {
	mr := e.MultipartReader()
	if mr == nil {
		return "", false
	}
	if mt == "multipart/report" {
		w.reportType = strings.ToLower(params["report-type"])
		if w.reportType == "" {
			w.reportType = "unknown"
		}
	}
	type child struct {
		text  string
		plain bool
	}
	var children []child
	for i := 0; i < maxParts; i++ {
		p, err := mr.NextPart()
		if p == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
			break
		}
		t, plain := w.entity(p, depth+1)
		children = append(children, child{t, plain})
	}
	if mt == "multipart/alternative" {
		for _, c := range children {
			if c.plain && strings.TrimSpace(c.text) != "" {
				return c.text, true
			}
		}
		for _, c := range children {
			if strings.TrimSpace(c.text) != "" {
				return c.text, c.plain
			}
		}
		return "", false
	}
	var texts []string
	plain := false
	for _, c := range children {
		if strings.TrimSpace(c.text) != "" {
			texts = append(texts, strings.TrimRight(c.text, "\n"))
			plain = plain || c.plain
		}
		if mt == "multipart/report" {
			break // only the human-readable first part
		}
	}
	return strings.Join(texts, "\n\n"), plain
}

func readLimited(r io.Reader, n int64) []byte {
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, io.LimitReader(r, n)) // a damaged body keeps what was read
	return buf.Bytes()
}

// decodeText returns b as UTF-8 text. go-message has already converted any
// declared charset; what is still not UTF-8 was undeclared or mislabeled
// 8-bit text, which is guessed.
func decodeText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return guess8bit(b)
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "")
	s = strings.ReplaceAll(s, "\n", "")
	return strings.TrimSpace(s)
}

// cleanSubject drops control characters and collapses whitespace.
func cleanSubject(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

var msgIDRe = regexp.MustCompile(`<([^<>\s]+)>`)

func firstMsgID(v string) string {
	ids := msgIDs(v)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func msgIDs(v string) []string {
	v = unfold(v)
	if v == "" {
		return nil
	}
	var out []string
	for _, m := range msgIDRe.FindAllStringSubmatch(v, 50) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		// Ids without brackets, as some software writes them.
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") && len(out) < 50 {
				out = append(out, strings.Trim(f, "<>,;"))
			}
		}
	}
	return out
}

var (
	addrSpecRe  = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+`)
	angleAddrRe = regexp.MustCompile(`<\s*([^<>\s]+@[^<>\s]+)\s*>`)
)

var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

// parseAddress reads the first address of a header value and its display
// name. It falls back to picking an address out of malformed values.
func parseAddress(v string) (addr, name string) {
	v = unfold(v)
	if v == "" {
		return "", ""
	}
	if list, err := addressParser.ParseList(v); err == nil && len(list) > 0 {
		return normalizeAddress(list[0].Address), strings.TrimSpace(list[0].Name)
	}
	dv := decodeHeader(v)
	if m := angleAddrRe.FindStringSubmatchIndex(dv); m != nil {
		name = strings.Trim(strings.TrimSpace(dv[:m[0]]), `"' `)
		return normalizeAddress(dv[m[2]:m[3]]), name
	}
	if a := addrSpecRe.FindString(dv); a != "" {
		return normalizeAddress(a), ""
	}
	return "", ""
}

func parseAddressList(v string) []string {
	v = unfold(v)
	if v == "" {
		return nil
	}
	var out []string
	if list, err := addressParser.ParseList(v); err == nil {
		for _, a := range list {
			out = append(out, normalizeAddress(a.Address))
		}
		return out
	}
	for _, a := range addrSpecRe.FindAllString(decodeHeader(v), 100) {
		out = append(out, normalizeAddress(a))
	}
	return out
}

// normalizeAddress trims an address and lower-cases its domain.
func normalizeAddress(a string) string {
	a = strings.Trim(strings.TrimSpace(a), "<>")
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return a
	}
	return a[:i] + "@" + strings.ToLower(strings.TrimSuffix(a[i+1:], "."))
}

func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
}

func localOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return addr
	}
	return addr[:i]
}

var dateLayouts = []string{
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 02 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05",
	"2006-01-02 15:04:05 -0700",
	time.RFC3339,
}

func parseDate(v string) time.Time {
	v = unfold(v)
	if v == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t
	}
	// Drop a trailing comment such as "(MSK)" and try common variants.
	if i := strings.IndexByte(v, '('); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t
		}
	}
	return time.Time{}
}
