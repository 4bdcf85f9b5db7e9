package main_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var exportLink = regexp.MustCompile(`https?://[^\s"<>]+/export/[A-Za-z0-9_-]+`)

// TestOfficerMailsExportEndToEnd: from the subscriber's page in a real
// browser, the officer opens the printable export and mails it to the
// person; the mail arrives in Mailpit in the person's language, and its
// link opens the export and the JSON download.
func TestOfficerMailsExportEndToEnd(t *testing.T) {
	const email = "reader@example.com"
	ctx, mp, p := officerSignedIn(t, email)
	run(t, ctx, 30*time.Second, "subscriber",
		chromedp.Navigate(p.base+"/admin/subscribers?q=reader"),
		chromedp.WaitVisible(chromedp.CSS(`#subscribers a[href^="/admin/subscribers/"]`)),
		chromedp.Click(chromedp.CSS(`#subscribers tbody tr:first-child td:nth-child(2) a`)),
		chromedp.WaitVisible(chromedp.CSS("#export-html")),
	)
	page := value(t, ctx, "subscriber page", chromedp.Location())
	run(t, ctx, 30*time.Second, "printable export",
		chromedp.Navigate(page+"/export.html"),
		chromedp.WaitVisible(chromedp.CSS("#export-title")),
	)
	if doc := value(t, ctx, "export", chromedp.Text(chromedp.CSS("body"))); !strings.Contains(doc, email) || !strings.Contains(doc, "Ваши персональные данные") {
		t.Fatalf("the printable export:\n%s", doc)
	}
	screenshot(t, ctx, "export-console-ru")
	run(t, ctx, 30*time.Second, "mail it",
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#export-mail")),
		chromedp.Click(chromedp.CSS("#export-mail")),
	)
	waitLocation(t, ctx, "ok=admin.ok.export_mailed")

	// The person subscribed in English: the mail is in English.
	msgs := mp.WaitForCount(t, 1, 30*time.Second)
	if m := msgs[0]; len(m.To) == 0 || !strings.EqualFold(m.To[0], email) || m.Subject != "Your personal data" {
		t.Fatalf("export mailed as %q to %v", m.Subject, m.To)
	}
	raw, err := mp.Raw(context.Background(), msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	url := exportLink.FindString(mailBody(t, raw))
	if url == "" {
		t.Fatalf("no export link in the mail:\n%s", mailBody(t, raw))
	}
	if code, body := do(t, "GET", url, "", ""); code != 200 || !strings.Contains(body, email) || !strings.Contains(body, `lang="en"`) {
		t.Fatalf("the mailed link: %d %.300s", code, body)
	}
	if code, body := do(t, "GET", url+"/json", "", ""); code != 200 || !strings.Contains(body, `"email":"`+email+`"`) {
		t.Fatalf("the JSON download: %d %.300s", code, body)
	}
	run(t, ctx, 30*time.Second, "open the link", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#export-title")))
	screenshot(t, ctx, "export-link-en")
	run(t, ctx, 30*time.Second, "bad link", chromedp.Navigate(p.base+"/export/AAAA?lang=ru"), chromedp.WaitVisible(chromedp.CSS("#message")))
	screenshot(t, ctx, "export-link-bad-ru")
}
