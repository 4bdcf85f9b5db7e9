package app

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"sync"
	texttemplate "text/template"
)

// MergeFields are the values a campaign's templates may use:
// {{.Name}}, {{.UnsubscribeURL}} and {{.PreferencesURL}}.
type MergeFields struct {
	Name           string
	UnsubscribeURL string
	PreferencesURL string
}

// RenderedMail is one recipient's message content.
type RenderedMail struct {
	Subject string
	HTML    string
	Text    string
}

// footerData is what the footer templates receive.
type footerData struct {
	MergeFields
	Marketing       bool
	OperatorName    string
	OperatorAddress string
	PrivacyURL      string
}

// Styles of the footer's elements: inline and !important, so that no style
// sheet of the body can hide the footer, shrink it or make its text the
// colour of its background.
const (
	footerShown = "visibility:visible !important;opacity:1 !important;filter:none !important;transform:none !important;" +
		"clip-path:none !important;position:static !important;height:auto !important;max-height:none !important;" +
		"overflow:visible !important;text-indent:0 !important;"
	footerTableStyle = "display:table !important;" + footerShown + "width:100% !important;margin-top:24px;" +
		"border-top:1px solid #dddddd;background-color:#ffffff !important"
	footerGroupStyle = "display:table-row-group !important;" + footerShown
	footerRowStyle   = "display:table-row !important;" + footerShown
	footerCellStyle  = "display:table-cell !important;" + footerShown + "padding:16px 8px;font-family:Arial,Helvetica,sans-serif;" +
		"font-size:12px !important;line-height:18px !important;color:#666666 !important;background-color:#ffffff !important"
	footerLinkStyle = "display:inline !important;" + footerShown + "font-size:12px !important;color:#444444 !important;" +
		"text-decoration:underline"
)

// Footers of campaign mail, by language: why the person receives it, a
// visible unsubscribe link, the preference centre, the policy, and who the
// operator is. Tables and inline styles only, for mail clients.
const (
	footerHTMLEN = `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="` + footerTableStyle + `">
<tbody style="` + footerGroupStyle + `"><tr style="` + footerRowStyle + `"><td style="` + footerCellStyle + `">
{{if .Marketing}}You receive this email because you subscribed to news and offers from {{.OperatorName}}.{{else}}You receive this email because you use the services of {{.OperatorName}}.{{end}}<br>
<a href="{{.UnsubscribeURL}}" style="` + footerLinkStyle + `">Unsubscribe</a> &middot;
<a href="{{.PreferencesURL}}" style="` + footerLinkStyle + `">Manage your preferences</a> &middot;
<a href="{{.PrivacyURL}}" style="` + footerLinkStyle + `">Privacy policy</a><br>
{{.OperatorName}}{{with .OperatorAddress}}, {{.}}{{end}}
</td></tr></tbody></table>`
	footerHTMLRU = `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="` + footerTableStyle + `">
<tbody style="` + footerGroupStyle + `"><tr style="` + footerRowStyle + `"><td style="` + footerCellStyle + `">
{{if .Marketing}}Вы получили это письмо, потому что подписались на новости и предложения {{.OperatorName}}.{{else}}Вы получили это письмо, потому что пользуетесь услугами {{.OperatorName}}.{{end}}<br>
<a href="{{.UnsubscribeURL}}" style="` + footerLinkStyle + `">Отписаться</a> &middot;
<a href="{{.PreferencesURL}}" style="` + footerLinkStyle + `">Настройки подписки</a> &middot;
<a href="{{.PrivacyURL}}" style="` + footerLinkStyle + `">Политика обработки персональных данных</a><br>
{{.OperatorName}}{{with .OperatorAddress}}, {{.}}{{end}}
</td></tr></tbody></table>`
	footerTextEN = `
--
{{if .Marketing}}You receive this email because you subscribed to news and offers from {{.OperatorName}}.{{else}}You receive this email because you use the services of {{.OperatorName}}.{{end}}
Unsubscribe: {{.UnsubscribeURL}}
Manage your preferences: {{.PreferencesURL}}
Privacy policy: {{.PrivacyURL}}
{{.OperatorName}}{{with .OperatorAddress}}, {{.}}{{end}}
`
	footerTextRU = `
--
{{if .Marketing}}Вы получили это письмо, потому что подписались на новости и предложения {{.OperatorName}}.{{else}}Вы получили это письмо, потому что пользуетесь услугами {{.OperatorName}}.{{end}}
Отписаться: {{.UnsubscribeURL}}
Настройки подписки: {{.PreferencesURL}}
Политика обработки персональных данных: {{.PrivacyURL}}
{{.OperatorName}}{{with .OperatorAddress}}, {{.}}{{end}}
`
)

