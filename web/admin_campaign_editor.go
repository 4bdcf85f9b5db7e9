package web

import (
	"context"
	"html"
	"slices"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	appmail "newsletter/app/mail"
	"newsletter/templates"
)

// The campaign editor: a subject and body per language (the form's
// subject_en, body_en, subject_ru, body_ru), the format, merge-field
// buttons, and a preview per language beside the form. The preview is
// the form posted to /admin/campaigns/preview?language= into a sandboxed
// frame: a button does it without script; admin.js does it as the
// marketer types. Older forms (subject, body_html) still post.

// editorLang is one language's part of the campaign form.
type editorLang struct {
	Lang, Label         string
	Subject, Body       string
	Default             bool
	SubjectErr, BodyErr string
}

// editorFormat is a format choice of the form.
type editorFormat struct {
	Value, Label string
	Selected     bool
}

// campaignFormInput reads the campaign form: the default language's
// subject and body go to the campaign's own fields, the other language's,
// when written, to its translation.
func campaignFormInput(c *fiber.Ctx) app.CampaignInput {
	in := app.CampaignInput{Name: c.FormValue("name"), Purpose: app.CampaignPurpose(c.FormValue("purpose")),
		Locale: c.FormValue("locale"), Format: app.CampaignFormat(c.FormValue("format")), BodyText: c.FormValue("body_text"),
		Archive: c.FormValue("archive") != "", TrackClicks: c.FormValue("track_clicks") != "", NewsletterIDs: formNewsletterIDs(c)}
	setBody := func(body string) {
		if in.Format == app.FormatMarkdown {
			in.Body = body
		} else {
			in.BodyHTML = body
		}
	}
	if !hasLanguageFields(c) {
		in.Subject = c.FormValue("subject")
		in.Body, in.BodyHTML = c.FormValue("body"), c.FormValue("body_html")
		return in
	}
	def := (&app.Campaign{Locale: strings.TrimSpace(in.Locale)}).DefaultLanguage()
	for _, l := range app.CampaignLanguages {
		subject, body := c.FormValue("subject_"+l), c.FormValue("body_"+l)
		switch {
		case l == def:
			in.Subject = subject
			setBody(body)
		case strings.TrimSpace(subject) != "" || strings.TrimSpace(body) != "":
			if in.Translations == nil {
				in.Translations = map[string]app.CampaignTranslation{}
			}
			in.Translations[l] = app.CampaignTranslation{Subject: subject, Body: body}
		}
	}
	return in
}

// hasLanguageFields says whether the form is the editor's, with a subject
// and body per language.
func hasLanguageFields(c *fiber.Ctx) bool {
	for _, l := range app.CampaignLanguages {
		if len(c.Request().PostArgs().Peek("subject_"+l)) > 0 || len(c.Request().PostArgs().Peek("body_"+l)) > 0 {
			return true
		}
	}
	return false
}

// inputOf is a stored campaign as the form edits it.
func inputOf(camp *app.Campaign) app.CampaignInput {
	return app.CampaignInput{Name: camp.Name, Subject: camp.Subject, Purpose: camp.Purpose, Locale: camp.Locale,
		Format: camp.Format, Body: camp.Body, BodyHTML: camp.BodyHTML, BodyText: camp.BodyText, Translations: camp.Translations,
		Archive: camp.Archive, TrackClicks: camp.TrackClicks, NewsletterIDs: camp.NewsletterIDs}
}

// campaignForm is the data of the campaign form for in, with the
// messages of a refused save.
func campaignForm(loc string, id int64, in app.CampaignInput, msg string, fields map[string]string) campaignFormData {
	msg, fields = localizeFields(loc, msg, fields)
	d := campaignFormData{ID: id, In: in, Message: msg, Errors: fields}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	format := in.Format
	if format == "" {
		format = app.FormatHTML
	}
	for _, f := range []app.CampaignFormat{app.FormatMarkdown, app.FormatHTML} {
		d.Formats = append(d.Formats, editorFormat{string(f), templates.T(loc, "admin.editor.format."+string(f)), f == format})
	}
	def := (&app.Campaign{Locale: strings.TrimSpace(in.Locale)}).DefaultLanguage()
	for _, l := range app.CampaignLanguages {
		el := editorLang{Lang: l, Label: templates.T(loc, "admin.editor.lang."+l), Default: l == def}
		if el.Default {
			el.Subject, el.Body = in.Subject, in.Body
			if format == app.FormatHTML {
				el.Body = in.BodyHTML
			}
			el.SubjectErr = fields["subject"]
			el.BodyErr = firstOf(fields, "body", "body_html")
		} else {
			tr := in.Translations[l]
			el.Subject, el.Body = tr.Subject, tr.Body
			p := "translations." + l
			el.SubjectErr = fields[p+".subject"]
			el.BodyErr = firstOf(fields, p+".body", p)
		}
		d.Langs = append(d.Langs, el)
	}
	return d
}

// localizeFields gives the field checks' messages in the console's
// language; messages without a translation stay as they are.
func localizeFields(loc, msg string, fields map[string]string) (string, map[string]string) {
	if loc != app.LocaleRU {
		return msg, fields
	}
	tr := func(s string) string {
		if strings.HasPrefix(s, "is the campaign's default language") {
			return "это основной язык рассылки: его тема и текст пишутся в основной части"
		}
		return templates.TranslateMessage(loc, s)
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		out[k] = tr(v)
	}
	return tr(msg), out
}

func firstOf(fields map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := fields[k]; v != "" {
			return v
		}
	}
	return ""
}

