package inbound

import (
	"regexp"
	"strings"
)

const maxForwardDepth = 3

var (
	// Lines that introduce a forwarded message (Gmail, Yandex, Mail.ru,
	// Thunderbird, Yahoo, Apple Mail; English and Russian).
	forwardMarkerRe = regexp.MustCompile(`(?i)^(?:-{2,}|_{2,}|={2,})?\s*(?:forwarded message|forwarded e-?mail|пересылаемое сообщение|перенаправленное сообщение|пересланное сообщение|переадресованное сообщение)\s*(?:-{2,}|_{2,}|={2,})?$|^(?i:begin forwarded message|начало переадресованного сообщения|начало пересылаемого сообщения|пересылаемое сообщение)\s*:$`)
	// The end of a Yandex or Mail.ru forwarded block.
	forwardEndRe = regexp.MustCompile(`(?i)^-{2,}\s*(?:конец пересылаемого сообщения|end of forwarded message)\s*-{2,}$`)
	// Outlook and mobile "original message" separators.
	originalMarkerRe = regexp.MustCompile(`(?i)^-{2,}\s*(?:original message|исходное сообщение|оригинальное сообщение|reply message|ответное сообщение)\s*-{2,}$`)
	// A rule of underscores (Outlook) or dashes before a header block.
	ruleLineRe = regexp.MustCompile(`^(?:_{8,}|-{8,})$`)
	// A From line opening a quoted header block.
	hdrFromRe = regexp.MustCompile(`(?i)^\*?(?:from|от|от кого)\*?\s*:\s*\S`)
	// Other lines of such a block.
	hdrOtherRe = regexp.MustCompile(`(?i)^\*?(?:sent|date|to|subject|cc|отправлено|дата|кому|тема|копия)\*?\s*:`)
	// Header lines inside a forwarded block.
	fwdHeaderRe = regexp.MustCompile(`(?i)^\*?(from|от кого|от|sender|date|sent|дата|отправлено|subject|тема|to|кому|cc|копия|reply-to)\*?\s*:\s*(.*)$`)
	// Attribution lines: "On ... wrote:", "... написал(а):", Gmail RU "...
	// <a@b>:", Yandex "08.01.2024, 10:15, "N" <a@b>:".
	attributionWordRe = regexp.MustCompile(`(?i)(?:wrote|writes|написал|написала|написал\(а\)|пишет|писал|schrieb|a écrit|escribió)\s*:\s*$`)
	attributionTimeRe = regexp.MustCompile(`\d{1,2}:\d{2}`)
	// Lines mail apps add under a message.
	sentFromRe = regexp.MustCompile(`(?i)^(?:sent from my |sent from (?:yandex|mail\.ru|outlook|gmail|mail for windows|the mail\.ru)|sent via |get outlook for |отправлено (?:с|из) |послано (?:с|из) |отправлено через )`)
	mailtoRe   = regexp.MustCompile(`(?i)\[mailto:([^\]\s]+)\]`)
)

// splitReply separates the person's own text from quoted replies, a
// signature and a forwarded block. fwdSubject says the subject carries a
// forward prefix, so that an Outlook-style header block is a forward rather
// than a quoted reply.
func splitReply(text string, fwdSubject bool, depth int) (own, quoted string, fwd *Message) {
	lines := strings.Split(normalizeNewlines(text), "\n")
	cut, fwdStart := len(lines), -1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || isQuotedLine(l) {
			continue
		}
		switch {
		case forwardMarkerRe.MatchString(t):
			cut, fwdStart = i, i+1
		case originalMarkerRe.MatchString(t):
			cut = i
			if fwdSubject {
				fwdStart = i + 1
			}
		case ruleLineRe.MatchString(t) && headerBlockAt(lines, nextNonBlank(lines, i+1)):
			cut = i
			if fwdSubject {
				fwdStart = i + 1
			}
		case headerBlockAt(lines, i):
			cut = i
			if fwdSubject {
				fwdStart = i
			}
		case l == "-- " || t == "--":
			cut = i
		default:
			continue
		}
		break
	}

	var ownLines, quotedLines []string
	region := lines[:cut]
	attribution := attributionLines(region)
	for i, l := range region {
		switch {
		case isQuotedLine(l) || attribution[i]:
			quotedLines = append(quotedLines, l)
		case sentFromRe.MatchString(strings.TrimSpace(l)):
			// dropped
		default:
			ownLines = append(ownLines, l)
		}
	}
	if fwdStart >= 0 && depth < maxForwardDepth {
		fwd = parseForwardBlock(lines[fwdStart:], depth+1)
	} else if cut < len(lines) {
		quotedLines = append(quotedLines, lines[cut:]...)
	}
	return tidyText(strings.Join(ownLines, "\n")), tidyText(strings.Join(quotedLines, "\n")), fwd
}

