package templates_test

import (
	"strings"
	"testing"

	"newsletter/templates"
)

// TestMailFooterWithoutAddress: without OPERATOR_ADDRESS the footer names
// the operator alone, not "Example LLC, .".
func TestMailFooterWithoutAddress(t *testing.T) {
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"confirmation", "email_change", "preferences", "reply_optout", "reply_left", "reply_update", "reply_update_done",
		"reply_revoke", "reply_revoke_confirm", "reply_access", "reply_review", "reply_nothing", "request_extended"}
	for _, loc := range templates.Locales {
		for _, name := range names {
			for _, addr := range []string{"", "1 Main St"} {
				data := templates.Mail{Operator: "Example LLC", OperatorAddress: addr, SiteURL: "https://x.test", Days: 30,
					Name: "Anna", URL: "https://x.test/p/TOKEN"}
				_, html, text, err := r.Mail(name, loc, data)
				if err != nil {
					t.Fatalf("%s/%s: %v", loc, name, err)
				}
				want := "Example LLC, 1 Main St."
				if addr == "" {
					want = "Example LLC."
				}
				for part, body := range map[string]string{"html": html, "text": text} {
					if strings.Contains(body, ", .") || strings.Contains(body, "LLC,  ") || !strings.Contains(body, want) {
						t.Errorf("%s/%s %s part with address %q: footer does not read %q:\n%s", loc, name, part, addr, want, body)
					}
				}
			}
		}
	}
}
