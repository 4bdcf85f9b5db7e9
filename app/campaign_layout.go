package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Limits of a rendered message. A template is linear (see the merge-field
// rule), but a short template can still name {{.Name}} thousands of times:
// every part of every message is capped, the save refuses a template that
// passes a cap for the longest possible name, and a rendering that passes
// one anyway (a longer value than the sample) fails: that recipient's
// delivery is recorded as failed and nothing is sent to them.
const (
	// MaxRenderedPart is the largest HTML or text part of a message.
	MaxRenderedPart = 1 << 20
	// maxRenderedSubject is the largest subject.
	maxRenderedSubject = 1000
	// renderTimeLimit bounds one execution of a template.
	renderTimeLimit = 5 * time.Second
)

var (
	errTooLarge = errors.New("the message is larger than 1 MB")
	errTooSlow  = errors.New("the message took too long to render")
)

// renderWriter passes at most max bytes to w, until a deadline: past
// either, a write fails, and a template execution stops at its next write.
type renderWriter struct {
	w        io.Writer
	max, n   int
	deadline time.Time
}

func newRenderWriter(w io.Writer, max int) *renderWriter {
	return &renderWriter{w: w, max: max, deadline: time.Now().Add(renderTimeLimit)}
}

func (r *renderWriter) Write(p []byte) (int, error) {
	if r.n+len(p) > r.max {
		return 0, errTooLarge
	}
	if time.Now().After(r.deadline) {
		return 0, errTooSlow
	}
	r.n += len(p)
	return r.w.Write(p)
}

// The layout of campaign HTML.
//
// A body may end inside an element (an unclosed <div style="display:none">)
// or carry attributes that hide everything: the footer must not go where
// the body leaves off. The body's HTML, rendered once with a marker in
// place of each merge field, is parsed as a mail client parses it (an HTML5
// parser, scripting off), and written out balanced: the marketer's <head>
// content, then <body> holding a container with the body's content (and
// the attributes the body had), closed, and after it, outside, the footer.
// The html and body elements keep no attribute of the marketer's (but
// lang and dir) and get styles of their own; the container keeps what is
// drawn inside it (contain: paint), so content positioned over the page
// stays inside the content's box. The footer's elements carry inline
// !important styles for display, visibility, opacity, size and colour,
// which no style sheet can override.
//
// The written layout is cut at the markers once per campaign (and per
// combination of empty merge fields: a template's {{if}}); rendering a
// recipient's message is filling the cuts with the escaped values and the
// footer, without parsing anything.

// Styles of the layout's own elements.
const (
	layoutRootStyle = "display:block !important;visibility:visible !important;opacity:1 !important;filter:none !important;" +
		"transform:none !important;clip-path:none !important;height:auto !important;max-height:none !important;" +
		"overflow:visible !important;position:static !important"
	layoutBodyStyle      = "margin:0;padding:0;" + layoutRootStyle
	layoutContainerStyle = "display:block !important;position:relative !important;contain:paint !important;" +
		"visibility:visible !important;opacity:1 !important"
)

// layoutSegments is a laid-out body cut at its merge fields: parts[0]
// slot[0] parts[1] ...; a slot is a merge field (0 name, 1 unsubscribe
// URL, 2 preferences URL) or the footer (3).
type layoutSegments struct {
	parts []string
	slots []int
	size  int
}

const slotFooter = 3

// fill writes the layout with the slots' values (already escaped).
func (s *layoutSegments) fill(b *strings.Builder, vals *[4]string) {
	for i, p := range s.parts {
		b.WriteString(p)
		if i < len(s.slots) {
			b.WriteString(vals[s.slots[i]])
		}
	}
}

// sizeWith is the length of the filled layout.
func (s *layoutSegments) sizeWith(vals *[4]string) int {
	n := s.size
	for _, k := range s.slots {
		n += len(vals[k])
	}
	return n
}

// layoutMarkers are the markers of one layout: lower-case letters, which
// pass every escaper unchanged and which a marketer cannot guess.
type layoutMarkers [4]string

func newLayoutMarkers() layoutMarkers {
	var m layoutMarkers
	for i := range m {
		m[i] = randomPrefix() + "w" + string(rune('a'+i))
	}
	return m
}

// layoutKey is the combination of empty merge fields a layout is for.
func layoutKey(f MergeFields) int {
	k := 0
	if f.Name != "" {
		k |= 1
	}
	if f.UnsubscribeURL != "" {
		k |= 2
	}
	if f.PreferencesURL != "" {
		k |= 4
	}
	return k
}

// layout returns the laid-out body for f's combination of empty fields,
// making it the first time.
func (t *CampaignTemplate) layout(f MergeFields) (*layoutSegments, error) {
	k := layoutKey(f)
	l := &t.layouts[k]
	l.once.Do(func() { l.seg, l.err = t.makeLayout(k) })
	return l.seg, l.err
}

// makeLayout renders the body with markers, parses it and writes it out
// balanced, with the footer's place after it.
func (t *CampaignTemplate) makeLayout(k int) (*layoutSegments, error) {
	m := newLayoutMarkers()
	f := MergeFields{}
	if k&1 != 0 {
		f.Name = m[0]
	}
	if k&2 != 0 {
		f.UnsubscribeURL = m[1]
	}
	if k&4 != 0 {
		f.PreferencesURL = m[2]
	}
	var body bytes.Buffer
	if err := t.html.Execute(newRenderWriter(&body, MaxRenderedPart), f); err != nil {
		return nil, fmt.Errorf("render campaign %d html: %w", t.campaign.ID, err)
	}
	out, err := layOut(body.String(), m[slotFooter])
	if err != nil {
		return nil, err
	}
	return cutMarkers(out, m), nil
}

// layOut parses a body and writes it out balanced inside the layout, with
// footerMarker where the footer goes.
func layOut(body, footerMarker string) (string, error) {
	doc, err := html.ParseWithOptions(strings.NewReader(body), html.ParseOptionEnableScripting(false))
	if err != nil {
		return "", fmt.Errorf("parse campaign html: %w", err)
	}
	var root, head, bodyEl *html.Node
	for n := doc.FirstChild; n != nil; n = n.NextSibling {
		if n.Type == html.ElementNode && n.DataAtom == atom.Html {
			root = n
		}
	}
	if root == nil {
		return "", &Error{Code: EINVALID, Message: "The HTML has no body.", Fields: map[string]string{"body_html": "the HTML has no body"}}
	}
	for n := root.FirstChild; n != nil; n = n.NextSibling {
		switch {
		case n.Type == html.ElementNode && n.DataAtom == atom.Head:
			head = n
		case n.Type == html.ElementNode && n.DataAtom == atom.Body:
			bodyEl = n
		}
	}
	if bodyEl == nil || head == nil {
		return "", &Error{Code: EINVALID, Message: "The HTML has no body.",
			Fields: map[string]string{"body_html": "the HTML must have a body (a frameset is not mail)"}}
	}
	// <plaintext> turns the rest of the document, footer included, into
	// text, and the parse of <noscript> depends on the reader: neither
	// belongs in mail.
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && (n.DataAtom == atom.Plaintext || n.DataAtom == atom.Noscript) {
			return "", &Error{Code: EINVALID, Message: "The HTML uses an element mail cannot have.",
				Fields: map[string]string{"body_html": "<" + n.Data + "> is not allowed in mail"}}
		}
	}
	var w bytes.Buffer
	w.Grow(len(body) + 1024)
	w.WriteString("<!DOCTYPE html>\n<html")
	for _, a := range root.Attr {
		if a.Namespace == "" && (a.Key == "lang" || a.Key == "dir") {
			fmt.Fprintf(&w, ` %s="%s"`, a.Key, html.EscapeString(a.Val))
		}
	}
	w.WriteString(` style="` + layoutRootStyle + `"><head>`)
	for n := head.FirstChild; n != nil; n = n.NextSibling {
		if err := html.Render(&w, n); err != nil {
			return "", fmt.Errorf("write campaign html: %w", err)
		}
	}
	w.WriteString(`</head><body style="` + layoutBodyStyle + `"><div style="` + layoutContainerStyle + `">`)
	// The body's own attributes (a background, a class) go to a box of
	// their own inside the container.
	box := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div, Attr: bodyEl.Attr}
	for n := bodyEl.FirstChild; n != nil; {
		next := n.NextSibling
		bodyEl.RemoveChild(n)
		box.AppendChild(n)
		n = next
	}
	if err := html.Render(&w, box); err != nil {
		return "", fmt.Errorf("write campaign html: %w", err)
	}
	w.WriteString("</div>" + footerMarker + "</body></html>")
	out := w.String()
	if err := checkFooterPlace(out, footerMarker); err != nil {
		return "", err
	}
	return out, nil
}

