package inbound

import (
	"regexp"
	"strings"
)

// Bounce is what a delivery status report says about a message that was
// sent. The first failed recipient is summarized in the top-level fields;
// Recipients lists every recipient the report names.
//
// Diagnostic and Original come from the remote server and may contain
// addresses: store them with the personal data, never log them.
type Bounce struct {
	// Recipient is the address that could not be reached (Final-Recipient,
	// else Original-Recipient; for a free-text bounce, the returned
	// message's To or the first address in the text).
	Recipient string
	// Action is "failed", "delayed", "delivered", "relayed" or "expanded";
	// "" when the report does not say.
	Action string
	// Status is the enhanced status code, such as "5.1.1"; "" when unknown.
	Status string
	// Diagnostic is the remote server's diagnostic text.
	Diagnostic string
	// Permanent reports a permanent failure: Action "failed" with a 5.x.x
	// status. The address should be suppressed.
	Permanent bool
	// Standard reports an RFC 3464 multipart/report; false when the report
	// was read from the free text of a mailer daemon.
	Standard bool
	// Recipients lists every recipient of the report.
	Recipients []BounceRecipient
	// Original is the returned message, or its header only, when the report
	// includes it; its MessageID names the message that bounced.
	Original *Message
}

// BounceRecipient is the per-recipient part of a delivery status report;
// its fields mean what the same fields of Bounce mean.
type BounceRecipient struct {
	Address    string // Final-Recipient (else Original-Recipient)
	Action     string // failed, delayed, delivered, relayed, expanded
	Status     string // enhanced status code
	Diagnostic string // remote server's text
	Permanent  bool   // failed with a 5.x.x status
}

var (
	enhancedCodeRe = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	basicCodeRe    = regexp.MustCompile(`(?m)(?:^|[\s:(\[])([45][0-5]\d)(?:[\s\-]|$)`)
	daemonLocalRe  = regexp.MustCompile(`(?i)^(?:mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|postmaster|mdaemon)$`)
	daemonNameRe   = regexp.MustCompile(`(?i)mail delivery (?:system|subsystem|service)|mailer-daemon|postmaster`)
	bounceSubjRe   = regexp.MustCompile(`(?i)undeliver|undelivered|delivery status notification|delivery failure|failure notice|returned mail|mail delivery failed|delivery has failed|could not be delivered|not delivered|delivery incomplete|delayed mail|delivery delayed|message delayed|warning: message .* delayed|недостав|не доставлен|не удалось доставить|ошибка доставки|возвращ[её]нное письмо|сообщение не доставлено|письмо не доставлено`)
	permanentRe    = regexp.MustCompile(`(?i)permanent (?:error|failure)|permanently|постоянная ошибка|does not exist|doesn't exist|user unknown|unknown user|no such user|mailbox unavailable|mailbox not found|address rejected|не существует|нет такого|адрес не найден`)
	delayedRe      = regexp.MustCompile(`(?i)\bdelayed\b|will (?:continue|keep) trying|will retry|still trying|temporar|not yet been delivered|задерж|временн|повторн(?:ые|ая) попытк`)
	returnedCopyRe = regexp.MustCompile(`(?im)^-+ ?(?:this is a copy of the message.*|original message follows.*|undelivered message follows.*|копия (?:исходного )?сообщения.*)-*$`)
	rcptToRe       = regexp.MustCompile(`(?i)RCPT TO:\s*<([^<>\s]+@[^<>\s]+)>`)
)

// detectBounce recognizes RFC 3464 reports and free-text bounces from
// mailer daemons, and fills IsDSN and Bounce.
func (m *Message) detectBounce(w *walker, body string, depth int) {
	var original *Message
	if w.original != nil && depth < maxDepth {
		original, _ = parse(w.original, depth+1)
	}
	if w.reportType == "delivery-status" && w.dsn != nil {
		m.IsDSN = true
		b := parseDSN(w.dsn)
		b.Standard = true
		b.Original = original
		m.Bounce = b
		return
	}
	if w.reportType == "disposition-notification" {
		return
	}
	local := localOf(m.From)
	daemon := daemonLocalRe.MatchString(local) || daemonNameRe.MatchString(m.FromName)
	bounceSubject := bounceSubjRe.MatchString(m.Subject)
	nullSender := m.header.Has("Return-Path") && strings.Trim(strings.TrimSpace(m.header.Get("Return-Path")), "<> ") == ""
	if !(daemon && (bounceSubject || enhancedCodeRe.MatchString(body))) && !(bounceSubject && nullSender) {
		return
	}
	if original == nil && w.rfc822 != nil && depth < maxDepth {
		original, _ = parse(w.rfc822, depth+1)
	}
	if original == nil && depth < maxDepth {
		// Exim and others append the returned message to the text.
		if loc := returnedCopyRe.FindStringIndex(body); loc != nil {
			rest := strings.TrimLeft(body[loc[1]:], "\n")
			if o, err := parse([]byte(rest), depth+1); err == nil && (o.MessageID != "" || len(o.To) > 0) {
				original = o
			}
		}
	}
	m.IsDSN = true
	m.Bounce = freeTextBounce(body, m.From, original)
}

