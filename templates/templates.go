// Package templates holds the HTML pages and email templates of the product
// in English and Russian, embedded in the binary, and renders them.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"newsletter/app"
	"newsletter/i18n"
	"path"
	"reflect"
	"slices"
	"strings"
	texttemplate "text/template"
)

//go:embed pages mail static
var files embed.FS

// Locales the product speaks.
var Locales = []string{"en", "ru"}

// Static returns the static files (CSS, images) served under /static/.
func Static() fs.FS {
	sub, _ := fs.Sub(files, "static")
	return sub
}

// Renderer renders pages and mail. Templates are parsed once, at New.
type Renderer struct {
	pages map[string]*template.Template // key: locale + "/" + name
	mail  map[string]*template.Template
	text  map[string]*texttemplate.Template
	// layout and layoutText are the mail layout of each locale.
	layout     map[string]*template.Template
	layoutText map[string]*texttemplate.Template
}

// New parses every template for every locale.
func New() (*Renderer, error) {
	r := &Renderer{pages: map[string]*template.Template{}, mail: map[string]*template.Template{}, text: map[string]*texttemplate.Template{},
		layout: map[string]*template.Template{}, layoutText: map[string]*texttemplate.Template{}}
	pageNames, err := fs.Glob(files, "pages/*.html")
	if err != nil {
		return nil, err
	}
	mailNames, err := fs.Glob(files, "mail/*.html")
	if err != nil {
		return nil, err
	}
	for _, loc := range Locales {
		funcs := funcMap(loc)
		if r.layout[loc], r.layoutText[loc], err = parseLayout(funcMap(loc)); err != nil {
			return nil, err
		}
		for _, p := range pageNames {
			name := strings.TrimSuffix(path.Base(p), ".html")
			if name == "layout" || name == "admin_layout" {
				continue
			}
			layout := "pages/layout.html"
			if strings.HasPrefix(name, "admin_") {
				layout = "pages/admin_layout.html" // the console's own frame
			}
			parts := []string{layout, p}
			if strings.HasPrefix(name, "doc_") {
				parts = []string{p} // a document of its own, made to print
			}
			t, err := template.New(path.Base(parts[0])).Funcs(funcs).ParseFS(files, parts...)
			if err != nil {
				return nil, fmt.Errorf("parse page %s: %w", name, err)
			}
			r.pages[loc+"/"+name] = t
		}
		for _, p := range mailNames {
			name := strings.TrimSuffix(path.Base(p), ".html")
			if name == "layout" || name == "parts" {
				continue
			}
			t, err := template.New("parts.html").Funcs(funcs).ParseFS(files, "mail/parts.html", p)
			if err != nil {
				return nil, fmt.Errorf("parse mail %s: %w", name, err)
			}
			r.mail[loc+"/"+name] = t
			if tp := "mail/" + name + ".txt"; exists(tp) {
				tt, err := texttemplate.New(name+".txt").Funcs(texttemplate.FuncMap(funcs)).ParseFS(files, tp)
				if err != nil {
					return nil, fmt.Errorf("parse mail text %s: %w", name, err)
				}
				r.text[loc+"/"+name] = tt
			}
		}
	}
	return r, nil
}

func exists(name string) bool {
	_, err := fs.Stat(files, name)
	return err == nil
}

// normLocale is the product's one locale rule, app.NormalizeLocale.
func normLocale(locale string) string { return app.NormalizeLocale(locale) }

// Page writes the page name in locale with data.
func (r *Renderer) Page(w io.Writer, name, locale string, data any) error {
	t, ok := r.pages[normLocale(locale)+"/"+name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, t.Name(), data); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// Mail renders the message name in locale, in the mail layout data.Layout
// of that locale: its subject (the template's "subject" block), its HTML
// (the "body" block in the layout, with the "footer" block as the
// footer's note and "preheader" as the preheader) and its text part (from
// NAME.txt when present, otherwise empty so the sender derives it from
// the HTML; with the layout's footer text).
func (r *Renderer) Mail(name, locale string, data Mail) (subject, html, text string, err error) {
	loc := normLocale(locale)
	t, ok := r.mail[loc+"/"+name]
	if !ok {
		return "", "", "", fmt.Errorf("no mail template %q", name)
	}
	data.Layout = data.Layout.WithDefaults()
	data.Brand = template.CSS(safeColor(data.Layout.BrandColor, app.DefaultBrandColor))
	var parts [4]string
	for i, block := range []string{"subject", "preheader", "body", "footer"} {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, block, data); err != nil {
			return "", "", "", fmt.Errorf("render mail %s %s: %w", name, block, err)
		}
		parts[i] = buf.String()
	}
	subject = strings.Join(strings.Fields(parts[0]), " ")
	if tt, ok := r.text[loc+"/"+name]; ok {
		var buf bytes.Buffer
		if err := tt.Execute(&buf, data); err != nil {
			return "", "", "", fmt.Errorf("render mail %s text: %w", name, err)
		}
		text = buf.String()
	}
	html, layoutText, err := r.RenderLayout(data.Layout, loc, app.LayoutContent{Title: subject,
		Preheader: strings.TrimSpace(parts[1]), Body: parts[2], Note: parts[3], Text: text,
		Footer: app.LayoutFooter{OperatorName: data.Operator}})
	if err != nil {
		return "", "", "", fmt.Errorf("render mail %s: %w", name, err)
	}
	if text != "" {
		text = layoutText
	}
	return subject, html, text, nil
}

