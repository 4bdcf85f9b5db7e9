package mail

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"mime"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalidMessage is wrapped by every error Build returns for a message
// that cannot be sent as it is (a bad address, a missing Message-ID, a header
// Build owns set through Headers...). Sending it again will not help.
var ErrInvalidMessage = errors.New("invalid message")

// Message is one outgoing email, already rendered. Only From, To, Subject,
// MessageID and one of HTML or Text are required.
type Message struct {
	// From is the author: "Name <addr>" or a bare address (MAIL_FROM).
	From string
	// ReturnPath is the envelope sender (SMTP MAIL FROM), where bounces go.
	// Empty means the address of From.
	ReturnPath string
	// To is the recipient's bare address.
	To string
	// ToName is the recipient's display name; may be empty.
	ToName string
	// Subject is plain text; non-ASCII is encoded per RFC 2047.
	Subject string
	// HTML is the HTML part; may be empty for a text-only message.
	HTML string
	// Text is the plain-text part. When empty it is derived from HTML with
	// HTMLToText.
	Text string
	// MessageID is the full id without angle brackets, such as
	// "d123.c7.abcdef@example.com". The caller makes it unique per delivery.
	MessageID string
	// ListID is the List-Id value, such as "Example news <news.example.com>";
	// the header is omitted when empty.
	ListID string
	// ListUnsubscribeURL is the one-click unsubscribe URL (https://.../u/TOKEN).
	// When set, List-Unsubscribe-Post: List-Unsubscribe=One-Click is added too
	// (RFC 8058).
	ListUnsubscribeURL string
	// ListUnsubscribeMailto is a complete mailto: URI, already percent-encoded
	// (see UnsubscribeMailto). It is the second URI of List-Unsubscribe.
	ListUnsubscribeMailto string
	// InReplyTo is the Message-ID this message answers, with or without angle
	// brackets.
	InReplyTo string
	// References are the Message-IDs of the thread, oldest first, with or
	// without angle brackets.
	References []string
	// AutoSubmitted is the RFC 3834 Auto-Submitted value: "auto-replied"
	// for answers to a person's message, "auto-generated" for other mail
	// the product sends on its own (confirmations); empty for none.
	AutoSubmitted string
	// Headers are extra header fields. Values are unstructured text: control
	// characters are replaced by spaces and non-ASCII is encoded per RFC 2047.
	// Fields that Build writes itself (From, To, Subject, Content-Type, ...)
	// cannot be set here.
	Headers map[string]string
	// SubscriberID is the subscriber the message is for, 0 for none. It is
	// never sent: the file outbox names its file by it, so that an erasure
	// finds the person's mail.
	SubscriberID int64
}

// maxLine is the line length folding aims for (RFC 5322 section 2.1.1).
const maxLine = 78

// maxToken bounds identifiers and URIs so that no header line can exceed the
// 998 characters RFC 5322 allows.
const maxToken = 900

// ownHeaders are the fields Build writes; Message.Headers cannot set them.
var ownHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true,
	"message-id": true, "in-reply-to": true, "references": true, "mime-version": true,
	"content-type": true, "content-transfer-encoding": true, "dkim-signature": true,
	"list-id": true, "list-unsubscribe": true, "list-unsubscribe-post": true,
	"auto-submitted": true, "sender": true, "return-path": true,
}

// Build renders m as RFC 5322 bytes with CRLF line ends: Date, Message-ID,
// MIME-Version, the list and threading headers, and a multipart/alternative
// body (quoted-printable text and HTML parts). Every header value is made safe
// against CR/LF injection. When signer is not nil the result starts with a
// DKIM-Signature over exactly these bytes.
//
// Errors wrap ErrInvalidMessage (or come from signing) and never contain an
// address or a name.
func Build(m *Message, signer *DKIMSigner) ([]byte, error) {
	raw, _, err := build(m, signer, time.Now())
	return raw, err
}

// envelope is the SMTP envelope of a built message.
type envelope struct {
	from string // MAIL FROM address
	to   string // RCPT TO address
}

// build renders m and returns the bytes and the envelope.
func build(m *Message, signer *DKIMSigner, now time.Time) ([]byte, envelope, error) {
	if m == nil {
		return nil, envelope{}, fmt.Errorf("%w: nil message", ErrInvalidMessage)
	}
	from, err := parseAddress(m.From)
	if err != nil {
		return nil, envelope{}, fmt.Errorf("%w: from address: %v", ErrInvalidMessage, err)
	}
	envFrom := from.Address
	if m.ReturnPath != "" {
		rp, err := parseAddress(m.ReturnPath)
		if err != nil {
			return nil, envelope{}, fmt.Errorf("%w: return path: %v", ErrInvalidMessage, err)
		}
		envFrom = rp.Address
	}
	to, err := parseBareAddress(m.To)
	if err != nil {
		return nil, envelope{}, fmt.Errorf("%w: recipient address: %v", ErrInvalidMessage, err)
	}
	msgID, err := cleanID(m.MessageID)
	if err != nil || msgID == "" {
		return nil, envelope{}, fmt.Errorf("%w: message id missing or malformed", ErrInvalidMessage)
	}
	if !strings.Contains(msgID, "@") {
		return nil, envelope{}, fmt.Errorf("%w: message id has no @domain", ErrInvalidMessage)
	}
	text := m.Text
	if text == "" {
		text = HTMLToText(m.HTML)
	}
	if text == "" && m.HTML == "" {
		return nil, envelope{}, fmt.Errorf("%w: empty body", ErrInvalidMessage)
	}

	b := make([]byte, 0, 1536+len(m.Subject)*3+len(m.ToName)*3+qpSize(text)+qpSize(m.HTML))
	var keyArr [24]string
	keys := keyArr[:0]
	field := func(name, value string) {
		b = appendField(b, name, value)
		keys = append(keys, name)
	}

	field("From", formatAddress(from.Name, from.Address))
	field("To", formatAddress(m.ToName, to))
	field("Subject", encodeText(m.Subject))
	b = append(b, "Date: "...)
	b = now.AppendFormat(b, time.RFC1123Z)
	b = append(b, "\r\n"...)
	keys = append(keys, "Date")
	field("Message-ID", "<"+msgID+">")
	if m.InReplyTo != "" {
		id, err := cleanID(m.InReplyTo)
		if err != nil {
			return nil, envelope{}, fmt.Errorf("%w: in-reply-to: %v", ErrInvalidMessage, err)
		}
		field("In-Reply-To", "<"+id+">")
	}
	if len(m.References) > 0 {
		var refs strings.Builder
		for _, r := range m.References {
			id, err := cleanID(r)
			if err != nil {
				return nil, envelope{}, fmt.Errorf("%w: references: %v", ErrInvalidMessage, err)
			}
			if id == "" {
				continue
			}
			if refs.Len() > 0 {
				refs.WriteByte(' ')
			}
			refs.WriteString("<" + id + ">")
		}
		if refs.Len() > 0 {
			field("References", refs.String())
		}
	}
	if m.ListID != "" {
		v, err := listIDValue(m.ListID)
		if err != nil {
			return nil, envelope{}, fmt.Errorf("%w: list-id: %v", ErrInvalidMessage, err)
		}
		field("List-Id", v)
	}
	if m.ListUnsubscribeURL != "" || m.ListUnsubscribeMailto != "" {
		var v strings.Builder
		for _, u := range [2]string{m.ListUnsubscribeURL, m.ListUnsubscribeMailto} {
			if u == "" {
				continue
			}
			if err := checkURI(u); err != nil {
				return nil, envelope{}, fmt.Errorf("%w: list-unsubscribe: %v", ErrInvalidMessage, err)
			}
			if v.Len() > 0 {
				v.WriteString(", ")
			}
			v.WriteString("<" + u + ">")
		}
		if m.ListUnsubscribeMailto != "" && !strings.HasPrefix(strings.ToLower(m.ListUnsubscribeMailto), "mailto:") {
			return nil, envelope{}, fmt.Errorf("%w: list-unsubscribe mailto URI lacks the mailto scheme", ErrInvalidMessage)
		}
		field("List-Unsubscribe", v.String())
		if m.ListUnsubscribeURL != "" {
			field("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		}
	}
	if m.AutoSubmitted != "" {
		field("Auto-Submitted", m.AutoSubmitted)
	}
	if len(m.Headers) > 0 {
		names := make([]string, 0, len(m.Headers))
		for k := range m.Headers {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			if !validFieldName(k) {
				return nil, envelope{}, fmt.Errorf("%w: header name %q is not valid", ErrInvalidMessage, safeName(k))
			}
			if ownHeaders[strings.ToLower(k)] {
				return nil, envelope{}, fmt.Errorf("%w: header %q is written by Build", ErrInvalidMessage, k)
			}
			field(k, encodeText(m.Headers[k]))
		}
	}
	field("MIME-Version", "1.0")

	if m.HTML == "" {
		field("Content-Type", "text/plain; charset=utf-8")
		field("Content-Transfer-Encoding", "quoted-printable")
		b = append(b, "\r\n"...)
		b = appendQP(b, text)
		if !strings.HasSuffix(string(b[len(b)-2:]), "\r\n") {
			b = append(b, "\r\n"...)
		}
	} else {
		var bnd [2 + 32]byte
		boundary := newBoundary(bnd[:])
		field("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
		b = append(b, "\r\nThis is a multi-part message in MIME format.\r\n"...)
		for _, part := range [2]struct{ ctype, body string }{
			{"text/plain; charset=utf-8", text},
			{"text/html; charset=utf-8", m.HTML},
		} {
			b = append(b, "\r\n--"...)
			b = append(b, boundary...)
			b = append(b, "\r\nContent-Type: "...)
			b = append(b, part.ctype...)
			b = append(b, "\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"...)
			b = appendQP(b, part.body)
		}
		b = append(b, "\r\n--"...)
		b = append(b, boundary...)
		b = append(b, "--\r\n"...)
	}

	raw := b
	if signer != nil {
		signed, err := signer.sign(raw, keys)
		if err != nil {
			return nil, envelope{}, err
		}
		raw = signed
	}
	return raw, envelope{from: envFrom, to: to}, nil
}

// UnsubscribeMailto returns a mailto: URI for List-Unsubscribe that writes to
// addr with the given subject, percent-encoded per RFC 6068.
func UnsubscribeMailto(addr, subject string) string {
	u := "mailto:" + addr
	if subject != "" {
		u += "?subject=" + strings.ReplaceAll(url.QueryEscape(subject), "+", "%20")
	}
	return u
}

// parseAddress parses "Name <addr>" or a bare address.
func parseAddress(s string) (*mail.Address, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("contains a line break")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, errors.New("not a valid address")
	}
	if strings.ContainsAny(a.Address, "\r\n<> ") || !utf8.ValidString(a.Address) {
		return nil, errors.New("not a valid address")
	}
	return a, nil
}

// parseBareAddress accepts only a bare address ("user@example.com").
func parseBareAddress(s string) (string, error) {
	a, err := parseAddress(s)
	if err != nil {
		return "", err
	}
	if a.Name != "" || a.Address != strings.TrimSpace(s) {
		return "", errors.New("must be a bare address")
	}
	return a.Address, nil
}

// formatAddress renders a display name and an address. An ASCII name is
// quoted as needed by net/mail; any other name is one or more B-encoded words,
// which are valid in a phrase whatever the name contains (net/mail's own
// Q-encoding lets characters such as "\\" through, which parsers reject).
func formatAddress(name, addr string) string {
	a := mail.Address{Address: addr}
	name = cleanText(name)
	if name == "" {
		return a.String()
	}
	if isASCII(name) {
		a.Name = name
		return a.String()
	}
	return mime.BEncoding.Encode("utf-8", name) + " " + a.String()
}

// cleanText makes s safe as header text: valid UTF-8, control characters
// (CR and LF included) replaced by spaces, surrounding spaces trimmed.
func cleanText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return strings.TrimSpace(s)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	out := []byte(s)
	for i, c := range out {
		if c < 0x20 || c == 0x7f {
			out[i] = ' '
		}
	}
	return strings.TrimSpace(string(out))
}

// encodeText cleans s and encodes it per RFC 2047 when it is not ASCII:
// Q-encoding when most of it is ASCII, B-encoding otherwise.
// forceBEncode encodes ASCII text as B encoded words of at most 75
// characters each, separated by folding space.
func forceBEncode(s string) string {
	const chunk = 45 // 45 bytes -> 60 base64 characters + 12 of framing
	var parts []string
	for len(s) > 0 {
		n := min(chunk, len(s))
		parts = append(parts, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(parts, " ")
}

func encodeText(s string) string {
	s = cleanText(s)
	nonASCII := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			nonASCII++
		}
	}
	if nonASCII == 0 && !strings.Contains(s, "=?") {
		return s
	}
	if nonASCII == 0 {
		// Plain text that looks like an encoded word must itself be
		// encoded, or a reader would decode it (RFC 2047 section 5).
		return forceBEncode(s)
	}
	if nonASCII*3 > len(s) {
		return mime.BEncoding.Encode("utf-8", s)
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// listIDValue formats a List-Id (RFC 2919): an optional phrase and the list
// id in angle brackets. A non-ASCII phrase is encoded per RFC 2047; a bare id
// gets its brackets.
func listIDValue(s string) (string, error) {
	s = cleanText(s)
	phrase, id := "", s
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		phrase, id = strings.TrimSpace(s[:i]), s[i:]
	}
	id, err := cleanID(id)
	if err != nil || id == "" || !strings.Contains(id, ".") {
		return "", errors.New("list id must look like <name.example.com>")
	}
	if phrase == "" {
		return "<" + id + ">", nil
	}
	if isAtomPhrase(phrase) {
		return phrase + " <" + id + ">", nil
	}
	// Quoted or encoded as a display name needs.
	return strings.TrimSuffix(formatAddress(phrase, "x@x"), " <x@x>") + " <" + id + ">", nil
}

// isAtomPhrase reports whether s is ASCII words that need no quoting
// (RFC 5322 atext separated by single spaces).
func isAtomPhrase(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' || strings.Contains(s, "  ") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", rune(c)) {
			return false
		}
	}
	return !strings.Contains(s, "=?")
}