// parseDSN reads a message/delivery-status body: a per-message block, then
// one block per recipient.
func parseDSN(b []byte) *Bounce {
	out := &Bounce{}
	for _, block := range dsnBlocks(decodeText(b)) {
		rcpt := block["final-recipient"]
		if rcpt == "" {
			rcpt = block["original-recipient"]
		}
		if rcpt == "" && block["action"] == "" {
			continue // the per-message block
		}
		r := BounceRecipient{
			Address:    dsnAddress(rcpt),
			Action:     headerToken(block["action"]),
			Status:     enhancedCodeRe.FindString(block["status"]),
			Diagnostic: block["diagnostic-code"],
		}
		if r.Status == "" {
			r.Status = codeFromText(r.Diagnostic)
		}
		r.Permanent = r.Action == "failed" && strings.HasPrefix(r.Status, "5.")
		out.Recipients = append(out.Recipients, r)
	}
	primary := -1
	for i, r := range out.Recipients {
		if r.Action == "failed" {
			primary = i
			break
		}
	}
	if primary < 0 && len(out.Recipients) > 0 {
		primary = 0
	}
	if primary >= 0 {
		r := out.Recipients[primary]
		out.Recipient, out.Action, out.Status, out.Diagnostic, out.Permanent = r.Address, r.Action, r.Status, r.Diagnostic, r.Permanent
	}
	return out
}

// dsnBlocks splits a delivery-status body into blocks of fields (keys
// lower-cased, continuation lines joined).
func dsnBlocks(s string) []map[string]string {
	var blocks []map[string]string
	cur := map[string]string{}
	lastKey := ""
	for _, l := range strings.Split(normalizeNewlines(s), "\n") {
		if strings.TrimSpace(l) == "" {
			if len(cur) > 0 {
				blocks = append(blocks, cur)
				cur = map[string]string{}
			}
			lastKey = ""
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && lastKey != "" {
			cur[lastKey] += " " + strings.TrimSpace(l)
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		lastKey = strings.ToLower(strings.TrimSpace(k))
		if _, dup := cur[lastKey]; !dup {
			cur[lastKey] = strings.TrimSpace(v)
		}
	}
	if len(cur) > 0 {
		blocks = append(blocks, cur)
	}
	return blocks
}

// dsnAddress reads "rfc822; user@example.com".
func dsnAddress(v string) string {
	if _, a, ok := strings.Cut(v, ";"); ok {
		v = a
	}
	v = strings.TrimSpace(v)
	if a, _ := parseAddress(v); a != "" {
		return a
	}
	return normalizeAddress(v)
}

// codeFromText finds an enhanced status code in text, preferring a failure
// (5.x.x) over a delay (4.x.x); a bare SMTP reply code gives "5.0.0" or
// "4.0.0".
func codeFromText(s string) string {
	var temp string
	for _, c := range enhancedCodeRe.FindAllString(s, 50) {
		switch c[0] {
		case '5':
			return c
		case '4':
			if temp == "" {
				temp = c
			}
		}
	}
	if temp != "" {
		return temp
	}
	for _, sm := range basicCodeRe.FindAllStringSubmatch(s, 50) {
		switch sm[1][0] {
		case '5':
			return "5.0.0"
		case '4':
			if temp == "" {
				temp = "4.0.0"
			}
		}
	}
	return temp
}

// freeTextBounce reads the report of a mailer daemon that does not send
// RFC 3464 reports.
func freeTextBounce(body, from string, original *Message) *Bounce {
	b := &Bounce{Original: original}
	b.Status = codeFromText(body)
	delayed := delayedRe.MatchString(body) && !permanentRe.MatchString(body)
	switch {
	case strings.HasPrefix(b.Status, "5."):
		b.Action = "failed"
	case strings.HasPrefix(b.Status, "4.") || delayed:
		b.Action = "delayed"
	case permanentRe.MatchString(body):
		b.Action, b.Status = "failed", "5.0.0"
	}
	if b.Action == "failed" && delayed {
		b.Action = "delayed"
	}
	b.Permanent = b.Action == "failed" && strings.HasPrefix(b.Status, "5.")

	switch {
	case original != nil && len(original.To) > 0:
		b.Recipient = original.To[0]
	default:
		if sm := rcptToRe.FindStringSubmatch(body); sm != nil {
			b.Recipient = normalizeAddress(sm[1])
			break
		}
		for _, a := range addrSpecRe.FindAllString(body, 50) {
			a = normalizeAddress(a)
			if strings.EqualFold(a, from) || daemonLocalRe.MatchString(localOf(a)) {
				continue
			}
			b.Recipient = a
			break
		}
	}
	for _, l := range strings.Split(body, "\n") {
		if b.Status != "" && strings.Contains(l, b.Status) {
			b.Diagnostic = strings.TrimSpace(l)
			break
		}
	}
	b.Recipients = []BounceRecipient{{Address: b.Recipient, Action: b.Action, Status: b.Status, Diagnostic: b.Diagnostic, Permanent: b.Permanent}}
	return b
}
