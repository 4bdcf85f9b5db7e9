package app

import (
	"errors"
	"fmt"
)

// Error codes: the only classes of failure the outside world distinguishes.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ERATELIMIT    = "rate_limited"
	EUNAVAILABLE  = "unavailable"
	EINTERNAL     = "internal"
)

// Error is a domain error with a code, a message safe to show to a client,
// and, for validation failures, messages per field. Message and Fields are
// English, the API's contract; Format, Args and FieldTexts keep how the
// messages made from a format were made, so that a page can put the
// arguments into the format's translation (templates.TranslateError).
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	// Format and Args are what Errorf made Message of; Format is "" when
	// Message was written out whole.
	Format string `json:"-"`
	Args   []any  `json:"-"`
	// FieldTexts are the field messages made from a format, by the
	// message (a field renamed keeps its text).
	FieldTexts map[string]Text `json:"-"`
}

// Text is a message made from a format and its arguments.
type Text struct {
	Format string
	Args   []any
}

// String is the English message.
func (t Text) String() string { return fmt.Sprintf(t.Format, t.Args...) }

// Fieldf sets the message of field key, made from format and args, and
// returns e.
func (e *Error) Fieldf(key, format string, args ...any) *Error {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	e.Fields[key] = fieldf(&e.FieldTexts, format, args...)
	return e
}

// fieldf returns the message made from format and args and notes in
// *texts how it was made.
func fieldf(texts *map[string]Text, format string, args ...any) string {
	t := Text{Format: format, Args: args}
	msg := t.String()
	if *texts == nil {
		*texts = map[string]Text{}
	}
	(*texts)[msg] = t
	return msg
}

// fieldOf returns the message of err for a field and, when err is an
// *Error made from a format, notes in *texts how it was made.
func fieldOf(texts *map[string]Text, err error) string {
	var e *Error
	if errors.As(err, &e) && e.Format != "" {
		return fieldf(texts, e.Format, e.Args...)
	}
	return err.Error()
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err, or a generic one for
// internal errors.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the per-field messages of a validation error.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// IsNotFound reports whether err carries the ENOTFOUND code.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }
