package templates

import (
	"html"
	"html/template"
	"strings"
)

// RenderPolicy turns the policy's plain-text markup into safe HTML: "# " and
// "## " lines are headings, "- " lines list items, blank lines separate
// paragraphs. Everything else is escaped.
func RenderPolicy(src string) template.HTML {
	var b strings.Builder
	inList := false
	closeList := func() {
		if inList {
			b.WriteString("</ul>\n")
			inList = false
		}
	}
	var para []string
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + html.EscapeString(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		line = strings.TrimRight(line, " \t")
		switch {
		case strings.HasPrefix(line, "## "):
			flush()
			closeList()
			b.WriteString("<h3>" + html.EscapeString(line[3:]) + "</h3>\n")
		case strings.HasPrefix(line, "# "):
			flush()
			closeList()
			b.WriteString("<h2>" + html.EscapeString(line[2:]) + "</h2>\n")
		case strings.HasPrefix(line, "- "):
			flush()
			if !inList {
				b.WriteString("<ul>\n")
				inList = true
			}
			b.WriteString("<li>" + html.EscapeString(line[2:]) + "</li>\n")
		case strings.TrimSpace(line) == "":
			flush()
			closeList()
		default:
			closeList()
			para = append(para, strings.TrimSpace(line))
		}
	}
	flush()
	closeList()
	return template.HTML(b.String()) //nolint:gosec // every piece above is escaped
}

// PolicyValues fill the placeholders of the policy text.
type PolicyValues struct {
	OperatorName, OperatorEmail, OperatorAddress, SiteURL, Version string
}

// FillPolicy replaces {{operator_name}}, {{operator_email}},
// {{operator_address}}, {{site_url}} and {{version}} in a policy text.
func FillPolicy(text string, v PolicyValues) string {
	r := strings.NewReplacer("{{operator_name}}", v.OperatorName, "{{operator_email}}", v.OperatorEmail,
		"{{operator_address}}", v.OperatorAddress, "{{site_url}}", v.SiteURL, "{{version}}", v.Version)
	return r.Replace(text)
}

// DefaultPolicy returns the built-in policy text in English and Russian,
// published as the first version on a new installation.
func DefaultPolicy() (en, ru string) {
	b1, _ := files.ReadFile("pages/policy_en.txt")
	b2, _ := files.ReadFile("pages/policy_ru.txt")
	return string(b1), string(b2)
}
