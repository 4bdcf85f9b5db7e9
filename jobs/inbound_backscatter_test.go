package jobs_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"newsletter/app"
	"newsletter/app/inbound"
)

// TestInboundBackscatter: a forged message cannot make the product mail
// words of the forger's choosing to an address of the forger's choosing.
// An unverified sender we hold nothing for gets no answer at all; every
// answer's subject is the policy's own title for the request kind (with
// "Re:", in the request's language), never the incoming subject, and its
// text never quotes the incoming message; the thread is kept by
// In-Reply-To and References alone.
func TestInboundBackscatter(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	const spam = "https://evil.example/buy-now"
	onFile := in.subscriber(t, "victim@example.org")
	other := in.subscriber(t, "someone.else@example.org")
	token := in.links.UnsubscribeToken(other.ID, 0)

	msg := func(n int, from, subject, body string) []byte {
		return []byte(fmt.Sprintf("From: %s\r\nTo: privacy@shop.example\r\nSubject: %s\r\nDate: Mon, 5 Feb 2024 10:00:00 +0000\r\n"+
			"Message-ID: <bs-%d@forger.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", from, subject, n, body))
	}
	cases := []struct {
		name     string
		raw      []byte
		signAs   string
		reply    string
		subject  string // the reply's subject; "" = no reply
		optedOut *app.Subscriber
	}{
		{name: "ForgedStranger", raw: msg(1, "stranger@victim.example", "Re: Unsubscribe "+spam, "Visit "+spam)},
		{name: "ForgedStrangerRussian", raw: msg(2, "stranger@victim.example", "=?utf-8?b?"+b64("Отписаться "+spam)+"?=", spam)},
		{name: "ForgedStrangerAccess", raw: msg(3, "stranger2@victim.example", "Access to my personal data "+spam, spam)},
		{name: "ForgedStrangerRevocation", raw: msg(4, "stranger3@victim.example", "Revoking the Agreement to Personal Data Processing "+spam, spam)},
		{name: "VerifiedStranger", raw: msg(5, "real.person@verified.example", "Re: Unsubscribe "+spam, spam), signAs: "verified.example",
			reply: app.ReplyNothingHeld, subject: "Re: Cancel Newsletter with New Products, Services and Special Offers"},
		{name: "OnFileEnglish", raw: msg(6, "victim@example.org", "Unsubscribe "+spam, spam),
			reply: app.ReplyOptout, subject: "Re: Cancel Newsletter with New Products, Services and Special Offers", optedOut: onFile},
		{name: "OnFileRussianAccess", raw: msg(7, "Victim <victim@example.org>", "=?utf-8?b?"+b64("Доступ к персональным данным "+spam)+"?=", spam),
			reply: app.ReplyAccess, subject: "Re: Доступ к персональным данным"},
		{name: "OnFileUnclear", raw: msg(8, "victim@example.org", "Hello "+spam, spam),
			reply: app.ReplyReview, subject: "Re: We received your message"},
		// Our own mailto link, sent from an address that is not the one on
		// file and not verified: the opt-out is done, the stranger at the
		// From address is not written to.
		{name: "TokenFromAnotherAddress", raw: msg(9, "stranger4@victim.example", inbound.MailtoSubject("en", token)+" "+spam, spam),
			optedOut: other},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := c.raw
			if c.signAs != "" {
				raw = in.keys.sign(t, raw, c.signAs)
			}
			parsed, err := inbound.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			before := len(in.tr.sent())
			m := in.receive(t, raw)
			if m.Status != app.InboundDone || m.RequestID == nil {
				t.Fatalf("message %s, request %v: every request is recorded", m.Status, m.RequestID)
			}
			if c.optedOut != nil && in.consent(t, c.optedOut.ID, app.PurposeMarketing) {
				t.Error("the opt-out was not done")
			}
			replies := in.tr.sent()[before:]
			if c.subject == "" {
				if len(replies) != 0 || m.Reply != "" {
					t.Fatalf("%d replies (template %q) to an unverified stranger: %q", len(replies), m.Reply, replies[0].Subject)
				}
				return
			}
			if len(replies) != 1 || m.Reply != c.reply {
				t.Fatalf("%d replies, template %q; want one %s", len(replies), m.Reply, c.reply)
			}
			rp := replies[0]
			if rp.Subject != c.subject {
				t.Errorf("subject %q, want %q", rp.Subject, c.subject)
			}
			for _, part := range []string{rp.Subject, rp.Text, rp.HTML, rp.ToName} {
				if strings.Contains(part, "evil.example") || strings.Contains(part, "buy-now") {
					t.Errorf("the reply echoes the incoming message: %.300q", part)
				}
			}
			if rp.InReplyTo != parsed.MessageID || len(rp.References) == 0 || rp.References[len(rp.References)-1] != parsed.MessageID {
				t.Errorf("not threaded: in-reply-to %q references %v", rp.InReplyTo, rp.References)
			}
		})
	}
	// Every request was recorded, answered or not.
	reqs, err := in.st.QueryRequests(ctx, app.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != len(cases) {
		t.Errorf("%d requests recorded, want %d", len(reqs), len(cases))
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
