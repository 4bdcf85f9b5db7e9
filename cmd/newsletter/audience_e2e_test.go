package main_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/internal/testenv"
)

// TestSegmentSendNowEndToEnd drives the console as a marketer in a real
// browser against the real binary (PostgreSQL, Redis, Mailpit): save a
// segment of the Russian-speaking subscribers, write a campaign to it,
// see its count on the campaign page, confirm "send now" on the page that
// repeats the count, and find the mail with exactly those people.
func TestSegmentSendNowEndToEnd(t *testing.T) {
	ctx := browser(t)
	mp := testenv.Mailpit(t)
	env := productionEnv(t)
	env["REDIS_URL"] = testenv.StartRedisServer(t).URL()
	env["SMTP_URL"] = mp.SMTPURL()
	env["OPERATOR_NAME"] = "Example LLC"
	env["MAIL_FROM"] = "Example News <news@example.com>"
	p := start(t, env)

	// Five subscribers from one import, two of them Russian; one of the
	// English ones without the advertising consent.
	file := filepath.Join(t.TempDir(), "people.csv")
	csv := "email,name,locale,marketing,consent_at,consent_source\n" +
		"anna@example.com,Anna Petrova,ru,yes,2026-01-10,fair\n" +
		"boris@example.com,Boris Ivanov,ru,yes,2026-01-11,fair\n" +
		"carl@example.com,Carl Jones,en,yes,2026-01-12,fair\n" +
		"dora@example.com,Dora Smith,en,yes,2026-01-13,fair\n" +
		"emil@example.com,Emil Brown,en,no,2026-01-14,fair\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, env, "import", file); code != 0 {
		t.Fatalf("import: %s %s", out, errOut)
	}
	code, out, errOut := runCmd(t, env, "admin", "create", "--email", "marketer@example.com", "--role", "marketer")
	if code != 0 {
		t.Fatalf("admin create: %s", errOut)
	}
	password := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if password == nil {
		t.Fatalf("no password in %q", out)
	}

	run(t, ctx, 30*time.Second, "sign in",
		chromedp.Navigate(p.base+"/admin"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#email"), "marketer@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), password[1]),
		chromedp.Click(chromedp.CSS("#login-button")),
		chromedp.WaitVisible(chromedp.CSS("nav")),
	)

	// The segment.
	run(t, ctx, 30*time.Second, "segment",
		chromedp.Navigate(p.base+"/admin/segments"),
		chromedp.WaitVisible(chromedp.CSS("#segment-form")),
		chromedp.SendKeys(chromedp.CSS("#seg-name"), "Russian readers"),
		chromedp.Click(chromedp.CSS("#seg-ru")),
		chromedp.SendKeys(chromedp.CSS("#seg-imports"), "fair"),
		chromedp.Click(chromedp.CSS("#save-segment")),
		chromedp.WaitVisible(chromedp.CSS("#segments")),
	)
	waitLocation(t, ctx, "ok=admin.ok.segment_saved")
	screenshot(t, ctx, "segments")

	// The campaign to it, and its count.
	run(t, ctx, 30*time.Second, "new campaign", chromedp.Navigate(p.base+"/admin/campaigns/new"),
		chromedp.WaitVisible(chromedp.CSS("#campaign-form")))
	option := segmentOption(t, ctx, "Russian readers")
	run(t, ctx, 30*time.Second, "create campaign",
		chromedp.SendKeys(chromedp.CSS("#name"), "Зимние новости"),
		chromedp.SendKeys(chromedp.CSS("#subject_en"), "Новости зимы"),
		chromedp.SetValue(chromedp.CSS("#format"), "html"),
		chromedp.SetValue(chromedp.CSS("#body_en"), "<p>Здравствуйте, {{.Name}}!</p>"),
		chromedp.SetValue(chromedp.CSS("#segment_id"), option),
		chromedp.Click(chromedp.CSS("#save-campaign")),
		chromedp.WaitVisible(chromedp.CSS("#audience-total")),
	)
	if n := value(t, ctx, "count", chromedp.Text(chromedp.CSS("#audience-total"))); strings.TrimSpace(n) != "2" {
		t.Fatalf("audience total %q, want 2", n)
	}
	if seg := value(t, ctx, "segment", chromedp.Text(chromedp.CSS("#audience-segment"))); seg != "Russian readers" {
		t.Errorf("segment shown %q", seg)
	}
	screenshot(t, ctx, "campaign-audience")
	campaignURL := value(t, ctx, "location", chromedp.Location())

	// "Send now" asks first, with the count.
	run(t, ctx, 20*time.Second, "send now", chromedp.Click(chromedp.CSS("#send-now")), chromedp.WaitVisible(chromedp.CSS("#confirm-send")))
	if c := value(t, ctx, "confirmation", chromedp.Text(chromedp.CSS("#send-count"))); !strings.Contains(c, "2") {
		t.Errorf("confirmation %q lacks the count", c)
	}
	screenshot(t, ctx, "send-confirm")
	run(t, ctx, 10*time.Second, "confirm", chromedp.Click(chromedp.CSS("#confirm-send")))
	waitLocation(t, ctx, "ok=admin.ok.sending")
	msgs := mp.WaitForCount(t, 2, 60*time.Second)
	var to []string
	for _, m := range msgs {
		to = append(to, strings.ToLower(m.To[0]))
	}
	slices.Sort(to)
	if strings.Join(to, ",") != "anna@example.com,boris@example.com" {
		t.Fatalf("sent to %v", to)
	}
	run(t, ctx, 60*time.Second, "finished", chromedp.Navigate(strings.Split(campaignURL, "?")[0]),
		chromedp.WaitVisible(chromedp.CSS(`#campaign-status.finished`)))

	// The marketer sees no personal data on these pages.
	for _, page := range []string{"/admin/segments", strings.TrimPrefix(strings.Split(campaignURL, "?")[0], p.base)} {
		run(t, ctx, 10*time.Second, page, chromedp.Navigate(p.base+page), chromedp.WaitVisible(chromedp.CSS("h1")))
		html := value(t, ctx, page, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		if strings.Contains(html, "anna@") || strings.Contains(html, "boris@") || strings.Contains(html, "Petrova") {
			t.Errorf("%s shows personal data", page)
		}
	}
	if os.Getenv("NEWSLETTER_SCREENSHOTS") != "" {
		camp := strings.TrimPrefix(strings.Split(campaignURL, "?")[0], p.base+"/admin/")
		for _, page := range []string{"segments?lang=ru", "campaigns?lang=ru", camp + "?lang=ru"} {
			run(t, ctx, 10*time.Second, page, chromedp.Navigate(p.base+"/admin/"+page), chromedp.WaitVisible(chromedp.CSS("h1")))
			screenshot(t, ctx, strings.NewReplacer("?", "-", "=", "-", "/", "-").Replace(page))
		}
	}
}

// segmentOption is the value of the campaign form's option for a segment.
func segmentOption(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	return value(t, ctx, "segment option", chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll("#segment_id option")).find(o => o.textContent === `+"`"+name+"`"+`).value`))
}
