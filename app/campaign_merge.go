package app

import (
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"
	"text/template/parse"

	"golang.org/x/net/html"
)

// The merge-field rule.
//
// A marketer sees no personal data, so a campaign's templates must not be
// able to send a recipient's data anywhere but to the recipient. Templates
// may therefore use only:
//
//   - {{.Name}}, in the text of the message (and in the subject): never in
//     an attribute, a tag, a comment, or inside <script>, <style> and the
//     other raw-text elements; and never joined to a web address, so that
//     no link a mail client makes from the text can carry it;
//   - {{.UnsubscribeURL}} and {{.PreferencesURL}}, in the HTML only as the
//     whole href of an <a> (without a ping attribute), and in the text part
//     only standing apart from other words; never in the subject;
//   - {{if .Field}} ... {{else}} ... {{end}} (also {{if not .Field}} and
//     {{else if .Field}}) on these fields, and comments.
//
// Every other action (range, with, template, define, block, variables,
// functions such as printf or urlquery, pipelines, {{.}}) is refused.
// With only plain fields and if on their presence, a template's control
// flow depends on nothing but which fields are empty, and it has no loop:
// the check renders every combination, with a unique marker in place of
// each action, parses the HTML with the HTML5 tokenizer, and finds where
// each marker stands. Output is linear in the template's size.

// Merge field names.
const (
	mergeName        = "Name"
	mergeUnsubscribe = "UnsubscribeURL"
	mergePreferences = "PreferencesURL"
)

// partMode is the kind of text a template makes.
type partMode int

const (
	modeSubject partMode = iota
	modeHTML
	modeText
)

// mergeAction is one allowed action of a template: a merge field.
type mergeAction struct {
	field string
	pos   int // the byte offset in the source
	line  int
}

// mergeProblem is a merge field, or an action, the rule refuses.
type mergeProblem struct {
	pos    int // the byte offset in the source, for the order
	line   int
	field  string // the merge field; "" when the action itself is refused
	action string // the refused action
	// unknown is the field an action names that is no merge field.
	unknown string
	place   place
}

// placeKind says where a merge field stands.
type placeKind int

const (
	placeAttr     placeKind = iota // in an attribute value
	placeHrefPart                  // in part of an <a href>
	placeAttrName                  // in an attribute's name
	placeTag                       // in a tag name
	placeRaw                       // in the content of <script>, <style>, ...
	placeComment                   // in a comment or a doctype
	placeText                      // in text (for link fields)
	placeJoined                    // in text, joined to a web address or other words
	placePing                      // in the href of an <a> with a ping attribute
	placeSubject                   // in the subject (for link fields)
	placeMarkup                    // elsewhere in markup
)

// place is where a merge field stands: its kind, the element and the
// attribute.
type place struct {
	kind      placeKind
	tag, attr string
}

// rawTextElements are the elements whose content the tokenizer reads as
// raw text (code or markup that is not the message's text).
var rawTextElements = map[string]bool{"script": true, "style": true, "xmp": true, "iframe": true, "noembed": true,
	"noframes": true, "noscript": true, "plaintext": true}

// blockElements end a word of the visible text.
var blockElements = map[string]bool{"address": true, "article": true, "aside": true, "blockquote": true, "body": true,
	"br": true, "caption": true, "center": true, "dd": true, "details": true, "dialog": true, "dir": true, "div": true,
	"dl": true, "dt": true, "fieldset": true, "figcaption": true, "figure": true, "footer": true, "form": true, "h1": true,
	"h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "head": true, "header": true, "hr": true, "html": true,
	"li": true, "main": true, "menu": true, "nav": true, "ol": true, "p": true, "pre": true, "section": true,
	"summary": true, "table": true, "tbody": true, "td": true, "textarea": true, "tfoot": true, "th": true, "thead": true,
	"title": true, "tr": true, "ul": true}

// checkMergeFields applies the rule to one template (already known to
// parse) and returns what it refuses, in source order.
func checkMergeFields(name, src string, mode partMode) []mergeProblem {
	t, err := texttemplate.New(name).Parse(src)
	if err != nil || t.Tree == nil {
		return nil // parse errors are reported by CompileCampaign
	}
	lineOf := func(pos parse.Pos) int { return 1 + strings.Count(src[:min(int(pos), len(src))], "\n") }
	var problems []mergeProblem
	for _, other := range t.Templates() {
		if other.Name() != name && other.Tree != nil {
			pos := int(other.Tree.Root.Position())
			problems = append(problems, mergeProblem{pos: pos, line: lineOf(other.Tree.Root.Position()), action: `{{define "` + other.Name() + `"}}`})
		}
	}
	tree := t.Tree.Copy()
	c := &mergeChecker{lineOf: lineOf, conds: map[string]bool{}, prefix: randomPrefix()}
	c.list(tree.Root)
	problems = append(problems, c.refused...)
	if len(c.actions) > 0 {
		problems = append(problems, c.place(tree, mode)...)
	}
	slices.SortStableFunc(problems, func(a, b mergeProblem) int { return a.pos - b.pos })
	return problems
}

