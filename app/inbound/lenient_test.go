package inbound

import (
	"strings"
	"testing"
)

// TestParseSkipsBadHeaderLines: a header line without a colon, as badly
// written clients and gateways write them, is skipped, as mail clients
// skip it; the message is read.
func TestParseSkipsBadHeaderLines(t *testing.T) {
	tests := []struct {
		name, raw, subject, text, id string
	}{
		{"LineWithoutColon",
			"From: Oleg <oleg@example.ru>\r\nTo: privacy@shop.example\r\nX-Gateway processed by sms2mail v1\r\n" +
				"Subject: Unsubscribe\r\nMessage-ID: <bad-1@example.ru>\r\n\r\nPlease unsubscribe me.\r\n",
			"Unsubscribe", "Please unsubscribe me.", "bad-1@example.ru"},
		{"BadLineWithContinuation",
			"From: oleg@example.ru\r\nBroken gateway line\r\n\tand its continuation\r\nSubject: Unsubscribe\r\n" +
				"Message-ID: <bad-2@example.ru>\r\n\r\nStop.\r\n",
			"Unsubscribe", "Stop.", "bad-2@example.ru"},
		{"FirstLineBad",
			">>From oleg\nFrom: oleg@example.ru\nSubject: Unsubscribe\nMessage-ID: <bad-3@example.ru>\n\nStop.\n",
			"Unsubscribe", "Stop.", "bad-3@example.ru"},
		{"UnindentedWrappedValue",
			"From: oleg@example.ru\r\nSubject: =?UTF-8?B?0J7RgtC60LDQtyDQvtGCINGA0LDRgdGB0YvQu9C60Lg=?=\r\nof the newsletter\r\n" +
				"Message-ID: <bad-4@example.ru>\r\n\r\nОтпишите меня.\r\n",
			"Отказ от рассылки", "Отпишите меня.", "bad-4@example.ru"},
		{"BodyWithoutBlankLine",
			"From: oleg@example.ru\r\nSubject: Unsubscribe\r\nMessage-ID: <bad-5@example.ru>\r\nPlease unsubscribe me.\r\nThanks\r\n",
			"Unsubscribe", "Please unsubscribe me.\nThanks", "bad-5@example.ru"},
		{"SpaceInFieldName",
			"From: oleg@example.ru\r\nX Mailer: Gateway\r\nSubject: Unsubscribe\r\nMessage-ID: <bad-6@example.ru>\r\n\r\nStop.\r\n",
			"Unsubscribe", "Stop.", "bad-6@example.ru"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.From != "oleg@example.ru" || m.Subject != tt.subject || m.MessageID != tt.id || strings.TrimSpace(m.Text) != tt.text {
				t.Errorf("from %q subject %q id %q text %q", m.From, m.Subject, m.MessageID, m.Text)
			}
		})
	}
}

func TestSkipBadHeaderLinesKeepsGoodMessages(t *testing.T) {
	for _, name := range []string{"gmail_en_optout.eml", "outlook_en_update_ar.eml", "yandex_ru_update_koi8r.eml", "dsn_postfix_permanent.eml"} {
		raw := readFixture(t, name)
		if got := skipBadHeaderLines(raw); string(got) != string(raw) {
			t.Errorf("%s changed", name)
		}
	}
}
