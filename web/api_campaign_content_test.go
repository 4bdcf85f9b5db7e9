package web_test

import (
	"net/http"
	"strings"
	"testing"

	"newsletter/app"
)

// TestCampaignAPIContent: format and translations round-trip through
// create, GET, PATCH and PUT; html stays the default; a mistyped merge
// field is a 422 naming the field, its line and the field meant.
func TestCampaignAPIContent(t *testing.T) {
	f := newCampaignAPI(t)
	m := app.RoleMarketer
	code, c := f.call(t, m, "POST", "/api/v1/campaigns", draftJSON)
	if code != http.StatusCreated || c["format"] != "html" || c["body_html"] != "<p>Hi {{.Name}}</p>" {
		t.Fatalf("an HTML campaign as before: %d %v", code, c)
	}
	code, c = f.call(t, m, "POST", "/api/v1/campaigns", `{"name":"Two","subject":"News","purpose":"marketing","locale":"en",`+
		`"format":"markdown","body":"# Hi {{.Name}}","translations":{"ru":{"subject":"Новости","body":"# Привет, {{.Name}}"}}}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, c)
	}
	id := "/api/v1/campaigns/" + jsonID(c)
	_, c = f.call(t, m, "GET", id, "")
	ru, _ := c["translations"].(map[string]any)["ru"].(map[string]any)
	if c["format"] != "markdown" || c["body"] != "# Hi {{.Name}}" || c["body_html"] != "" || ru["subject"] != "Новости" || ru["body"] != "# Привет, {{.Name}}" {
		t.Fatalf("read back: %v", c)
	}
	if code, c = f.call(t, m, "PATCH", id, `{"subject":"Newer"}`); code != 200 || c["format"] != "markdown" || c["translations"] == nil {
		t.Fatalf("a patch keeps format and translations: %d %v", code, c)
	}

	tests := []struct {
		name, method, body, field, want string
	}{
		{"MistypedInTranslation", "PATCH", `{"translations":{"ru":{"subject":"Новости","body":"Привет\n\n{{.Nmae}}"}}}`,
			"translations.ru.body", "line 3: unknown field Nmae; did you mean {{.Name}}?"},
		{"MistypedInBody", "PATCH", `{"body":"# Hi\n{{.Nmae}}"}`, "body", "line 2: unknown field Nmae; did you mean {{.Name}}?"},
		{"MarkdownWithoutBody", "PATCH", `{"body":"","body_html":"<p>x</p>"}`, "body", "body"},
		{"UnknownFormat", "PATCH", `{"format":"rtf"}`, "format", "markdown or html"},
		{"UnknownLanguage", "PATCH", `{"translations":{"de":{"subject":"a","body":"b"}}}`, "translations.de", "en, ru"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := f.call(t, m, tt.method, id, tt.body)
			fields, _ := body["fields"].(map[string]any)
			got, _ := fields[tt.field].(string)
			if code != http.StatusUnprocessableEntity || !strings.Contains(got, tt.want) {
				t.Fatalf("%d %v", code, body)
			}
		})
	}
	if code, c = f.call(t, m, "PUT", id, `{"name":"Back","subject":"S","purpose":"marketing","body_html":"<p>x</p>"}`); code != 200 ||
		c["format"] != "html" || c["translations"] != nil || c["body"] != nil {
		t.Fatalf("a PUT without format is HTML: %d %v", code, c)
	}
}
