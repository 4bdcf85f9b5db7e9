package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/internal/testenv"
)

// TestBrowserOptIn: a person fills in the form in a real browser, opens the
// link from the mail, presses confirm and sees the confirmation page.
func TestBrowserOptIn(t *testing.T) {
	mp := testenv.Mailpit(t)
	env := productionEnv(t)
	env["SMTP_URL"] = mp.SMTPURL()
	p := start(t, env)
	ctx := testenv.Browser(t, 90*time.Second)

	err := chromedp.Do(ctx,
		chromedp.Navigate(p.base+"/subscribe?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Maria Sidorova"),
		chromedp.SendKeys(chromedp.CSS(`#email`), "maria@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#phone`), "+7 912 111 22 33"),
		chromedp.Click(chromedp.CSS(`#consent_processing`)),
		chromedp.Sleep(2200*time.Millisecond), // a person takes a moment
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#message`)),
	)
	if err != nil {
		t.Fatalf("fill in the form: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#message h1`)))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Check your inbox" {
		t.Fatalf("after submitting: %q", heading)
	}
	msgs := mp.WaitForCount(t, 1, 20*time.Second)
	raw, err := mp.Raw(context.Background(), msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	link := confirmLink.FindString(mailBody(t, raw))
	if link == "" {
		t.Fatal("no link in the confirmation mail")
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#confirm-button`)),
		chromedp.Click(chromedp.CSS(`#confirm-button`)),
		chromedp.WaitVisible(chromedp.CSS(`#message.confirmed`)),
	)
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#message`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(done, "Subscription confirmed") {
		t.Fatalf("confirmation page says %q", done)
	}
}
