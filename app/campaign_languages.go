package app

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// CampaignFormat is how a campaign's bodies are written.
type CampaignFormat string

// Campaign formats.
const (
	// FormatMarkdown bodies are Markdown (Campaign.Body), rendered to HTML
	// once per campaign and language; raw HTML in them is left out.
	FormatMarkdown CampaignFormat = "markdown"
	// FormatHTML bodies are HTML (Campaign.BodyHTML), as written.
	FormatHTML CampaignFormat = "html"
)

// CampaignLanguages are the languages a campaign can be written in.
var CampaignLanguages = []string{LocaleEN, LocaleRU}

// CampaignTranslation is a campaign's subject and body in one more
// language, in the campaign's format; an empty BodyText is derived from
// the body.
type CampaignTranslation struct {
	Subject  string `json:"subject"`
	Body     string `json:"body"`
	BodyText string `json:"body_text,omitempty"`
}

// DefaultLanguage is the language of the campaign's own subject and body:
// its locale, or English when the footer follows each recipient.
func (c *Campaign) DefaultLanguage() string {
	if c.Locale == "" {
		return LocaleEN
	}
	return NormalizeLocale(c.Locale)
}

// Languages returns the languages the campaign is written in, the default
// first.
func (c *Campaign) Languages() []string {
	out := []string{c.DefaultLanguage()}
	for _, l := range CampaignLanguages {
		if _, ok := c.Translations[l]; ok && l != out[0] {
			out = append(out, l)
		}
	}
	return out
}

// LanguageFor is the language a recipient whose own language is
// recipientLocale gets: theirs when the campaign is written in it, else
// the default.
func (c *Campaign) LanguageFor(recipientLocale string) string {
	l := NormalizeLocale(recipientLocale)
	if _, ok := c.Translations[l]; ok {
		return l
	}
	return c.DefaultLanguage()
}

// SourceBody is the default language's body as written, in the format.
func (c *Campaign) SourceBody() string {
	if c.Format == FormatMarkdown {
		return c.Body
	}
	return c.BodyHTML
}

// bodyField is the name of the default body's field for the format.
func (c *Campaign) bodyField() string {
	if c.Format == FormatMarkdown {
		return "body"
	}
	return "body_html"
}

// validateContent checks the format, the bodies and the translations,
// adding a message per field to fields.
func (c *Campaign) validateContent(fields map[string]string, texts *map[string]Text) {
	c.Format = CampaignFormat(strings.ToLower(strings.TrimSpace(string(c.Format))))
	switch c.Format {
	case "":
		c.Format = FormatHTML
	case FormatMarkdown, FormatHTML:
	default:
		fields["format"] = "must be markdown or html"
		return
	}
	body := c.bodyField()
	switch other := map[string]string{"body": c.BodyHTML, "body_html": c.Body}[body]; {
	case strings.TrimSpace(c.SourceBody()) == "" && strings.TrimSpace(other) != "":
		fields[body] = fieldf(texts, "required: a %s campaign's body is %s", c.Format, body)
	case strings.TrimSpace(c.SourceBody()) == "":
		fields[body] = "required"
	case len(c.SourceBody()) > campaignBodyMax:
		fields[body] = fieldf(texts, "at most %d bytes", campaignBodyMax)
	}
	if c.Format == FormatMarkdown {
		c.BodyHTML = ""
	} else {
		c.Body = ""
	}
	if len(c.BodyText) > campaignBodyMax {
		fields["body_text"] = fieldf(texts, "at most %d bytes", campaignBodyMax)
	}
	if len(c.Translations) == 0 {
		c.Translations = nil
		return
	}
	def := c.DefaultLanguage()
	clean := map[string]CampaignTranslation{}
	for l, tr := range c.Translations {
		key := "translations." + l
		if !slices.Contains(CampaignLanguages, l) {
			fields[key] = "must be one of: " + strings.Join(CampaignLanguages, ", ")
			continue
		}
		if l == def {
			fields[key] = "is the campaign's default language (locale): write it in subject and " + body
			continue
		}
		tr.Subject = strings.TrimSpace(tr.Subject)
		switch {
		case tr.Subject == "":
			fields[key+".subject"] = "required"
		case utf8.RuneCountInString(tr.Subject) > campaignSubjectMax:
			fields[key+".subject"] = fieldf(texts, "at most %d characters", campaignSubjectMax)
		case strings.ContainsAny(tr.Subject, "\r\n"):
			fields[key+".subject"] = "must be one line"
		}
		switch {
		case strings.TrimSpace(tr.Body) == "":
			fields[key+".body"] = "required"
		case len(tr.Body) > campaignBodyMax:
			fields[key+".body"] = fieldf(texts, "at most %d bytes", campaignBodyMax)
		}
		if len(tr.BodyText) > campaignBodyMax {
			fields[key+".body_text"] = fieldf(texts, "at most %d bytes", campaignBodyMax)
		}
		clean[l] = tr
	}
	c.Translations = clean
}

