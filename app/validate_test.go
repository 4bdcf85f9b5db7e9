package app

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"newsletter/i18n"
)

func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name, in, want, key string
	}{
		{"plain", "user@example.com", "user@example.com", ""},
		{"trimmed", "  user@example.com \n", "user@example.com", ""},
		{"upper domain", "user@EXAMPLE.COM", "user@example.com", ""},
		{"upper local lower-cased", "John.Smith@Example.Com", "john.smith@example.com", ""},
		{"plus tag kept", "user+news@example.com", "user+news@example.com", ""},
		{"subdomain", "a@mail.example.co.uk", "a@mail.example.co.uk", ""},
		{"atext symbols", "o'brien_x-y!#$%&*/=?^`{|}~@example.com", "o'brien_x-y!#$%&*/=?^`{|}~@example.com", ""},
		{"idn cyrillic", "user@пример.рф", "user@xn--e1afmkfd.xn--p1ai", ""},
		{"idn upper cyrillic", "user@ПРИМЕР.РФ", "user@xn--e1afmkfd.xn--p1ai", ""},
		{"punycode kept", "user@xn--e1afmkfd.xn--p1ai", "user@xn--e1afmkfd.xn--p1ai", ""},
		{"idn german", "a@faß.de", "a@xn--fa-hia.de", ""},
		{"local 64", long + "@example.com", long + "@example.com", ""},
		{"digit labels", "a@123.example.com", "a@123.example.com", ""},

		{"empty", "", "", msgEmailRequired},
		{"blank", "   ", "", msgEmailRequired},
		{"no at", "user.example.com", "", msgEmailInvalid},
		{"two ats", "a@b@example.com", "", msgEmailInvalid},
		{"empty local", "@example.com", "", msgEmailInvalid},
		{"empty domain", "user@", "", msgEmailInvalid},
		{"display name", "John <john@example.com>", "", msgEmailInvalid},
		{"angle brackets", "<john@example.com>", "", msgEmailInvalid},
		{"inner space", "jo hn@example.com", "", msgEmailInvalid},
		{"tab", "john\t@example.com", "", msgEmailInvalid},
		{"nbsp", "john\u00a0@example.com", "", msgEmailInvalid},
		{"zero width", "jo\u200bhn@example.com", "", msgEmailInvalid},
		{"quoted local", `"john"@example.com`, "", msgEmailInvalid},
		{"comment", "john(x)@example.com", "", msgEmailInvalid},
		{"double dot local", "a..b@example.com", "", msgEmailInvalid},
		{"leading dot local", ".a@example.com", "", msgEmailInvalid},
		{"comma list", "a@example.com,b@example.com", "", msgEmailInvalid},
		{"invalid utf8", "a\xff@example.com", "", msgEmailInvalid},
		{"non-ascii local", "пользователь@пример.рф", "", msgEmailLocalASCII},
		{"local 65", long + "a@example.com", "", msgEmailTooLong},
		{"total too long", strings.Repeat("a", 20) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + "." + strings.Repeat("e", 60) + ".com", "", msgEmailTooLong},
		{"huge", strings.Repeat("a", 5000) + "@example.com", "", msgEmailTooLong},
		{"no dot", "user@localhost", "", msgEmailDomain},
		{"ip literal", "user@[192.168.0.1]", "", msgEmailDomain},
		{"ipv4 as domain", "user@192.168.0.1", "", msgEmailDomain},
		{"trailing dot", "user@example.com.", "", msgEmailInvalid},
		{"double dot domain", "user@example..com", "", msgEmailInvalid},
		{"leading hyphen label", "user@-example.com", "", msgEmailDomain},
		{"trailing hyphen label", "user@example-.com", "", msgEmailDomain},
		{"underscore", "user@ex_ample.com", "", msgEmailDomain},
		{"bad punycode", "user@xn--zz.com", "", msgEmailDomain},
		{"one letter tld", "user@example.c", "", msgEmailDomain},
		{"label too long", "user@" + strings.Repeat("a", 64) + ".com", "", msgEmailDomain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			checkField(t, got, err, tt.want, FieldEmail, tt.key)
			if err == nil {
				again, err := NormalizeEmail(got)
				if err != nil || again != got {
					t.Errorf("re-normalizing %q = %q, %v", got, again, err)
				}
			}
		})
	}
}

