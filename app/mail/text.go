package mail

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText renders an HTML email as readable plain text for the text/plain
// part: paragraphs, headings, rows and list items on their own lines, links
// kept as "text (url)", images replaced by their alt text, whitespace
// collapsed outside <pre>, and head, style and script content dropped. Lines
// end with "\n".
func HTMLToText(src string) string {
	if src == "" {
		return ""
	}
	t := textRenderer{}
	t.out.Grow(len(src) / 2)
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return t.finish()
		case html.TextToken:
			if t.skip > 0 {
				continue
			}
			t.text(string(z.Text()))
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			var href, alt string
			if hasAttr && (a == atom.A || a == atom.Img) {
				for {
					k, v, more := z.TagAttr()
					switch string(k) {
					case "href":
						href = strings.TrimSpace(string(v))
					case "alt":
						alt = string(v)
					}
					if !more {
						break
					}
				}
			}
			t.start(a, href, alt, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			t.end(atom.Lookup(name))
		}
	}
}

// textRenderer accumulates plain text while HTMLToText walks the tokens.
type textRenderer struct {
	out      strings.Builder
	newlines int  // pending line breaks to write before the next text
	space    bool // a space is pending before the next text
	skip     int  // depth inside head, style, script, ...
	pre      int  // depth inside pre
	links    []link
	lists    []int // item counters of open lists; -1 for unordered
	started  bool  // some text has been written
}

// link is an open <a> element.
type link struct {
	href  string
	start int // output length when the link opened
}

// text writes a text token.
func (t *textRenderer) text(s string) {
	if t.pre > 0 {
		t.flush()
		t.out.WriteString(s)
		return
	}
	// Collapse whitespace; no-break spaces count as spaces.
	first := true
	for _, w := range strings.FieldsFunc(s, isSpace) {
		if first {
			if isSpace(rune(s[0])) || strings.HasPrefix(s, "\u00a0") {
				t.space = true
			}
			first = false
		} else {
			t.space = true
		}
		t.flush()
		t.out.WriteString(w)
	}
	if first { // only whitespace
		if s != "" {
			t.space = true
		}
		return
	}
	if last, _ := utf8.DecodeLastRuneInString(s); isSpace(last) {
		t.space = true
	}
}

// flush writes pending line breaks or a pending space.
func (t *textRenderer) flush() {
	if !t.started {
		t.newlines, t.space = 0, false
		t.started = true
		return
	}
	if t.newlines > 0 {
		for i := 0; i < t.newlines; i++ {
			t.out.WriteByte('\n')
		}
		t.newlines, t.space = 0, false
		return
	}
	// A space never starts a line (a <br> followed by a line break in
	// the source).
	if t.space && !strings.HasSuffix(t.out.String(), "\n") {
		t.out.WriteByte(' ')
	}
	t.space = false
}

// breakLine asks for at least n line breaks before the next text.
func (t *textRenderer) breakLine(n int) {
	if n > t.newlines {
		t.newlines = n
	}
	t.space = false
}

