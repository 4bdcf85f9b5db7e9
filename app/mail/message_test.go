package mail

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// sampleMessage returns a complete campaign message.
func sampleMessage() *Message {
	return &Message{
		From:                  "Example News <news@example.com>",
		To:                    "reader@example.org",
		ToName:                "Jane Reader",
		Subject:               "Our spring offers",
		HTML:                  `<html><body><h1>Spring</h1><p>New products: <a href="https://example.com/p/1">see them</a>.</p></body></html>`,
		MessageID:             "d123.c7.abcdef@example.com",
		ListID:                "Example news <news.example.com>",
		ListUnsubscribeURL:    "https://example.com/u/TOKEN123",
		ListUnsubscribeMailto: UnsubscribeMailto("ops@example.com", "Cancel Newsletter TOKEN123"),
	}
}

// parsed is a message read back with the standard library.
type parsed struct {
	msg   *mail.Message
	parts map[string]string // decoded body by media type
}

// parse reads raw with net/mail and decodes its parts.
func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line %d is %d characters long", i+1, len(line))
		}
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("bare LF in message")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
	}
	p := parsed{msg: msg, parts: map[string]string{}}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		body, err := io.ReadAll(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		p.parts[mediaType] = string(body)
		return p
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		pt, _, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part Content-Type: %v", err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("part body: %v", err)
		}
		p.parts[pt] = string(body)
	}
	return p
}

func TestBuildHeaders(t *testing.T) {
	m := sampleMessage()
	m.InReplyTo = "<req1@mail.example.org>"
	m.References = []string{"root@mail.example.org", "<req1@mail.example.org>"}
	m.Headers = map[string]string{"X-Campaign-ID": "7", "Reply-To": "ops@example.com"}
	before := time.Now().Add(-time.Second)
	raw, err := Build(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, raw)
	h := p.msg.Header

	want := map[string]string{
		"Message-Id":            "<d123.c7.abcdef@example.com>",
		"Mime-Version":          "1.0",
		"List-Id":               "Example news <news.example.com>",
		"List-Unsubscribe":      "<https://example.com/u/TOKEN123>, <mailto:ops@example.com?subject=Cancel%20Newsletter%20TOKEN123>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Subject":               "Our spring offers",
		"In-Reply-To":           "<req1@mail.example.org>",
		"References":            "<root@mail.example.org> <req1@mail.example.org>",
		"X-Campaign-Id":         "7",
		"Reply-To":              "ops@example.com",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if got := h.Get("Auto-Submitted"); got != "" {
		t.Errorf("Auto-Submitted = %q on a campaign message", got)
	}
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil || from.Name != "Example News" || from.Address != "news@example.com" {
		t.Errorf("From = %q (%v)", h.Get("From"), err)
	}
	to, err := mail.ParseAddress(h.Get("To"))
	if err != nil || to.Name != "Jane Reader" || to.Address != "reader@example.org" {
		t.Errorf("To = %q (%v)", h.Get("To"), err)
	}
	date, err := h.Date()
	if err != nil || date.Before(before) || date.After(time.Now().Add(time.Second)) {
		t.Errorf("Date = %q (%v)", h.Get("Date"), err)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
		t.Errorf("Content-Type = %q", h.Get("Content-Type"))
	}
	if len(p.parts) != 2 {
		t.Fatalf("parts = %v, want text/plain and text/html", p.parts)
	}
	if got := p.parts["text/html"]; got != m.HTML {
		t.Errorf("HTML part = %q, want %q", got, m.HTML)
	}
	text := p.parts["text/plain"]
	for _, s := range []string{"Spring", "see them (https://example.com/p/1)"} {
		if !strings.Contains(text, s) {
			t.Errorf("text part %q lacks %q", text, s)
		}
	}
	if strings.Contains(text, "<") {
		t.Errorf("text part has markup: %q", text)
	}
	// Plain text comes first: clients show the last part they understand.
	if i, j := bytes.Index(raw, []byte("text/plain")), bytes.Index(raw, []byte("text/html")); i < 0 || j < i {
		t.Error("text/plain part must come before text/html")
	}
}

func TestBuildOptionalHeaders(t *testing.T) {
	t.Run("NoListHeaders", func(t *testing.T) {
		m := sampleMessage()
		m.ListID, m.ListUnsubscribeURL, m.ListUnsubscribeMailto = "", "", ""
		h := parse(t, mustBuild(t, m)).msg.Header
		for _, k := range []string{"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "In-Reply-To", "References"} {
			if _, ok := h[k]; ok {
				t.Errorf("%s present: %q", k, h.Get(k))
			}
		}
	})
	t.Run("MailtoOnlyHasNoPost", func(t *testing.T) {
		m := sampleMessage()
		m.ListUnsubscribeURL = ""
		h := parse(t, mustBuild(t, m)).msg.Header
		if got := h.Get("List-Unsubscribe"); got != "<"+m.ListUnsubscribeMailto+">" {
			t.Errorf("List-Unsubscribe = %q", got)
		}
		if _, ok := h["List-Unsubscribe-Post"]; ok {
			t.Error("List-Unsubscribe-Post without an HTTPS URI")
		}
	})
	t.Run("AutoSubmittedReply", func(t *testing.T) {
		m := sampleMessage()
		m.AutoSubmitted = "auto-replied"
		if got := parse(t, mustBuild(t, m)).msg.Header.Get("Auto-Submitted"); got != "auto-replied" {
			t.Errorf("Auto-Submitted = %q", got)
		}
	})
	t.Run("TextOnly", func(t *testing.T) {
		m := sampleMessage()
		m.HTML = ""
		m.Text = "Hello,\nplain text only.\n"
		p := parse(t, mustBuild(t, m))
		if ct := p.msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if cte := p.msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("Content-Transfer-Encoding = %q", cte)
		}
	})
	t.Run("ExplicitTextWins", func(t *testing.T) {
		m := sampleMessage()
		m.Text = "Hand-written text version.\n"
		got := parse(t, mustBuild(t, m)).parts["text/plain"]
		if got = strings.ReplaceAll(got, "\r\n", "\n"); got != m.Text {
			t.Errorf("text part = %q, want %q", got, m.Text)
		}
	})
	t.Run("LongLinesAndNonASCIIBody", func(t *testing.T) {
		m := sampleMessage()
		m.HTML = "<p>" + strings.Repeat("Длинная строка без переносов = ", 200) + "</p>"
		p := parse(t, mustBuild(t, m)) // checks line lengths
		if p.parts["text/html"] != m.HTML {
			t.Error("HTML part does not round-trip")
		}
	})
}

