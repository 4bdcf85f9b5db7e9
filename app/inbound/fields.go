package inbound

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fields are the corrections a person writes into a data-update request,
// one "Label: value" line each. Empty means the message did not give it.
type Fields struct {
	// Name is the full name, from a "Name:", "Full name:", "Имя:" or "ФИО:"
	// line.
	Name string
	// Phone is the telephone number as written (not normalized), from a
	// "Phone:", "Tel:", "Mobile:", "Телефон:" or "Тел.:" line.
	Phone string
}

const maxNameRunes = 200

var (
	fieldLineRe  = regexp.MustCompile(`(?i)^\s*(?:[-*•·]\s*)?(?:\*\*|__)?\s*(new |my |your |updated |correct |новое |новый |мо[её] |мой |правильное |правильный )?(name|full name|first and last name|имя|полное имя|фио|ф\.\s?и\.\s?о\.?|фамилия,? имя,? отчество|фамилия и имя|phone|phone number|telephone|tel\.?|mobile|mobile phone|cell|cell phone|телефон|номер телефона|тел\.?|мобильный|мобильный телефон)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(.+?)\s*(?:\*\*|__)?\s*$`)
	phoneCharsRe = regexp.MustCompile(`^\+?[0-9()\-.\s/]+(?:\s*(?:ext\.?|доб\.?|x)\s*\d{1,6})?$`)
)

// Fields reads the "Name:" and "Phone:" lines (English or Russian labels) of
// the person's own text; quoted and forwarded text is never read. The first
// valid line of each wins; a value that does not look like a name or a
// telephone number is ignored.
func (m *Message) Fields() Fields {
	var f Fields
	if m == nil {
		return f
	}
	for _, l := range strings.Split(m.Text, "\n") {
		sm := fieldLineRe.FindStringSubmatch(l)
		if sm == nil {
			continue
		}
		label := strings.ToLower(sm[2])
		v := strings.TrimRight(strings.TrimSpace(sm[3]), ".,;")
		if isPhoneLabel(label) {
			if f.Phone == "" && validPhone(v) {
				f.Phone = v
			}
		} else if f.Name == "" && validName(v) {
			f.Name = strings.Join(strings.Fields(v), " ")
		}
	}
	return f
}

func isPhoneLabel(l string) bool {
	for _, p := range []string{"phone", "tel", "mobile", "cell", "телефон", "тел", "мобильный"} {
		if strings.HasPrefix(l, p) || strings.Contains(l, " "+p) {
			return true
		}
	}
	return false
}

func validPhone(v string) bool {
	if len(v) > 40 || !phoneCharsRe.MatchString(v) {
		return false
	}
	digits := 0
	for _, r := range v {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits >= 5 && digits <= 20
}

func validName(v string) bool {
	if v == "" || utf8.RuneCountInString(v) > maxNameRunes {
		return false
	}
	if strings.ContainsAny(v, "@<>/\\{}[]=") || strings.Contains(strings.ToLower(v), "http") {
		return false
	}
	letters := 0
	for _, r := range v {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r):
			return false
		}
	}
	return letters >= 2
}
