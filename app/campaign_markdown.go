package app

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Markdown campaigns.
//
// A Markdown body is rendered to HTML once per campaign and language
// (CompileCampaign), and that HTML is then checked, laid out and filled in
// exactly as an HTML campaign's body. Raw HTML in Markdown is left out
// (goldmark's default: "<!-- raw HTML omitted -->"), and links with
// dangerous schemes are dropped; a marketer who wants HTML writes an HTML
// campaign. Merge fields are template actions, which Markdown would
// escape (an href's braces, a string's quotes): each action is replaced by
// a marker of lower-case letters and digits, which Markdown passes
// unchanged, and put back in the HTML.

// markdown is the Markdown renderer: CommonMark with tables and
// strikethrough, no raw HTML.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))

// markdownLines maps the byte offsets of the merge fields in the HTML made
// from Markdown to their lines in the Markdown.
type markdownLines struct {
	offsets []int // ascending
	lines   []int
}

// lineAt is the Markdown line of the merge field at or before offset pos
// of the HTML (1 when there is none).
func (m *markdownLines) lineAt(pos int) int {
	i := sort.SearchInts(m.offsets, pos+1) - 1
	if i < 0 {
		return 1
	}
	return m.lines[i]
}

// markdownToHTML renders a Markdown template to an HTML template with the
// same actions. A template that does not parse is an EINVALID error on
// body_html, with the Markdown's line.
func markdownToHTML(src string) (string, *markdownLines, error) {
	if _, err := texttemplate.New("body_html").Parse(src); err != nil {
		return "", nil, &Error{Code: EINVALID, Message: "The campaign's templates have errors.",
			Fields: map[string]string{"body_html": templateError(err)}}
	}
	prefix := randomPrefix()
	var actions []string
	var lines []int
	var b strings.Builder
	rest, line := src, 1
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			b.WriteString(rest)
			break
		}
		end := i + 2 + j + 2
		b.WriteString(rest[:i])
		line += strings.Count(rest[:i], "\n")
		marker := prefix + strconv.Itoa(len(actions)) + "z"
		b.WriteString(marker)
		actions = append(actions, rest[i:end])
		lines = append(lines, line)
		line += strings.Count(rest[i:end], "\n")
		rest = rest[end:]
	}
	var out bytes.Buffer
	out.Grow(b.Len() + b.Len()/4)
	if err := markdown.Convert([]byte(b.String()), &out); err != nil {
		return "", nil, fmt.Errorf("render markdown: %w", err)
	}
	markers := make([]string, len(actions))
	for i := range actions {
		markers[i] = prefix + strconv.Itoa(i) + "z"
	}
	parts, which := cutAt(out.String(), markers)
	var h strings.Builder
	h.Grow(out.Len())
	m := &markdownLines{}
	for i, p := range parts {
		h.WriteString(p)
		if i < len(which) {
			m.offsets = append(m.offsets, h.Len())
			m.lines = append(m.lines, lines[which[i]])
			h.WriteString(actions[which[i]])
		}
	}
	return h.String(), m, nil
}