// checkFooterPlace parses the written layout again, as a mail client
// would, with and without scripting, and makes sure the footer's place is
// a direct child of <body>: no element of the marketer's holds it.
func checkFooterPlace(out, marker string) error {
	for _, scripting := range []bool{false, true} {
		doc, err := html.ParseWithOptions(strings.NewReader(out), html.ParseOptionEnableScripting(scripting))
		if err != nil {
			return fmt.Errorf("parse campaign layout: %w", err)
		}
		ok := false
		for n := range doc.Descendants() {
			if n.Type == html.TextNode && strings.Contains(n.Data, marker) {
				ok = n.Parent != nil && n.Parent.DataAtom == atom.Body && n.Parent.Parent != nil &&
					n.Parent.Parent.DataAtom == atom.Html && n.Data == marker
				break
			}
		}
		if !ok {
			return &Error{Code: EINVALID, Message: "The HTML cannot be laid out with its footer.",
				Fields: map[string]string{"body_html": "the HTML's structure keeps the footer from standing after it; simplify the markup"}}
		}
	}
	return nil
}

// cutMarkers cuts a laid-out body at every marker.
func cutMarkers(s string, m layoutMarkers) *layoutSegments {
	parts, slots := cutAt(s, m[:])
	seg := &layoutSegments{parts: parts, slots: slots}
	for _, p := range parts {
		seg.size += len(p)
	}
	return seg
}

// cutAt cuts s at every occurrence of the marks: parts[0] mark parts[1]
// ..., with which mark stood at each cut. Each mark is searched for once
// past each of its own occurrences, so the cost is linear in s.
func cutAt(s string, marks []string) (parts []string, which []int) {
	next := make([]int, len(marks)) // index of each mark's next occurrence, -1 none
	find := func(k, from int) {
		if i := strings.Index(s[from:], marks[k]); i >= 0 {
			next[k] = from + i
		} else {
			next[k] = -1
		}
	}
	for k := range marks {
		find(k, 0)
	}
	pos := 0
	for {
		at, w := -1, -1
		for k, i := range next {
			if i >= 0 && (at < 0 || i < at) {
				at, w = i, k
			}
		}
		if at < 0 {
			return append(parts, s[pos:]), which
		}
		parts, which = append(parts, s[pos:at]), append(which, w)
		pos = at + len(marks[w])
		for k, i := range next {
			if i >= 0 && i < pos {
				find(k, pos)
			}
		}
	}
}
