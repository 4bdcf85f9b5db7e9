package templates_test

import (
	"regexp"
	"strings"
	"testing"

	"newsletter/templates"
)

var untranslated = regexp.MustCompile(`\b(reply|mail|unsub|revoke)\.[a-z]`)

// TestReplyMails renders every answer to an emailed request in both
// languages, with and without the person's name and link.
func TestReplyMails(t *testing.T) {
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"reply_optout", "reply_left", "reply_update", "reply_update_done", "reply_revoke", "reply_revoke_confirm",
		"reply_access", "reply_review", "reply_nothing"}
	withLink := map[string]bool{"reply_update": true, "reply_revoke_confirm": true, "reply_access": true}
	for _, loc := range templates.Locales {
		for _, name := range names {
			for _, personal := range []bool{true, false} {
				if !personal && withLink[name] {
					continue // these go to the address on file only
				}
				t.Run(loc+"/"+name, func(t *testing.T) {
					data := templates.Mail{Operator: "Example LLC", OperatorAddress: "1 Main St", SiteURL: "https://x.test", Days: 30}
					if personal {
						data.Name, data.URL = "Анна <b>", "https://x.test/p/TOKEN"
					}
					subject, html, text, err := r.Mail(name, loc, data)
					if err != nil {
						t.Fatal(err)
					}
					if subject == "" || strings.Contains(subject, "reply.") {
						t.Errorf("subject %q", subject)
					}
					for part, body := range map[string]string{"html": html, "text": text} {
						if untranslated.MatchString(body) {
							t.Errorf("untranslated key in the %s part:\n%s", part, body)
						}
						if personal && name != "reply_revoke" && name != "reply_review" && name != "reply_nothing" &&
							!strings.Contains(body, data.URL) {
							t.Errorf("link missing from the %s part", part)
						}
						if !personal && strings.Contains(body, "/p/TOKEN") {
							t.Errorf("link in an impersonal %s part", part)
						}
					}
					if strings.Contains(html, "<b>") {
						t.Error("name not escaped")
					}
					// Someone we hold nothing about is not told they entered
					// the address in a subscription form.
					footer := templates.T(loc, "mail.footer", "Example LLC, 1 Main St", "https://x.test")
					if got := strings.Contains(html, footer) || strings.Contains(text, footer); got == (name == "reply_nothing") {
						t.Errorf("subscription footer present: %v", got)
					}
				})
			}
		}
	}
}