// cleanID strips angle brackets from a message id and checks that it is one
// printable ASCII token.
func cleanID(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	s = strings.TrimSuffix(s, ">")
	if len(s) > maxToken {
		return "", errors.New("too long")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' {
			return "", errors.New("malformed id")
		}
	}
	return s, nil
}

// checkURI accepts a URI that can sit between angle brackets on one line.
func checkURI(s string) error {
	if len(s) > maxToken {
		return errors.New("URI too long")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' {
			return errors.New("URI must be printable ASCII without spaces or angle brackets")
		}
	}
	if !strings.Contains(s, ":") {
		return errors.New("URI has no scheme")
	}
	return nil
}

// validFieldName reports whether s is a header field name (RFC 5322 ftext),
// restricted to letters, digits and hyphens.
func validFieldName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// safeName returns a printable, bounded form of a rejected header name.
func safeName(s string) string {
	s = cleanText(s)
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// appendField appends "name: value" and CRLF, folding value at existing
// spaces so that lines stay within 78 characters where the value allows it.
// value must not contain CR or LF.
func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	n := len(name) + 2
	if n+len(value) <= maxLine {
		b = append(b, value...)
		return append(b, "\r\n"...)
	}
	first := true
	for {
		i := strings.IndexByte(value, ' ')
		tok := value
		if i >= 0 {
			tok = value[:i]
		}
		switch {
		case first:
			b = append(b, tok...)
			n += len(tok)
			first = false
		case len(tok) > 0 && n+1+len(tok) > maxLine:
			b = append(b, "\r\n "...)
			b = append(b, tok...)
			n = 1 + len(tok)
		default:
			b = append(b, ' ')
			b = append(b, tok...)
			n += 1 + len(tok)
		}
		if i < 0 {
			break
		}
		value = value[i+1:]
	}
	return append(b, "\r\n"...)
}

// newBoundary fills buf (34 bytes) with a random MIME boundary. It starts
// with "=_", a sequence quoted-printable output can never contain.
func newBoundary(buf []byte) string {
	const hex = "0123456789abcdef"
	buf[0], buf[1] = '=', '_'
	for i := 0; i < 2; i++ {
		r := rand.Uint64()
		for j := 0; j < 16; j++ {
			buf[2+i*16+j] = hex[r&0xf]
			r >>= 4
		}
	}
	return string(buf)
}