// checkField checks the result of a Normalize function.
func checkField(t *testing.T, got string, err error, want, field, key string) {
	t.Helper()
	if key == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("got %q, %v; want a *FieldError %s", got, err, key)
	}
	if fe.Field != field || fe.Key != key {
		t.Fatalf("got error %s/%s, want %s/%s", fe.Field, fe.Key, field, key)
	}
	if got != "" {
		t.Fatalf("got %q with an error", got)
	}
	if ErrorCode(err) != EINVALID {
		t.Fatalf("ErrorCode = %q, want %q", ErrorCode(err), EINVALID)
	}
	if ErrorFields(err)[field] == "" {
		t.Fatalf("ErrorFields = %v, want a message for %s", ErrorFields(err), field)
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, in, region, want, key string
	}{
		{"empty", "", "RU", "", ""},
		{"blank", "  ", "RU", "", ""},
		{"ru international", "+7 912 345-67-89", "RU", "+79123456789", ""},
		{"ru national 8", "8 (912) 345-67-89", "RU", "+79123456789", ""},
		{"ru bare digits", "9123456789", "RU", "+79123456789", ""},
		{"ru moscow landline", "+7 495 123-45-67", "RU", "+74951234567", ""},
		{"lower-case region", "8 912 345 67 89", "ru", "+79123456789", ""},
		{"foreign number with ru region", "+44 20 7946 0018", "RU", "+442079460018", ""},
		{"us national", "(201) 555-0123", "US", "+12015550123", ""},
		{"dots", "+7.912.345.67.89", "RU", "+79123456789", ""},
		{"unicode dash and nbsp", "+7\u00a0912\u2011345\u201267\u201389", "RU", "+79123456789", ""},
		{"international without region", "+79123456789", "", "+79123456789", ""},

		{"national without region", "89123456789", "", "", msgPhoneInvalid},
		{"too short", "12345", "RU", "", msgPhoneInvalid},
		{"two digits", "+7", "RU", "", msgPhoneInvalid},
		{"too long", "+7912345678901234567", "RU", "", msgPhoneInvalid},
		{"invalid ru prefix", "+7 012 345-67-89", "RU", "", msgPhoneInvalid},
		{"letters", "+7 912 CALL-NOW", "RU", "", msgPhoneInvalid},
		{"extension", "+7 912 345-67-89 ext 12", "RU", "", msgPhoneInvalid},
		{"markup", "<script>", "RU", "", msgPhoneInvalid},
		{"huge", strings.Repeat("1", 100), "RU", "", msgPhoneInvalid},
		{"unknown region", "89123456789", "QQ", "", msgPhoneInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in, tt.region)
			checkField(t, got, err, tt.want, FieldPhone, tt.key)
			if err == nil && got != "" {
				again, err := NormalizePhone(got, tt.region)
				if err != nil || again != got {
					t.Errorf("re-normalizing %q = %q, %v", got, again, err)
				}
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		name, in, want, key string
	}{
		{"latin", "John Smith", "John Smith", ""},
		{"cyrillic", "Иван Петров", "Иван Петров", ""},
		{"trim and collapse", "  Анна   Мария \u00a0 Иванова ", "Анна Мария Иванова", ""},
		{"hyphen", "Mary-Jane Watson", "Mary-Jane Watson", ""},
		{"apostrophe", "Seán O'Brien", "Seán O'Brien", ""},
		{"typographic apostrophe", "D’Artagnan", "D’Artagnan", ""},
		{"dot", "J. R. R. Tolkien", "J. R. R. Tolkien", ""},
		{"one letter", "A", "A", ""},
		{"greek", "Σωκράτης", "Σωκράτης", ""},
		{"chinese", "王小明", "王小明", ""},
		{"arabic", "محمد علي", "محمد علي", ""},
		{"devanagari with marks", "हिन्दी नाम", "हिन्दी नाम", ""},
		{"combining accent composed", "Jose\u0301", "José", ""},
		{"100 runes", strings.Repeat("я", 100), strings.Repeat("я", 100), ""},

		{"empty", "", "", msgNameRequired},
		{"blank", " \u00a0 ", "", msgNameRequired},
		{"101 runes", strings.Repeat("я", 101), "", msgNameTooLong},
		{"huge", strings.Repeat("a", 10000), "", msgNameTooLong},
		{"digit in a test name", "Anna Test0", "Anna Test0", ""},
		{"ordinal", "John 2nd", "John 2nd", ""},
		{"company", "Studio 54", "Studio 54", ""},
		{"digits first", "3M", "3M", ""},
		{"four digits", "Bank 2024", "Bank 2024", ""},
		{"cyrillic with digit", "Тест1 Иванов", "Тест1 Иванов", ""},
		{"digits only", "12345", "", msgNameNoLetters},
		{"four digits only", "2024", "", msgNameNoLetters},
		{"five digits", "Anna 12345", "", msgNameDigits},
		{"phone number", "Call 8 800 555 35 35", "", msgNameDigits},
		{"ip address", "Anna 1.2.3.4", "", msgNameLink},
		{"dotted number", "Version 2.0", "", msgNameLink},
		{"non-ascii digits", "Anna ١٢", "", msgNameInvalid},
		{"fullwidth digit", "Anna １", "", msgNameInvalid},
		{"ampersand", "Smith & Sons", "", msgNameInvalid},
		{"plus", "Anna +7", "", msgNameInvalid},
		{"angle brackets", "<b>John</b>", "", msgNameInvalid},
		{"quote", `John "Jack" Smith`, "", msgNameInvalid},
		{"braces", "{{name}}", "", msgNameInvalid},
		{"url", "http://spam.example", "", msgNameInvalid},
		{"newline", "John\nSmith", "", msgNameInvalid},
		{"tab", "John\tSmith", "", msgNameInvalid},
		{"nul", "John\x00", "", msgNameInvalid},
		{"zero width", "Jo\u200bhn", "", msgNameInvalid},
		{"bidi override", "John\u202eSmith", "", msgNameInvalid},
		{"emoji", "John 😀", "", msgNameInvalid},
		{"invalid utf8", "Jo\xffhn", "", msgNameInvalid},
		{"punctuation only", "-- . '", "", msgNameNoLetters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeName(tt.in)
			checkField(t, got, err, tt.want, FieldName, tt.key)
			if err == nil {
				again, err := NormalizeName(got)
				if err != nil || again != got {
					t.Errorf("re-normalizing %q = %q, %v", got, again, err)
				}
			}
		})
	}
}

