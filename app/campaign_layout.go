package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
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
// content, and a container holding the body's content (and the attributes
// the body had), closed. The mail layout (LayoutRenderer) puts the head
// content in its <head>, the container in its card, and after the card,
// directly in <body>, the footer. The html and body elements keep no
// attribute of the marketer's (but lang and dir); the container keeps what
// is drawn inside it (contain: paint), so content positioned over the page
// stays inside the content's box. When the body has style sheets of its
// own, the footer, html and body carry inline !important styles for
// display, visibility, opacity, size and colour, which no style sheet can
// override (LayoutContent.Armour).
//
// The written layout is cut at the markers once per campaign and language
// (and per combination of empty merge fields: a template's {{if}});
// rendering a recipient's message is filling the cuts with the escaped
// values, without parsing anything.

// layoutContainerStyle is the style of the box around the content.
const layoutContainerStyle = "contain:paint"

// layoutSegments is a laid-out message cut at its merge fields: parts[0]
// slot[0] parts[1] ...; a slot is a merge field (0 name, 1 unsubscribe
// URL, 2 preferences URL).
type layoutSegments struct {
	parts []string
	slots []int
	size  int
}

// fill writes the layout with the slots' values (already escaped).
func (s *layoutSegments) fill(b *strings.Builder, vals *[3]string) {
	for i, p := range s.parts {
		b.WriteString(p)
		if i < len(s.slots) {
			b.WriteString(vals[s.slots[i]])
		}
	}
}

// sizeWith is the length of the filled layout.
func (s *layoutSegments) sizeWith(vals *[3]string) int {
	n := s.size
	for _, k := range s.slots {
		n += len(vals[k])
	}
	return n
}

// layoutMarkers are the markers of one layout: lower-case letters, which
// pass every escaper unchanged and which a marketer cannot guess. The
// fourth marks the footer.
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

// localeIndex is the index of a campaign's language (en, ru) in its
// layouts.
func localeIndex(loc string) int {
	if loc == "ru" {
		return 1
	}
	return 0
}

// laidOut is the layout of one language and combination of empty fields.
type laidOut struct {
	once sync.Once
	html *layoutSegments
	text textSegments // the footer's text part
	err  error
}

// layout returns the laid-out message of loc for f's combination of empty
// fields, making it the first time.
func (t *CampaignTemplate) layout(loc string, f MergeFields) (*laidOut, error) {
	k := layoutKey(f)
	l := &t.layouts[localeIndex(loc)][k]
	l.once.Do(func() { l.err = t.makeLayout(l, loc, k) })
	return l, l.err
}

// makeLayout renders the body with markers, parses it, writes it out
// balanced and puts it in the mail layout of loc, with the footer after
// it.
func (t *CampaignTemplate) makeLayout(l *laidOut, loc string, k int) error {
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
		return fmt.Errorf("render campaign %d html: %w", t.campaign.ID, err)
	}
	c, err := layOut(body.String())
	if err != nil {
		return err
	}
	title, _ := t.renderSubject(f)
	c.Title, c.Campaign, c.FooterID = title, true, m[3]
	c.Footer = LayoutFooter{Marketing: t.campaign.Purpose == CampaignMarketing, OperatorName: t.op.Name,
		OperatorAddress: t.op.Address, UnsubscribeURL: f.UnsubscribeURL, PreferencesURL: f.PreferencesURL, PrivacyURL: t.privacyURL}
	r := t.frame.Layout
	if r == nil {
		r = bareLayout{}
	}
	out, text, err := r.RenderLayout(t.frame.Settings.Of(loc), loc, c)
	if err != nil {
		return fmt.Errorf("lay out campaign %d: %w", t.campaign.ID, err)
	}
	if err := checkFooterPlace(out, m[3]); err != nil {
		return err
	}
	out = strings.Replace(out, ` id="`+m[3]+`"`, "", 1)
	l.html = cutMarkers(out, m)
	l.text = splitSentinels(text, [3]string{m[0], m[1], m[2]})
	return nil
}

