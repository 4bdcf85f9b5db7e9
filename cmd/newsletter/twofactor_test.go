package main_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/app"
)

// TestAdminTwoFactorBrowser turns two-factor on in a real browser against
// the real binary: the QR code is drawn (the image loads under the
// page's Content-Security-Policy), a code of the secret shown turns it
// on, the recovery codes are shown, and the next sign-in asks for a code
// and takes a recovery code; new recovery codes replace the earlier ones.
// With NEWSLETTER_SCREENSHOTS set, the pages
// are kept in English and Russian.
func TestAdminTwoFactorBrowser(t *testing.T) {
	ctx := browser(t)
	env := productionEnv(t)
	env["ADMIN_EMAIL"] = "owner@example.com"
	env["ADMIN_PASSWORD"] = "owner-password-123"
	p := start(t, env)

	signIn := func(lang string) {
		run(t, ctx, 30*time.Second, "sign in",
			chromedp.Navigate(p.base+"/admin/login?lang="+lang),
			chromedp.WaitVisible(chromedp.CSS("#login-form")),
			chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), "owner-password-123"),
			chromedp.Click(chromedp.CSS("#login-button")),
		)
	}
	signIn("en")
	run(t, ctx, 20*time.Second, "dashboard", chromedp.WaitVisible(chromedp.CSS("#twofactor-link")))
	run(t, ctx, 20*time.Second, "enrolment page",
		chromedp.Click(chromedp.CSS("#twofactor-link")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-form")),
	)
	// The QR code is a real image the browser drew, not a broken one.
	width := value(t, ctx, "QR code", chromedp.Evaluate[float64](`document.getElementById("qr").naturalWidth`))
	if width < 100 {
		t.Fatalf("QR code not drawn: natural width %v", width)
	}
	screenshot(t, ctx, "twofactor-enrol")
	run(t, ctx, 10*time.Second, "enrolment page in Russian",
		chromedp.Navigate(p.base+"/admin/twofactor?lang=ru"), chromedp.WaitVisible(chromedp.CSS("#enrol-form")))
	screenshot(t, ctx, "twofactor-enrol-ru")
	secret := strings.TrimSpace(value(t, ctx, "secret", chromedp.Text(chromedp.CSS("#totp-secret"))))
	code, err := app.CodeFor(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, 20*time.Second, "confirm",
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS("#enrol-button")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	screenshot(t, ctx, "twofactor-codes-ru")
	codes := strings.Fields(value(t, ctx, "codes", chromedp.Text(chromedp.CSS("#recovery-codes ul"))))
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown: %v", len(codes), codes)
	}

	// Sign out and in again: a code is asked; a recovery code does.
	run(t, ctx, 20*time.Second, "sign out",
		chromedp.Navigate(p.base+"/admin"), chromedp.WaitVisible(chromedp.CSS("#logout")),
		chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	for i, lang := range []string{"ru", "en"} {
		signIn(lang)
		run(t, ctx, 20*time.Second, "code page", chromedp.WaitVisible(chromedp.CSS("#code-form")))
		screenshot(t, ctx, "twofactor-code-"+lang)
		run(t, ctx, 20*time.Second, "recovery code",
			chromedp.SendKeys(chromedp.CSS("#code"), codes[i]),
			chromedp.Click(chromedp.CSS("#code-button")),
			chromedp.WaitVisible(chromedp.CSS("#logout")),
		)
		if i == 0 {
			run(t, ctx, 20*time.Second, "sign out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
		}
	}
	run(t, ctx, 20*time.Second, "two-factor page", chromedp.Navigate(p.base+"/admin/twofactor?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#twofactor-on")))
	screenshot(t, ctx, "twofactor-on")
	// New recovery codes, in Russian, with one of the old ones.
	run(t, ctx, 20*time.Second, "new recovery codes",
		chromedp.Navigate(p.base+"/admin/twofactor?lang=ru"), chromedp.WaitVisible(chromedp.CSS("#renew-form")))
	screenshot(t, ctx, "twofactor-on-ru")
	run(t, ctx, 20*time.Second, "renew",
		chromedp.SendKeys(chromedp.CSS("#renew-code"), codes[2]),
		chromedp.Click(chromedp.CSS("#renew-button")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	screenshot(t, ctx, "twofactor-renewed-ru")
	renewed := strings.Fields(value(t, ctx, "new codes", chromedp.Text(chromedp.CSS("#recovery-codes ul"))))
	if len(renewed) != 10 || renewed[0] == codes[0] {
		t.Fatalf("new recovery codes %v, the earlier ones %v", renewed, codes)
	}
	run(t, ctx, 20*time.Second, "users page", chromedp.Navigate(p.base+"/admin/users?lang=ru"),
		chromedp.WaitVisible(chromedp.CSS("#twofactor-setting")))
	screenshot(t, ctx, "twofactor-users-ru")
}

// TestOIDCConfigRefused: single sign-on half configured stops the start
// with exit code 2 and one line naming the variable.
func TestOIDCConfigRefused(t *testing.T) {
	t.Parallel()
	env := productionEnv(t)
	env["OIDC_ISSUER"] = "https://id.example.com"
	env["OIDC_CLIENT_ID"] = "newsletter"
	code, _, errOut := runCmd(t, env, "serve")
	if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "OIDC_ISSUER: ") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
