package app_test

import (
	"errors"
	"strings"
	"testing"

	"newsletter/app"
)

var contentFields = app.MergeFields{Name: "Ann", UnsubscribeURL: "https://x.example/u/t", PreferencesURL: "https://x.example/p/t"}

// TestCampaignMarkdown: a Markdown body is rendered to HTML with its merge
// fields working (in text and as a link's whole href), raw HTML left out
// and dangerous links dropped, and the result laid out with the footer.
func TestCampaignMarkdown(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		want, lack []string
	}{
		{name: "Heading", body: "# News for {{.Name}}\n\nSome *words*.", want: []string{"<h1>News for Ann</h1>", "<em>words</em>"}},
		{name: "LinkField", body: "[Leave]({{.UnsubscribeURL}}) or [settings]({{.PreferencesURL}})",
			want: []string{`<a href="https://x.example/u/t">Leave</a>`, `<a href="https://x.example/p/t">settings</a>`}},
		{name: "IfElse", body: "{{if .Name}}Dear {{.Name}}{{else}}Hello{{end}},", want: []string{"Dear Ann,"}},
		{name: "RawHTMLLeftOut", body: "Hi <img src=\"https://a.example/p.gif\"> there\n\n<div style=\"display:none\">hidden</div>",
			lack: []string{"<img", "display:none\">hidden"}},
		{name: "ScriptLink", body: "[x](javascript:alert(1))", lack: []string{"javascript:"}},
		{name: "Table", body: "| a | b |\n|---|---|\n| 1 | 2 |", want: []string{"<table>", "<td>1</td>"}},
		{name: "NameEscaped", body: "Hi {{.Name}}", want: []string{"Hi Ann &lt;b&gt;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &app.Campaign{Name: "N", Subject: "S", Purpose: app.CampaignMarketing, Format: app.FormatMarkdown, Body: tt.body}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			tpl, err := app.CompileCampaign(c, app.Operator{Name: "Example Ltd"}, func(h string) string { return h }, testFrame(t))
			if err != nil {
				t.Fatal(err)
			}
			f := contentFields
			if tt.name == "NameEscaped" {
				f.Name = "Ann <b>"
			}
			m, err := tpl.Render("en", f)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(m.HTML, w) {
					t.Errorf("no %q in\n%s", w, m.HTML)
				}
			}
			for _, l := range tt.lack {
				if strings.Contains(m.HTML, l) {
					t.Errorf("%q passed through:\n%s", l, m.HTML)
				}
			}
			if !strings.Contains(m.HTML, "Unsubscribe") || !footerIsChildOfBody(t, m.HTML) {
				t.Errorf("no footer after the body:\n%s", m.HTML)
			}
		})
	}
}

// TestCampaignLanguages: each recipient gets their language where the
// campaign is written in it, else the default; the footer follows.
func TestCampaignLanguages(t *testing.T) {
	tests := []struct {
		name                     string
		locale                   string
		translations             map[string]app.CampaignTranslation
		recipient                string
		subject, body, footer    string
		wantLanguage, wantLocale string
	}{
		{name: "DefaultEnglish", locale: "en", translations: ruTranslation(), recipient: "en",
			subject: "News", body: "Hello Ann", footer: "Unsubscribe", wantLanguage: "en", wantLocale: "en"},
		{name: "Russian", locale: "en", translations: ruTranslation(), recipient: "ru",
			subject: "Новости", body: "Привет, Ann", footer: "Отписаться", wantLanguage: "ru", wantLocale: "ru"},
		{name: "OtherLanguageFallsBack", locale: "en", translations: ruTranslation(), recipient: "de",
			subject: "News", body: "Hello Ann", footer: "Unsubscribe", wantLanguage: "en", wantLocale: "en"},
		{name: "EachRecipientsFooterWithTranslations", locale: "", translations: ruTranslation(), recipient: "ru",
			subject: "Новости", body: "Привет, Ann", footer: "Отписаться", wantLanguage: "ru", wantLocale: "ru"},
		{name: "RussianDefaultEnglishTranslation", locale: "ru", recipient: "en",
			translations: map[string]app.CampaignTranslation{"en": {Subject: "Hi EN", Body: "English {{.Name}}"}},
			subject:      "News", body: "English Ann", footer: "Unsubscribe", wantLanguage: "en", wantLocale: "en"},
		{name: "NoTranslationsRecipientsFooter", locale: "", recipient: "ru",
			subject: "News", body: "Hello Ann", footer: "Отписаться", wantLanguage: "ru", wantLocale: "ru"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &app.Campaign{ID: 7, Name: "N", Subject: "News", Purpose: app.CampaignMarketing, Locale: tt.locale,
				Format: app.FormatMarkdown, Body: "Hello {{.Name}}", Translations: tt.translations}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			tpl, err := app.CompileCampaign(c, app.Operator{Name: "Example Ltd"}, func(h string) string { return h }, testFrame(t))
			if err != nil {
				t.Fatal(err)
			}
			m, err := tpl.Render(tt.recipient, contentFields)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "RussianDefaultEnglishTranslation" {
				tt.subject = "Hi EN"
			}
			if m.Subject != tt.subject || !strings.Contains(m.HTML, tt.body) || !strings.Contains(m.HTML, tt.footer) {
				t.Fatalf("subject %q, html:\n%s", m.Subject, m.HTML)
			}
			if got := tpl.Language(tt.recipient); got != tt.wantLanguage {
				t.Errorf("language %q, want %q", got, tt.wantLanguage)
			}
			if got := tpl.Locale(tt.recipient); got != tt.wantLocale {
				t.Errorf("locale %q, want %q", got, tt.wantLocale)
			}
		})
	}
}

