package app

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PolicyVersionUnknown is the policy version of a consent recorded without
// one: an import whose file does not say under which policy the person
// consented. A consent given years ago is never recorded under the policy
// in force on the day of the import.
const PolicyVersionUnknown = "unknown"

// maxPolicyVersionRunes bounds an imported policy version.
const maxPolicyVersionRunes = 64

// importPolicyVersion checks the policy version of an import row; an
// empty one is PolicyVersionUnknown.
func importPolicyVersion(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return PolicyVersionUnknown, nil
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxPolicyVersionRunes {
		return "", errors.New("not text of at most 64 characters")
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return "", errors.New("holds a character that is not printable")
		}
	}
	return v, nil
}
