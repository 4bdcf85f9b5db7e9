package app

import (
	"fmt"
	"strings"
	"text/template/parse"
	"unicode/utf8"
)

// mergeFieldNames are the merge fields, in the order the help lists them.
var mergeFieldNames = []string{mergeName, mergeUnsubscribe, mergePreferences}

// unknownField returns the field an action or an if names when it is one
// name that is no merge field ({{.Nmae}}, {{if .Nmae}}), else "".
func unknownField(n parse.Node) string {
	var p *parse.PipeNode
	switch n := n.(type) {
	case *parse.ActionNode:
		p = n.Pipe
	case *parse.IfNode:
		p = n.Pipe
	default:
		return ""
	}
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 {
		return ""
	}
	args := p.Cmds[0].Args
	if len(args) == 2 {
		if id, ok := args[0].(*parse.IdentifierNode); ok && id.Ident == "not" {
			args = args[1:]
		}
	}
	if len(args) != 1 {
		return ""
	}
	f, ok := args[0].(*parse.FieldNode)
	if !ok || len(f.Ident) != 1 {
		return ""
	}
	for _, k := range mergeFieldNames {
		if f.Ident[0] == k {
			return ""
		}
	}
	return f.Ident[0]
}

// suggestField returns the merge field closest to name when it is close
// enough to be a typing mistake (an edit distance, ignoring case, of at
// most a third of its length, and at least 2) or a shortening (the same
// first four letters), else "".
func suggestField(name string) string {
	best, bestD := "", 1<<30
	for _, k := range mergeFieldNames {
		if len(name) >= 4 && strings.HasPrefix(strings.ToLower(k), strings.ToLower(name[:4])) {
			return k
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if bestD <= max(2, utf8.RuneCountInString(name)/3) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// unknownFieldText says that a field is unknown and which was meant.
func unknownFieldText(name string, ru bool) string {
	name = clip(name, 40)
	if s := suggestField(name); s != "" {
		return fmt.Sprintf(pick(ru, "unknown field %s; did you mean {{.%s}}?", "неизвестное поле %s; возможно, имелось в виду {{.%s}}?"), name, s)
	}
	return fmt.Sprintf(pick(ru, "unknown field %s; the fields are {{.Name}}, {{.UnsubscribeURL}} and {{.PreferencesURL}}",
		"неизвестное поле %s; доступны поля {{.Name}}, {{.UnsubscribeURL}} и {{.PreferencesURL}}"), name)
}

// fieldLabel names a campaign's field for a person.
func fieldLabel(key string, ru bool) string {
	lang := ""
	if rest, ok := strings.CutPrefix(key, "translations."); ok {
		l, field, _ := strings.Cut(rest, ".")
		key = field
		lang = map[string][2]string{LocaleEN: {"English", "английский"}, LocaleRU: {"Russian", "русский"}}[l][b2i(ru)]
		if lang == "" {
			lang = l
		}
	}
	label, ok := map[string][2]string{"subject": {"Subject", "Тема"}, "body_html": {"HTML", "HTML"},
		"body": {"Body", "Текст письма"}, "body_text": {"Text part", "Текстовая часть"}}[key]
	out := label[b2i(ru)]
	if !ok {
		out = key
	}
	if lang != "" {
		out += " (" + lang + ")"
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
