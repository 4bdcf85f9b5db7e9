package app

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/idna"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// NormalizeLocale maps a language preference to a locale the product speaks:
// "ru" or "en". It accepts a bare tag ("ru", "ru_RU", "RU") or an
// Accept-Language value ("ru-RU,ru;q=0.9,en;q=0.8"); the first of Russian or
// English in order of preference wins, and anything else gives "en".
func NormalizeLocale(s string) string {
	switch s {
	case LocaleEN, LocaleRU: // a stored locale, already normal: the common case when sending
		return s
	}
	s = strings.TrimSpace(s)
	if len(s) > validateRawInputMaxBytes {
		s = s[:validateRawInputMaxBytes]
	}
	tags, _, err := language.ParseAcceptLanguage(s)
	if err != nil {
		// A malformed list may still start with a usable tag.
		first, _, _ := strings.Cut(s, ",")
		first, _, _ = strings.Cut(first, ";")
		tag, perr := language.Parse(strings.TrimSpace(first))
		if perr != nil {
			return LocaleEN
		}
		tags = []language.Tag{tag}
	}
	for _, tag := range tags {
		base, _ := tag.Base()
		switch base.String() {
		case LocaleRU:
			return LocaleRU
		case LocaleEN:
			return LocaleEN
		}
	}
	return LocaleEN
}

// NormalizeEmail checks the syntax of an email address and returns its
// canonical form, the one stored and looked up.
//
// The address is trimmed and must be a bare addr-spec (no display name, no
// angle brackets, no comments, no quoted local part, no spaces) with exactly
// one @, a local part of at most 64 octets in ASCII, and a domain name with at
// least one dot: IP literals and trailing dots are refused. An
// internationalized domain is converted to ASCII (punycode) with the IDNA
// lookup profile, so "user@пример.рф" becomes "user@xn--e1afmkfd.xn--p1ai".
//
// The whole address is lower-cased, not only the domain: in practice every
// mailbox provider treats the local part case-insensitively, and people type
// their address with varying case, so one canonical form keeps lookups,
// uniqueness and the suppression list right. Local parts in other scripts
// (SMTPUTF8) are refused because delivery to them is not guaranteed.
//
// The result re-normalizes to itself. Failures are *FieldError for FieldEmail.
func NormalizeEmail(s string) (string, error) {
	out, key := normalizeEmail(s)
	if key != "" {
		return "", &FieldError{Field: FieldEmail, Key: key}
	}
	return out, nil
}

func normalizeEmail(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", msgEmailRequired
	}
	if len(s) > 2*MaxEmailLen {
		return "", msgEmailTooLong
	}
	if !utf8.ValidString(s) {
		return "", msgEmailInvalid
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", msgEmailInvalid
		}
	}
	if strings.Count(s, "@") != 1 {
		return "", msgEmailInvalid
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || domain == "" {
		return "", msgEmailInvalid
	}
	for i := 0; i < len(local); i++ {
		if local[i] >= utf8.RuneSelf {
			return "", msgEmailLocalASCII
		}
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", msgEmailInvalid
	}
	if len(local) > MaxEmailLocalLen {
		return "", msgEmailTooLong
	}
	ascii, key := normalizeMailDomain(domain)
	if key != "" {
		return "", key
	}
	out := strings.ToLower(local) + "@" + ascii
	if len(out) > MaxEmailLen {
		return "", msgEmailTooLong
	}
	return out, ""
}

