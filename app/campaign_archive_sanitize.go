package app

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Elements left out of an archived campaign with everything inside them:
// scripts and what can load or run active content, submit, or change the
// page's base or refresh it.
var archiveDropped = map[atom.Atom]bool{
	atom.Script: true, atom.Noscript: true, atom.Iframe: true, atom.Frame: true, atom.Frameset: true,
	atom.Object: true, atom.Embed: true, atom.Applet: true, atom.Form: true, atom.Template: true,
	atom.Svg: true, atom.Math: true,
}

// Void elements left out on their own.
var archiveDroppedVoid = map[atom.Atom]bool{
	atom.Base: true, atom.Meta: true, atom.Link: true, atom.Input: true, atom.Button: true,
	atom.Select: true, atom.Textarea: true, atom.Param: true, atom.Source: true,
}

// SanitizeArchiveHTML makes a marketer's (already validated) HTML safe to
// publish: no script or active content, no event handler, no javascript:
// or other non-web link, no form; links open in a new window without a
// referrer. The markup and styles are kept.
func SanitizeArchiveHTML(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // depth inside a dropped element
	var skipping atom.Atom
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String() // the end, or what the tokenizer cannot read
		}
		raw := string(z.Raw())
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			if skip > 0 {
				if tok.DataAtom == skipping && tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if archiveDropped[tok.DataAtom] || tok.DataAtom == 0 && strings.Contains(tok.Data, ":") {
				if tt == html.StartTagToken {
					skip, skipping = 1, tok.DataAtom
				}
				continue
			}
			if archiveDroppedVoid[tok.DataAtom] {
				continue
			}
			tok.Attr = archiveAttrs(tok)
			b.WriteString(tok.String())
		case html.EndTagToken:
			if skip > 0 {
				if tok.DataAtom == skipping {
					skip--
				}
				continue
			}
			if archiveDroppedVoid[tok.DataAtom] {
				continue
			}
			b.WriteString(tok.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(raw) // as written: escaped text, or a style sheet
			}
		case html.DoctypeToken:
			b.WriteString(tok.String())
		}
	}
}

// archiveAttrs keeps the harmless attributes of a tag, and makes links
// open apart.
func archiveAttrs(tok html.Token) []html.Attribute {
	out := tok.Attr[:0]
	for _, a := range tok.Attr {
		key := strings.ToLower(a.Key)
		switch {
		case strings.HasPrefix(key, "on"), key == "srcdoc", key == "formaction", key == "target", key == "rel",
			key == "http-equiv", a.Namespace != "":
			continue
		case key == "href" || key == "src" || key == "background" || key == "action" || key == "xlink:href":
			if !safeArchiveURL(a.Val, key == "src" && tok.DataAtom == atom.Img) {
				continue
			}
		}
		out = append(out, a)
	}
	if tok.DataAtom == atom.A {
		out = append(out, html.Attribute{Key: "target", Val: "_blank"}, html.Attribute{Key: "rel", Val: "noopener noreferrer"})
	}
	return out
}

// safeArchiveURL reports whether u is a web, mail or in-page link (an
// image may be a data: URL too).
func safeArchiveURL(u string, image bool) bool {
	v := strings.ToLower(strings.TrimSpace(u))
	v = strings.Map(func(r rune) rune {
		if r < ' ' {
			return -1
		}
		return r
	}, v)
	switch {
	case strings.HasPrefix(v, "http://"), strings.HasPrefix(v, "https://"), strings.HasPrefix(v, "mailto:"),
		strings.HasPrefix(v, "#"), strings.HasPrefix(v, "cid:") && image:
		return true
	case image && strings.HasPrefix(v, "data:image/") && !strings.HasPrefix(v, "data:image/svg"):
		return true
	}
	return !strings.Contains(v, ":")
}
