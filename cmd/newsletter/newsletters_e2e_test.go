package main_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/app"
	"newsletter/internal/testenv"
)

// TestNewslettersEndToEnd: against the real binary (PostgreSQL, Redis,
// Mailpit) and in a real browser, an owner makes two newsletters, a person
// chooses one of them on the form, a campaign to that newsletter reaches
// them (and not someone on the other), and the one-click of its message
// leaves that newsletter only: the consent to advertising stays.
func TestNewslettersEndToEnd(t *testing.T) {
	mp := testenv.Mailpit(t)
	env := optoutEnv(t, mp)
	if code, out, errOut := runCmd(t, env, "admin", "create", "--email", "owner@example.com", "--role", "owner"); code != 0 {
		t.Fatalf("admin create: %s %s", out, errOut)
	}
	_, token, _ := runCmd(t, env, "admin", "token", "--email", "owner@example.com")
	auth := []string{"Authorization", "Bearer " + strings.TrimSpace(token), "Content-Type", "application/json"}
	p := start(t, env)
	api := func(method, path, body string, want int) map[string]any {
		t.Helper()
		code, out := do(t, method, p.base+path, "application/json", body, auth...)
		if code != want {
			t.Fatalf("%s %s: %d %s", method, path, code, out)
		}
		var m map[string]any
		_ = json.Unmarshal([]byte(out), &m)
		return m
	}
	id := func(m map[string]any) string { return fmt.Sprint(int64(m["id"].(float64))) }
	offers := id(api("POST", "/api/v1/newsletters", `{"name":"Offers","description":{"en":"Sales and discounts","ru":"Скидки и распродажи"},"purpose":"marketing","public":true}`, 201))
	events := id(api("POST", "/api/v1/newsletters", `{"name":"Events","description":{"en":"Meetups near you","ru":"Встречи рядом с вами"},"purpose":"marketing","public":true}`, 201))

	ctx := testenv.Browser(t, 120*time.Second)
	subscribe := func(lang, name, email, newsletter string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(p.base+"/subscribe?lang="+lang),
			chromedp.WaitVisible(chromedp.CSS(`#newsletter_`+newsletter)),
			chromedp.SendKeys(chromedp.CSS(`#name`), name),
			chromedp.SendKeys(chromedp.CSS(`#email`), email),
			chromedp.Click(chromedp.CSS(`#newsletter_`+newsletter)),
			chromedp.Click(chromedp.CSS(`#consent_processing`)),
			chromedp.Click(chromedp.CSS(`#consent_marketing`)),
		)
		if err != nil {
			t.Fatalf("fill in the form: %v", err)
		}
		screenshot(t, ctx, "newsletters-form-"+lang)
		err = chromedp.Do(ctx,
			chromedp.Sleep(2200*time.Millisecond), // a person takes a moment
			chromedp.Click(chromedp.CSS(`button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#message`)),
		)
		if err != nil {
			t.Fatalf("submit the form: %v", err)
		}
		link := confirmLink.FindString(mailBody(t, mailTo(t, mp, email, "")))
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
	}
	subscribe("en", "Olga Ivanova", "olga@example.com", offers)
	subscribe("ru", "Пётр Смирнов", "petr@example.com", events)
	olga := apiSubscriber(t, p, auth[:2], "olga@example.com")
	olgaID := int64(olga["id"].(float64))
	if on := currentNewsletters(olga); !on[offers] || on[events] {
		t.Fatalf("Olga chose Offers and is on %v", on)
	}

	camp := id(api("POST", "/api/v1/campaigns", `{"name":"Sale","subject":"Autumn sale","purpose":"marketing","body_html":"<p>{{.Name}}, our sale starts.</p>","newsletter_ids":[`+offers+`]}`, 201))
	api("POST", "/api/v1/campaigns/"+camp+"/schedule", `{}`, 200)
	raw := mailTo(t, mp, "olga@example.com", "Autumn sale")
	waitUntil(t, "the campaign to finish", func() bool {
		c := api("GET", "/api/v1/campaigns/"+camp, "", 200)
		return c["status"] == "finished"
	})
	if c := api("GET", "/api/v1/campaigns/"+camp, "", 200); c["sent"].(float64) != 1 {
		t.Fatalf("the campaign to Offers went to %v people, want 1 (Olga, not Pyotr)", c["sent"])
	}
	unsub := header(t, raw, "List-Unsubscribe")
	oneClick := ""
	for _, part := range strings.Split(unsub, ",") {
		part = strings.Trim(strings.TrimSpace(part), "<>")
		if strings.HasPrefix(part, "http") {
			oneClick = part
		}
	}
	if oneClick == "" {
		t.Fatalf("List-Unsubscribe %q has no https link", unsub)
	}

	// The unsubscribe page offers leaving this newsletter first.
	for _, lang := range []string{"en", "ru"} {
		err := chromedp.Do(ctx, chromedp.Navigate(oneClick+"?lang="+lang), chromedp.WaitVisible(chromedp.CSS(`#unsubscribe-newsletter`)))
		if err != nil {
			t.Fatalf("unsubscribe page: %v", err)
		}
		screenshot(t, ctx, "newsletters-unsubscribe-"+lang)
	}
	if code, body := do(t, "POST", oneClick, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"); code != 200 {
		t.Fatalf("one-click: %d %s", code, body)
	}
	olga = subscriberByID(t, p, auth[:2], olgaID)
	if on := currentNewsletters(olga); on[offers] || len(on) == 0 {
		t.Fatalf("after the one-click Olga is on %v: want off Offers, still on the informational one", on)
	}
	if granted, _ := consent(olga, "marketing"); !granted {
		t.Fatal("leaving one newsletter withdrew the consent to advertising")
	}

	// The preference centre shows the choices, in both languages.
	lk := links(t, env, p.base)
	for _, lang := range []string{"en", "ru"} {
		sub := &app.Subscriber{ID: olgaID, Email: "olga@example.com"}
		err := chromedp.Do(ctx, chromedp.Navigate(lk.Preferences(sub)+"?lang="+lang), chromedp.WaitVisible(chromedp.CSS(`#newsletter_`+events)))
		if err != nil {
			t.Fatalf("preference centre: %v", err)
		}
		screenshot(t, ctx, "newsletters-preferences-"+lang)
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// currentNewsletters returns the ids (as text) of the newsletters a
// subscriber's API record says they are on now.
func currentNewsletters(d map[string]any) map[string]bool {
	on := map[string]bool{}
	list, _ := d["newsletters"].([]any)
	for _, n := range list {
		m := n.(map[string]any)
		if m["current"] == true {
			on[fmt.Sprint(int64(m["newsletter_id"].(float64)))] = true
		}
	}
	return on
}