func ruTranslation() map[string]app.CampaignTranslation {
	return map[string]app.CampaignTranslation{"ru": {Subject: "Новости", Body: "Привет, {{.Name}}"}}
}

// TestCampaignContentValidate: the format, the body of the format and the
// translations are checked, each error on its own field.
func TestCampaignContentValidate(t *testing.T) {
	tests := []struct {
		name  string
		c     app.Campaign
		field string
		want  string
	}{
		{name: "UnknownFormat", c: app.Campaign{Format: "rtf", BodyHTML: "x"}, field: "format", want: "markdown or html"},
		{name: "MarkdownWithoutBody", c: app.Campaign{Format: app.FormatMarkdown, BodyHTML: "<p>x</p>"}, field: "body", want: "a markdown campaign's body is body"},
		{name: "HTMLWithoutBodyHTML", c: app.Campaign{Body: "x"}, field: "body_html", want: "body_html"},
		{name: "UnknownLanguage", c: app.Campaign{BodyHTML: "x", Locale: "en", Translations: map[string]app.CampaignTranslation{"de": {Subject: "a", Body: "b"}}},
			field: "translations.de", want: "one of"},
		{name: "DefaultLanguageTwice", c: app.Campaign{BodyHTML: "x", Locale: "ru", Translations: map[string]app.CampaignTranslation{"ru": {Subject: "a", Body: "b"}}},
			field: "translations.ru", want: "default language"},
		{name: "TranslationSubject", c: app.Campaign{BodyHTML: "x", Translations: map[string]app.CampaignTranslation{"ru": {Body: "b"}}},
			field: "translations.ru.subject", want: "required"},
		{name: "TranslationBody", c: app.Campaign{BodyHTML: "x", Translations: map[string]app.CampaignTranslation{"ru": {Subject: "a"}}},
			field: "translations.ru.body", want: "required"},
		{name: "TranslationTemplate", c: app.Campaign{Format: app.FormatMarkdown, Body: "x",
			Translations: map[string]app.CampaignTranslation{"ru": {Subject: "a", Body: "Привет\n\n{{.Nmae}}"}}},
			field: "translations.ru.body", want: "line 3: unknown field Nmae; did you mean {{.Name}}?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			c.Name, c.Subject, c.Purpose = "N", "S", app.CampaignMarketing
			err := c.Validate()
			if got := app.ErrorFields(err)[tt.field]; app.ErrorCode(err) != app.EINVALID || !strings.Contains(got, tt.want) {
				t.Fatalf("%s: %q, want %q (%v)", tt.field, got, tt.want, err)
			}
		})
	}
}

// TestCampaignMergeFieldSuggestions: a mistyped merge field is named with
// its line and the field meant, in both languages, in each part and
// format.
func TestCampaignMergeFieldSuggestions(t *testing.T) {
	tests := []struct {
		name          string
		c             app.Campaign
		field, en, ru string
	}{
		{name: "HTML", c: app.Campaign{BodyHTML: "<p>Hi</p>\n<p>x</p>\n<p>{{.Nmae}}</p>"}, field: "body_html",
			en: "line 3: unknown field Nmae; did you mean {{.Name}}?", ru: "строка 3: неизвестное поле Nmae; возможно, имелось в виду {{.Name}}?"},
		{name: "Markdown", c: app.Campaign{Format: app.FormatMarkdown, Body: "# Hi\n\nDear {{.name}},\n\n[x]({{.UnsubscribeUrl}})"}, field: "body",
			en: "line 3: unknown field name; did you mean {{.Name}}?", ru: "строка 3: неизвестное поле name"},
		{name: "MarkdownLink", c: app.Campaign{Format: app.FormatMarkdown, Body: "# Hi\n\n[x]({{.UnsubscribeUrl}})"}, field: "body",
			en: "line 3: unknown field UnsubscribeUrl; did you mean {{.UnsubscribeURL}}?", ru: "{{.UnsubscribeURL}}"},
		{name: "If", c: app.Campaign{BodyHTML: "{{if .Nam}}x{{end}}"}, field: "body_html", en: "line 1: unknown field Nam; did you mean {{.Name}}?", ru: "строка 1"},
		{name: "Subject", c: app.Campaign{Subject: "For {{.Nmae}}", BodyHTML: "x"}, field: "subject", en: "did you mean {{.Name}}?", ru: "возможно"},
		{name: "TextPart", c: app.Campaign{BodyHTML: "x", BodyText: "\n{{.PrefsURL}}"}, field: "body_text", en: "line 2: unknown field PrefsURL; did you mean {{.PreferencesURL}}?", ru: "строка 2"},
		{name: "FarFromAny", c: app.Campaign{BodyHTML: "{{.Email}}"}, field: "body_html", en: "unknown field Email; the fields are {{.Name}}, {{.UnsubscribeURL}} and {{.PreferencesURL}}", ru: "доступны поля"},
		{name: "MarkdownPlacement", c: app.Campaign{Format: app.FormatMarkdown, Body: "# Hi\n\n\n![x](https://a.example/{{.Name}})"}, field: "body",
			en: "line 4: {{.Name}} stands in the src attribute of <img>", ru: "строка 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			c.Name, c.Purpose = "N", app.CampaignMarketing
			if c.Subject == "" {
				c.Subject = "S"
			}
			var e *app.CampaignTemplateError
			if err := c.Validate(); !errors.As(err, &e) {
				t.Fatalf("%v", err)
			}
			if got := e.Localize("en").Fields[tt.field]; !strings.Contains(got, tt.en) {
				t.Errorf("en %q, want %q", got, tt.en)
			}
			if got := e.Localize("ru").Fields[tt.field]; !strings.Contains(got, tt.ru) {
				t.Errorf("ru %q, want %q", got, tt.ru)
			}
		})
	}
}
