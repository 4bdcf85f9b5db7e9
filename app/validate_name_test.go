package app

import "testing"

// TestNormalizeNameRefusesLinks: a name that carries a web address or a
// domain name is refused with its own message, in both languages; real
// names with initials, titles and dots are kept.
func TestNormalizeNameRefusesLinks(t *testing.T) {
	tests := []struct {
		name, in, want, key string
	}{
		{"initials", "J. R. R. Tolkien", "J. R. R. Tolkien", ""},
		{"initials without spaces", "J.R.R. Tolkien", "J.R.R. Tolkien", ""},
		{"title", "Dr. Anna Smith", "Dr. Anna Smith", ""},
		{"saint", "St.John Smith", "St.John Smith", ""},
		{"trailing dot", "Smith Jr.", "Smith Jr.", ""},
		{"hyphen and apostrophe", "Mary-Jane O’Neil", "Mary-Jane O’Neil", ""},
		{"russian", "Анна Петрова", "Анна Петрова", ""},
		{"word like a tld", "Com Net", "Com Net", ""},

		{"domain", "Visit evil.com now", "", msgNameLink},
		{"domain alone", "evil.com", "", msgNameLink},
		{"capitals", "VISIT EVIL.COM", "", msgNameLink},
		{"subdomain", "Anna promo.evil.example.org", "", msgNameLink},
		{"www", "www.evil", "", msgNameLink},
		{"two letter label", "vk.com", "", msgNameLink},
		{"one letter label", "join t.me", "", msgNameLink},
		{"country code", "Anna shop.ru", "", msgNameLink},
		{"new gtld", "Win at casino.online", "", msgNameLink},
		{"hyphenated label", "best-deals.net", "", msgNameLink},
		{"trailing dot domain", "Buy at evil.com.", "", msgNameLink},
		{"cyrillic domain", "Анна сайт.рф", "", msgNameLink},
		{"cyrillic label latin tld", "Анна магазин.com", "", msgNameLink},
		{"url", "https://evil.example", "", msgNameInvalid},
		{"email", "anna@evil.com", "", msgNameInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeName(tt.in)
			checkField(t, got, err, tt.want, FieldName, tt.key)
		})
	}
	for _, loc := range []string{LocaleEN, LocaleRU} {
		if m := Message(loc, msgNameLink); m == msgNameLink || m == "" {
			t.Errorf("no %s text for %s", loc, msgNameLink)
		}
	}
	in := SubscribeInput{Name: "Visit evil.com now", Email: "anna@example.com", ConsentProcessing: true, Locale: "ru"}
	err := in.Validate(false, "RU")
	if f := ErrorFields(err); f[FieldName] != Message(LocaleRU, msgNameLink) || len(f) != 1 {
		t.Errorf("Validate: %v %v", err, f)
	}
}

// TestAddressLimitKey: the key that rate limits by address folds the
// forms of one mailbox together: case, a +tag, and, at Gmail, dots and
// the googlemail.com domain.
func TestAddressLimitKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bomb@example.com", "bomb@example.com"},
		{"Bomb@Example.COM", "bomb@example.com"},
		{"bomb+1@example.com", "bomb@example.com"},
		{"bomb+a+b@example.com", "bomb@example.com"},
		{"bomb+@example.com", "bomb@example.com"},
		{"b.o.m.b@example.com", "b.o.m.b@example.com"},
		{"first-last@example.com", "first-last@example.com"},
		{"b.o.m.b+x@gmail.com", "bomb@gmail.com"},
		{"B.OMB@googlemail.com", "bomb@gmail.com"},
		{"bomb@пример.рф", "bomb@xn--e1afmkfd.xn--p1ai"},
	}
	for _, tt := range tests {
		got, ok := AddressLimitKey(tt.in)
		if !ok || got != tt.want {
			t.Errorf("AddressLimitKey(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "not an address", "+@example.com", "x@[127.0.0.1]"} {
		if got, ok := AddressLimitKey(bad); ok {
			t.Errorf("AddressLimitKey(%q) = %q, want none", bad, got)
		}
	}
}