// inLanguage returns the campaign as written in lang, with HTML bodies:
// that language's subject and bodies (Markdown rendered), and, when the
// campaign has translations, the footer in that language. names maps the
// generic field names (subject, body_html, body_text) to the campaign's,
// and lines maps a position of the HTML to a line of the Markdown.
func (c *Campaign) inLanguage(lang string) (out *Campaign, names map[string]string, lines *markdownLines, err error) {
	cp := *c
	out = &cp
	prefix, body := "", c.bodyField()
	if lang != c.DefaultLanguage() {
		tr := c.Translations[lang]
		prefix, body = "translations."+lang+".", "body"
		out.Subject, out.BodyText = tr.Subject, tr.BodyText
		out.Body, out.BodyHTML = tr.Body, tr.Body
	}
	if len(c.Translations) > 0 {
		out.Locale = lang
	}
	names = map[string]string{"subject": prefix + "subject", "body_html": prefix + body, "body_text": prefix + "body_text"}
	if c.Format == FormatMarkdown {
		html, ls, err := markdownToHTML(out.Body)
		if err != nil {
			return nil, nil, nil, renameFields(err, names, nil)
		}
		out.BodyHTML, lines = html, ls
	}
	out.Translations = nil
	return out, names, lines, nil
}

// CompileCampaign compiles each language of c in frame's layout (see
// compileLanguage): a
// recipient's message is in their language when c is written in it, else
// in c's default language. Errors name the campaign's own fields (body for
// Markdown, translations.ru.subject, ...) and Markdown's lines.
func CompileCampaign(c *Campaign, op Operator, textFromHTML func(string) string, frame Frame) (*CampaignTemplate, error) {
	return compileLanguages(c, op, textFromHTML, frame, c.Languages(), nil)
}

// CompileCampaignFor compiles only the language a recipient whose own
// language is recipientLocale gets: for a preview, which needs no other.
func CompileCampaignFor(c *Campaign, op Operator, recipientLocale string, textFromHTML func(string) string, frame Frame) (*CampaignTemplate, error) {
	return compileLanguages(c, op, textFromHTML, frame, []string{c.LanguageFor(recipientLocale)}, nil)
}

// compileLanguages compiles langs of c; rewrite, when not nil, is applied
// to each language's HTML body before it is compiled (campaign_clicks.go).
func compileLanguages(c *Campaign, op Operator, textFromHTML func(string) string, frame Frame, langs []string,
	rewrite func(string) string) (*CampaignTemplate, error) {
	var first *CampaignTemplate
	for _, lang := range langs {
		lc, names, lines, err := c.inLanguage(lang)
		if err != nil {
			return nil, err
		}
		if rewrite != nil {
			lc.BodyHTML = rewrite(lc.BodyHTML)
		}
		t, err := compileLanguage(lc, op, textFromHTML, frame)
		if err != nil {
			return nil, renameFields(err, names, lines)
		}
		if first == nil {
			first = t
			first.languages = map[string]*CampaignTemplate{}
			first.source = c
		}
		first.languages[lang] = t
	}
	return first, nil
}

// forRecipient is the compiled language for a recipient.
func (t *CampaignTemplate) forRecipient(recipientLocale string) *CampaignTemplate {
	if len(t.languages) < 2 {
		return t
	}
	if o, ok := t.languages[t.source.LanguageFor(recipientLocale)]; ok {
		return o
	}
	return t
}

// Language returns the language of the content a recipient whose own
// language is recipientLocale gets.
func (t *CampaignTemplate) Language(recipientLocale string) string {
	if t.source != nil && len(t.languages) > 1 {
		return t.source.LanguageFor(recipientLocale)
	}
	return t.locale(recipientLocale)
}

// renameFields gives a compile error the campaign's field names, and the
// Markdown's line numbers.
func renameFields(err error, names map[string]string, lines *markdownLines) error {
	rename := func(m map[string]string) map[string]string {
		out := make(map[string]string, len(m))
		for k, v := range m {
			if n, ok := names[k]; ok {
				k = n
			}
			out[k] = v
		}
		return out
	}
	var te *CampaignTemplateError
	if errors.As(err, &te) {
		out := &CampaignTemplateError{Problems: map[string][]mergeProblem{}, Sizes: map[string]int{}}
		for k, ps := range te.Problems {
			if k == "body_html" && lines != nil {
				ps = slices.Clone(ps)
				for i := range ps {
					ps[i].line = lines.lineAt(ps[i].pos)
				}
			}
			out.Problems[names[k]] = ps
		}
		for k, n := range te.Sizes {
			out.Sizes[names[k]] = n
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		cp := *e
		cp.Fields = rename(maps.Clone(e.Fields))
		return &cp
	}
	return err
}

// SubjectAsSent is the subject of c as a person named name, whose language
// is recipientLocale, received it: in their language when c is written in
// it, with the merge fields filled, rendered as the message's was. A
// subject that does not render (never one that was sent) is given as
// written.
func (c *Campaign) SubjectAsSent(recipientLocale, name string) string {
	subject := c.Subject
	if l := c.LanguageFor(recipientLocale); l != c.DefaultLanguage() {
		subject = c.Translations[l].Subject
	}
	if !strings.Contains(subject, "{{") {
		return subject
	}
	st, err := parseSubject(subject)
	if err != nil {
		return subject
	}
	sent, err := execSubject(st, MergeFields{Name: name})
	if err != nil {
		return subject
	}
	return sent
}