// mergeChecker walks a template's tree: it keeps the allowed actions,
// replaces each with a marker text, and lists the refused ones.
type mergeChecker struct {
	lineOf  func(parse.Pos) int
	actions []mergeAction
	refused []mergeProblem
	conds   map[string]bool // fields that if tests
	prefix  string
}

func (c *mergeChecker) refuse(n parse.Node) {
	if f := unknownField(n); f != "" {
		c.refused = append(c.refused, mergeProblem{pos: int(n.Position()), line: c.lineOf(n.Position()), unknown: f})
		return
	}
	// A block is named by its opening action.
	text := n.String()
	switch n := n.(type) {
	case *parse.RangeNode:
		text = "{{range " + n.Pipe.String() + "}}"
	case *parse.WithNode:
		text = "{{with " + n.Pipe.String() + "}}"
	case *parse.IfNode:
		text = "{{if " + n.Pipe.String() + "}}"
	}
	c.refused = append(c.refused, mergeProblem{pos: int(n.Position()), line: c.lineOf(n.Position()), action: clip(text, 60)})
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// plainField returns the merge field a pipeline consists of, or "".
func plainField(p *parse.PipeNode) string {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return ""
	}
	f, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok || len(f.Ident) != 1 {
		return ""
	}
	switch f.Ident[0] {
	case mergeName, mergeUnsubscribe, mergePreferences:
		return f.Ident[0]
	}
	return ""
}

// condField returns the field an if tests: .Field or not .Field.
func condField(p *parse.PipeNode) string {
	if f := plainField(p); f != "" {
		return f
	}
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 2 {
		return ""
	}
	if id, ok := p.Cmds[0].Args[0].(*parse.IdentifierNode); !ok || id.Ident != "not" {
		return ""
	}
	return plainField(&parse.PipeNode{Cmds: []*parse.CommandNode{{Args: p.Cmds[0].Args[1:]}}})
}

func (c *mergeChecker) list(l *parse.ListNode) {
	if l == nil {
		return
	}
	for i, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode, *parse.CommentNode:
		case *parse.ActionNode:
			f := plainField(n.Pipe)
			if f == "" {
				c.refuse(n)
				continue
			}
			c.actions = append(c.actions, mergeAction{field: f, pos: int(n.Pos), line: c.lineOf(n.Pos)})
			l.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(c.marker(len(c.actions) - 1))}
		case *parse.IfNode:
			f := condField(n.Pipe)
			if f == "" {
				c.refuse(n)
				continue
			}
			c.conds[f] = true
			c.list(n.List)
			c.list(n.ElseList)
		default:
			c.refuse(n)
		}
	}
}

// marker is the text that stands for action i: a random prefix, the
// action's number and "z", in lower-case letters and digits, which no
// escaper changes and a marketer cannot guess.
func (c *mergeChecker) marker(i int) string { return c.prefix + strconv.Itoa(i) + "z" }

// randomPrefix returns a marker prefix of lower-case letters.
func randomPrefix() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return "nlm" + string(b[:])
}

// place renders every combination of the tested fields and finds where
// each action's marker stands.
func (c *mergeChecker) place(tree *parse.Tree, mode partMode) []mergeProblem {
	t, err := texttemplate.New("check").AddParseTree("check", tree)
	if err != nil {
		return nil
	}
	conds := make([]string, 0, len(c.conds))
	for f := range c.conds {
		conds = append(conds, f)
	}
	found := map[int]mergeProblem{}
	seen := map[string]bool{}
	for combo := range 1 << len(conds) {
		data := map[string]string{mergeName: "", mergeUnsubscribe: "", mergePreferences: ""}
		for i, f := range conds {
			if combo&(1<<i) != 0 {
				data[f] = "x"
			}
		}
		var b strings.Builder
		if err := t.Execute(newRenderWriter(&b, 8*MaxRenderedPart), data); err != nil {
			continue // too large, or failing: CompileCampaign reports it
		}
		out := b.String()
		if seen[out] {
			continue
		}
		seen[out] = true
		for _, p := range c.placeIn(out, mode) {
			if _, ok := found[p.index]; !ok {
				a := c.actions[p.index]
				found[p.index] = mergeProblem{pos: a.pos, line: a.line, field: a.field, place: p.place}
			}
		}
	}
	out := make([]mergeProblem, 0, len(found))
	for _, p := range found {
		out = append(out, p)
	}
	return out
}

// markerAt is a marker found in the output, and where it stands when
// that is refused.
type markerAt struct {
	index int
	place place
}