// start handles an opening (or self-closing) tag.
func (t *textRenderer) start(a atom.Atom, href, alt string, selfClosing bool) {
	switch a {
	case atom.Head, atom.Style, atom.Script, atom.Title, atom.Noscript, atom.Template:
		if !selfClosing {
			t.skip++
		}
		return
	}
	if t.skip > 0 {
		return
	}
	switch a {
	case atom.Br:
		if t.started {
			t.flush()
			t.out.WriteByte('\n')
		}
		t.space = false
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table,
		atom.Blockquote, atom.Ul, atom.Ol, atom.Dl:
		t.breakLine(2)
		if a == atom.Ul {
			t.lists = append(t.lists, -1)
		} else if a == atom.Ol {
			t.lists = append(t.lists, 0)
		}
	case atom.Pre:
		t.breakLine(2)
		t.pre++
	case atom.Div, atom.Tr, atom.Section, atom.Article, atom.Header, atom.Footer,
		atom.Center, atom.Form, atom.Address, atom.Main, atom.Nav, atom.Aside,
		atom.Figure, atom.Figcaption, atom.Dt, atom.Dd, atom.Tbody, atom.Thead, atom.Tfoot:
		t.breakLine(1)
	case atom.Li:
		t.breakLine(1)
		t.flush()
		bullet := "- "
		if n := len(t.lists); n > 0 && t.lists[n-1] >= 0 {
			t.lists[n-1]++
			bullet = strconv.Itoa(t.lists[n-1]) + ". "
		}
		t.out.WriteString(bullet)
	case atom.Td, atom.Th:
		t.space = t.started
	case atom.Hr:
		t.breakLine(1)
		t.flush()
		t.out.WriteString("----------------------------------------")
		t.breakLine(1)
	case atom.Img:
		if alt = strings.TrimSpace(alt); alt != "" {
			t.text(alt)
		}
	case atom.A:
		if !selfClosing {
			t.links = append(t.links, link{href: href, start: t.out.Len()})
		}
	}
}

// end handles a closing tag.
func (t *textRenderer) end(a atom.Atom) {
	switch a {
	case atom.Head, atom.Style, atom.Script, atom.Title, atom.Noscript, atom.Template:
		if t.skip > 0 {
			t.skip--
		}
		return
	}
	if t.skip > 0 {
		return
	}
	switch a {
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table,
		atom.Blockquote, atom.Dl:
		t.breakLine(2)
	case atom.Ul, atom.Ol:
		if n := len(t.lists); n > 0 {
			t.lists = t.lists[:n-1]
		}
		t.breakLine(2)
	case atom.Pre:
		if t.pre > 0 {
			t.pre--
		}
		t.breakLine(2)
	case atom.Div, atom.Tr, atom.Section, atom.Article, atom.Header, atom.Footer,
		atom.Center, atom.Form, atom.Address, atom.Main, atom.Nav, atom.Aside,
		atom.Figure, atom.Figcaption, atom.Dt, atom.Dd, atom.Li, atom.Tbody, atom.Thead, atom.Tfoot:
		t.breakLine(1)
	case atom.Td, atom.Th:
		t.space = t.started
	case atom.A:
		n := len(t.links)
		if n == 0 {
			return
		}
		l := t.links[n-1]
		t.links = t.links[:n-1]
		t.linkTarget(l)
	}
}

// linkTarget appends " (url)" after a link's text unless the text already
// says it; a link without text becomes its URL.
func (t *textRenderer) linkTarget(l link) {
	href := l.href
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "javascript:") {
		return
	}
	target := href
	if strings.HasPrefix(strings.ToLower(href), "mailto:") {
		target = href[len("mailto:"):]
		if i := strings.IndexByte(target, '?'); i >= 0 {
			target = target[:i]
		}
	}
	label := ""
	if l.start <= t.out.Len() {
		label = strings.TrimSpace(t.out.String()[l.start:])
	}
	switch {
	case label == "":
		t.flush()
		t.out.WriteString(href)
	case label == href || label == target || strings.TrimSuffix(label, "/") == strings.TrimSuffix(href, "/"):
		// The text is the URL already.
	default:
		t.out.WriteString(" (")
		t.out.WriteString(href)
		t.out.WriteByte(')')
	}
}

// finish trims trailing spaces on each line, limits blank lines to one and
// ends the text with a single newline.
func (t *textRenderer) finish() string {
	s := t.out.String()
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s) + 1)
	blank := 0
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, " \t\r\n\u00a0")
		if line == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(line)
	}
	if b.Len() == 0 {
		return ""
	}
	b.WriteByte('\n')
	return b.String()
}

// isSpace reports HTML whitespace and the no-break space.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\f', '\u00a0':
		return true
	}
	return false
}
