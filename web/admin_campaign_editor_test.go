package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"newsletter/app"
)

// editorForm is the editor's form of a two-language Markdown campaign.
func editorForm(ruBody string) url.Values {
	return url.Values{"name": {"Winter"}, "purpose": {"marketing"}, "locale": {"en"}, "format": {"markdown"},
		"subject_en": {"Winter news"}, "body_en": {"# Hello, {{.Name}}!\n\nOur *winter* offers."},
		"subject_ru": {"Зимние новости"}, "body_ru": {ruBody}}
}

// TestAdminCampaignEditor: the form shows both languages, the format and
// the merge-field buttons; a two-language Markdown campaign saves as one
// with a Russian translation; a mistyped field comes back with its line
// and the field meant, beside the Russian body.
func TestAdminCampaignEditor(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleMarketer)
	_, page := c.get(t, s, "/admin/campaigns/new")
	for _, want := range []string{`name="subject_en"`, `name="body_ru"`, `<option value="markdown" selected>`, `data-insert-md="[Unsubscribe link]({{.UnsubscribeURL}})"`,
		`formaction="/admin/campaigns/preview?language=ru"`, `name="preview-ru"`, `sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, " onclick=") {
		t.Error("inline script in the editor")
	}

	resp, body := c.post(t, s, "/admin/campaigns", editorForm("Привет\n\n{{.Nmae}}"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "line 3: unknown field Nmae; did you mean {{.Name}}?") {
		t.Fatalf("a mistyped field: %d", resp.StatusCode)
	}
	if !strings.Contains(body, "Привет\n\n{{.Nmae}}</textarea>") {
		t.Error("the refused form lost the Russian body")
	}
	ru := editorForm("Привет")
	ru.Set("subject_ru", "")
	resp, body = c.post(t, s, "/admin/campaigns?lang=ru", ru)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "В рассылке есть ошибки.") || !strings.Contains(body, "обязательное поле") {
		t.Errorf("a translation without its subject, in the Russian console: %d", resp.StatusCode)
	}
	resp, _ = c.post(t, s, "/admin/campaigns", editorForm("# Привет, {{.Name}}!"))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(loc, "?")[0], "/admin/campaigns/"), 10, 64)
	camp, err := c.store.Campaign(context.Background(), id)
	if err != nil || camp.Format != app.FormatMarkdown || camp.Subject != "Winter news" || camp.Translations["ru"].Subject != "Зимние новости" {
		t.Fatalf("stored: %+v %v", camp, err)
	}
	page = "/admin/campaigns/" + strconv.FormatInt(id, 10)
	_, body = c.get(t, s, page)
	if !strings.Contains(body, page+"/preview?language=ru") {
		t.Error("the campaign page has no Russian preview")
	}
	_, preview := c.get(t, s, page+"/preview?language=ru")
	if !strings.Contains(preview, "<h1>Привет, Анна!</h1>") || !strings.Contains(preview, "Отписаться") {
		t.Errorf("Russian preview: %s", preview)
	}
	_, edit := c.get(t, s, page+"/edit")
	if !strings.Contains(edit, "# Привет, {{.Name}}!</textarea>") || !strings.Contains(edit, `value="Зимние новости"`) {
		t.Error("the edit form lacks the translation")
	}
}

// TestAdminEditorPreview: the form posted to the preview renders each
// language for its sample recipient through the layout, under the
// preview's CSP; errors show in the frame with the line and the field.
func TestAdminEditorPreview(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleMarketer)
	tests := []struct {
		name, lang, ruBody string
		want               []string
	}{
		{"English", "en", "Привет", []string{"Subject: Winter news", "<h1>Hello, Anna!</h1>", "<em>winter</em>", "Unsubscribe"}},
		{"Russian", "ru", "# Привет, {{.Name}}!\n\n<b>raw</b>", []string{"Subject: Зимние новости", "<h1>Привет, Анна!</h1>", "<p>raw</p>", "Отписаться"}},
		{"Errors", "ru", "Привет\n\n{{.Nmae}}", []string{"Body (Russian)", "line 3: unknown field Nmae; did you mean {{.Name}}?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := c.post(t, s, "/admin/campaigns/preview?language="+tt.lang, editorForm(tt.ruBody))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'self'") {
				t.Errorf("CSP %q", csp)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("no %q in\n%s", w, body)
				}
			}
		})
	}
	if resp, _ := c.post(t, nil, "/admin/campaigns/preview?language=en", editorForm("x")); resp.StatusCode == http.StatusOK {
		t.Error("a preview without a session")
	}
}