// previewRecipient is the sample recipient of a language: a name from the
// catalog and links that lead nowhere personal.
func (s *Server) previewRecipient(lang string) app.MergeFields {
	base := strings.TrimSuffix(s.opts.BaseURL.String(), "/")
	return app.MergeFields{Name: templates.T(lang, "admin.preview.name"), UnsubscribeURL: base + "/preferences",
		PreferencesURL: base + "/preferences"}
}

// previewMail renders a campaign as the sample recipient of lang gets it.
func (s *Server) previewMail(ctx context.Context, camp *app.Campaign, lang string) (app.RenderedMail, error) {
	tpl, err := app.CompileCampaign(camp, s.opts.Operator, appmail.HTMLToText, s.mailFrame(ctx))
	if err != nil {
		return app.RenderedMail{}, err
	}
	tpl.SetPrivacyURL(strings.TrimSuffix(s.opts.BaseURL.String(), "/") + "/privacy")
	return tpl.Render(lang, s.previewRecipient(lang))
}

// adminEditorPreview answers the campaign form, rendered for the sample
// recipient of ?language= (en or ru) through the mail's layout, for the
// editor's sandboxed frame: the subject above the message, or the form's
// errors (line and field) in the console's language.
func (s *Server) adminEditorPreview(c *fiber.Ctx) error {
	loc := adminLocale(c)
	lang := c.Query("language")
	if !slices.Contains(app.CampaignLanguages, lang) {
		lang = loc
	}
	return sendPreview(c, s.editorPreview(c.UserContext(), campaignFormInput(c), lang, loc))
}

// editorPreview is the preview page of a campaign form for the sample
// recipient of lang, or its errors in the console's language loc.
func (s *Server) editorPreview(ctx context.Context, in app.CampaignInput, lang, loc string) string {
	camp := &app.Campaign{Name: in.Name, Subject: in.Subject, Purpose: in.Purpose, Locale: in.Locale, Format: in.Format,
		Body: in.Body, BodyHTML: in.BodyHTML, BodyText: in.BodyText, Translations: in.Translations}
	if strings.TrimSpace(camp.Name) == "" {
		camp.Name = "preview"
	}
	if camp.Purpose == "" {
		camp.Purpose = app.CampaignMarketing
	}
	// Only the language previewed is compiled, without the text part:
	// the frame shows the HTML and this language's errors.
	err := camp.ValidateFields()
	var m app.RenderedMail
	if err == nil {
		var tpl *app.CampaignTemplate
		if tpl, err = app.CompileCampaignFor(camp, s.opts.Operator, lang, nil, s.mailFrame(ctx)); err == nil {
			tpl.SetPrivacyURL(strings.TrimSuffix(s.opts.BaseURL.String(), "/") + "/privacy")
			m, err = tpl.Render(lang, s.previewRecipient(lang))
		}
	}
	if err != nil {
		msg, fields, ferr := campaignFormErrors(loc, err)
		switch {
		case ferr != nil:
			msg, fields = templates.T(loc, "admin.editor.preview.failed"), nil
		default:
			msg, fields = localizeFields(loc, msg, fields)
		}
		return previewErrorPage(loc, msg, fields)
	}
	return withSubjectBar(m.HTML, templates.T(loc, "admin.campaign.subject")+": "+m.Subject)
}

// previewErrorPage is the preview frame's page for a campaign with
// errors.
func previewErrorPage(loc, msg string, fields map[string]string) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="` + loc + `"><head><meta charset="utf-8"><title>` +
		html.EscapeString(templates.T(loc, "admin.editor.preview.errors")) + `</title></head>` +
		`<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;margin:16px;color:#222">` +
		`<p style="color:#a40000;font-weight:bold" role="alert">` + html.EscapeString(msg) + `</p><ul>`)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("<li><strong>" + html.EscapeString(editorFieldLabel(loc, k)) + "</strong>: " + html.EscapeString(fields[k]) + "</li>")
	}
	b.WriteString("</ul></body></html>")
	return b.String()
}

// editorFieldLabel names a field of the campaign form.
func editorFieldLabel(loc, key string) string {
	lang := ""
	if rest, ok := strings.CutPrefix(key, "translations."); ok {
		lang, key, _ = strings.Cut(rest, ".")
		if key == "" {
			key = "body"
		}
	}
	label := templates.T(loc, "admin.editor.field."+key)
	if label == "admin.editor.field."+key {
		label = key
	}
	if slices.Contains(app.CampaignLanguages, lang) {
		label += " (" + templates.T(loc, "admin.editor.lang."+lang) + ")"
	}
	return label
}

// withSubjectBar puts a line with the subject at the top of a message's
// body, for the preview only.
func withSubjectBar(doc, subject string) string {
	bar := `<div style="font-family:Arial,Helvetica,sans-serif;font-size:13px;padding:8px 12px;background:#f3f4f6;` +
		`border-bottom:1px solid #d1d5db;color:#111">` + html.EscapeString(subject) + `</div>`
	i := strings.Index(doc, "<body")
	if i < 0 {
		return bar + doc
	}
	j := strings.IndexByte(doc[i:], '>')
	if j < 0 {
		return bar + doc
	}
	return doc[:i+j+1] + bar + doc[i+j+1:]
}

// campaignPreviewLangs are the languages the campaign page previews: each
// the campaign is written in.
func campaignPreviewLangs(camp *app.Campaign) []string {
	if len(camp.Translations) == 0 {
		return nil
	}
	return camp.Languages()
}