// CampaignTemplate is a campaign compiled for sending: its templates are
// parsed and checked once, its HTML laid out once (per combination of
// empty merge fields), and each recipient's message is filled in. It is
// safe for concurrent use.
type CampaignTemplate struct {
	campaign   *Campaign
	op         Operator
	privacyURL string
	subject    *texttemplate.Template // nil: the subject has no merge fields
	html       *template.Template
	text       *texttemplate.Template // nil: derived from the HTML
	footerHTML map[string]*template.Template
	footerText map[string]*texttemplate.Template
	footerCut  map[string][3]string // by locale: the HTML footer cut at the links (campaign_footer.go)
	layouts    [8]struct {
		once sync.Once
		seg  *layoutSegments
		err  error
	}
	derivedText map[string]textSegments // by locale and whether named
	// derived are the values that stand for the merge fields while the
	// text part is derived from the HTML: random, so that no template
	// can write them itself.
	derived [3]string
	// buffers are reused across renders: a campaign's HTML is rendered
	// thousands of times a second.
	buffers      sync.Pool
	textFromHTML func(string) string
}

// Sample values of the save-time render: the longest name a person can
// have (100 characters, each as long as UTF-8 makes it, or each escaped
// in HTML) and long links.
var (
	sampleNames = []string{"", strings.Repeat("\U0001D400", MaxNameRunes), "a" + strings.Repeat("'", MaxNameRunes-1)}
	sampleURL   = "https://news.example.com/" + strings.Repeat("x", 300)
)

// CompileCampaign parses c's subject and bodies, checks them against the
// merge-field rule, lays out the HTML with the footer of each language and
// renders it once with the longest sample values, so that a template over
// the size caps is refused now, in the editor. textFromHTML, when not nil,
// derives the text part from the HTML when c has none (once per language,
// not per recipient); with nil, Render leaves Text empty for such
// campaigns. A template that does not parse, breaks the rule or renders
// too large gives an EINVALID error naming the field
// (*CampaignTemplateError for the rule and the caps).
func CompileCampaign(c *Campaign, op Operator, textFromHTML func(string) string) (*CampaignTemplate, error) {
	t := &CampaignTemplate{campaign: c, op: op, textFromHTML: textFromHTML, footerHTML: map[string]*template.Template{},
		footerText: map[string]*texttemplate.Template{}, derivedText: map[string]textSegments{}}
	fields := map[string]string{}
	if strings.Contains(c.Subject, "{{") {
		st, err := texttemplate.New("subject").Option("missingkey=error").Parse(c.Subject)
		if err != nil {
			fields["subject"] = templateError(err)
		}
		t.subject = st
	}
	ht, err := template.New("body_html").Option("missingkey=error").Parse(c.BodyHTML)
	if err != nil {
		fields["body_html"] = templateError(err)
	}
	t.html = ht
	if strings.TrimSpace(c.BodyText) != "" {
		tt, err := texttemplate.New("body_text").Option("missingkey=error").Parse(c.BodyText)
		if err != nil {
			fields["body_text"] = templateError(err)
		}
		t.text = tt
	}
	if len(fields) > 0 {
		return nil, &Error{Code: EINVALID, Message: "The campaign's templates have errors.", Fields: fields}
	}
	if e := templateProblems(c); e != nil {
		return nil, e
	}
	for _, loc := range []string{"en", "ru"} {
		fh, ft := footerHTMLEN, footerTextEN
		if loc == "ru" {
			fh, ft = footerHTMLRU, footerTextRU
		}
		t.footerHTML[loc] = template.Must(template.New("footer").Parse(fh))
		t.footerText[loc] = texttemplate.Must(texttemplate.New("footer").Parse(ft))
	}
	t.cutFooters()
	if err := t.sampleRender(); err != nil {
		return nil, err
	}
	m := newLayoutMarkers()
	t.derived = [3]string{m[0], "https://merge.invalid/" + m[1], "https://merge.invalid/" + m[2]}
	if err := t.derive(); err != nil {
		return nil, err
	}
	return t, nil
}