func mustBuild(t *testing.T, m *Message) []byte {
	t.Helper()
	raw, err := Build(m, nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return raw
}

func TestBuildHeaderInjection(t *testing.T) {
	const evil = "x@evil.example"
	tests := []struct {
		name    string
		mutate  func(*Message)
		wantErr bool
	}{
		{"SubjectCRLF", func(m *Message) { m.Subject = "Hello\r\nBcc: " + evil }, false},
		{"SubjectLF", func(m *Message) { m.Subject = "Hello\nBcc: " + evil }, false},
		{"SubjectCR", func(m *Message) { m.Subject = "Hello\rBcc: " + evil }, false},
		{"SubjectBodyBreak", func(m *Message) { m.Subject = "Hello\r\n\r\nBcc: " + evil }, false},
		{"SubjectNonASCIIAndCRLF", func(m *Message) { m.Subject = "Привет\r\nBcc: " + evil }, false},
		{"ToNameCRLF", func(m *Message) { m.ToName = "Jane\r\nBcc: " + evil }, false},
		{"ToNameQuotes", func(m *Message) { m.ToName = `Jane" <` + evil + `>, "x` }, false},
		{"ToNameNonASCIIAndLF", func(m *Message) { m.ToName = "Иван\nBcc: " + evil }, false},
		{"ExtraHeaderValue", func(m *Message) { m.Headers = map[string]string{"X-Note": "a\r\nBcc: " + evil} }, false},
		{"ListIDCRLF", func(m *Message) { m.ListID = "News\r\nBcc: " + evil + " <news.example.com>" }, false},
		{"ToCRLF", func(m *Message) { m.To = "reader@example.org\r\nBcc: " + evil }, true},
		{"ToWithName", func(m *Message) { m.To = "Jane <reader@example.org>, " + evil }, true},
		{"ToList", func(m *Message) { m.To = "reader@example.org, " + evil }, true},
		{"FromCRLF", func(m *Message) { m.From = "News <news@example.com>\r\nBcc: " + evil }, true},
		{"MessageIDCRLF", func(m *Message) { m.MessageID = "a@b\r\nBcc: " + evil }, true},
		{"InReplyToCRLF", func(m *Message) { m.InReplyTo = "a@b\r\nBcc: " + evil }, true},
		{"ReferencesSpace", func(m *Message) { m.References = []string{"a@b> Bcc: <" + evil} }, true},
		{"UnsubscribeURLCRLF", func(m *Message) { m.ListUnsubscribeURL = "https://example.com/u/x\r\nBcc: " + evil }, true},
		{"UnsubscribeURLBracket", func(m *Message) { m.ListUnsubscribeURL = "https://example.com/u/x>, <mailto:" + evil }, true},
		{"MailtoNotMailto", func(m *Message) { m.ListUnsubscribeMailto = "https://example.com/" }, true},
		{"ExtraHeaderName", func(m *Message) { m.Headers = map[string]string{"X-A\r\nBcc": evil} }, true},
		{"ExtraHeaderOwned", func(m *Message) { m.Headers = map[string]string{"bcc": evil} }, true},
		{"ExtraHeaderContentType", func(m *Message) { m.Headers = map[string]string{"Content-Type": "text/html"} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleMessage()
			tt.mutate(m)
			raw, err := Build(m, nil)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Build accepted it:\n%s", raw)
				}
				if !errors.Is(err, ErrInvalidMessage) {
					t.Errorf("error %v does not wrap ErrInvalidMessage", err)
				}
				if strings.Contains(err.Error(), evil) || strings.Contains(err.Error(), "reader@example.org") {
					t.Errorf("error %q contains an address", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			p := parse(t, raw)
			if _, ok := p.msg.Header["Bcc"]; ok {
				t.Fatalf("a Bcc header was injected:\n%s", raw)
			}
			to, err := mail.ParseAddressList(p.msg.Header.Get("To"))
			if err != nil || len(to) != 1 || to[0].Address != "reader@example.org" {
				t.Fatalf("To = %q (%v), want exactly the recipient", p.msg.Header.Get("To"), err)
			}
			for k := range p.msg.Header {
				if !knownHeader(k) {
					t.Errorf("unexpected header %q", k)
				}
			}
			if len(p.parts) != 2 {
				t.Errorf("body damaged: %d parts", len(p.parts))
			}
		})
	}
}

// knownHeader reports whether Build may write a header with this
// (canonical) name in the injection tests.
func knownHeader(k string) bool {
	switch k {
	case "From", "To", "Subject", "Date", "Message-Id", "Mime-Version", "Content-Type",
		"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "X-Note":
		return true
	}
	return false
}

func TestBuildNonASCIIRoundTrip(t *testing.T) {
	tests := []struct{ subject, name, fromName string }{
		{"Отказ от рассылки о новых продуктах, услугах и специальных предложениях", "Иван Петров", "Новости сайта"},
		{"Короткая тема", "Ёжик", "Рассылка"},
		{"Mixed: цены снижены на 20%!", "Jane Доу", "News"},
		{"Quotes \"and\" (parens) = signs?", `O'Brien, "Jim"`, "Example, Inc."},
		{strings.Repeat("Очень длинная тема ", 20), strings.Repeat("Имя ", 30), "N"},
		{"Emoji 🎉 and 中文", "名前", "送信者"},
	}
	dec := new(mime.WordDecoder)
	for _, tt := range tests {
		t.Run(tt.subject[:min(len(tt.subject), 20)], func(t *testing.T) {
			m := sampleMessage()
			m.Subject, m.ToName = tt.subject, tt.name
			m.From = (&mail.Address{Name: tt.fromName, Address: "news@example.com"}).String()
			raw := mustBuild(t, m)
			h := parse(t, raw).msg.Header
			for _, line := range strings.Split(string(raw[:bytes.Index(raw, []byte("\r\n\r\n"))]), "\r\n") {
				for _, c := range []byte(line) {
					if c >= 0x80 {
						t.Fatalf("raw 8-bit byte in header line %q", line)
					}
				}
			}
			subject, err := dec.DecodeHeader(h.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			if subject != strings.TrimSpace(tt.subject) {
				t.Errorf("Subject = %q, want %q", subject, tt.subject)
			}
			to, err := mail.ParseAddress(h.Get("To"))
			if err != nil {
				t.Fatalf("To %q: %v", h.Get("To"), err)
			}
			if to.Name != strings.TrimSpace(tt.name) || to.Address != "reader@example.org" {
				t.Errorf("To = %q <%s>, want %q", to.Name, to.Address, tt.name)
			}
			from, err := mail.ParseAddress(h.Get("From"))
			if err != nil || from.Name != tt.fromName {
				t.Errorf("From = %q (%v), want name %q", h.Get("From"), err, tt.fromName)
			}
		})
	}
}

func TestBuildListIDNonASCII(t *testing.T) {
	m := sampleMessage()
	m.ListID = "Новости сайта <news.example.com>"
	h := parse(t, mustBuild(t, m)).msg.Header
	v := h.Get("List-Id")
	if !strings.HasSuffix(v, " <news.example.com>") {
		t.Fatalf("List-Id = %q", v)
	}
	phrase, err := new(mime.WordDecoder).DecodeHeader(strings.TrimSuffix(v, " <news.example.com>"))
	if err != nil || phrase != "Новости сайта" {
		t.Errorf("List-Id phrase = %q (%v)", phrase, err)
	}
	m.ListID = "news.example.com"
	if got := parse(t, mustBuild(t, m)).msg.Header.Get("List-Id"); got != "<news.example.com>" {
		t.Errorf("bare List-Id = %q", got)
	}
}

func TestBuildRejects(t *testing.T) {
	tests := map[string]func(*Message){
		"NoMessageID":   func(m *Message) { m.MessageID = "" },
		"MessageIDNoAt": func(m *Message) { m.MessageID = "abc" },
		"NoBody":        func(m *Message) { m.HTML, m.Text = "", "" },
		"NoFrom":        func(m *Message) { m.From = "" },
		"BadTo":         func(m *Message) { m.To = "not an address" },
		"BadListID":     func(m *Message) { m.ListID = "no id here" },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			m := sampleMessage()
			mutate(m)
			if _, err := Build(m, nil); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("err = %v, want ErrInvalidMessage", err)
			}
		})
	}
	if _, err := Build(nil, nil); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("nil message: err = %v", err)
	}
}

