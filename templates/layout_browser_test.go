package templates_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/app"
	"newsletter/internal/testenv"
	"newsletter/templates"
)

// TestLayoutInBrowser opens messages in the layout in Chromium, as wide as
// a desktop mail client's reading pane (600 px) and as a phone (375 px),
// in both languages: nothing is wider than the window (no sideways
// scrolling), the card is at most 600 px wide, the logo has its alt text.
// With NEWSLETTER_SCREENSHOTS set, each is saved as a PNG there.
func TestLayoutInBrowser(t *testing.T) {
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	layout := app.MailLayout{LogoURL: "https://news.example.com/logo.png", FooterText: "Example Ltd · 1 Main Street · news.example.com"}
	dir := t.TempDir()
	pages := map[string]string{}
	for _, loc := range []string{"en", "ru"} {
		_, html, _, err := r.Mail("confirmation", loc, templates.Mail{Name: "Anna", Operator: "Example Ltd", SiteURL: "https://news.example.com",
			URL: "https://news.example.com/confirm/" + strings.Repeat("A", 80), Days: 30, Layout: layout})
		if err != nil {
			t.Fatal(err)
		}
		pages["confirmation-"+loc] = html
		c := &app.Campaign{ID: 1, Subject: "Spring", Purpose: app.CampaignMarketing, BodyHTML: `<h1>Spring offers</h1><p>Hello, {{.Name}}!</p>` +
			`<p>Our new collection is here: light jackets, shoes for rain and sun, and bags for every day.</p>` +
			`<p><a href="https://shop.example.com/spring">See the collection</a></p>`}
		tpl, err := app.CompileCampaign(c, app.Operator{Name: "Example Ltd", Address: "1 Main Street"}, nil,
			app.Frame{Layout: r, Settings: app.MailLayouts{loc: layout}})
		if err != nil {
			t.Fatal(err)
		}
		tpl.SetPrivacyURL("https://news.example.com/privacy")
		m, err := tpl.Render(loc, app.MergeFields{Name: "Anna", UnsubscribeURL: "https://news.example.com/u/T", PreferencesURL: "https://news.example.com/p/T"})
		if err != nil {
			t.Fatal(err)
		}
		pages["campaign-"+loc] = m.HTML
	}
	ctx := testenv.Browser(t, 2*time.Minute)
	shots := os.Getenv("NEWSLETTER_SCREENSHOTS")
	for name, html := range pages {
		file := filepath.Join(dir, name+".html")
		if err := os.WriteFile(file, []byte(html), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, width := range []int64{600, 375} {
			if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Run(ctx, chromedp.Navigate("file://"+file)); err != nil {
				t.Fatal(err)
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, window.innerWidth,
				document.querySelector(".nl-card").getBoundingClientRect().width, document.querySelectorAll("img:not([alt]), img[alt='']").length]`))
			if err != nil {
				t.Fatal(err)
			}
			if got[0] > got[1] || got[2] > 600 || got[3] != 0 {
				t.Errorf("%s at %d px: page %v px wide in a %v px window, card %v px, %v images without alt text", name, width, got[0], got[1], got[2], got[3])
			}
			if shots != "" {
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