func TestNormalizeLocale(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ru", "ru"},
		{"RU", "ru"},
		{"ru_RU", "ru"},
		{"ru-RU", "ru"},
		{"ru-RU,ru;q=0.9,en;q=0.8", "ru"},
		{"en-US,en;q=0.9,ru;q=0.8", "en"},
		{"en-US;q=0.5, ru;q=0.6", "ru"},
		{"de-DE,de;q=0.9,ru;q=0.5", "ru"},
		{"de-DE,fr;q=0.9", "en"},
		{"en", "en"},
		{"", "en"},
		{"*", "en"},
		{"uk", "en"},
		{"ru;;;garbage", "ru"},
		{";;;", "en"},
		{strings.Repeat("x", 5000), "en"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeLocale(tt.in); got != tt.want {
				t.Errorf("NormalizeLocale(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMessagesComplete(t *testing.T) {
	for _, key := range []string{msgFormInvalidFields, msgFormInvalid, msgNameRequired, msgNameTooLong, msgNameInvalid, msgNameNoLetters, msgNameLink, msgEmailRequired, msgEmailInvalid, msgEmailTooLong, msgEmailLocalASCII, msgEmailDomain, msgPhoneInvalid, msgPhoneExtension, msgConsentProcessing, msgConsentCrossBorder, msgPageInvalid} {
		t.Run(key, func(t *testing.T) {
			texts, ok := i18n.Lookup(key)
			if !ok || texts[0] == "" || texts[1] == "" {
				t.Fatalf("missing text: %q", texts)
			}
			if Message("en", key) != texts[0] || Message("ru-RU,ru;q=0.9", key) != texts[1] || Message("ru", key) != texts[1] {
				t.Fatal("Message does not pick the language")
			}
		})
	}
	if got := Message("ru", "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key gave %q", got)
	}
}

func TestFieldErrorLocalize(t *testing.T) {
	_, err := NormalizeEmail("nope")
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("want *FieldError, got %v", err)
	}
	ru := fe.Localize("ru")
	if ru.Code != EINVALID || ru.Fields[FieldEmail] != i18n.Text(LocaleRU, msgEmailInvalid) || ru.Message != i18n.Text(LocaleRU, msgFormInvalidFields) {
		t.Errorf("Localize(ru) = %+v", ru)
	}
	if ErrorMessage(err) != "Please correct the marked fields." {
		t.Errorf("ErrorMessage = %q", ErrorMessage(err))
	}
	if !strings.Contains(err.Error(), "email") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func validInput() SubscribeInput {
	return SubscribeInput{
		Name:              "  Иван  Петров ",
		Email:             "Ivan@Пример.РФ",
		Phone:             "8 (912) 345-67-89",
		Locale:            "ru-RU,ru;q=0.9",
		FormID:            " footer ",
		Page:              "https://example.com/blog/post",
		ConsentProcessing: true,
	}
}

func TestSubscribeInputValidate(t *testing.T) {
	t.Run("valid normalizes in place", func(t *testing.T) {
		in := validInput()
		in.ConsentMarketing = true
		if err := in.Validate(false, "RU"); err != nil {
			t.Fatal(err)
		}
		want := SubscribeInput{
			Name: "Иван Петров", Email: "ivan@xn--e1afmkfd.xn--p1ai", Phone: "+79123456789",
			Locale: "ru", FormID: "footer", Page: "https://example.com/blog/post",
			ConsentProcessing: true, ConsentMarketing: true,
		}
		if !reflect.DeepEqual(in, want) {
			t.Errorf("got %+v\nwant %+v", in, want)
		}
	})
	t.Run("page kept without query and fragment", func(t *testing.T) {
		for page, want := range map[string]string{
			"https://example.com/signup?email=anna%40example.com&phone=%2B79123456789": "https://example.com/signup",
			"https://example.com/blog/post#email=anna@example.com":                     "https://example.com/blog/post",
			"https://example.com/a#frag?email=anna@example.com":                        "https://example.com/a",
			"https://anna%40example.com:secret@example.com/join?x=1":                   "https://example.com/join",
			"https://example.com/?":         "https://example.com/",
			"https://example.com/blog/post": "https://example.com/blog/post",
			"/relative/page?name=Anna":      "/relative/page",
			"":                              "",
		} {
			in := validInput()
			in.Page = page
			if err := in.Validate(false, "RU"); err != nil || in.Page != want {
				t.Errorf("page %q kept as %q (%v), want %q", page, in.Page, err, want)
			}
		}
	})
	t.Run("phone optional", func(t *testing.T) {
		in := validInput()
		in.Phone = ""
		if err := in.Validate(false, "RU"); err != nil || in.Phone != "" {
			t.Fatalf("err %v phone %q", err, in.Phone)
		}
	})
	t.Run("cross-border consent given", func(t *testing.T) {
		in := validInput()
		in.ConsentCrossBorder = true
		if err := in.Validate(true, "RU"); err != nil {
			t.Fatal(err)
		}
	})

	tests := []struct {
		name        string
		edit        func(*SubscribeInput)
		crossBorder bool
		fields      []string
	}{
		{"bad name", func(in *SubscribeInput) { in.Name = "<script>" }, false, []string{FieldName}},
		{"missing name", func(in *SubscribeInput) { in.Name = "" }, false, []string{FieldName}},
		{"bad email", func(in *SubscribeInput) { in.Email = "ivan@localhost" }, false, []string{FieldEmail}},
		{"bad phone", func(in *SubscribeInput) { in.Phone = "123" }, false, []string{FieldPhone}},
		{"no processing consent", func(in *SubscribeInput) { in.ConsentProcessing = false }, false, []string{FieldConsentProcessing}},
		{"no cross-border consent when required", func(in *SubscribeInput) {}, true, []string{FieldConsentCrossBorder}},
		{"bad form id", func(in *SubscribeInput) { in.FormID = "a b<" }, false, []string{FieldForm}},
		{"long form id", func(in *SubscribeInput) { in.FormID = strings.Repeat("f", 65) }, false, []string{FieldForm}},
		{"trailing newline trimmed from page", func(in *SubscribeInput) { in.Page = "https://x.example/\n" }, false, []string{}},
		{"page with inner control", func(in *SubscribeInput) { in.Page = "https://x.example/\x00a" }, false, []string{FieldPage}},
		{"long page", func(in *SubscribeInput) { in.Page = strings.Repeat("p", 2049) }, false, []string{FieldPage}},
		{"everything wrong", func(in *SubscribeInput) {
			*in = SubscribeInput{Name: "1", Email: "x", Phone: "x", Locale: "en"}
		}, true, []string{FieldName, FieldEmail, FieldPhone, FieldConsentProcessing, FieldConsentCrossBorder}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.edit(&in)
			before := in
			err := in.Validate(tt.crossBorder, "RU")
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Fatalf("want *Error EINVALID, got %v", err)
			}
			if len(e.Fields) != len(tt.fields) {
				t.Errorf("fields %v, want %v", e.Fields, tt.fields)
			}
			for _, f := range tt.fields {
				if e.Fields[f] == "" {
					t.Errorf("no message for %s in %v", f, e.Fields)
				}
			}
			if !reflect.DeepEqual(in, before) {
				t.Errorf("input changed on failure: %+v", in)
			}
		})
	}
}

