package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/internal/testenv"
)

// TestOfficerPhoneRequestEndToEnd drives the privacy officer's work in a
// real browser against the real binary: register a request received by
// telephone on an earlier day that asks for two things, answer the person
// from the request's page (the answer arrives in Mailpit, in their
// language), and close the request; the thread keeps every step.
func TestOfficerPhoneRequestEndToEnd(t *testing.T) {
	const email = "caller@example.com"
	ctx, mp, p := officerSignedIn(t, email)
	// The person rang on an earlier day and asked two things: what we
	// hold about them, and to correct their data.
	received := time.Now().In(moscow()).AddDate(0, 0, -3).Format(time.DateOnly)
	run(t, ctx, 30*time.Second, "register",
		chromedp.Navigate(p.base+"/admin/subscribers?q=caller"),
		chromedp.WaitVisible(chromedp.CSS(`#subscribers a[href^="/admin/subscribers/"]`)),
		chromedp.Click(chromedp.CSS(`#subscribers tbody tr:first-child td:nth-child(2) a`)),
		chromedp.WaitVisible(chromedp.CSS("#consent-history")),
		chromedp.Click(chromedp.CSS("#register-open")),
		chromedp.WaitVisible(chromedp.CSS("#register-form")),
		chromedp.Click(chromedp.CSS("#reg-kind-access")),
		chromedp.Click(chromedp.CSS("#reg-kind-data_update")),
		chromedp.SetValue(chromedp.CSS("#reg-channel"), "phone"),
		chromedp.SetValue(chromedp.CSS("#reg-received"), received),
		chromedp.SendKeys(chromedp.CSS("#reg-note"), "звонок на горячую линию"),
	)
	screenshot(t, ctx, "officer-register")
	run(t, ctx, 20*time.Second, "submit", chromedp.Click(chromedp.CSS("#register-submit")))
	waitLocation(t, ctx, "ok=admin.ok.request_registered")
	rows := value(t, ctx, "requests", chromedp.Text(chromedp.CSS("#subscriber-requests")))
	if !strings.Contains(rows, "Запрос сведений") || !strings.Contains(rows, "Актуализация данных") {
		t.Fatalf("the subscriber's requests lack the two kinds:\n%s", rows)
	}

	// Answer the access request from its page.
	run(t, ctx, 30*time.Second, "open request",
		chromedp.Click(chromedp.CSS(`#subscriber-requests tr:first-child a`)),
		chromedp.WaitVisible(chromedp.CSS("#answer-form")),
	)
	if got := value(t, ctx, "received", chromedp.Text(chromedp.CSS("#request-received"))); !strings.Contains(got, received) {
		t.Errorf("received on %q, want %s", got, received)
	}
	run(t, ctx, 30*time.Second, "answer",
		chromedp.SendKeys(chromedp.CSS("#answer"), "Мы храним ваши имя, адрес и телефон."),
		chromedp.Click(chromedp.CSS("#answer-form button")),
	)
	waitLocation(t, ctx, "ok=admin.ok.answered")
	// The person subscribed in English: the answer is in English, while
	// the console is in Russian.
	msgs := mp.WaitForCount(t, 1, 30*time.Second)
	if m := msgs[0]; len(m.To) == 0 || !strings.EqualFold(m.To[0], email) || !strings.HasPrefix(m.Subject, "Your request no. ") {
		t.Fatalf("answer mailed as %q to %v", m.Subject, m.To)
	}
	raw, err := mp.Raw(context.Background(), msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "Reply-To: privacy@example.com") {
		t.Errorf("the answer has no Reply-To of the privacy mailbox:\n%s", raw)
	}

	// Close it.
	run(t, ctx, 30*time.Second, "complete",
		chromedp.SendKeys(chromedp.CSS("#close-note"), "закрыто после звонка"),
		chromedp.Click(chromedp.CSS("#complete")),
	)
	waitLocation(t, ctx, "ok=admin.ok.request_closed")
	run(t, ctx, 10*time.Second, "closed", chromedp.WaitVisible(chromedp.CSS(`#request-status[data-status="completed"]`)))
	thread := value(t, ctx, "thread", chromedp.Text(chromedp.CSS("#notes")))
	last := -1
	for _, want := range []string{"звонок на горячую линию", "Мы храним ваши имя, адрес и телефон.", "закрыто после звонка"} {
		i := strings.Index(thread, want)
		if i < 0 || i < last {
			t.Errorf("the thread lacks %q or has it out of order:\n%s", want, thread)
		}
		last = i
	}
	if strings.Count(thread, "owner@example.com") != 3 {
		t.Errorf("the thread does not name its author each time:\n%s", thread)
	}
	screenshot(t, ctx, "officer-request-closed")
	run(t, ctx, 10*time.Second, "english", chromedp.Navigate(p.base+"/admin/requests?lang=en"), chromedp.WaitVisible(chromedp.CSS("#requests")))
	screenshot(t, ctx, "officer-requests-en")
}

// moscow is the zone the console counts days in for a Russian operator.
func moscow() *time.Location {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		return time.FixedZone("MSK", 3*3600)
	}
	return loc
}

// officerSignedIn starts the product with Redis and Mailpit, subscribes
// and confirms email, empties the mailbox, and signs the owner in to the
// Russian console in a real browser.
func officerSignedIn(t *testing.T, email string) (context.Context, *testenv.MailpitServer, *proc) {
	t.Helper()
	ctx := browser(t)
	mp := testenv.Mailpit(t)
	env := productionEnv(t)
	env["REDIS_URL"] = testenv.StartRedisServer(t).URL()
	env["SMTP_URL"] = mp.SMTPURL()
	env["OPERATOR_NAME"] = "Example LLC"
	env["OPERATOR_EMAIL"] = "privacy@example.com"
	env["MAIL_FROM"] = "Example News <news@example.com>"
	env["ADMIN_EMAIL"] = "owner@example.com"
	env["ADMIN_PASSWORD"] = "owner-password-123"
	p := start(t, env)
	link := subscribeAndConfirm(t, p, email, func() []byte {
		m := mp.WaitForCount(t, 1, 20*time.Second)[0]
		raw, err := mp.Raw(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	})
	if code, _ := do(t, "POST", link, "application/x-www-form-urlencoded", "", "User-Agent", agent); code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	if err := mp.DeleteAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, 30*time.Second, "sign in",
		chromedp.Navigate(p.base+"/admin?lang=ru"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "owner-password-123"),
		chromedp.Click(chromedp.CSS("#login-button")),
		chromedp.WaitVisible(chromedp.CSS("#subscriber-counts")),
	)
	return ctx, mp, p
}
