package app_test

import (
	"strings"
	"testing"

	"newsletter/app"
)

// TestTrackedLinks: the body's web links are rewritten to counted links,
// once per URL across languages; merge-field links, mailto and in-page
// links stay, and the footer's personal links are never rewritten.
func TestTrackedLinks(t *testing.T) {
	c := &app.Campaign{ID: 9, Name: "n", Subject: "S", Purpose: app.CampaignMarketing, Locale: "en", Format: app.FormatHTML,
		BodyHTML: `<p><a href="https://shop.example.com/a?x=1&amp;y=2">A</a> <a class="b" href='https://blog.example.com/'>B</a>
<a href="{{.UnsubscribeURL}}">stop</a> {{.Name}}
<a href="mailto:info@example.com">mail</a> <a href="#top">top</a></p>`,
		Translations: map[string]app.CampaignTranslation{"ru": {Subject: "Т",
			Body: `<p><a href="https://blog.example.com/">Блог</a> <a href="https://shop.example.com/ru">Магазин</a></p>`}},
		CampaignPublishing: app.CampaignPublishing{TrackClicks: true}}
	linkURL := func(i int) string { return "https://news.example.com/l/ID" + string(rune('0'+i)) }
	tpl, urls, err := app.CompileTrackedCampaign(c, app.Operator{Name: "Op"}, nil, testFrame(t), linkURL)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://shop.example.com/a?x=1&y=2", "https://blog.example.com/", "https://shop.example.com/ru"}
	if strings.Join(urls, " ") != strings.Join(want, " ") {
		t.Fatalf("links = %q, want %q", urls, want)
	}
	f := app.MergeFields{Name: "Ann", UnsubscribeURL: "https://news.example.com/u/TOKEN", PreferencesURL: "https://news.example.com/preferences/P"}
	en, err := tpl.Render("en", f)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`href="https://news.example.com/l/ID0"`, `href="https://news.example.com/l/ID1"`,
		`href="https://news.example.com/u/TOKEN"`, "Ann", `href="mailto:info@example.com"`,
		`href="#top"`, `href="https://news.example.com/preferences/P"`} {
		if !strings.Contains(en.HTML, s) {
			t.Errorf("en HTML lacks %s", s)
		}
	}
	if strings.Contains(en.HTML, "shop.example.com/a") || strings.Contains(en.HTML, `"https://blog.example.com/"`) {
		t.Error("a counted link stayed as written")
	}
	ru, err := tpl.Render("ru", f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ru.HTML, "/l/ID1") || !strings.Contains(ru.HTML, "/l/ID2") || !strings.Contains(ru.HTML, "/u/TOKEN") {
		t.Errorf("ru HTML: %s", ru.HTML)
	}
	off := *c
	off.TrackClicks = false
	_, urls, err = app.CompileTrackedCampaign(&off, app.Operator{}, nil, testFrame(t), linkURL)
	if err != nil || urls != nil {
		t.Fatalf("untracked: %v %v", urls, err)
	}
}

// TestTrackedLinksMarkdown counts the links of a Markdown body, not its
// merge-field links.
