package app_test

import (
	"fmt"
	"strings"
	"testing"

	"newsletter/app"
)

// benchCampaignBody is a newsletter of about 8 KB in table layout, like
// the one of `newsletter bench send`.
var benchCampaignBody = func() string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>News</title></head><body style="margin:0">`)
	b.WriteString(`<table width="100%" cellpadding="0" cellspacing="0" role="presentation"><tr><td align="center">`)
	b.WriteString(`<p style="font-family:Arial,sans-serif;font-size:16px">Hello, {{.Name}}!</p>`)
	for i := range 12 {
		fmt.Fprintf(&b, `<table width="600" role="presentation"><tr><td style="font-family:Arial,sans-serif;font-size:16px;line-height:24px;color:#222">`+
			`<h2 style="margin:0 0 8px">Новинка %d: special offer</h2><p style="margin:0 0 16px">Мы рады представить новые продукты и услуги. `+
			`Read more about <a href="https://example.com/p/%d?utm_source=newsletter">product %d</a> on our site.</p></td></tr></table>`, i, i, i)
	}
	b.WriteString(`<p><a href="{{.PreferencesURL}}">Preferences</a></p></td></tr></table></body></html>`)
	return b.String()
}()

// BenchmarkCampaignRender renders one recipient's message (subject, HTML
// with the footer, text part) of a compiled campaign.
func BenchmarkCampaignRender(b *testing.B) {
	c := &app.Campaign{ID: 1, Subject: "Special offers for {{.Name}}", Purpose: app.CampaignMarketing, BodyHTML: benchCampaignBody}
	tpl, err := app.CompileCampaign(c, app.Operator{Name: "Example Ltd", Address: "1 Main Street"}, func(h string) string { return h }, testFrame(b))
	if err != nil {
		b.Fatal(err)
	}
	tpl.SetPrivacyURL("https://news.example.com/privacy")
	f := app.MergeFields{Name: "Анна Смирнова", UnsubscribeURL: "https://news.example.com/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		PreferencesURL: "https://news.example.com/preferences/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render("ru", f); err != nil {
			b.Fatal(err)
		}
	}
}
