package templates_test

import (
	"bytes"
	"strings"
	"testing"

	"newsletter/templates"
)

func TestEveryPageAndMailRendersInBothLanguages(t *testing.T) {
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range templates.Locales {
		for _, name := range []string{"confirmation", "email_change", "preferences"} {
			t.Run(loc+"/"+name, func(t *testing.T) {
				subject, html, text, err := r.Mail(name, loc, templates.Mail{Name: "Анна <b>", Operator: "Example", URL: "https://x.test/c/TOKEN", Days: 30})
				if err != nil {
					t.Fatal(err)
				}
				if subject == "" || strings.Contains(subject, "\n") {
					t.Errorf("subject %q", subject)
				}
				if !strings.Contains(html, "https://x.test/c/TOKEN") || !strings.Contains(text, "https://x.test/c/TOKEN") {
					t.Error("link missing from a part")
				}
				if strings.Contains(html, "<b>") || !strings.Contains(html, "Анна &lt;b&gt;") {
					t.Error("name not escaped in HTML")
				}
				if strings.Contains(html, "mail.") {
					t.Error("untranslated key in HTML")
				}
			})
		}
	}
}

func TestCatalogHasBothLanguages(t *testing.T) {
	if templates.T("ru", "subscribe.title") == templates.T("en", "subscribe.title") {
		t.Fatal("ru and en texts are the same")
	}
	if got := templates.T("en", "no.such.key"); got != "no.such.key" {
		t.Fatalf("missing key gives %q", got)
	}
}

func TestRenderPolicyEscapes(t *testing.T) {
	got := string(templates.RenderPolicy("# Title <x>\n\npara <script>alert(1)</script>\nline two\n\n- item & more\n- two"))
	for _, want := range []string{"<h2>Title &lt;x&gt;</h2>", "<p>para &lt;script&gt;alert(1)&lt;/script&gt; line two</p>", "<li>item &amp; more</li>"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %s", want, got)
		}
	}
}

func TestPageEscapesData(t *testing.T) {
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err = r.Page(&buf, "message", "ru", templates.Page{Title: "<t>", Operator: "O", Data: map[string]any{
		"Heading": "<script>", "Paragraphs": []string{"a & b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script>") {
		t.Fatal("unescaped data in page")
	}
	if !strings.Contains(buf.String(), `lang="ru"`) {
		t.Fatal("page not in Russian")
	}
}

func TestTranslateDereferencesPointers(t *testing.T) {
	id := int64(42)
	for _, tc := range []struct {
		locale string
		arg    any
		want   string
	}{
		{"en", &id, "Subscriber #42"},
		{"ru", &id, "Подписчик №42"},
		{"en", id, "Subscriber #42"},
	} {
		if got := templates.T(tc.locale, "admin.subscriber.title", tc.arg); got != tc.want {
			t.Errorf("T(%s, %v) = %q, want %q", tc.locale, tc.arg, got, tc.want)
		}
	}
}

func TestDays(t *testing.T) {
	for _, tc := range []struct {
		locale string
		n      int
		want   string
	}{
		{"en", 1, "1 day"}, {"en", 7, "7 days"},
		{"ru", 1, "1 день"}, {"ru", 2, "2 дня"}, {"ru", 5, "5 дней"}, {"ru", 11, "11 дней"},
		{"ru", 12, "12 дней"}, {"ru", 21, "21 день"}, {"ru", 22, "22 дня"}, {"ru", 111, "111 дней"},
	} {
		if got := templates.Days(tc.locale, tc.n); got != tc.want {
			t.Errorf("Days(%s, %d) = %q, want %q", tc.locale, tc.n, got, tc.want)
		}
	}
}
