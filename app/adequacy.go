package app

import (
	"sort"
	"strings"
)

// The cross-border rule.
//
// Mail sent through infrastructure in another country transfers the
// recipient's personal data there. Which countries need the separate
// cross-border consent depends on the operator's jurisdiction, so there are
// two lists (the data and their sources are in adequacy_data.go):
//
//   - an operator in the EEA follows the GDPR: the EEA itself and the
//     countries of the European Commission's adequacy decisions are adequate;
//   - any other operator (the product's policy is written for 152-FZ, and the
//     default OPERATOR_COUNTRY is RU) follows 152-FZ art. 12: parties to
//     Council of Europe Convention 108 and the states on Roskomnadzor's list
//     are adequate.
//
// Mail infrastructure in the operator's own country is never cross-border.
// An unknown or invalid infrastructure country counts as not adequate: asking
// for a consent that was not needed is harmless, sending without one that
// was is not.

// DefaultOperatorCountry is the jurisdiction assumed when none is configured.
const DefaultOperatorCountry = "RU"

// normCountry upper-cases and trims an ISO 3166-1 alpha-2 code.
func normCountry(code string) string {
	return strings.ToUpper(strings.TrimSpace(code))
}

// ValidCountryCode reports whether code is an ISO 3166-1 alpha-2 country code
// (officially assigned; case-insensitive), for configuration checks.
func ValidCountryCode(code string) bool {
	return isoAlpha2[normCountry(code)]
}

// adequacyList returns the set of adequate destinations for an operator in
// operatorCountry.
func adequacyList(operatorCountry string) map[string]bool {
	if eeaMembers[normCountry(operatorCountry)] {
		return gdprAdequate
	}
	return fz152Adequate
}

// IsAdequateCountry reports whether country provides adequate protection of
// personal data for an operator in operatorCountry (see
// CrossBorderConsentRequired for the two jurisdictions). The operator's own
// country is always adequate for it.
func IsAdequateCountry(operatorCountry, country string) bool {
	op, c := normCountry(operatorCountry), normCountry(country)
	if op == "" {
		op = DefaultOperatorCountry
	}
	if c == op {
		return true
	}
	return adequacyList(op)[c]
}

// AdequateCountries returns, sorted, the ISO 3166-1 alpha-2 codes of the
// countries adequate for an operator in operatorCountry (empty: RU), for
// display in the admin. The operator's own country is included.
func AdequateCountries(operatorCountry string) []string {
	op := normCountry(operatorCountry)
	if op == "" {
		op = DefaultOperatorCountry
	}
	list := adequacyList(op)
	out := make([]string, 0, len(list)+1)
	for c := range list {
		out = append(out, c)
	}
	if !list[op] && isoAlpha2[op] {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// CrossBorderConsentRequired reports whether people must give the separate
// cross-border consent before they receive mail sent through infrastructure
// in smtpCountry, for an operator in operatorCountry: true when the two
// differ and smtpCountry is not adequate for the operator's jurisdiction.
// Codes are ISO 3166-1 alpha-2, case-insensitive; an empty operatorCountry
// means RU and an empty smtpCountry means the operator's own country.
func CrossBorderConsentRequired(operatorCountry, smtpCountry string) bool {
	op, smtp := normCountry(operatorCountry), normCountry(smtpCountry)
	if op == "" {
		op = DefaultOperatorCountry
	}
	if smtp == "" {
		return false
	}
	return !IsAdequateCountry(op, smtp)
}