// normalizeMailDomain converts a domain to lower-case ASCII and checks it is a
// plausible host name for mail: LDH labels of 1..63 octets, at least two of
// them, at most 253 octets, and a top-level label that is not numeric.
func normalizeMailDomain(domain string) (string, string) {
	if strings.HasPrefix(domain, "[") || strings.HasSuffix(domain, ".") {
		return "", msgEmailDomain
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || ascii == "" || len(ascii) > 253 {
		return "", msgEmailDomain
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return "", msgEmailDomain
	}
	for _, label := range labels {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", msgEmailDomain
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return "", msgEmailDomain
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 || strings.Trim(tld, "0123456789") == "" {
		return "", msgEmailDomain
	}
	return ascii, ""
}

// NormalizePhone returns a telephone number in E.164 form ("+79123456789").
// An empty (or blank) input is allowed: the phone is optional, and the result
// is then "". defaultRegion is the ISO 3166-1 alpha-2 country used for numbers
// written without a country code (the operator's country, e.g. "RU"); when it
// is empty only numbers with a leading + are understood. The number must be
// valid for its country according to libphonenumber's metadata; letters and
// extensions are refused. Failures are *FieldError for FieldPhone.
func NormalizePhone(s, defaultRegion string) (string, error) {
	out, key := normalizePhone(s, defaultRegion)
	if key != "" {
		return "", &FieldError{Field: FieldPhone, Key: key}
	}
	return out, nil
}

func normalizePhone(s, defaultRegion string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	if len(s) > 64 || !utf8.ValidString(s) {
		return "", msgPhoneInvalid
	}
	digits := 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digits++
		case r == '+' || r == '(' || r == ')' || r == '.' || r == '/' ||
			unicode.Is(unicode.Pd, r) || unicode.Is(unicode.Zs, r):
		default:
			return "", msgPhoneInvalid
		}
	}
	if digits < 3 {
		return "", msgPhoneInvalid
	}
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if region == "" {
		region = "ZZ"
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", msgPhoneInvalid
	}
	if num.GetExtension() != "" {
		return "", msgPhoneExtension
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", msgPhoneInvalid
	}
	return phonenumbers.Format(num, phonenumbers.E164), ""
}

// NormalizeName checks a person's full name and returns it tidied: trimmed,
// in Unicode NFC, with runs of spaces collapsed to one. It must have 1 to 100
// characters: letters of any script (with their combining marks), digits 0-9
// (at most MaxNameDigits, so "Anna Test0", "Studio 54" and "3M" pass and a
// phone number does not), spaces, hyphens, apostrophes (' and ’) and dots,
// and at least one letter. Control characters, markup characters such as
// <>"{}&, @ : / and other symbols are refused: they have no place in a name,
// the name goes into greetings and headers of mail, and they are what bots
// put there. A word that is a domain name ("evil.com", "www.x", "сайт.рф":
// labels joined by dots, the last one a top-level domain) or a dotted number
// ("10.0.0.1") is refused too, so a name cannot carry a link into the mail
// that greets the person. The name is required. Failures are *FieldError
// for FieldName.
func NormalizeName(s string) (string, error) {
	out, key := normalizeName(s)
	if key != "" {
		return "", &FieldError{Field: FieldName, Key: key}
	}
	return out, nil
}

func normalizeName(s string) (string, string) {
	if len(s) > 4*validateRawInputMaxBytes {
		return "", msgNameTooLong
	}
	if !utf8.ValidString(s) {
		return "", msgNameInvalid
	}
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space, letters, digits, runes := false, 0, 0, 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Zs, r):
			space = true
			continue
		case unicode.IsLetter(r):
			letters++
		case r >= '0' && r <= '9':
			digits++
		case unicode.Is(unicode.M, r), r == '-', r == '\'', r == '’', r == '.':
		default:
			return "", msgNameInvalid
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			runes++
		}
		space = false
		b.WriteRune(r)
		runes++
	}
	switch {
	case runes == 0:
		return "", msgNameRequired
	case runes > MaxNameRunes:
		return "", msgNameTooLong
	case letters == 0:
		return "", msgNameNoLetters
	case digits > MaxNameDigits:
		return "", msgNameDigits
	case hasDomainWord(b.String()) || hasDottedNumber(b.String()):
		return "", msgNameLink
	}
	return b.String(), ""
}
