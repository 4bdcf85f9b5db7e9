package main_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/internal/testenv"
)

// chromiumPath finds Debian's chromium (or CHROMIUM_PATH). Outside CI a
// missing browser skips the test; in CI it fails it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM_PATH"), "chromium", "chromium-browser", "google-chrome"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if testenv.InCI() {
		t.Fatal("chromium not found: install Debian's chromium (apt-get install chromium)")
	}
	t.Skip("chromium not found: install Debian's chromium (apt-get install chromium)")
	return ""
}

// browser starts a headless Chromium with a new empty profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, bound to ctx
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs browser actions with a deadline and fails the test on error.
func run(t *testing.T, ctx context.Context, timeout time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s: %v (at %s)", what, err, loc)
	}
}

// value runs one browser action that returns a value.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitLocation waits until the page's address contains part: the form
// posted before has led to its result.
func waitLocation(t *testing.T, ctx context.Context, part string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && strings.Contains(loc, part) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page did not reach %q (at %s, %v)", part, loc, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenshot keeps a picture of the page in NEWSLETTER_SCREENSHOTS when set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("NEWSLETTER_SCREENSHOTS")
	if dir == "" {
		return
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}

// TestAdminConsoleEndToEnd drives the console in a real browser against
// the real binary (PostgreSQL, Redis, Mailpit): sign in, write a campaign,
// send it and watch its progress bar reach 100% while the worker sends,
// then erase a subscriber through the confirmation step.
func TestAdminConsoleEndToEnd(t *testing.T) {
	ctx := browser(t)
	mp := testenv.Mailpit(t)
	env := productionEnv(t)
	// A Redis of its own: no other test process can take this test's tasks.
	env["REDIS_URL"] = testenv.StartRedisServer(t).URL()
	env["SMTP_URL"] = mp.SMTPURL()
	env["OPERATOR_NAME"] = "Example LLC"
	env["MAIL_FROM"] = "Example News <news@example.com>"
	env["ADMIN_EMAIL"] = "owner@example.com"
	env["ADMIN_PASSWORD"] = "owner-password-123"
	p := start(t, env)

	// Subscribers, through the public form and the double opt-in.
	emails := []string{"anna@example.com", "boris@example.com", "vera@example.com", "gleb@example.com"}
	for i, email := range emails {
		link := subscribeAndConfirm(t, p, email, func() []byte {
			for _, m := range mp.WaitForCount(t, i+1, 20*time.Second) {
				if len(m.To) > 0 && strings.EqualFold(m.To[0], email) {
					raw, err := mp.Raw(context.Background(), m.ID)
					if err != nil {
						t.Fatal(err)
					}
					return raw
				}
			}
			t.Fatalf("no confirmation to %s", email)
			return nil
		})
		if code, _ := do(t, "POST", link, "application/x-www-form-urlencoded", "", "User-Agent", agent); code != 200 {
			t.Fatalf("confirm %s: %d", email, code)
		}
	}
	if err := mp.DeleteAll(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Sign in.
	run(t, ctx, 30*time.Second, "sign in",
		chromedp.Navigate(p.base+"/admin"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "owner-password-123"),
		chromedp.Click(chromedp.CSS("#login-button")),
		chromedp.WaitVisible(chromedp.CSS("#subscriber-counts")),
	)
	counts := value(t, ctx, "dashboard", chromedp.Text(chromedp.CSS("#subscriber-counts")))
	if !strings.Contains(counts, "4") {
		t.Errorf("dashboard counts %q lack the 4 active subscribers", counts)
	}
	screenshot(t, ctx, "dashboard")

	// Write a campaign and look at its preview.
	run(t, ctx, 30*time.Second, "create campaign",
		chromedp.Navigate(p.base+"/admin/campaigns"),
		chromedp.Click(chromedp.CSS("#new-campaign")),
		chromedp.WaitVisible(chromedp.CSS("#campaign-form")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Winter news"),
		chromedp.SendKeys(chromedp.CSS("#subject_en"), "News for the winter"),
		chromedp.SetValue(chromedp.CSS("#format"), "html"),
		chromedp.SetValue(chromedp.CSS("#body_en"), "<h1>Hello, {{.Name}}!</h1><p>Our winter offers.</p>"),
		chromedp.Click(chromedp.CSS("#save-campaign")),
		chromedp.WaitVisible(chromedp.CSS("#campaign-status")),
	)
	text := value(t, ctx, "campaign page", chromedp.Text(chromedp.CSS("pre.textpart")))
	if !strings.Contains(text, "Our winter offers.") {
		t.Errorf("text part preview %q", text)
	}
	// The HTML part shows in its frame (styles of the mail, no script).
	value(t, ctx, "preview frame", chromedp.Poll[bool](
		`(() => { const f = document.querySelector("iframe.preview"); const d = f && f.contentDocument;
		  return !!(d && d.body && d.body.innerText.includes("Our winter offers.")); })()`,
		chromedp.WithPollingInterval(100*time.Millisecond)))
	screenshot(t, ctx, "campaign-draft")

	// Send it now and watch the progress bar fill as the worker sends.
	run(t, ctx, 20*time.Second, "send now",
		chromedp.Click(chromedp.CSS("#send-now")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-send")),
		chromedp.Click(chromedp.CSS("#confirm-send")),
	)
	waitLocation(t, ctx, "ok=admin.ok.sending")
	run(t, ctx, 10*time.Second, "scheduled page", chromedp.WaitVisible(chromedp.CSS("#progress")))
	deadline := time.Now().Add(90 * time.Second)
	for {
		pct := value(t, ctx, "read progress", chromedp.Evaluate[float64](`document.getElementById("progress").value`))
		status := value(t, ctx, "read status", chromedp.Text(chromedp.CSS("#campaign-status")))
		if pct >= 100 {
			t.Logf("progress 100%% (%s)", status)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress stuck at %v%% (%s)", pct, status)
		}
		time.Sleep(200 * time.Millisecond) // the page is never reloaded: its script updates the bar
	}
	run(t, ctx, 15*time.Second, "finished", chromedp.WaitVisible(chromedp.CSS(`#campaign-status.finished`)))
	sent := value(t, ctx, "counters", chromedp.Text(chromedp.CSS(`[data-counter="sent"]`)))
	if strings.TrimSpace(sent) != "4" {
		t.Errorf("sent counter %q, want 4", sent)
	}
	// The actions follow the new status without a reload: a finished
	// campaign offers neither sending, pausing nor cancelling, can be
	// published, and no longer shows whom it would reach now.
	value(t, ctx, "actions of a finished campaign", chromedp.Poll[bool](
		`!document.getElementById("send-now") && !document.getElementById("pause") &&
		 !document.getElementById("audience") &&
		 !document.getElementById("cancel") && !!document.getElementById("archive-toggle") &&
		 !!document.getElementById("progress")`,
		chromedp.WithPollingInterval(100*time.Millisecond)))
	screenshot(t, ctx, "campaign-finished")
	msgs := mp.WaitForCount(t, 4, 20*time.Second)
	for _, m := range msgs {
		if m.Subject != "News for the winter" {
			t.Errorf("unexpected message %q to %v", m.Subject, m.To)
		}
	}

	// Find a subscriber and erase them, through the confirmation step.
	run(t, ctx, 30*time.Second, "find subscriber",
		chromedp.Navigate(p.base+"/admin/subscribers"),
		chromedp.SendKeys(chromedp.CSS("#q"), "boris@"),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS(`#q[value="boris@"]`)), // the page of results, not the one before
		chromedp.WaitVisible(chromedp.CSS(`#subscribers a[href^="/admin/subscribers/"]`)),
		chromedp.Click(chromedp.CSS(`#subscribers tbody tr:first-child td:nth-child(2) a`)),
		chromedp.WaitVisible(chromedp.CSS("#consent-history")),
	)
	email := value(t, ctx, "subscriber page", chromedp.Text(chromedp.CSS("#subscriber-email")))
	if email != "boris@example.com" {
		t.Fatalf("subscriber page shows %q", email)
	}
	screenshot(t, ctx, "subscriber")
	run(t, ctx, 30*time.Second, "erase",
		chromedp.Click(chromedp.CSS("#erase")),
		chromedp.WaitVisible(chromedp.CSS("#erase-form")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "asked by telephone"),
		chromedp.Click(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS("#erase-confirm")),
		chromedp.WaitVisible(chromedp.CSS(`#subscriber-status[data-status="erased"]`)),
	)
	email = value(t, ctx, "erased subscriber page", chromedp.Text(chromedp.CSS("#subscriber-email")))
	if strings.Contains(email, "boris") {
		t.Errorf("address still shown after erasure: %q", email)
	}

	if os.Getenv("NEWSLETTER_SCREENSHOTS") != "" {
		for _, page := range []string{"requests?view=all", "destructions", "audit", "suppressions", "users", "campaigns?lang=ru"} {
			run(t, ctx, 10*time.Second, page, chromedp.Navigate(p.base+"/admin/"+page), chromedp.WaitVisible(chromedp.CSS("h1")))
			screenshot(t, ctx, strings.NewReplacer("?", "-", "=", "-").Replace(page))
		}
	}

	// The API agrees: the person is erased and a destruction record exists.
	code, token, errOut := runCmd(t, env, "admin", "token", "--email", "owner@example.com")
	if code != 0 {
		t.Fatalf("admin token: %s", errOut)
	}
	auth := []string{"Authorization", "Bearer " + strings.TrimSpace(token)}
	if code, body := get(p.base+"/api/v1/subscribers?email=boris@example.com", auth...); code != 200 || strings.Contains(body, `"id"`) {
		t.Errorf("erased address still found: %d %s", code, body)
	}
	code, body := get(p.base+"/api/v1/destructions", auth...)
	if code != 200 || !strings.Contains(body, "Anna Petrova") || !strings.Contains(body, "asked by telephone") {
		t.Errorf("destructions: %d %s", code, body)
	}
	if code, body := get(p.base+"/api/v1/subscribers?status=erased", auth...); code != 200 || strings.Count(body, `"erased"`) != 1 {
		t.Errorf("erased subscribers: %d %s", code, body)
	}
}
