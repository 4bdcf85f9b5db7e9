package inbound

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders an HTML body as plain text: block elements become line
// breaks, list items get a dash, hidden content, styles and scripts are
// dropped, and the lines of a blockquote are prefixed with "> " so that the
// reply splitter treats them as quoted.
func htmlToText(src string) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return htmlTokensToText(src) // e.g. nesting beyond the parser's limit
	}
	r := &htmlRenderer{}
	r.walk(doc)
	r.flush(false)
	return tidyText(strings.Join(r.lines, "\n"))
}

type htmlRenderer struct {
	lines     []string
	line      strings.Builder
	lineQuote int // quote depth of the line being built
	quote     int // current blockquote depth
	pre       int // inside <pre>
	space     bool
}

var skipAtoms = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Title: true,
	atom.Template: true, atom.Noscript: true, atom.Object: true, atom.Svg: true,
}

var blockAtoms = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Tr: true, atom.Table: true, atom.Ul: true,
	atom.Ol: true, atom.Li: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Hr: true, atom.Pre: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Address: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Center: true, atom.Form: true, atom.Blockquote: true, atom.Body: true,
	atom.Main: true, atom.Aside: true, atom.Nav: true, atom.Figure: true,
}

type htmlStep struct {
	n     *html.Node
	leave bool
}

// walk visits the tree without recursion, so that deeply nested input cannot
// exhaust the stack.
func (r *htmlRenderer) walk(root *html.Node) {
	stack := []htmlStep{{n: root}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := s.n
		if s.leave {
			r.leave(n)
			continue
		}
		switch n.Type {
		case html.TextNode:
			r.text(n.Data)
			continue
		case html.ElementNode:
			if skipAtoms[n.DataAtom] || hidden(n) {
				continue
			}
			r.enter(n)
			stack = append(stack, htmlStep{n: n, leave: true})
		case html.DocumentNode:
		default:
			continue
		}
		// Push children in reverse so that they pop in document order.
		var kids []*html.Node
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			kids = append(kids, c)
		}
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, htmlStep{n: kids[i]})
		}
	}
}

func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "hidden":
			return true
		case "style":
			st := strings.ToLower(strings.ReplaceAll(a.Val, " ", ""))
			if strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

func (r *htmlRenderer) enter(n *html.Node) {
	switch n.DataAtom {
	case atom.Br:
		r.flush(true)
		return
	case atom.Blockquote:
		r.flush(false)
		r.quote++
		return
	case atom.Pre:
		r.flush(false)
		r.pre++
		return
	case atom.Td, atom.Th:
		r.space = true
		return
	case atom.Img:
		return
	}
	if blockAtoms[n.DataAtom] {
		r.flush(false)
		if n.DataAtom == atom.Li {
			r.write("- ")
		}
	}
}

func (r *htmlRenderer) leave(n *html.Node) {
	switch n.DataAtom {
	case atom.Blockquote:
		r.flush(false)
		if r.quote > 0 {
			r.quote--
		}
		return
	case atom.Pre:
		r.flush(false)
		if r.pre > 0 {
			r.pre--
		}
		return
	case atom.P:
		r.flush(false)
		r.blank()
		return
	}
	if blockAtoms[n.DataAtom] {
		r.flush(false)
	}
}

func (r *htmlRenderer) text(s string) {
	if r.pre > 0 {
		parts := strings.Split(normalizeNewlines(s), "\n")
		for i, p := range parts {
			if i > 0 {
				r.flush(true)
			}
			r.write(p)
		}
		return
	}
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if s == "" {
		return
	}
	lead := isSpace(s[0])
	trail := isSpace(s[len(s)-1])
	words := strings.Fields(s)
	if len(words) == 0 {
		r.space = r.space || r.line.Len() > 0
		return
	}
	if lead {
		r.space = true
	}
	r.write(strings.Join(words, " "))
	r.space = trail
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func (r *htmlRenderer) write(s string) {
	if r.line.Len() == 0 {
		r.lineQuote = r.quote
		r.space = false
	} else if r.space {
		r.line.WriteByte(' ')
	}
	r.space = false
	r.line.WriteString(s)
}

// flush ends the current line; force keeps an empty line (a <br>).
func (r *htmlRenderer) flush(force bool) {
	if r.line.Len() == 0 && !force {
		return
	}
	q := r.lineQuote
	if r.line.Len() == 0 {
		q = r.quote
	}
	r.lines = append(r.lines, strings.Repeat("> ", q)+strings.TrimRight(r.line.String(), " "))
	r.line.Reset()
	r.space = false
}

func (r *htmlRenderer) blank() {
	if n := len(r.lines); n > 0 && strings.TrimSpace(strings.TrimLeft(r.lines[n-1], "> ")) != "" {
		r.lines = append(r.lines, strings.TrimRight(strings.Repeat("> ", r.quote), " "))
	}
}

// tidyText trims trailing spaces and collapses runs of blank lines.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if strings.TrimSpace(strings.Trim(l, ">")) == "" && !strings.HasPrefix(l, ">") {
			blank++
			if blank > 1 {
				continue
			}
			l = ""
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}

// htmlTokensToText is the fallback for HTML the parser refuses: the text of
// the tokens, with line breaks at block elements.
func htmlTokensToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyText(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(strings.Join(strings.Fields(strings.ReplaceAll(string(z.Text()), "\u00a0", " ")), " "))
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipAtoms[a] {
				if tt == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
				continue
			}
			if blockAtoms[a] || a == atom.Br {
				b.WriteByte('\n')
			}
		}
	}
}
