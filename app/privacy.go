package app

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// Privacy operations of the operator (the Privacy type), one file per
// noun: blocking (block.go), erasure on the operator's order (erase.go),
// exports (export.go, export_mail.go), the suppression list
// (suppression.go) and the audit log (audit.go); the request register with
// its deadlines is the Register type's (register.go, requests_*.go). Here
// the rules they share and the cross-border consent. Every change an operator makes is written
// to the append-only audit log with ids only, in the same transaction as
// the change.

// MaxReasonRunes bounds the reasons and notes operators write.
const MaxReasonRunes = 1000

// cleanReason trims an operator's reason and checks its length; required
// refuses an empty one.
func cleanReason(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", &Error{Code: EINVALID, Message: "A reason is required.", Fields: map[string]string{field: "required"}}
	case !utf8.ValidString(s):
		return "", &Error{Code: EINVALID, Message: "The reason is not valid text.", Fields: map[string]string{field: "not UTF-8"}}
	case utf8.RuneCountInString(s) > MaxReasonRunes:
		return "", (&Error{Code: EINVALID, Message: "The reason is too long."}).Fieldf(field, "at most %d characters", MaxReasonRunes)
	}
	return s, nil
}

// CrossBorderStatus is what the admin shows about the cross-border rule.
type CrossBorderStatus struct {
	OperatorCountry string `json:"operator_country"`
	SMTPCountry     string `json:"smtp_country"`
	// ConsentRequired is true when mail goes through a country without
	// adequate protection: only people with the cross-border consent get
	// mail.
	ConsentRequired bool `json:"consent_required"`
	// ActiveWithoutConsent counts active subscribers who get no mail
	// because of the rule (0 when it does not apply).
	ActiveWithoutConsent int64    `json:"active_without_consent"`
	AdequateCountries    []string `json:"adequate_countries"`
}

// CrossBorder reports how the cross-border rule applies.
func (s *Privacy) CrossBorder(ctx context.Context) (*CrossBorderStatus, error) {
	st := &CrossBorderStatus{OperatorCountry: s.Operator.Country, SMTPCountry: s.Operator.SMTPCountry,
		ConsentRequired: s.Operator.CrossBorderRequired(), AdequateCountries: AdequateCountries(s.Operator.Country)}
	if st.SMTPCountry == "" {
		st.SMTPCountry = st.OperatorCountry
	}
	if st.ConsentRequired {
		var err error
		if st.ActiveWithoutConsent, err = s.Store.Subscribers().CountActiveWithout(ctx, PurposeCrossBorder); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// MayMail decides whether a transactional message (a confirmation link, a
// preferences link) may go to address to of a subscriber through the
// configured mail infrastructure: not to an address the operator
// suppressed by hand, and, where the infrastructure is in a country
// without adequate protection, only to people who gave the cross-border
// consent (already granted, or given in the form the message confirms:
// pending). Blocked and erased subscribers are refused by the callers.
func (s *Privacy) MayMail(ctx context.Context, subscriberID int64, to string, pending []Purpose) (bool, error) {
	if to != "" {
		reason, err := s.Store.Suppressions().SuppressionReason(ctx, s.Signer.KeyedHash(to))
		if err != nil {
			return false, err
		}
		if reason == SuppressManual {
			return false, nil
		}
	}
	if !s.Operator.CrossBorderRequired() || slices.Contains(pending, PurposeCrossBorder) {
		return true, nil
	}
	return crossBorderGranted(ctx, s.Store, subscriberID)
}

// crossBorderGranted reports whether a subscriber holds the cross-border
// consent.
func crossBorderGranted(ctx context.Context, st Store, subscriberID int64) (bool, error) {
	consents, err := st.Subscribers().Consents(ctx, subscriberID)
	if err != nil {
		return false, err
	}
	for _, c := range consents {
		if c.Purpose == PurposeCrossBorder {
			return c.Granted, nil
		}
	}
	return false, nil
}