// sampleRender renders every part with the sample values, in each
// language: a runtime error or a part over its cap shows up now.
func (t *CampaignTemplate) sampleRender() error {
	fields := map[string]string{}
	sizes := map[string]int{}
	for _, name := range sampleNames {
		f := MergeFields{Name: name, UnsubscribeURL: sampleURL, PreferencesURL: sampleURL}
		for _, loc := range []string{"en", "ru"} {
			subject, err := t.renderSubject(f)
			if err != nil {
				sizeOrError(fields, sizes, "subject", len(subject), err)
			}
			n, err := t.htmlSize(loc, f)
			if err != nil {
				sizeOrError(fields, sizes, "body_html", n, err)
			}
			if t.text != nil {
				var b strings.Builder
				if err := t.renderText(&b, loc, f); err != nil {
					sizeOrError(fields, sizes, "body_text", b.Len(), err)
				}
			}
		}
	}
	if len(sizes) > 0 && len(fields) == 0 {
		return &CampaignTemplateError{Sizes: sizes}
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "The campaign's templates have errors.", Fields: fields}
	}
	return nil
}

// sizeOrError records a part over its cap by its size, any other failure
// by its message.
func sizeOrError(fields map[string]string, sizes map[string]int, field string, n int, err error) {
	var e *Error
	switch {
	case errors.Is(err, errTooLarge):
		sizes[field] = max(sizes[field], n, MaxRenderedPart+1)
	case errors.As(err, &e):
		for k, v := range e.Fields {
			fields[k] = v
		}
		if len(e.Fields) == 0 {
			fields[field] = e.Message
		}
	default:
		fields[field] = templateError(errors.Unwrap(err))
	}
}

// derive makes the text part of each language from the HTML, with
// stand-in values for the merge fields, split at them. It is made twice
// per language, for recipients with and without a name, so that a
// template's {{if .Name}} works in the text part too.
func (t *CampaignTemplate) derive() error {
	if t.text != nil || t.textFromHTML == nil {
		return nil
	}
	for _, loc := range []string{"en", "ru"} {
		for _, named := range []bool{false, true} {
			f := MergeFields{UnsubscribeURL: t.derived[1], PreferencesURL: t.derived[2]}
			if named {
				f.Name = t.derived[0]
			}
			html, err := t.renderHTML(loc, f)
			if err != nil {
				return err
			}
			t.derivedText[derivedKey(loc, named)] = splitSentinels(t.textFromHTML(html), t.derived)
		}
	}
	return nil
}

func derivedKey(loc string, named bool) string {
	if named {
		return loc + "/named"
	}
	return loc
}

// textSegments is a text with merge fields: parts[0] field[0] parts[1] ...
type textSegments struct {
	parts  []string
	fields []int // 0 name, 1 unsubscribe URL, 2 preferences URL
	size   int
}

// splitSentinels cuts s at every stand-in value.
func splitSentinels(s string, sentinels [3]string) textSegments {
	parts, fields := cutAt(s, sentinels[:])
	ts := textSegments{parts: parts, fields: fields}
	for _, p := range parts {
		ts.size += len(p)
	}
	return ts
}