func TestBuildBoundaryUnique(t *testing.T) {
	a := parse(t, mustBuild(t, sampleMessage())).msg.Header.Get("Content-Type")
	b := parse(t, mustBuild(t, sampleMessage())).msg.Header.Get("Content-Type")
	if a == b {
		t.Errorf("two messages share a boundary: %s", a)
	}
}

func TestUnsubscribeMailto(t *testing.T) {
	got := UnsubscribeMailto("ops@example.com", "Отказ от рассылки tok/+=&")
	want := "mailto:ops@example.com?subject=%D0%9E%D1%82%D0%BA%D0%B0%D0%B7%20%D0%BE%D1%82%20%D1%80%D0%B0%D1%81%D1%81%D1%8B%D0%BB%D0%BA%D0%B8%20tok%2F%2B%3D%26"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := UnsubscribeMailto("ops@example.com", ""); got != "mailto:ops@example.com" {
		t.Errorf("no subject: %q", got)
	}
}

func FuzzBuildHeaders(f *testing.F) {
	f.Add("Hello\r\nBcc: x@y", "Jane\nCc: z@y", "v\r\n\r\nbody")
	f.Add("Привет", "Иван", "значение")
	f.Add("=?utf-8?q?x?=", `"\`, "\x00\x7f")
	f.Fuzz(func(t *testing.T, subject, name, extra string) {
		m := sampleMessage()
		m.Subject, m.ToName = subject, name
		m.Headers = map[string]string{"X-Note": extra}
		raw, err := Build(m, nil)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("unreadable: %v", err)
		}
		for k := range msg.Header {
			if !knownHeader(k) {
				t.Fatalf("unexpected header %q", k)
			}
		}
		if len(msg.Header["Subject"]) != 1 || len(msg.Header["To"]) != 1 {
			t.Fatal("Subject or To duplicated")
		}
		to, err := mail.ParseAddress(msg.Header.Get("To"))
		if err != nil || to.Address != "reader@example.org" {
			t.Fatalf("To = %q (%v)", msg.Header.Get("To"), err)
		}
		if want := cleanText(name); to.Name != want {
			t.Fatalf("To name = %q, want %q", to.Name, want)
		}
		subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("Subject %q: %v", msg.Header.Get("Subject"), err)
		}
		if want := cleanText(subject); subj != want && !strings.Contains(want, "=?") {
			t.Fatalf("Subject = %q, want %q", subj, want)
		}
	})
}
