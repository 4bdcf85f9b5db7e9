package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newsletter/internal/testenv"
)

// subscribeIn subscribes email in a language and confirms it, reading the
// confirmation from Mailpit.
func subscribeIn(t *testing.T, p *proc, mp *testenv.MailpitServer, email, name, locale string) {
	t.Helper()
	body := `{"name":"` + name + `","email":"` + email + `","locale":"` + locale + `","consent_processing":true,"consent_marketing":true,"form":"e2e"}`
	if code, resp := do(t, "POST", p.base+"/subscribe", "application/json", body, "User-Agent", agent); code != 202 {
		t.Fatalf("subscribe %s: %d %s", email, code, resp)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := mp.Messages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if len(m.To) == 0 || !strings.EqualFold(m.To[0], email) {
				continue
			}
			raw, err := mp.Raw(context.Background(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			link := confirmLink.FindString(mailBody(t, raw))
			if code, _ := do(t, "POST", link, "application/x-www-form-urlencoded", "", "User-Agent", agent); link == "" || code != 200 {
				t.Fatalf("confirm %s: %d (%q)", email, code, link)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no confirmation to %s", email)
}

// framed is a script that tells whether the preview frame id shows text.
func framed(id, text string) string {
	return `(() => { const f = document.getElementById("` + id + `"); const d = f && f.contentDocument;
	  return !!(d && d.body && d.body.innerText.includes("` + text + `")); })()`
}

// TestCampaignEditorEndToEnd is the "done": a marketer writes a
// two-language Markdown campaign in the console, with the live preview of
// each language following the typing and a merge-field button, sends it,
// and each subscriber receives their language in Mailpit, in the layout
// and passing Mailpit's HTML check.
func TestCampaignEditorEndToEnd(t *testing.T) {
	ctx, mp, p := officerSignedIn(t, "eve@example.com") // the owner, in the Russian console
	subscribeIn(t, p, mp, "olga@example.com", "Ольга Иванова", "ru")
	if err := mp.DeleteAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, 30*time.Second, "write the campaign",
		chromedp.Navigate(p.base+"/admin/campaigns/new?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#campaign-form")),
		chromedp.WaitVisible(chromedp.CSS(".merge-buttons")), // shown by the console's script
		chromedp.SendKeys(chromedp.CSS("#name"), "Winter in two languages"),
		chromedp.SetValue(chromedp.CSS("#locale"), "en"),
		chromedp.SendKeys(chromedp.CSS("#subject_en"), "Winter news"),
		chromedp.SendKeys(chromedp.CSS("#body_en"), "# Hello, {{.Name}}!\n\nOur *winter* offers.\n"),
		chromedp.SendKeys(chromedp.CSS("#subject_ru"), "Зимние новости"),
		chromedp.SendKeys(chromedp.CSS("#body_ru"), "# Привет, "),
		chromedp.Click(chromedp.CSS(`.merge-buttons button[data-insert="{{.Name}}"]`)),
		chromedp.SendKeys(chromedp.CSS("#body_ru"), "!\n\nНаши *зимние* предложения.\n"),
	)
	if v := value(t, ctx, "the Russian body", chromedp.Value(chromedp.CSS("#body_ru"))); !strings.Contains(v, "# Привет, {{.Name}}!") {
		t.Fatalf("the merge-field button did not insert at the cursor: %q", v)
	}
	// The previews follow the typing, each in its language, for the
	// sample recipient, in the mail layout with its footer.
	for _, f := range []struct{ id, text string }{{"preview-en", "Hello, Anna!"}, {"preview-en", "Unsubscribe"},
		{"preview-ru", "Привет, Анна!"}, {"preview-ru", "Отписаться"}, {"preview-ru", "Зимние новости"}} {
		value(t, ctx, "preview "+f.id+" shows "+f.text, chromedp.Poll[bool](framed(f.id, f.text),
			chromedp.WithPollingInterval(100*time.Millisecond)))
	}
	screenshot(t, ctx, "editor-en")
	// A mistyped field shows in the preview with its line and the field meant.
	run(t, ctx, 10*time.Second, "mistype", chromedp.SendKeys(chromedp.CSS("#body_ru"), "{{.Nmae}}"))
	value(t, ctx, "the preview names the mistake", chromedp.Poll[bool](framed("preview-ru", "Nmae")+" && "+framed("preview-ru", "{{.Name}}?"),
		chromedp.WithPollingInterval(100*time.Millisecond)))
	run(t, ctx, 10*time.Second, "fix", chromedp.SetValue(chromedp.CSS("#body_ru"), "# Привет, {{.Name}}!\n\nНаши *зимние* предложения.\n"))

	run(t, ctx, 30*time.Second, "save", chromedp.Click(chromedp.CSS("#save-campaign")), chromedp.WaitVisible(chromedp.CSS("#campaign-status")))
	run(t, ctx, 20*time.Second, "send now",
		chromedp.Click(chromedp.CSS("#send-now")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-send")),
		chromedp.Click(chromedp.CSS("#confirm-send")),
	)
	waitLocation(t, ctx, "ok=admin.ok.sending")
	run(t, ctx, 60*time.Second, "finished", chromedp.WaitVisible(chromedp.CSS(`#campaign-status.finished`)))

	want := map[string]struct{ subject, text string }{
		"eve@example.com":  {"Winter news", "Hello, Anna Petrova!"},
		"olga@example.com": {"Зимние новости", "Привет, Ольга Иванова!"},
	}
	for _, m := range mp.WaitForCount(t, 2, 30*time.Second) {
		w, ok := want[m.To[0]]
		if !ok || m.Subject != w.subject {
			t.Errorf("%v got %q", m.To, m.Subject)
			continue
		}
		parts, err := mp.Parts(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(parts.HTML, w.text) || !strings.Contains(parts.Text, w.text) {
			t.Errorf("%s: no %q in\n%s", m.To[0], w.text, parts.Text)
		}
		check, err := mp.HTMLCheck(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if check.Total.Supported < 95 {
			t.Errorf("%s: Mailpit's HTML check %.1f %% supported, want at least 95 %%", m.To[0], check.Total.Supported)
		}
	}

	// The editor in Russian, for the screenshots.
	run(t, ctx, 30*time.Second, "the Russian editor",
		chromedp.Navigate(p.base+"/admin/campaigns/new?lang=ru"),
		chromedp.WaitVisible(chromedp.CSS(".merge-buttons")),
		chromedp.SetValue(chromedp.CSS("#locale"), "ru"),
		chromedp.SendKeys(chromedp.CSS("#subject_ru"), "Зимние новости"),
		chromedp.SendKeys(chromedp.CSS("#body_ru"), "# Привет!\n\nНаши *зимние* предложения.\n"),
	)
	value(t, ctx, "the Russian preview", chromedp.Poll[bool](framed("preview-ru", "Привет!"), chromedp.WithPollingInterval(100*time.Millisecond)))
	if v := value(t, ctx, "the default mark", chromedp.Evaluate[bool](`document.querySelector("#part-ru [data-default-mark]").hidden`)); v {
		t.Error("the Russian part is not marked as the default one")
	}
	screenshot(t, ctx, "editor-ru")
}
