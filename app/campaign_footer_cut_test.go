package app

import (
	"bytes"
	"testing"
)

// TestFooterCutMatchesTemplate: the footer joined from its cut pieces is
// byte for byte what the template renders, for links of every shape
// (those the cut cannot take go through the template), in each language,
// and with operator names that hold markup or a stand-in.
func TestFooterCutMatchesTemplate(t *testing.T) {
	links := []string{
		"https://news.example.com/u/abc.DEF_123-xyz",
		"https://news.example.com/p?t=a&s=b%20c",
		"http://localhost:8080/u/x~y!$*,;=:@#frag",
		"https://news.example.com/u/a+b'c\"d<e>",
		"https://пример.рф/u/токен",
		"javascript:alert(1)",
		"/relative/path",
		"",
	}
	ops := []Operator{
		{Name: "Example Ltd", Address: "1 Main Street, Moscow"},
		{Name: `A & B <"Co">`, Address: ""},
		{Name: "Shop " + footerUnsubscribeMark, Address: "x"},
	}
	for _, op := range ops {
		c := &Campaign{ID: 7, Subject: "Hi", BodyHTML: "<p>Hello {{.Name}}</p>", Purpose: CampaignMarketing}
		tpl, err := CompileCampaign(c, op, nil)
		if err != nil {
			t.Fatal(err)
		}
		tpl.SetPrivacyURL("https://news.example.com/privacy")
		for _, loc := range []string{"en", "ru"} {
			for _, u := range links {
				f := MergeFields{Name: "N", UnsubscribeURL: u, PreferencesURL: u + "&pref"}
				var want, got bytes.Buffer
				if err := tpl.footerHTML[loc].Execute(&want, tpl.footer(f)); err != nil {
					t.Fatal(err)
				}
				if err := tpl.writeFooterHTML(&got, loc, f); err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() {
					t.Errorf("%s %q %q:\n got %s\nwant %s", loc, op.Name, u, got.String(), want.String())
				}
			}
			if _, cut := tpl.footerCut[loc]; cut == (op.Name == ops[2].Name) {
				t.Errorf("%s %q: cut %v", loc, op.Name, cut)
			}
		}
	}
}
