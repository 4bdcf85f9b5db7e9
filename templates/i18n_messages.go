package templates

import (
	"errors"

	"newsletter/app"
	"newsletter/i18n"
)

// The use cases (package app) answer in English, which the API keeps as
// its contract. The console and the public pages show those messages in
// the reader's language: an *app.Error keeps the format and arguments of
// its messages, and the catalog (i18n/messages_app.go) the Russian of each
// format and of the words an argument may be.

// TranslateError returns the message and the field messages of err in
// the language of loc. A message made from a format has the catalog's
// translation of the format, filled with the arguments; one written out
// whole is looked up as it is. A message without a translation, and every
// message in English, stays as the use case wrote it. fields is nil when
// err has none.
func TranslateError(loc string, err error) (msg string, fields map[string]string) {
	msg = app.ErrorMessage(err)
	var e *app.Error
	if !errors.As(err, &e) {
		return TranslateMessage(loc, msg), nil
	}
	if e.Format != "" {
		if ru, ok := i18n.Message(loc, e.Format, e.Args...); ok {
			msg = ru
		}
	} else {
		msg = TranslateMessage(loc, msg)
	}
	if e.Fields == nil {
		return msg, nil
	}
	fields = make(map[string]string, len(e.Fields))
	for k, v := range e.Fields {
		fields[k] = translateText(loc, v, e.FieldTexts)
	}
	return msg, fields
}

// TranslateMessage returns msg, a message written out whole (a page's own
// text, a field's message), in the language of loc: itself in English, or
// when the catalog lacks it.
func TranslateMessage(loc, msg string) string {
	if ru, ok := i18n.MessageText(loc, msg); ok {
		return ru
	}
	return msg
}

// translateText is the message v in loc: made from a format when texts
// says so, else looked up as it is.
func translateText(loc, v string, texts map[string]app.Text) string {
	if t, ok := texts[v]; ok {
		if ru, ok := i18n.Message(loc, t.Format, t.Args...); ok {
			return ru
		}
		return v
	}
	return TranslateMessage(loc, v)
}