func TestSubscribeInputValidateLanguage(t *testing.T) {
	tests := []struct {
		locale, message, email string
	}{
		{"ru", "Пожалуйста, исправьте отмеченные поля.", "Укажите адрес электронной почты в виде name@example.com."},
		{"ru-RU,ru;q=0.9,en;q=0.8", "Пожалуйста, исправьте отмеченные поля.", "Укажите адрес электронной почты в виде name@example.com."},
		{"en", "Please correct the marked fields.", "Please enter an email address like name@example.com."},
		{"", "Please correct the marked fields.", "Please enter an email address like name@example.com."},
		{"fr", "Please correct the marked fields.", "Please enter an email address like name@example.com."},
	}
	for _, tt := range tests {
		t.Run("locale "+tt.locale, func(t *testing.T) {
			in := validInput()
			in.Locale = tt.locale
			in.Email = "not an address"
			err := in.Validate(false, "RU")
			if ErrorMessage(err) != tt.message || ErrorFields(err)[FieldEmail] != tt.email {
				t.Errorf("got %q / %q", ErrorMessage(err), ErrorFields(err)[FieldEmail])
			}
		})
	}
}

func FuzzSubscribeInputValidate(f *testing.F) {
	f.Add("Иван Петров", "user@пример.рф", "+7 912 345-67-89", "ru", "footer", "https://example.com/", true, false)
	f.Add("John", "John.Smith@Example.COM", "", "en-US", "", "", true, true)
	f.Add("", "a@b", "8", "", "x y", "\x00", false, false)
	f.Add("D’Artagnan", "x@xn--e1afmkfd.xn--p1ai", "(201) 555-0123", "*", "f", "p", true, true)
	f.Add("a\u0301", "a@faß.de", "+44 20 7946 0018", "de,ru;q=0.1", "-", "", true, false)
	f.Fuzz(func(t *testing.T, name, email, phone, locale, formID, page string, processing, crossBorder bool) {
		if e, err := NormalizeEmail(email); err == nil {
			if again, err := NormalizeEmail(e); err != nil || again != e {
				t.Fatalf("email %q -> %q -> %q, %v", email, e, again, err)
			}
		}
		in := SubscribeInput{Name: name, Email: email, Phone: phone, Locale: locale, FormID: formID, Page: page,
			ConsentProcessing: processing, ConsentCrossBorder: crossBorder}
		before := in
		err := in.Validate(crossBorder, "RU")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || len(e.Fields) == 0 {
				t.Fatalf("bad error %#v", err)
			}
			if !reflect.DeepEqual(in, before) {
				t.Fatalf("input changed on failure")
			}
			return
		}
		if in.Locale != LocaleEN && in.Locale != LocaleRU {
			t.Fatalf("locale %q", in.Locale)
		}
		again := in
		if err := again.Validate(crossBorder, "RU"); err != nil || !reflect.DeepEqual(again, in) {
			t.Fatalf("not idempotent: %+v -> %+v, %v", in, again, err)
		}
	})
}
