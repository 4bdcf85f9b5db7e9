package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// Reading a request: path ids, paging, query filters, dates, checkboxes
// and the JSON body. Handlers read their input through these, so every
// route refuses bad input the same way: EINVALID (422), naming the field.

// paramID is the id of the path (":id"): a positive integer.
func paramID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.Errorf(app.EINVALID, "invalid id")
	}
	return id, nil
}

// actOnID calls act for the signed-in admin on the id of the path and
// returns the id.
func actOnID(c *fiber.Ctx, act func(ctx context.Context, actor *app.Admin, id int64) error) (int64, error) {
	id, err := paramID(c)
	if err != nil {
		return 0, err
	}
	return id, act(c.UserContext(), currentAdmin(c), id)
}

// idAndBody reads the id of the path and the JSON body into v
// (decodeJSON).
func idAndBody(c *fiber.Ctx, v any) (int64, error) {
	id, err := paramID(c)
	if err == nil {
		err = decodeJSON(c, v)
	}
	return id, err
}

// queryID is an id in the query string: a paging cursor (?after=,
// ?before=) or a filter; 0 when it is absent or not a number.
func queryID(c *fiber.Ctx, name string) int64 { return int64(c.QueryInt(name)) }

// queryLimit is ?limit=, or def when it is absent or not a number; the use
// cases cap it.
func queryLimit(c *fiber.Ctx, def int) int { return c.QueryInt("limit", def) }

// queryOneOf reads a filter that is empty or one of values; any other
// value is noted in bad (see invalidFilter) and read as empty.
func queryOneOf[T ~string](c *fiber.Ctx, name string, bad map[string]string, values ...T) T {
	v := T(c.Query(name))
	if v == "" {
		return v
	}
	for _, ok := range values {
		if v == ok {
			return v
		}
	}
	names := make([]string, len(values))
	for i, ok := range values {
		names[i] = string(ok)
	}
	bad[name] = orList(names)
	return ""
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// invalidFilter is the error of the filters noted in bad, or nil.
func invalidFilter(bad map[string]string) error {
	switch len(bad) {
	case 0:
		return nil
	case 1:
		for name := range bad {
			return &app.Error{Code: app.EINVALID, Message: "invalid " + name + " filter", Fields: bad}
		}
	}
	return &app.Error{Code: app.EINVALID, Message: "invalid filter", Fields: bad}
}

// queryBool reads a yes/no query parameter.
func queryBool(c *fiber.Ctx, name string) (bool, error) {
	switch strings.ToLower(c.Query(name)) {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	}
	return false, &app.Error{Code: app.EINVALID, Message: "invalid " + name + " filter", Fields: map[string]string{name: "true or false"}}
}

// queryTime reads a time query parameter: RFC 3339, or a date (midnight
// UTC); nil when absent.
func queryTime(c *fiber.Ctx, name string) (*time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t, nil
		}
	}
	return nil, &app.Error{Code: app.EINVALID, Message: "invalid " + name + " filter", Fields: map[string]string{name: "RFC 3339 time or YYYY-MM-DD"}}
}

// sendTime reads the send time of a JSON body: RFC 3339; nil (now) when
// absent or blank.
func sendTime(v *string) (*time.Time, error) {
	if v == nil || strings.TrimSpace(*v) == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(*v))
	if err != nil {
		return nil, &app.Error{Code: app.EINVALID, Message: "invalid send time",
			Fields: map[string]string{"send_at": "an RFC 3339 time such as 2030-01-02T09:00:00+03:00"}}
	}
	return &t, nil
}

// formSendTime reads the console form's send time: "now", or a local date
// and time with the browser's offset from UTC in minutes (as JavaScript's
// getTimezoneOffset gives it; absent means UTC).
func formSendTime(c *fiber.Ctx) (*time.Time, error) {
	if c.FormValue("when") != "later" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02T15:04", c.FormValue("send_at"))
	if err != nil {
		return nil, &app.Error{Code: app.EINVALID, Message: "Choose a date and time.", Fields: map[string]string{"send_at": "date and time"}}
	}
	if off, err := strconv.Atoi(c.FormValue("tz_offset")); err == nil && off > -15*60 && off < 15*60 {
		t = t.Add(time.Duration(off) * time.Minute)
	}
	return &t, nil
}

// truthy reads a checkbox value from a form or JSON.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "1", "on", "yes", "true", "y":
			return true
		}
	case float64:
		return x != 0
	}
	return false
}

// isJSONBody reports a body the client says is JSON: the public forms take
// JSON or a form, by its Content-Type.
func isJSONBody(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON)
}

// jsonOption loosens the rule of decodeJSON for a route that needs it.
type jsonOption int

const (
	// extraFields lets a body carry fields the route does not read. Only
	// the public forms take it: other sites post them with fetch, often a
	// whole form serialized (the honeypot, the stamp, their own hidden
	// fields), and a subscription or an opt-out must not be refused for a
	// field nobody reads.
	extraFields jsonOption = iota + 1
)

// decodeJSON reads the JSON body into v by the one rule of every route
// that takes JSON, whatever the Content-Type says: a single JSON object
// whose fields v names (an unknown field is refused, by name; see
// extraFields), each of the right type. The server's body limit bounds its
// size. An empty body leaves v as it is. A refusal is EINVALID (422),
// naming the field when there is one.
func decodeJSON(c *fiber.Ctx, v any, opts ...jsonOption) error {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	strict := true
	for _, o := range opts {
		if o == extraFields {
			strict = false
		}
	}
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return app.Errorf(app.EINVALID, "The body is not valid JSON.")
		case errors.As(err, &te) && te.Field == "":
			return app.Errorf(app.EINVALID, "The body must be one JSON object.")
		case errors.As(err, &te):
			return &app.Error{Code: app.EINVALID, Message: "A field has the wrong type.",
				Fields: map[string]string{te.Field: "must be " + jsonType(te.Type)}}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return &app.Error{Code: app.EINVALID, Message: "Unknown field " + strconv.Quote(name) + ".",
				Fields: map[string]string{name: "unknown field"}}
		default:
			return app.Errorf(app.EINVALID, "The body could not be read as JSON.")
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return app.Errorf(app.EINVALID, "The body must be one JSON object.")
	}
	return nil
}

// jsonType names the JSON a Go type takes, for a client's error message.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}
