package app

import (
	"fmt"
	"sort"
	"strings"
)

// CampaignTemplateError is what is wrong with a campaign's templates, per
// field (subject, body_html, body_text): a merge field where it may not
// stand, an action that is not allowed, or a message too large. It
// unwraps to an English *Error with code EINVALID, so ErrorCode,
// ErrorMessage and ErrorFields work on it; Localize gives it in Russian.
type CampaignTemplateError struct {
	// Problems are the merge-field problems of each field, in source order.
	Problems map[string][]mergeProblem
	// Sizes are the fields whose message is over the cap for some
	// recipient: the size of the largest rendering.
	Sizes map[string]int
}

// Error implements the error interface with the English text.
func (e *CampaignTemplateError) Error() string { return e.Localize(LocaleEN).Error() }

// Unwrap returns the failure as an English *Error.
func (e *CampaignTemplateError) Unwrap() error { return e.Localize(LocaleEN) }

// Localize returns the failure as an *Error with code EINVALID whose
// messages are in the language of locale.
func (e *CampaignTemplateError) Localize(locale string) *Error {
	ru := NormalizeLocale(locale) == LocaleRU
	fields := map[string]string{}
	for field, ps := range e.Problems {
		if len(ps) == 0 {
			continue
		}
		msg := ps[0].text(ru)
		if len(ps) > 1 {
			msg += fmt.Sprintf(pick(ru, " (and %d more)", " (и ещё %d)"), len(ps)-1)
		}
		fields[field] = msg
	}
	for field, n := range e.Sizes {
		if _, ok := fields[field]; ok {
			continue
		}
		if field == "subject" {
			fields[field] = fmt.Sprintf(pick(ru, "the subject would be longer than %d bytes for some recipients; shorten it",
				"для некоторых получателей тема получится длиннее %d байт; сократите её"), maxRenderedSubject)
			continue
		}
		fields[field] = fmt.Sprintf(pick(ru, "the message would be larger than %s for some recipients (%s); shorten it",
			"для некоторых получателей письмо получится больше %s (%s); сократите его"), mb(MaxRenderedPart), mb(n))
	}
	msg := "The campaign's templates have errors."
	if ru {
		msg = "В шаблонах рассылки есть ошибки."
	}
	// One field leads the message, so that a program or a person sees
	// at once what to fix.
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		msg += " " + fieldLabel(keys[0], ru) + ": " + fields[keys[0]]
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}

func pick(ru bool, en, rus string) string {
	if ru {
		return rus
	}
	return en
}

// mb shows a size in megabytes.
func mb(n int) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// text says what is wrong, where, and what is allowed.
func (p mergeProblem) text(ru bool) string {
	line := fmt.Sprintf(pick(ru, "line %d: ", "строка %d: "), p.line)
	if p.unknown != "" {
		return line + unknownFieldText(p.unknown, ru)
	}
	if p.field == "" {
		return line + fmt.Sprintf(pick(ru,
			"%s is not allowed: a template may use only {{.Name}}, {{.UnsubscribeURL}}, {{.PreferencesURL}} and {{if .Name}}…{{else}}…{{end}}",
			"%s не допускается: в шаблоне можно использовать только {{.Name}}, {{.UnsubscribeURL}}, {{.PreferencesURL}} и {{if .Name}}…{{else}}…{{end}}"),
			p.action)
	}
	field := "{{." + p.field + "}}"
	rule := pick(ru, "it may stand only in the text of the message, apart from web addresses",
		"это поле может стоять только в тексте письма, отдельно от веб-адресов")
	if p.field != mergeName {
		rule = pick(ru, `a link field may stand only as the whole href of a link: <a href="`+field+`">`,
			`поле-ссылка может стоять только как весь href ссылки: <a href="`+field+`">`)
		if p.place.kind == placeJoined || p.place.kind == placeSubject {
			rule = pick(ru, "in the text part a link field must stand apart from other words, and never in the subject",
				"в текстовой части поле-ссылка должно стоять отдельно от других слов, а в теме его быть не может")
		}
	}
	return line + field + " " + p.place.text(ru) + "; " + rule
}

// text says where a merge field stands.
func (p place) text(ru bool) string {
	switch p.kind {
	case placeAttr:
		return fmt.Sprintf(pick(ru, "stands in the %s attribute of <%s>", "стоит в атрибуте %s элемента <%s>"), p.attr, p.tag)
	case placeHrefPart:
		return pick(ru, "is only part of the href of <a>", "составляет лишь часть href элемента <a>")
	case placeAttrName:
		return fmt.Sprintf(pick(ru, "stands in an attribute name of <%s>", "стоит в имени атрибута элемента <%s>"), p.tag)
	case placeTag:
		return pick(ru, "stands in a tag", "стоит в теге")
	case placeRaw:
		return fmt.Sprintf(pick(ru, "stands inside <%s>", "стоит внутри <%s>"), p.tag)
	case placeComment:
		return pick(ru, "stands in a comment or doctype", "стоит в комментарии или doctype")
	case placeText:
		return pick(ru, "stands in the text", "стоит в тексте")
	case placeJoined:
		return pick(ru, "is joined to a web address or other words", "соединено с веб-адресом или другими словами")
	case placePing:
		return pick(ru, "is the href of an <a> with a ping attribute", "стоит в href элемента <a> с атрибутом ping")
	case placeSubject:
		return pick(ru, "stands in the subject", "стоит в теме письма")
	}
	return pick(ru, "stands in markup", "стоит в разметке")
}

// templateProblems collects the merge-field problems of a campaign's
// templates, or returns nil.
func templateProblems(c *Campaign) *CampaignTemplateError {
	e := &CampaignTemplateError{Problems: map[string][]mergeProblem{}}
	if strings.Contains(c.Subject, "{{") {
		if ps := checkMergeFields("subject", c.Subject, modeSubject); len(ps) > 0 {
			e.Problems["subject"] = ps
		}
	}
	if ps := checkMergeFields("body_html", c.BodyHTML, modeHTML); len(ps) > 0 {
		e.Problems["body_html"] = ps
	}
	if strings.TrimSpace(c.BodyText) != "" {
		if ps := checkMergeFields("body_text", c.BodyText, modeText); len(ps) > 0 {
			e.Problems["body_text"] = ps
		}
	}
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}
