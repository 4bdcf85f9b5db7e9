package app

import "strings"

// gmailDomains are the domains of Gmail, which ignores dots in the local
// part and delivers googlemail.com to the same mailbox.
var gmailDomains = map[string]bool{"gmail.com": true, "googlemail.com": true}

// AddressLimitKey is the key under which an address is rate limited: the
// canonical address (NormalizeEmail: lower case, ASCII domain) without a
// +tag ("bomb+1@", "bomb+2@" are one mailbox), and at Gmail without dots in
// the local part and with googlemail.com read as gmail.com, as Gmail itself
// documents. Other providers' dots and separators are kept: elsewhere
// "a.b@" and "ab@" may be two people. ok is false when s is no address or
// nothing is left before the @.
//
// The key only counts requests; it is never stored, looked up or mailed.
func AddressLimitKey(s string) (key string, ok bool) {
	addr, err := NormalizeEmail(s)
	if err != nil {
		return "", false
	}
	local, domain, _ := strings.Cut(addr, "@")
	local, _, _ = strings.Cut(local, "+")
	if gmailDomains[domain] {
		local, domain = strings.ReplaceAll(local, ".", ""), "gmail.com"
	}
	if local == "" {
		return "", false
	}
	return local + "@" + domain, true
}