func isQuotedLine(l string) bool {
	return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">")
}

func nextNonBlank(lines []string, i int) int {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" {
			return i
		}
	}
	return len(lines)
}

// headerBlockAt reports an Outlook-style quoted header block at line i: a
// From line followed closely by at least two of Sent/Date/To/Subject/Cc.
func headerBlockAt(lines []string, i int) bool {
	if i >= len(lines) || !hdrFromRe.MatchString(strings.TrimSpace(lines[i])) {
		return false
	}
	n := 0
	for j := i + 1; j < len(lines) && j <= i+8; j++ {
		if hdrOtherRe.MatchString(strings.TrimSpace(lines[j])) {
			n++
		}
	}
	return n >= 2
}

// attributionLines marks the lines that introduce a quote ("On ... wrote:")
// in the region: lines that look like an attribution and are followed by
// quoted lines, with a wrapped first half when there is one.
func attributionLines(region []string) map[int]bool {
	marks := map[int]bool{}
	for i, l := range region {
		t := strings.TrimSpace(l)
		if t == "" || isQuotedLine(l) || !strings.HasSuffix(t, ":") {
			continue
		}
		next := nextNonBlank(region, i+1)
		if next < len(region) && !isQuotedLine(region[next]) {
			continue
		}
		wordy := attributionWordRe.MatchString(t)
		if !wordy && !(strings.Contains(t, "@") && attributionTimeRe.MatchString(t)) &&
			!(strings.Contains(t, "@") && strings.HasSuffix(t, ">:")) {
			continue
		}
		if next == len(region) && !wordy {
			continue
		}
		marks[i] = true
		// Gmail wraps long attributions: "On ... Name <\na@b> wrote:".
		if i > 0 && len(strings.Fields(t)) <= 3 {
			p := strings.TrimSpace(region[i-1])
			if p != "" && !isQuotedLine(region[i-1]) && (strings.HasPrefix(p, "On ") || strings.HasSuffix(p, "<") || attributionTimeRe.MatchString(p)) {
				marks[i-1] = true
			}
		}
	}
	return marks
}

// parseForwardBlock reads the inline forwarded message after a marker: its
// header lines (or a Yandex attribution line), then its body.
func parseForwardBlock(lines []string, depth int) *Message {
	i := nextNonBlank(lines, 0)
	if i == len(lines) {
		return nil
	}
	// Apple Mail quotes the forwarded message in plain text.
	if isQuotedLine(lines[i]) && allQuoted(lines[i:]) {
		lines = dequote(lines[i:])
		i = nextNonBlank(lines, 0)
	}
	m := &Message{}
	if t := strings.TrimSpace(lines[i]); strings.HasSuffix(t, ":") && strings.Contains(t, "@") && !fwdHeaderRe.MatchString(t) {
		// Yandex: `08.01.2024, 10:15, "Name" <a@b>:`
		m.From, m.FromName = parseAddress(strings.TrimSuffix(stripDatePrefix(t), ":"))
		i++
	} else {
		seen := false
		for ; i < len(lines); i++ {
			t := strings.TrimSpace(lines[i])
			if t == "" {
				if seen {
					i++
					break
				}
				continue
			}
			sm := fwdHeaderRe.FindStringSubmatch(t)
			if sm == nil {
				break
			}
			seen = true
			v := mailtoRe.ReplaceAllString(sm[2], "<$1>")
			switch strings.ToLower(sm[1]) {
			case "from", "от", "от кого", "sender":
				if m.From == "" {
					m.From, m.FromName = parseAddress(v)
				}
			case "date", "sent", "дата", "отправлено":
				m.Date = parseDate(v)
			case "subject", "тема":
				m.Subject = cleanSubject(v)
			case "to", "кому":
				m.To = parseAddressList(v)
			}
		}
	}
	if i > len(lines) {
		i = len(lines)
	}
	body := lines[i:]
	for j, l := range body {
		if forwardEndRe.MatchString(strings.TrimSpace(l)) {
			body = body[:j]
			break
		}
	}
	m.Text, m.Quoted, m.Forwarded = splitReply(strings.Join(body, "\n"), hasForwardPrefix(m.Subject), depth)
	return m
}

var datePrefixRe = regexp.MustCompile(`^[\d.\-/]+,\s*[\d:]+,\s*`)

func stripDatePrefix(s string) string {
	return datePrefixRe.ReplaceAllString(s, "")
}

func allQuoted(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" && !isQuotedLine(l) {
			return false
		}
	}
	return true
}

func dequote(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		l = strings.TrimLeft(l, " \t")
		l = strings.TrimPrefix(l, ">")
		out[i] = strings.TrimPrefix(l, " ")
	}
	return out
}
