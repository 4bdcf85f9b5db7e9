package app

import (
	"regexp"
	"strings"
)

// The import reports in English (the command line, the logs); the console
// says the same reasons in the operator's language with ImportReason.

// importReasonsRU are the Russian texts of the import's fixed reasons,
// after the column name, if any.
var importReasonsRU = map[string]string{
	"no consent evidence: consent_at is empty":     "нет подтверждения согласия: пустой consent_at",
	"no consent evidence: consent_source is empty": "нет подтверждения согласия: пустой consent_source",
	"in the future": "в будущем",
	"before 1990":   "раньше 1990 года",
	"not a date and time (want e.g. 2024-03-01T10:00:00+03:00 or 2024-03-01 10:00:00)": "не дата и время (нужно, например, 2024-03-01T10:00:00+03:00 или 2024-03-01 10:00:00)",
	"not text of at most 200 characters":                                               "не текст длиной до 200 символов",
	"not text of at most 64 characters":                                                "не текст длиной до 64 символов",
	"not text of at most 512 bytes":                                                    "не текст длиной до 512 байт",
	"holds a character that is not printable":                                          "содержит непечатаемый символ",
	"want yes or no":                            "нужно yes или no (да или нет)",
	"not an IP address":                         "не IP-адрес",
	"the file is empty: it needs a header row":  "файл пуст: нужна строка заголовка",
	"no privacy policy is published":            "политика конфиденциальности не опубликована",
	"the database failed; nothing was imported": "сбой базы данных; ничего не импортировано",
}

// importFieldMessages are the validation messages an import row may be
// rejected with, after its column's name.
var importFieldMessages = []string{msgNameRequired, msgNameTooLong, msgNameInvalid, msgNameDigits, msgNameNoLetters, msgNameLink,
	msgEmailRequired, msgEmailInvalid, msgEmailTooLong, msgEmailLocalASCII, msgEmailDomain, msgPhoneInvalid, msgPhoneExtension}

// importReasonPatternsRU are the Russian texts of the reasons with
// numbers or names in them.
var importReasonPatternsRU = []struct {
	re *regexp.Regexp
	ru string
}{
	{regexp.MustCompile(`^has (\d+) fields, the header has (\d+)$`), "полей: $1, а в заголовке $2"},
	{regexp.MustCompile(`^duplicate of line (\d+)$`), "повтор строки $1"},
	{regexp.MustCompile(`^newsletter (\d+) does not exist; nothing was imported$`), "рассылки $1 нет; ничего не импортировано"},
	{regexp.MustCompile(`^line (\d+): broken CSV \((.*)\); nothing was imported$`), "строка $1: повреждённый CSV ($2); ничего не импортировано"},
	{regexp.MustCompile(`^the header row is not valid CSV: (.*)$`), "строка заголовка — не CSV: $1"},
	{regexp.MustCompile(`^the header names the (\S+) column twice$`), "в заголовке дважды указан столбец $1"},
	{regexp.MustCompile(`^the header lacks the required column\(s\) (.*) \(found: (.*)\)$`), "в заголовке нет обязательных столбцов: $1 (найдены: $2)"},
}

// ImportReason says a reason of the import's report (a rejected line's,
// or a failed import's) in the language of locale; a reason without a
// translation stays in English.
func ImportReason(locale, reason string) string {
	if NormalizeLocale(locale) != LocaleRU {
		return reason
	}
	if ru, ok := importReasonsRU[reason]; ok {
		return ru
	}
	for _, p := range importReasonPatternsRU {
		if p.re.MatchString(reason) {
			return p.re.ReplaceAllString(reason, p.ru)
		}
	}
	column, rest, ok := strings.Cut(reason, ": ")
	if !ok || strings.ContainsRune(column, ' ') {
		return reason
	}
	if ru, ok := importReasonsRU[rest]; ok {
		return column + ": " + ru
	}
	for _, key := range importFieldMessages {
		if Message(LocaleEN, key) == rest {
			return column + ": " + Message(LocaleRU, key)
		}
	}
	return reason
}
