package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/internal/testenv"
)

// TestArchiveInBrowser opens the archive and a campaign in Chromium, in
// English and Russian: the pages take the public style sheet, the list
// links the campaign in the visitor's language, and the campaign's body
// shows in its frame. With NEWSLETTER_SCREENSHOTS set, it keeps a picture
// of each page there.
func TestArchiveInBrowser(t *testing.T) {
	f := newFixture(t)
	pub := publishCampaign(t, f, true, true)
	base := f.listen(t)
	ctx := testenv.Browser(t, 60*time.Second)
	id := strconv.FormatInt(pub.ID, 10)
	for _, tc := range []struct{ lang, subject string }{{"en", "Hello subscriber"}, {"ru", "Привет, подписчик"}} {
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(1000, 900),
			chromedp.Navigate(base+"/archive?lang="+tc.lang),
			chromedp.WaitVisible(chromedp.CSS(`.archive-list a`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		link, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.archive-list a`)))
		if err != nil || link != tc.subject {
			t.Fatalf("%s list: %q %v", tc.lang, link, err)
		}
		radius, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('main')).borderTopLeftRadius`))
		if err != nil || radius != "12px" {
			t.Errorf("%s: the public style sheet is not applied (%q %v)", tc.lang, radius, err)
		}
		keep(t, ctx, "archive-"+tc.lang)
		err = chromedp.Do(ctx,
			chromedp.Navigate(base+"/archive/"+id+"?lang="+tc.lang),
			chromedp.WaitVisible(chromedp.CSS(`iframe.archive-frame`)),
			chromedp.Sleep(500*time.Millisecond), // the frame's own document
		)
		if err != nil {
			t.Fatal(err)
		}
		h, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('iframe.archive-frame').getBoundingClientRect().height`))
		if err != nil || h < 300 {
			t.Errorf("%s: frame height %v %v", tc.lang, h, err)
		}
		keep(t, ctx, "archive-campaign-"+tc.lang)
	}
}

// keep saves a picture of the page in NEWSLETTER_SCREENSHOTS when set.
func keep(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("NEWSLETTER_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}
