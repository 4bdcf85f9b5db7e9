package app

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"newsletter/i18n"
)

// Input rules for the subscription form and the preference centre.
//
// Localization: every rule that can fail names a stable message key (for
// example "email.invalid"); Message turns a key into English or Russian text.
// The Normalize functions return a *FieldError carrying the form field and the
// key, so a caller can show it in the person's language with
// FieldError.Localize; SubscribeInput.Validate collects all failures and
// returns them already localized into the input's Locale.

// Locales the product speaks.
const (
	LocaleEN = "en"
	LocaleRU = "ru"
)

// Limits of the form fields.
const (
	// MaxNameRunes is the longest accepted name, in characters.
	MaxNameRunes = 100
	// MaxNameDigits is the most digits (0-9) a name may hold: enough for
	// "Anna Test0", "Studio 54" or "Bank 2024", too few for a phone or
	// card number.
	MaxNameDigits = 4
	// MaxEmailLen is the longest accepted address in octets (RFC 5321 path
	// limit minus the angle brackets).
	MaxEmailLen = 254
	// MaxEmailLocalLen is the longest accepted local part in octets (RFC 5321).
	MaxEmailLocalLen = 64
	// MaxFormIDLen is the longest accepted form id.
	MaxFormIDLen = 64
	// MaxPageLen is the longest accepted page address.
	MaxPageLen = 2048
)

// Field names of the subscription form, used as keys of Error.Fields.
const (
	FieldName               = "name"
	FieldEmail              = "email"
	FieldPhone              = "phone"
	FieldConsentProcessing  = "consent_processing"
	FieldConsentCrossBorder = "consent_cross_border"
	FieldForm               = "form"
	FieldPage               = "page"
	FieldNewsletters        = "newsletters"
)

// Message keys of the validation rules.
const (
	msgFormInvalidFields  = "form.invalid_fields"
	msgFormInvalid        = "form.invalid"
	msgNameRequired       = "name.required"
	msgNameTooLong        = "name.too_long"
	msgNameInvalid        = "name.invalid"
	msgNameNoLetters      = "name.no_letters"
	msgNameDigits         = "name.digits"
	msgNameLink           = "name.link"
	msgEmailRequired      = "email.required"
	msgEmailInvalid       = "email.invalid"
	msgEmailTooLong       = "email.too_long"
	msgEmailLocalASCII    = "email.local_ascii"
	msgEmailDomain        = "email.domain"
	msgPhoneInvalid       = "phone.invalid"
	msgPhoneExtension     = "phone.extension"
	msgConsentProcessing  = "consent.processing_required"
	msgConsentCrossBorder = "consent.cross_border_required"
	msgPageInvalid        = "page.invalid"
	msgNewslettersUnknown = "newsletters.unknown"
	msgNewslettersConsent = "newsletters.marketing_consent"
)

// validateRawInputMaxBytes bounds the work done on a raw field before any
// rule runs.
const validateRawInputMaxBytes = 1024

// Message returns the text of a validation message key in the language of
// locale (anything NormalizeLocale maps to "ru" gives Russian, everything else
// English), from the catalog (package i18n). An unknown key is returned
// unchanged, so a missing text shows up instead of vanishing.
func Message(locale, key string) string {
	if locale != LocaleRU && locale != LocaleEN {
		locale = NormalizeLocale(locale)
	}
	return i18n.Text(locale, key)
}

// FieldError is a validation failure of one form field: Field is the form
// field name (FieldEmail, ...), Key the message key for Message.
//
// It unwraps to an *Error with code EINVALID and English text, so ErrorCode,
// ErrorMessage and ErrorFields work on it; Localize gives the same failure in
// another language.
type FieldError struct {
	Field string
	Key   string
}

// Error implements the error interface with the English text.
func (e *FieldError) Error() string {
	return e.Field + ": " + Message(LocaleEN, e.Key)
}

// Unwrap returns the failure as an English *Error.
func (e *FieldError) Unwrap() error { return e.Localize(LocaleEN) }

// Localize returns the failure as an *Error with code EINVALID whose message
// and field text are in the language of locale.
func (e *FieldError) Localize(locale string) *Error {
	return &Error{
		Code:    EINVALID,
		Message: Message(locale, msgFormInvalidFields),
		Fields:  map[string]string{e.Field: Message(locale, e.Key)},
	}
}

// SubscribeInput is what the subscription form submits.
type SubscribeInput struct {
	Name               string
	Email              string
	Phone              string
	Locale             string
	FormID             string
	Page               string
	ConsentProcessing  bool
	ConsentMarketing   bool
	ConsentCrossBorder bool
	// Newsletters are the ids of the public newsletters chosen; none
	// means the default newsletter of each consented purpose.
	Newsletters []int64
}

// Validate checks every field and, when all are valid, normalizes them in
// place: Name, Email and Phone as NormalizeName, NormalizeEmail and
// NormalizePhone (with defaultRegion) do, Locale to "ru" or "en", FormID and
// Page trimmed (Page also without its query and fragment). Consent to processing is always required; consent to
// cross-border transfer is required when crossBorderRequired is true (the mail
// infrastructure is in a country without adequate protection, see
// CrossBorderConsentRequired). Marketing consent is optional.
//
// On failure the input is left as submitted, so the form can be shown again
// with it, and the error is an *Error with code EINVALID whose Message and
// Fields (keyed by form field name: name, email, phone, consent_processing,
// consent_cross_border, form, page) are in the language of in.Locale.
func (in *SubscribeInput) Validate(crossBorderRequired bool, defaultRegion string) error {
	locale := NormalizeLocale(in.Locale)
	fields := map[string]string{}
	fail := func(field, key string) { fields[field] = Message(locale, key) }

	name, key := normalizeName(in.Name)
	if key != "" {
		fail(FieldName, key)
	}
	email, key := normalizeEmail(in.Email)
	if key != "" {
		fail(FieldEmail, key)
	}
	phone, key := normalizePhone(in.Phone, defaultRegion)
	if key != "" {
		fail(FieldPhone, key)
	}
	if !in.ConsentProcessing {
		fail(FieldConsentProcessing, msgConsentProcessing)
	}
	if crossBorderRequired && !in.ConsentCrossBorder {
		fail(FieldConsentCrossBorder, msgConsentCrossBorder)
	}
	formID := strings.TrimSpace(in.FormID)
	if !validFormID(formID) {
		fail(FieldForm, msgFormInvalid)
	}
	page := strings.TrimSpace(in.Page)
	if !validPage(page) {
		fail(FieldPage, msgPageInvalid)
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: Message(locale, msgFormInvalidFields), Fields: fields}
	}
	in.Name, in.Email, in.Phone, in.Locale, in.FormID, in.Page = name, email, phone, locale, formID, pageWithoutQuery(page)
	return nil
}

// pageWithoutQuery is the address of the page a form was on, as kept with
// the evidence of consent: without its query and fragment, which often
// carry the very data of the form (?email=...&phone=...), and without user
// information before the host.
func pageWithoutQuery(page string) string {
	if i := strings.IndexAny(page, "?#"); i >= 0 {
		page = page[:i]
	}
	if u, err := url.Parse(page); err == nil && u.User != nil {
		u.User = nil
		page = u.String()
	}
	return page
}

// validFormID accepts an empty id or up to MaxFormIDLen of [A-Za-z0-9._-].
func validFormID(s string) bool {
	if len(s) > MaxFormIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validPage accepts an empty page or up to MaxPageLen of valid UTF-8 without
// control characters.
func validPage(s string) bool {
	if len(s) > MaxPageLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