// markersIn returns the action numbers of the markers in s.
func (c *mergeChecker) markersIn(s string) []int {
	var out []int
	s = strings.ToLower(s)
	for {
		i := strings.Index(s, c.prefix)
		if i < 0 {
			return out
		}
		s = s[i+len(c.prefix):]
		j := strings.IndexByte(s, 'z')
		if j < 0 {
			return out
		}
		if n, err := strconv.Atoi(s[:j]); err == nil && n >= 0 && n < len(c.actions) {
			out = append(out, n)
		}
	}
}

// placeIn finds the refused markers of one rendering.
func (c *mergeChecker) placeIn(out string, mode partMode) []markerAt {
	if mode != modeHTML {
		var bad []markerAt
		for _, w := range c.wordsOf(out) {
			if p, ok := c.judgeText(w, mode); !ok {
				bad = append(bad, markerAt{w.index, p})
			}
		}
		return bad
	}
	return c.placeInHTML(out)
}

// placeInHTML tokenizes HTML as a browser does and judges every marker.
func (c *mergeChecker) placeInHTML(out string) []markerAt {
	var bad []markerAt
	refuse := func(i int, p place) { bad = append(bad, markerAt{i, p}) }
	var visible strings.Builder // the text a reader sees, words ending at blocks
	z := html.NewTokenizer(strings.NewReader(out))
	rawElem := ""
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := string(z.Raw())
		tok := z.Token()
		inRaw := rawElem
		rawElem = ""
		all := c.markersIn(raw)
		if len(all) == 0 {
			if tt == html.TextToken && inRaw == "" {
				visible.WriteString(tok.Data)
			}
			if (tt == html.StartTagToken || tt == html.EndTagToken || tt == html.SelfClosingTagToken) && blockElements[tok.Data] {
				visible.WriteByte('\n')
			}
			if tt == html.StartTagToken && rawTextElements[tok.Data] {
				rawElem = tok.Data
			}
			continue
		}
		switch tt {
		case html.TextToken:
			if inRaw != "" {
				for _, i := range all {
					refuse(i, place{kind: placeRaw, tag: inRaw})
				}
				continue
			}
			for _, i := range all {
				if c.actions[i].field != mergeName {
					refuse(i, place{kind: placeText})
				}
			}
			visible.WriteString(tok.Data)
		case html.StartTagToken, html.SelfClosingTagToken:
			if rawTextElements[tok.Data] && tt == html.StartTagToken {
				rawElem = tok.Data
			}
			if blockElements[tok.Data] {
				visible.WriteByte('\n')
			}
			where := c.tagPlaces(tok)
			for _, i := range all {
				switch j, found := where[i]; {
				case !found:
					refuse(i, place{kind: placeMarkup, tag: tok.Data})
				case !j.ok:
					refuse(i, j.place)
				}
			}
		case html.EndTagToken:
			if blockElements[tok.Data] {
				visible.WriteByte('\n')
			}
			for _, i := range all {
				refuse(i, place{kind: placeTag})
			}
		default: // comments and doctypes
			for _, i := range all {
				refuse(i, place{kind: placeComment})
			}
		}
	}
	// Names in the visible text must not be joined to a web address.
	for _, w := range c.wordsOf(visible.String()) {
		if c.actions[w.index].field == mergeName {
			if p, ok := c.judgeText(w, modeHTML); !ok {
				refuse(w.index, p)
			}
		}
	}
	return bad
}

// judged is where a marker stands in a tag, and whether it may.
type judged struct {
	place place
	ok    bool
}

// tagPlaces says where each marker of a start tag stands, and whether it
// may stand there: only a link field as the whole href of an <a> without
// ping.
func (c *mergeChecker) tagPlaces(tok html.Token) map[int]judged {
	out := map[int]judged{}
	set := func(i int, p place, ok bool) {
		if _, done := out[i]; !done {
			out[i] = judged{p, ok}
		}
	}
	for _, i := range c.markersIn(tok.Data) {
		set(i, place{kind: placeTag}, false)
	}
	ping := slices.ContainsFunc(tok.Attr, func(a html.Attribute) bool { return a.Key == "ping" })
	for _, a := range tok.Attr {
		key := a.Key
		if a.Namespace != "" {
			key = a.Namespace + ":" + a.Key
		}
		for _, i := range c.markersIn(key) {
			set(i, place{kind: placeAttrName, tag: tok.Data}, false)
		}
		in := c.markersIn(a.Val)
		for _, i := range in {
			switch {
			case tok.Data != "a" || key != "href" || c.actions[i].field == mergeName:
				set(i, place{kind: placeAttr, tag: tok.Data, attr: key}, false)
			case len(in) != 1 || strings.ToLower(strings.Trim(a.Val, " \t\n\f\r")) != c.marker(i):
				set(i, place{kind: placeHrefPart, tag: "a", attr: "href"}, false)
			case ping:
				set(i, place{kind: placePing, tag: "a", attr: "href"}, false)
			default:
				set(i, place{}, true)
			}
		}
	}
	return out
}
