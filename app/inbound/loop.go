package inbound

import "strings"

// IsFromSelf reports a mail loop: the message's From is one of our own
// addresses (MAIL_FROM, OPERATOR_EMAIL, ...). ownAddresses may be bare
// addresses or "Name <address>" forms; comparison ignores case. Such a
// message must never be answered.
func IsFromSelf(m *Message, ownAddresses []string) bool {
	if m == nil || m.From == "" {
		return false
	}
	for _, own := range ownAddresses {
		a, _ := parseAddress(own)
		if a == "" {
			a = normalizeAddress(own)
		}
		if a != "" && strings.EqualFold(a, m.From) {
			return true
		}
	}
	return false
}
