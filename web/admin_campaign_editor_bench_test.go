package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"newsletter/app"
	"newsletter/templates"
)

// benchMarkdown is a Markdown newsletter of about 50 KB with merge fields.
func benchMarkdown(lang string) string {
	var b strings.Builder
	b.WriteString("# Hello, {{.Name}}!\n\n")
	for i := 0; b.Len() < 50<<10; i++ {
		fmt.Fprintf(&b, "## %s %d\n\nWe are glad to present *new* products and **services**. Read more about "+
			"[product %d](https://example.com/p/%d?utm_source=newsletter) on our site. Мы рады представить новые продукты.\n\n"+
			"- one point\n- another point\n\n", lang, i, i, i)
	}
	b.WriteString("[Preferences]({{.PreferencesURL}})\n")
	return b.String()
}

// BenchmarkEditorPreview is one preview of the editor: a two-language
// Markdown campaign of 50 KB a language checked, compiled and rendered for
// the Russian sample recipient (the target: under 200 ms).
func BenchmarkEditorPreview(b *testing.B) {
	base, _ := url.Parse("https://news.example.com/")
	pages, err := templates.New()
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{deps: Deps{Layout: pages}, opts: Options{BaseURL: base, Operator: app.Operator{Name: "Example Ltd", Address: "1 Main Street"}}}
	in := app.CampaignInput{Name: "Bench", Subject: "News for {{.Name}}", Purpose: app.CampaignMarketing, Locale: "en",
		Format: app.FormatMarkdown, Body: benchMarkdown("en"),
		Translations: map[string]app.CampaignTranslation{"ru": {Subject: "Новости", Body: benchMarkdown("ru")}}}
	if out := s.editorPreview(context.Background(), in, "ru", "en"); !strings.Contains(out, "Anna") && !strings.Contains(out, "Анна") {
		b.Fatalf("preview: %.500s", out)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.editorPreview(context.Background(), in, "ru", "en")
	}
}
