package inbound

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"unicode/utf8"

	"newsletter/app"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		f.Add(readFixture(f, filepath.Base(file)))
	}
	for _, s := range []string{
		"", "From: a@b\r\n\r\n", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
		"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n",
		"Subject: =?UTF-8?B?0J/RgNC4?= =?koi8-r?Q?=F0?=\r\n\r\n<html><blockquote>",
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n",
	} {
		f.Add([]byte(s))
	}
	dns := newTestDNS()
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			if m != nil {
				t.Fatal("message with an error")
			}
			return
		}
		if m.Bounce != nil && !m.IsDSN {
			t.Fatal("bounce without IsDSN")
		}
		_ = m.Fields()
		_ = m.Header("From")
		_ = m.HeaderKeys()
		_ = IsFromSelf(m, []string{"privacy@shop.example"})
		c := Classify(m.Subject)
		checkClassification(t, m.Subject, c)
		rd := Read(m, []string{"privacy@shop.example"})
		if rd.Review == "" {
			checkClassification(t, m.Subject, rd.Classification)
		}
		if (rd.Review != "") != (len(rd.Kinds) > 0) || (rd.Review != "" && rd.Kind != app.KindUnknown) {
			t.Fatalf("Read: kind %s review %q kinds %v", rd.Kind, rd.Review, rd.Kinds)
		}
		_ = Verify(context.Background(), raw, m.FromDomain(), dns.opts())
	})
}

var tokenCharsRe = regexp.MustCompile(`^[A-Za-z0-9_.\-]*$`)

func checkClassification(t *testing.T, subject string, c Classification) {
	t.Helper()
	switch c.Kind {
	case app.KindMarketingOptout, app.KindDataUpdate, app.KindConsentRevocation, app.KindAccess, app.KindUnknown:
	default:
		t.Fatalf("Classify(%q) kind %q", subject, c.Kind)
	}
	if c.Lang != "en" && c.Lang != "ru" {
		t.Fatalf("Classify(%q) lang %q", subject, c.Lang)
	}
	if c.Score < 0 || c.Score > 1 {
		t.Fatalf("Classify(%q) score %v", subject, c.Score)
	}
	if !tokenCharsRe.MatchString(c.Token) || (c.Token != "" && c.Kind != app.KindMarketingOptout) {
		t.Fatalf("Classify(%q) token %q kind %s", subject, c.Token, c.Kind)
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		PolicySubject(optout, "en"), PolicySubject(optout, "ru"), PolicySubject(update, "en"), PolicySubject(update, "ru"),
		PolicySubject(revoke, "en"), PolicySubject(revoke, "ru"), PolicySubject(access, "en"), PolicySubject(access, "ru"),
		MailtoSubject("en", "abc-DEF_1.2"), MailtoSubject("ru", "x"), "Re: Fwd: [tag] unsubscribe", "Ответ: отписка",
		"Re: your newsletter about products", "", "[u:]", "Re[2]: RE: ", "Oтказ от рассылки", "\xff\xfe",
	} {
		f.Add(s)
	}
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		if m, err := Parse(readFixture(f, filepath.Base(file))); err == nil {
			f.Add(m.Subject)
		}
	}
	f.Fuzz(func(t *testing.T, subject string) {
		c := Classify(subject)
		checkClassification(t, subject, c)
		if utf8.ValidString(subject) {
			// Classification is stable under a reply prefix.
			if r := Classify("Re: " + subject); r.Kind != c.Kind && c.Token == "" {
				t.Fatalf("Classify(%q) = %s but with Re: %s", subject, c.Kind, r.Kind)
			}
		}
	})
}
