package templates

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	texttemplate "text/template"

	"newsletter/app"
)

// frame is what the layout (mail/layout.html, mail/layout.txt) receives.
type frame struct {
	app.LayoutContent
	Lang     string
	Body     template.HTML
	Head     template.HTML
	Note     template.HTML
	Logo     string
	Operator string
	// Page, Brand, FootText and FootLink are the colours, validated hex.
	Page, Brand, FootText, FootLink template.CSS
	FooterText                      string
}

// footerLink is one link of the footer.
type footerLink struct {
	URL, Label string
	Color      template.CSS
	Armour     bool
}

// layoutFuncs are the functions of the layout's templates.
func layoutFuncs(funcs template.FuncMap) template.FuncMap {
	funcs["footerLink"] = func(f *frame, url, label string) footerLink {
		return footerLink{URL: url, Label: label, Color: f.FootLink, Armour: f.Armour}
	}
	// Outlook for Windows knows no max-width: a table of 600 px holds the
	// card there, in a conditional comment other clients skip.
	funcs["msoOpen"] = func() template.HTML {
		return `<!--[if mso]><table role="presentation" width="600" align="center" cellspacing="0" cellpadding="0" border="0"><tr><td><![endif]-->`
	}
	funcs["msoClose"] = func() template.HTML { return `<!--[if mso]></td></tr></table><![endif]-->` }
	return funcs
}

// parseLayout parses the layout of one locale.
func parseLayout(funcs template.FuncMap) (*template.Template, *texttemplate.Template, error) {
	h, err := template.New("layout.html").Funcs(layoutFuncs(funcs)).ParseFS(files, "mail/layout.html")
	if err != nil {
		return nil, nil, fmt.Errorf("parse mail layout: %w", err)
	}
	t, err := texttemplate.New("layout.txt").Funcs(texttemplate.FuncMap(funcs)).ParseFS(files, "mail/layout.txt")
	if err != nil {
		return nil, nil, fmt.Errorf("parse mail layout text: %w", err)
	}
	return h, t, nil
}

// RenderLayout writes content out in the layout l of locale: the whole
// HTML document (the content in a card, the footer after it, outside the
// content) and the text part (the content's text and the footer's). The
// layout's values are escaped; its colours must be valid (app.
// ValidateMailLayout) or the defaults are used. It implements
// app.LayoutRenderer.
func (r *Renderer) RenderLayout(l app.MailLayout, locale string, c app.LayoutContent) (html, text string, err error) {
	loc := normLocale(locale)
	l = l.WithDefaults()
	f := &frame{LayoutContent: c, Lang: c.Lang, Body: template.HTML(c.Body), Head: template.HTML(c.Head),
		Note: template.HTML(c.Note), Logo: l.LogoURL, Operator: c.Footer.OperatorName, FooterText: l.FooterText}
	if f.Lang == "" {
		f.Lang = loc
	}
	page := safeColor(l.BackgroundColor, app.DefaultBackgroundColor)
	f.Page, f.Brand = template.CSS(page), template.CSS(safeColor(l.BrandColor, app.DefaultBrandColor))
	f.FootText, f.FootLink = "#555555", "#444444"
	if dark(page) {
		f.FootText, f.FootLink = "#d1d5db", "#e5e7eb"
	}
	var b bytes.Buffer
	b.Grow(len(c.Body) + 4096)
	if err := r.layout[loc].ExecuteTemplate(&b, "frame", f); err != nil {
		return "", "", fmt.Errorf("render mail layout: %w", err)
	}
	html = b.String()
	var tb strings.Builder
	tb.Grow(len(c.Text) + 512)
	if err := r.layoutText[loc].ExecuteTemplate(&tb, "text", f); err != nil {
		return "", "", fmt.Errorf("render mail layout text: %w", err)
	}
	return html, tb.String(), nil
}

// safeColor is c when it is #rrggbb, def otherwise: a colour reaches a
// style attribute only in that form.
func safeColor(c, def string) string {
	if len(c) != 7 || c[0] != '#' {
		return def
	}
	if _, err := strconv.ParseUint(c[1:], 16, 32); err != nil {
		return def
	}
	return strings.ToLower(c)
}

// dark says a #rrggbb colour is dark: light text reads better on it.
func dark(c string) bool {
	v, _ := strconv.ParseUint(c[1:], 16, 32)
	r, g, b := float64(v>>16&0xff), float64(v>>8&0xff), float64(v&0xff)
	return 0.299*r+0.587*g+0.114*b < 128
}
