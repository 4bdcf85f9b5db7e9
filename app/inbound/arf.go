package inbound

// Complaint is what an ARF feedback report (RFC 5965,
// multipart/report; report-type=feedback-report) says: a mailbox provider
// tells the sender that one of its users marked a message as spam.
//
// OriginalRcptTo and OriginalMailFrom are often redacted by the provider;
// the returned message (Original) names the message that was reported.
type Complaint struct {
	// FeedbackType is "abuse", "fraud", "virus", "other", "not-spam" or
	// "auth-failure".
	FeedbackType string
	// OriginalRcptTo is the recipient of the reported message, when the
	// report gives it.
	OriginalRcptTo string
	// OriginalMailFrom is the envelope sender of the reported message.
	OriginalMailFrom string
	// Original is the reported message or its header.
	Original *Message
}

// Counts reports whether the report is a complaint about unwanted mail
// (abuse, fraud, or no type given), not a "not-spam" note or a report of
// an authentication failure.
func (c *Complaint) Counts() bool {
	switch c.FeedbackType {
	case "", "abuse", "fraud", "other":
		return true
	}
	return false
}

// detectComplaint recognizes an ARF feedback report and fills IsComplaint
// and Complaint.
func (m *Message) detectComplaint(w *walker, depth int) {
	if w.reportType != "feedback-report" || w.arf == nil {
		return
	}
	c := &Complaint{}
	for _, block := range dsnBlocks(decodeText(w.arf)) {
		if v := block["feedback-type"]; v != "" && c.FeedbackType == "" {
			c.FeedbackType = headerToken(v)
		}
		if v := block["original-rcpt-to"]; v != "" && c.OriginalRcptTo == "" {
			c.OriginalRcptTo, _ = parseAddress(v)
		}
		if v := block["original-mail-from"]; v != "" && c.OriginalMailFrom == "" {
			c.OriginalMailFrom, _ = parseAddress(v)
		}
	}
	if w.original != nil && depth < maxDepth {
		c.Original, _ = parse(w.original, depth+1)
	}
	m.IsComplaint, m.Complaint = true, c
}

// ReportReferences lists the values of a delivery or complaint report that
// may name the message it is about: the addresses the report was sent to
// (a VERP return path names the delivery), the Message-ID, X-Newsletter-Ref
// and Return-Path of the returned message, the envelope sender an ARF
// report gives, and the report's text. They are hints only: the caller
// believes a value only when it carries a reference it can verify.
func (m *Message) ReportReferences() []string {
	if m == nil {
		return nil
	}
	out := append([]string{}, m.To...)
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"} {
		out = append(out, m.HeaderValues(k)...)
	}
	var original *Message
	switch {
	case m.Bounce != nil:
		original = m.Bounce.Original
	case m.Complaint != nil:
		original = m.Complaint.Original
		out = append(out, m.Complaint.OriginalMailFrom)
	}
	if original != nil {
		out = append(out, original.MessageID)
		out = append(out, original.HeaderValues("X-Newsletter-Ref")...)
		out = append(out, original.HeaderValues("Return-Path")...)
	}
	if t := m.Text; t != "" {
		if len(t) > 64<<10 {
			t = t[:64<<10]
		}
		out = append(out, t)
	}
	return out
}