// fill puts the merge fields in; it fails past the cap.
func (ts textSegments) fill(f MergeFields) (string, error) {
	vals := [...]string{f.Name, f.UnsubscribeURL, f.PreferencesURL}
	n := ts.size
	for _, i := range ts.fields {
		n += len(vals[i])
	}
	if n > MaxRenderedPart {
		return "", errTooLarge
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range ts.parts {
		b.WriteString(p)
		if i < len(ts.fields) {
			b.WriteString(vals[ts.fields[i]])
		}
	}
	return b.String(), nil
}

// SetPrivacyURL sets the link to the privacy policy shown in the footer.
// Call it before the template is used.
func (t *CampaignTemplate) SetPrivacyURL(u string) {
	t.privacyURL = u
	t.cutFooters()
	_ = t.derive() // rendered once already in CompileCampaign: cannot fail now
}

// templateError is a template error without the template's name prefix.
func templateError(err error) string {
	if err == nil {
		return "template error"
	}
	msg := err.Error()
	for _, p := range []string{"template: subject:", "template: body_html:", "template: body_text:"} {
		msg = strings.TrimPrefix(msg, p)
	}
	return "template error at line " + strings.TrimSpace(msg)
}

// locale picks the language of a recipient's footer.
func (t *CampaignTemplate) locale(recipientLocale string) string {
	loc := t.campaign.Locale
	if loc == "" {
		loc = recipientLocale
	}
	return NormalizeLocale(loc)
}

// Locale returns the language of the footer and mailto subject for a
// recipient whose own language is recipientLocale.
func (t *CampaignTemplate) Locale(recipientLocale string) string { return t.locale(recipientLocale) }

func (t *CampaignTemplate) footer(f MergeFields) footerData {
	return footerData{MergeFields: f, Marketing: t.campaign.Purpose == CampaignMarketing,
		OperatorName: t.op.Name, OperatorAddress: t.op.Address, PrivacyURL: t.privacyURL}
}

// htmlValues are the escaped values of a recipient's merge fields and
// footer for the layout's slots.
func (t *CampaignTemplate) htmlValues(loc string, f MergeFields) (*[4]string, error) {
	buf, _ := t.buffers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer t.buffers.Put(buf)
	buf.Reset()
	if err := t.writeFooterHTML(buf, loc, f); err != nil {
		return nil, err
	}
	return &[4]string{template.HTMLEscapeString(f.Name), template.HTMLEscapeString(f.UnsubscribeURL),
		template.HTMLEscapeString(f.PreferencesURL), buf.String()}, nil
}

// htmlSize is the length of a recipient's HTML part; it fails past the cap.
func (t *CampaignTemplate) htmlSize(loc string, f MergeFields) (int, error) {
	seg, err := t.layout(f)
	if err != nil {
		return 0, err
	}
	vals, err := t.htmlValues(loc, f)
	if err != nil {
		return 0, err
	}
	if n := seg.sizeWith(vals); n > MaxRenderedPart {
		return n, errTooLarge
	}
	return 0, nil
}

// renderHTML fills the laid-out body with a recipient's values and footer.
func (t *CampaignTemplate) renderHTML(loc string, f MergeFields) (string, error) {
	seg, err := t.layout(f)
	if err != nil {
		return "", err
	}
	vals, err := t.htmlValues(loc, f)
	if err != nil {
		return "", err
	}
	n := seg.sizeWith(vals)
	if n > MaxRenderedPart {
		return "", fmt.Errorf("render campaign %d html: %w", t.campaign.ID, errTooLarge)
	}
	var b strings.Builder
	b.Grow(n)
	seg.fill(&b, vals)
	return b.String(), nil
}

// renderSubject renders the subject for f.
func (t *CampaignTemplate) renderSubject(f MergeFields) (string, error) {
	if t.subject == nil {
		return t.campaign.Subject, nil
	}
	var b strings.Builder
	if err := t.subject.Execute(newRenderWriter(&b, maxRenderedSubject), f); err != nil {
		return b.String(), fmt.Errorf("render campaign %d subject: %w", t.campaign.ID, err)
	}
	return strings.Join(strings.Fields(b.String()), " "), nil
}

// renderText renders the given text part and its footer into b.
func (t *CampaignTemplate) renderText(b *strings.Builder, loc string, f MergeFields) error {
	b.Grow(len(t.campaign.BodyText) + 512)
	w := newRenderWriter(b, MaxRenderedPart)
	if err := t.text.Execute(w, f); err != nil {
		return fmt.Errorf("render campaign %d text: %w", t.campaign.ID, err)
	}
	if err := t.footerText[loc].Execute(w, t.footer(f)); err != nil {
		return fmt.Errorf("render campaign %d text footer: %w", t.campaign.ID, err)
	}
	return nil
}

// Render returns the subject, HTML and text of the message for one
// recipient whose own language is recipientLocale. A part over its cap
// (MaxRenderedPart; the subject 1000 bytes) or a rendering past its time
// limit is an error, and no part is returned.
func (t *CampaignTemplate) Render(recipientLocale string, f MergeFields) (RenderedMail, error) {
	loc := t.locale(recipientLocale)
	var out RenderedMail
	subject, err := t.renderSubject(f)
	if err != nil {
		return RenderedMail{}, err
	}
	html, err := t.renderHTML(loc, f)
	if err != nil {
		return RenderedMail{}, err
	}
	out.Subject, out.HTML = subject, html
	switch {
	case t.text != nil:
		var b strings.Builder
		if err := t.renderText(&b, loc, f); err != nil {
			return RenderedMail{}, err
		}
		out.Text = b.String()
	case t.textFromHTML != nil:
		if out.Text, err = t.derivedText[derivedKey(loc, f.Name != "")].fill(f); err != nil {
			return RenderedMail{}, fmt.Errorf("render campaign %d text: %w", t.campaign.ID, err)
		}
	}
	return out, nil
}