// The pages' and mail's texts (i18n*.go here) go into the product's one
// catalog, package i18n, with the validation messages of app.
func init() {
	i18n.Add(catalog)
	i18n.Add(webhookCatalog)
}

// T returns the text of key in locale, formatted with args.
func T(locale, key string, args ...any) string {
	if _, ok := i18n.Lookup(key); !ok {
		return key
	}
	s := i18n.Text(normLocale(locale), key)
	if len(args) > 0 {
		return fmt.Sprintf(s, deref(args)...)
	}
	return s
}

// deref replaces pointer arguments by what they point to, so that a
// template passing an optional id (*int64) prints the number, never the
// pointer; a nil pointer prints as an empty text.
func deref(args []any) []any {
	out := make([]any, len(args))
	copy(out, args)
	for i, a := range args {
		v := reflect.ValueOf(a)
		if v.Kind() != reflect.Pointer {
			continue
		}
		if v.IsNil() {
			out[i] = ""
			continue
		}
		out[i] = v.Elem().Interface()
	}
	return out
}

func funcMap(locale string) template.FuncMap {
	return template.FuncMap{
		"t":      func(key string, args ...any) string { return T(locale, key, args...) },
		"locale": func() string { return locale },
		"days":   func(n int) string { return Days(locale, n) },
		"paras":  paragraphsOf,
		"lines":  func(s string) []string { return strings.Split(s, "\n") },
		"other":  func() string { return map[string]string{"en": "ru", "ru": "en"}[locale] },
		"join":   strings.Join,
		"paragraphs": func(s string) template.HTML {
			return RenderPolicy(s)
		},
		"button": func(url, label string, color template.CSS) map[string]any {
			return map[string]any{"URL": url, "Label": label, "Color": color}
		},
	}
}

// Page is what every page template receives: the common frame and the
// page's own Data.
type Page struct {
	Title    string
	Lang     string
	LangURL  string // the same page in the other language
	Operator string
	// Analytics is the analytics script loaded only after the visitor
	// allows it; empty for none.
	Analytics string
	Data      any
}

// Mail is what transactional mail templates receive.
type Mail struct {
	Name            string
	Operator        string
	OperatorAddress string
	SiteURL         string
	// URL is the message's call to action (confirm, preferences, ...).
	URL  string
	Days int
	// Received, Due and Reason are a request's dates, written out, and the
	// reason of its extension.
	Received, Due, Reason string
	// Overdue, DueSoon and Requests are a deadline alert's counts and the
	// requests it lists; More says it lists only some.
	Overdue, DueSoon int64
	Requests         []AlertRequest
	More             bool
	// RequestID and Body are a staff member's free-text answer to a
	// person's request.
	RequestID int64
	Body      string
	// Layout is the owner's mail layout of the message's language (the
	// zero value: the defaults); Brand its brand colour, set by Mail.
	Layout app.MailLayout
	Brand  template.CSS
}

// paragraphsOf splits a text into its paragraphs (blank lines between).
func paragraphsOf(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// OperatorLine is the operator's name and, when configured, postal address:
// "Example LLC, 1 Main St", or "Example LLC" alone.
func (m Mail) OperatorLine() string {
	return strings.Join(slices.DeleteFunc([]string{strings.TrimSpace(m.Operator), strings.TrimSpace(m.OperatorAddress)},
		func(s string) bool { return s == "" }), ", ")
}

// AlertRequest is one request a deadline alert lists.
type AlertRequest struct {
	ID      int64
	Kind    string
	Channel string
	Due     string
	Overdue bool
}