// layOut parses a body and writes it out balanced: its head content, and
// its body's content in a container. Armour is set when the body has
// style sheets.
func layOut(body string) (LayoutContent, error) {
	var c LayoutContent
	doc, err := html.ParseWithOptions(strings.NewReader(body), html.ParseOptionEnableScripting(false))
	if err != nil {
		return c, fmt.Errorf("parse campaign html: %w", err)
	}
	var root, head, bodyEl *html.Node
	for n := doc.FirstChild; n != nil; n = n.NextSibling {
		if n.Type == html.ElementNode && n.DataAtom == atom.Html {
			root = n
		}
	}
	if root == nil {
		return c, &Error{Code: EINVALID, Message: "The HTML has no body.", Fields: map[string]string{"body_html": "the HTML has no body"}}
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
		return c, &Error{Code: EINVALID, Message: "The HTML has no body.",
			Fields: map[string]string{"body_html": "the HTML must have a body (a frameset is not mail)"}}
	}
	// <plaintext> turns the rest of the document, footer included, into
	// text, and the parse of <noscript> depends on the reader: neither
	// belongs in mail.
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Plaintext, atom.Noscript:
			return c, &Error{Code: EINVALID, Message: "The HTML uses an element mail cannot have.",
				Fields: map[string]string{"body_html": "<" + n.Data + "> is not allowed in mail"}}
		case atom.Style, atom.Link:
			c.Armour = true
		}
	}
	for _, a := range root.Attr {
		switch {
		case a.Namespace == "" && a.Key == "lang":
			c.Lang = a.Val
		case a.Namespace == "" && a.Key == "dir":
			c.Dir = a.Val
		}
	}
	var w bytes.Buffer
	w.Grow(len(body) + 256)
	for n := head.FirstChild; n != nil; n = n.NextSibling {
		if err := html.Render(&w, n); err != nil {
			return c, fmt.Errorf("write campaign html: %w", err)
		}
	}
	c.Head = w.String()
	w.Reset()
	w.WriteString(`<div style="` + layoutContainerStyle + `">`)
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
		return c, fmt.Errorf("write campaign html: %w", err)
	}
	w.WriteString("</div>")
	c.Body = w.String()
	return c, nil
}

// checkFooterPlace parses the written layout again, as a mail client
// would, with and without scripting, and makes sure the footer (the
// element of id footerID) stands directly in <body>, after every other
// element: no element of the marketer's holds it.
func checkFooterPlace(out, footerID string) error {
	for _, scripting := range []bool{false, true} {
		doc, err := html.ParseWithOptions(strings.NewReader(out), html.ParseOptionEnableScripting(scripting))
		if err != nil {
			return fmt.Errorf("parse campaign layout: %w", err)
		}
		ok := false
		for n := range doc.Descendants() {
			if n.Type == html.ElementNode && slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == "id" && a.Val == footerID }) {
				ok = n.Parent != nil && n.Parent.DataAtom == atom.Body && n.Parent.Parent != nil && n.Parent.Parent.DataAtom == atom.Html
				for s := n.NextSibling; s != nil && ok; s = s.NextSibling {
					ok = s.Type != html.ElementNode
				}
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

// bareLayout lays a campaign out without the product's layout: the
// content, then the footer's place (an empty table). It serves the checks
// of a campaign being saved, where no layout is at hand.
type bareLayout struct{}

// RenderLayout implements LayoutRenderer.
func (bareLayout) RenderLayout(_ MailLayout, locale string, c LayoutContent) (string, string, error) {
	lang := c.Lang
	if lang == "" {
		lang = locale
	}
	return `<!DOCTYPE html><html lang="` + html.EscapeString(lang) + `"><head>` + c.Head + `</head><body>` + c.Body +
		`<table id="` + html.EscapeString(c.FooterID) + `"><tr><td></td></tr></table></body></html>`, c.Text, nil
}

// cutMarkers cuts a laid-out body at every marker.
func cutMarkers(s string, m layoutMarkers) *layoutSegments {
	parts, slots := cutAt(s, m[:3])
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
