package web

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// TestDecodeJSON: the one rule of JSON bodies, and its one exception.
func TestDecodeJSON(t *testing.T) {
	type body struct {
		Reason string   `json:"reason"`
		N      int64    `json:"n"`
		To     []string `json:"to"`
	}
	tests := []struct {
		name   string
		body   string
		opts   []jsonOption
		want   body   // when ok
		field  string // the field the refusal names, if any
		refuse bool
	}{
		{name: "Object", body: `{"reason":"x","n":2,"to":["a"]}`, want: body{Reason: "x", N: 2, To: []string{"a"}}},
		{name: "Empty", body: " \n", want: body{Reason: "kept"}},
		{name: "Null", body: `null`, want: body{Reason: "kept"}},
		{name: "UnknownField", body: `{"reason":"x","reasn":"y"}`, refuse: true, field: "reasn"},
		{name: "UnknownFieldPublic", body: `{"reason":"x","website":"","ts":"1"}`, opts: []jsonOption{extraFields}, want: body{Reason: "x"}},
		{name: "WrongType", body: `{"n":"two"}`, refuse: true, field: "n"},
		{name: "WrongTypePublic", body: `{"n":"two"}`, opts: []jsonOption{extraFields}, refuse: true, field: "n"},
		{name: "TwoValues", body: `{}{"reason":"x"}`, refuse: true},
		{name: "TwoValuesPublic", body: `{}{"reason":"x"}`, opts: []jsonOption{extraFields}, refuse: true},
		{name: "Array", body: `[]`, refuse: true},
		{name: "String", body: `"x"`, refuse: true},
		{name: "Truncated", body: `{"reason":`, refuse: true},
		{name: "NotJSON", body: `reason=x`, refuse: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fiber.New()
			var got body
			var derr error
			a.Post("/", func(c *fiber.Ctx) error {
				got = body{Reason: "kept"}
				derr = decodeJSON(c, &got, tt.opts...)
				return nil
			})
			if _, err := a.Test(httptest.NewRequest("POST", "/", strings.NewReader(tt.body)), -1); err != nil {
				t.Fatal(err)
			}
			if !tt.refuse {
				if derr != nil {
					t.Fatalf("refused: %v", derr)
				}
				if tt.want.Reason == "kept" && got.Reason != "kept" || tt.want.Reason != "kept" && (got.Reason != tt.want.Reason ||
					got.N != tt.want.N || strings.Join(got.To, ",") != strings.Join(tt.want.To, ",")) {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			if app.ErrorCode(derr) != app.EINVALID {
				t.Fatalf("got %v, want an EINVALID refusal", derr)
			}
			if tt.field != "" && app.ErrorFields(derr)[tt.field] == "" {
				t.Fatalf("the refusal %v does not name %q", derr, tt.field)
			}
			shown, _ := json.Marshal(fiber.Map{"error": app.ErrorMessage(derr), "fields": app.ErrorFields(derr)})
			if strings.Contains(string(shown), "web.") || strings.Contains(string(shown), "json:") {
				t.Fatalf("the refusal shows internals: %s", shown)
			}
		})
	}
}

// TestQueryFilters: a filter outside its values is refused naming the
// filter and its values.
func TestQueryFilters(t *testing.T) {
	a := fiber.New()
	a.Get("/", func(c *fiber.Ctx) error {
		bad := map[string]string{}
		st := queryOneOf(c, "status", bad, app.StatusPending, app.StatusActive)
		kind := queryOneOf(c, "kind", bad, app.KindAccess, app.KindDataUpdate, app.KindUnknown)
		if err := invalidFilter(bad); err != nil {
			return c.Status(422).JSON(fiber.Map{"error": app.ErrorMessage(err), "fields": app.ErrorFields(err)})
		}
		return c.JSON(fiber.Map{"status": st, "kind": kind})
	})
	tests := []struct{ query, want string }{
		{"", `{"kind":"","status":""}`},
		{"?status=active&kind=access", `{"kind":"access","status":"active"}`},
		{"?status=gone", `{"error":"invalid status filter","fields":{"status":"pending or active"}}`},
		{"?status=gone&kind=x", `{"error":"invalid filter","fields":{"kind":"access, data_update or unknown","status":"pending or active"}}`},
	}
	for _, tt := range tests {
		resp, err := a.Test(httptest.NewRequest("GET", "/"+tt.query, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != tt.want {
			t.Errorf("%s: %s, want %s", tt.query, b, tt.want)
		}
	}
}
