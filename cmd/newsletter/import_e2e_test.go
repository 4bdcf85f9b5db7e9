package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleImportEndToEnd drives the console's import in a real browser
// against the real binary: a dry run of a file with a bad line shows the
// report in Russian and in English and writes nothing; the import then
// adds the good rows; the export downloads them.
func TestConsoleImportEndToEnd(t *testing.T) {
	ctx, _, p := officerSignedIn(t, "first@example.com")
	file := filepath.Join(t.TempDir(), "people.csv")
	content := "name;email;consent_at;consent_source;marketing\n" +
		"Anna Test0;anna.test0@example.com;01.03.2025;Весенняя ярмарка;да\n" +
		"Bad Line;not-an-address;01.03.2025;Весенняя ярмарка;нет\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	upload := func(what string, dry bool) {
		t.Helper()
		run(t, ctx, 30*time.Second, what,
			chromedp.Navigate(p.base+"/admin/import?lang=ru"),
			chromedp.WaitVisible(chromedp.CSS("#import-form")),
			chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}),
		)
		if !dry {
			run(t, ctx, 10*time.Second, "no dry run", chromedp.Click(chromedp.CSS("#import-dry")))
		}
		screenshot(t, ctx, "import-form-"+what)
		run(t, ctx, 10*time.Second, "submit", chromedp.Click(chromedp.CSS("#import-submit")))
		run(t, ctx, 30*time.Second, "report", chromedp.WaitVisible(chromedp.CSS("#import-outcome")))
	}
	upload("dry", true)
	screenshot(t, ctx, "import-dry-ru")
	report := value(t, ctx, "report", chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"Пробный прогон: ничего не записано", "Отклонённые строки", "Укажите адрес электронной почты"} {
		if !strings.Contains(report, want) {
			t.Errorf("the Russian report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "anna.test0@") || strings.Contains(report, "not-an-address") {
		t.Errorf("the report shows what the lines hold:\n%s", report)
	}
	loc := value(t, ctx, "location", chromedp.Location())
	run(t, ctx, 20*time.Second, "english", chromedp.Navigate(strings.Replace(loc, "lang=ru", "", 1)+"?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#rejections")))
	screenshot(t, ctx, "import-dry-en")
	if got := value(t, ctx, "rejection", chromedp.Text(chromedp.CSS("#rejections tbody"))); !strings.Contains(got, "3") ||
		!strings.Contains(got, "email: Please enter an email address") {
		t.Errorf("English rejections: %q", got)
	}

	upload("real", false)
	if got := value(t, ctx, "imported", chromedp.Text(chromedp.CSS("#import-imported"))); got != "1" {
		t.Errorf("imported %q, want 1", got)
	}
	screenshot(t, ctx, "import-done-ru")
	run(t, ctx, 20*time.Second, "list", chromedp.Navigate(p.base+"/admin/import?lang=en"), chromedp.WaitVisible(chromedp.CSS("#imports")))
	screenshot(t, ctx, "import-page-en")
	if code, body := do(t, "GET", p.base+"/admin/subscribers.csv", "", ""); code == 200 && strings.Contains(body, "anna.test0") {
		t.Error("the export answers without a session")
	}
}
