package app

import (
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// hasDomainWord reports whether a tidied name has a word that reads as a
// domain name: one starting with "www.", or two or more labels joined by
// dots whose last label is a top-level domain of the ICANN section of the
// public suffix list ("evil.com", "t.me", "casino.online", "сайт.рф").
// Initials and abbreviations ("J.R.R.", "St.John", "Jr.") pass, as their
// last part is no top-level domain or is empty; a name such as "A.Ng",
// whose last part happens to be one, is refused with a hint to put a space
// after the dot.
func hasDomainWord(name string) bool {
	for _, w := range strings.Fields(name) {
		w = strings.Trim(w, ".-'’")
		if strings.HasPrefix(strings.ToLower(w), "www.") {
			return true
		}
		labels := strings.Split(w, ".")
		if len(labels) < 2 {
			continue
		}
		tld := labels[len(labels)-1]
		if labels[0] == "" || tld == "" {
			continue
		}
		ascii, err := idna.ToASCII(strings.ToLower(tld))
		if err != nil || ascii == "" {
			continue
		}
		if suffix, icann := publicsuffix.PublicSuffix(ascii); icann && suffix == ascii {
			return true
		}
	}
	return false
}

// hasDottedNumber reports whether a tidied name has a dot between two
// digits ("10.0.0.1", "1.2"): an address of a host, never a name.
func hasDottedNumber(name string) bool {
	for i := 1; i+1 < len(name); i++ {
		if name[i] == '.' && isDigit(name[i-1]) && isDigit(name[i+1]) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
