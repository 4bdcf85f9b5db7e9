package app

import (
	"errors"
	"fmt"
	"html/template"
	"strings"
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

// Frame is the layout campaigns are written in: the renderer of the
// product's mail layout (the templates package) and the owner's settings
// of each language. The zero Frame lays the content out bare, with the
// footer's place only: enough for the checks of a campaign being saved.
type Frame struct {
	Layout   LayoutRenderer
	Settings MailLayouts
}

// CampaignTemplate is a campaign compiled for sending: its templates are
// parsed and checked once, its HTML laid out once in the mail layout (per
// language and combination of empty merge fields), and each recipient's
// message is filled in. It is safe for concurrent use.
type CampaignTemplate struct {
	campaign    *Campaign
	op          Operator
	privacyURL  string
	subject     *texttemplate.Template // nil: the subject has no merge fields
	html        *template.Template
	text        *texttemplate.Template // nil: derived from the HTML
	frame       Frame
	layouts     *[2][8]laidOut          // by language and combination of empty fields
	derivedText map[string]textSegments // by locale and whether named
	// derived are the values that stand for the merge fields while the
	// text part is derived from the HTML: random, so that no template
	// can write them itself.
	derived      [3]string
	textFromHTML func(string) string
	// languages are the campaign's compiled languages (this one among
	// them), and source the campaign as written, on the template
	// CompileCampaign returns.
	languages map[string]*CampaignTemplate
	source    *Campaign
}

// Sample values of the save-time render: the longest name a person can
// have (100 characters, each as long as UTF-8 makes it, or each escaped
// in HTML) and long links.
var (
	sampleNames = []string{"", strings.Repeat("\U0001D400", MaxNameRunes), "a" + strings.Repeat("'", MaxNameRunes-1)}
	sampleURL   = "https://news.example.com/" + strings.Repeat("x", 300)
)

// compileLanguage parses c's subject and bodies (of one language), checks them against the
// merge-field rule, lays out the HTML in frame's layout of each language and
// renders it once with the longest sample values, so that a template over
// the size caps is refused now, in the editor. textFromHTML, when not nil,
// derives the text part from the HTML when c has none (once per language,
// not per recipient); with nil, Render leaves Text empty for such
// campaigns. A template that does not parse, breaks the rule or renders
// too large gives an EINVALID error naming the field
// (*CampaignTemplateError for the rule and the caps).
func compileLanguage(c *Campaign, op Operator, textFromHTML func(string) string, frame Frame) (*CampaignTemplate, error) {
	t := &CampaignTemplate{campaign: c, op: op, textFromHTML: textFromHTML, frame: frame, layouts: new([2][8]laidOut),
		derivedText: map[string]textSegments{}}
	fields := map[string]string{}
	if strings.Contains(c.Subject, "{{") {
		st, err := parseSubject(c.Subject)
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

// SetPrivacyURL sets the link to the privacy policy shown in the footer,
// laying the message out again. Call it before the template is used.
func (t *CampaignTemplate) SetPrivacyURL(u string) {
	for _, o := range t.languages {
		if o != t {
			o.SetPrivacyURL(u)
		}
	}
	t.privacyURL = u
	t.layouts = new([2][8]laidOut)
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
func (t *CampaignTemplate) Locale(recipientLocale string) string {
	return t.forRecipient(recipientLocale).locale(recipientLocale)
}

// htmlValues are the escaped values of a recipient's merge fields for
// the layout's slots.
func htmlValues(f MergeFields) *[3]string {
	return &[3]string{template.HTMLEscapeString(f.Name), template.HTMLEscapeString(f.UnsubscribeURL),
		template.HTMLEscapeString(f.PreferencesURL)}
}

// htmlSize is the length of a recipient's HTML part; it fails past the cap.
func (t *CampaignTemplate) htmlSize(loc string, f MergeFields) (int, error) {
	l, err := t.layout(loc, f)
	if err != nil {
		return 0, err
	}
	if n := l.html.sizeWith(htmlValues(f)); n > MaxRenderedPart {
		return n, errTooLarge
	}
	return 0, nil
}

// renderHTML fills the laid-out message with a recipient's values.
func (t *CampaignTemplate) renderHTML(loc string, f MergeFields) (string, error) {
	l, err := t.layout(loc, f)
	if err != nil {
		return "", err
	}
	vals := htmlValues(f)
	n := l.html.sizeWith(vals)
	if n > MaxRenderedPart {
		return "", fmt.Errorf("render campaign %d html: %w", t.campaign.ID, errTooLarge)
	}
	var b strings.Builder
	b.Grow(n)
	l.html.fill(&b, vals)
	return b.String(), nil
}

// renderSubject renders the subject for f.
func (t *CampaignTemplate) renderSubject(f MergeFields) (string, error) {
	if t.subject == nil {
		return t.campaign.Subject, nil
	}
	subject, err := execSubject(t.subject, f)
	if err != nil {
		return subject, fmt.Errorf("render campaign %d subject: %w", t.campaign.ID, err)
	}
	return subject, nil
}

// parseSubject parses a subject template.
func parseSubject(subject string) (*texttemplate.Template, error) {
	return texttemplate.New("subject").Option("missingkey=error").Parse(subject)
}

// execSubject renders the subject template st for f, its whitespace
// collapsed to single spaces as the header carries it.
func execSubject(st *texttemplate.Template, f MergeFields) (string, error) {
	var b strings.Builder
	if err := st.Execute(newRenderWriter(&b, maxRenderedSubject), f); err != nil {
		return b.String(), err
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
	l, err := t.layout(loc, f)
	if err != nil {
		return err
	}
	footer, err := l.text.fill(f)
	if err == nil {
		_, err = w.Write([]byte(footer))
	}
	if err != nil {
		return fmt.Errorf("render campaign %d text footer: %w", t.campaign.ID, err)
	}
	return nil
}

// Render returns the subject, HTML and text of the message for one
// recipient whose own language is recipientLocale. A part over its cap
// (MaxRenderedPart; the subject 1000 bytes) or a rendering past its time
// limit is an error, and no part is returned.
func (t *CampaignTemplate) Render(recipientLocale string, f MergeFields) (RenderedMail, error) {
	if o := t.forRecipient(recipientLocale); o != t {
		return o.Render(recipientLocale, f)
	}
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
