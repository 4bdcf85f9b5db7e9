package inbound

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

func mustParse(t *testing.T, raw string) *Message {
	t.Helper()
	m, err := Parse([]byte(strings.ReplaceAll(raw, "\n", "\r\n")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestParseEmpty(t *testing.T) {
	for _, raw := range []string{"", "   \r\n\r\n", "From \r\n"} {
		m, err := Parse([]byte(raw))
		if !errors.Is(err, ErrMalformed) || m != nil {
			t.Errorf("Parse(%q) = %v, %v; want ErrMalformed", raw, m, err)
		}
	}
}

func TestParseHeaderFields(t *testing.T) {
	m := mustParse(t, `From MAILER-DAEMON Mon Feb  5 10:00:00 2024
Received: from a by b; Mon, 5 Feb 2024 10:00:02 +0300
Received: from c by a; Mon, 5 Feb 2024 10:00:01 +0300
From: "Petrov, Ivan" <Ivan.Petrov@EXAMPLE.RU.>
Reply-To: Someone Else <other@example.org>
To: privacy@shop.example, "Copy" <copy@SHOP.example>
Subject: =?UTF-8?Q?=D0=9E=D1=82=D0=BA=D0=B0=D0=B7?=
 =?UTF-8?Q?_=D0=BE=D1=82_=D1=80=D0=B0=D1=81=D1=81=D1=8B=D0=BB=D0=BA=D0=B8?=
Date: Mon, 5 Feb 2024 10:00:00 +0300 (MSK)
Message-ID: msgid-without-brackets@example.ru
In-Reply-To: <first@shop.example> <second@shop.example>
References: <r1@shop.example>
	<r2@shop.example> <r3@shop.example>
X-Custom: =?UTF-8?B?0J/RgNC40LLQtdGC?=

Body.
`)
	if m.From != "Ivan.Petrov@example.ru" || m.FromName != "Petrov, Ivan" || m.FromDomain() != "example.ru" {
		t.Errorf("From = %q %q %q", m.From, m.FromName, m.FromDomain())
	}
	if m.ReplyTo != "other@example.org" {
		t.Errorf("ReplyTo = %q", m.ReplyTo)
	}
	if strings.Join(m.To, ",") != "privacy@shop.example,copy@shop.example" {
		t.Errorf("To = %v", m.To)
	}
	if m.Subject != "Отказ от рассылки" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if want := time.Date(2024, 2, 5, 7, 0, 0, 0, time.UTC); !m.Date.Equal(want) {
		t.Errorf("Date = %v", m.Date)
	}
	if m.MessageID != "msgid-without-brackets@example.ru" || m.InReplyTo != "first@shop.example" {
		t.Errorf("ids = %q %q", m.MessageID, m.InReplyTo)
	}
	if strings.Join(m.References, " ") != "r1@shop.example r2@shop.example r3@shop.example" {
		t.Errorf("References = %v", m.References)
	}
	if m.Header("X-Custom") != "Привет" || m.Header("x-custom") != "Привет" || m.Header("X-Missing") != "" {
		t.Errorf("Header = %q", m.Header("X-Custom"))
	}
	if r := m.HeaderValues("Received"); len(r) != 2 || !strings.HasPrefix(r[0], "from a by b") {
		t.Errorf("HeaderValues = %q", r)
	}
	keys := strings.Join(m.HeaderKeys(), ",")
	if !strings.HasPrefix(keys, "Received,From,Reply-To,To,Subject") {
		t.Errorf("HeaderKeys = %s", keys)
	}
	if m.Text != "Body." {
		t.Errorf("Text = %q", m.Text)
	}
}

func TestParseHeaderOnly(t *testing.T) {
	m, err := Parse([]byte("From: a@example.com\r\nSubject: unsubscribe"))
	if err != nil || m.From != "a@example.com" || m.Subject != "unsubscribe" || m.Text != "" {
		t.Fatalf("Parse = %+v, %v", m, err)
	}
}

func TestParseMalformedFrom(t *testing.T) {
	tests := map[string]string{
		"Иван <ivan@example.ru>":             "ivan@example.ru",
		"ivan@example.ru (Ivan)":             "ivan@example.ru",
		"<ivan@Example.RU>":                  "ivan@example.ru",
		"Ivan Petrov ivan@example.ru":        "ivan@example.ru",
		"\"broken <ivan@example.ru>":         "ivan@example.ru",
		"=?utf-8?q?Ivan?= <ivan@example.ru>": "ivan@example.ru",
		"undisclosed-recipients:;":           "",
	}
	for from, want := range tests {
		m := mustParse(t, "From: "+from+"\nSubject: x\n\nx\n")
		if m.From != want {
			t.Errorf("From %q = %q, want %q", from, m.From, want)
		}
	}
}

func TestDecodeHeader(t *testing.T) {
	privet := []byte("Привет мир")
	split := "=?UTF-8?B?" + base64.StdEncoding.EncodeToString(privet[:5]) + "?= =?UTF-8?B?" +
		base64.StdEncoding.EncodeToString(privet[5:]) + "?="
	koi, _ := charmap.KOI8R.NewEncoder().String("Отказ")
	cp, _ := charmap.Windows1251.NewEncoder().String("Отказ от рассылки")
	tests := []struct{ in, out string }{
		{"plain", "plain"},
		{split, "Привет мир"},
		{"=?koi8-r?B?" + base64.StdEncoding.EncodeToString([]byte(koi)) + "?=", "Отказ"},
		{"=?windows-1251?Q?=CE=F2=EA=E0=E7?= from", "Отказ from"},
		{"=?iso-8859-5?q?=BE=e2=DA=D0=D7?=", "Отказ"},
		{"Re: =?UTF-8?Q?caf=C3=A9?= =?UTF-8?Q?_au_lait?=", "Re: café au lait"},
		{"=?UTF-8*ru?Q?=D0=94=D0=B0?=", "Да"},
		{"=?x-unknown?Q?abc?=", "abc"},
		{"=?UTF-8?B?!!!?=", "=?UTF-8?B?!!!?="},
		{"=?UTF-8?B?0J/RgNC4?=", "При"},
		{cp, "Отказ от рассылки"},
	}
	for _, tt := range tests {
		if got := decodeHeader(tt.in); got != tt.out {
			t.Errorf("decodeHeader(%q) = %q, want %q", tt.in, got, tt.out)
		}
	}
}

func TestGuess8bit(t *testing.T) {
	const text = "Прошу исключить меня из рассылки, спасибо."
	for _, cm := range []*charmap.Charmap{charmap.KOI8R, charmap.Windows1251} {
		b, err := cm.NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if got := guess8bit(b); got != text {
			t.Errorf("%v: guess8bit = %q", cm, got)
		}
	}
	latin, _ := charmap.Windows1252.NewEncoder().String("Grüße aus München")
	if got := guess8bit([]byte(latin)); got != "Grüße aus München" {
		t.Errorf("latin: %q", got)
	}
}

func TestUndeclaredCharsetBody(t *testing.T) {
	body, _ := charmap.KOI8R.NewEncoder().String("Отпишите меня от рассылки.")
	m := mustParse(t, "From: a@example.ru\nSubject: x\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n"+body+"\n")
	if m.Text != "Отпишите меня от рассылки." {
		t.Errorf("Text = %q", m.Text)
	}
	// Declared UTF-8, but windows-1251 in fact.
	body, _ = charmap.Windows1251.NewEncoder().String("Отпишите меня от рассылки.")
	m = mustParse(t, "From: a@example.ru\nSubject: x\nContent-Type: text/plain; charset=utf-8\n\n"+body+"\n")
	if m.Text != "Отпишите меня от рассылки." {
		t.Errorf("Text = %q", m.Text)
	}
}

func TestHTMLToText(t *testing.T) {
	in := `<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head>
<body><script>alert(1)</script>
<p>Hello&nbsp;there,<br>second   line</p>
<div style="display: none">preheader</div><span hidden>x</span>
<ul><li>one</li><li>two</li></ul>
<table><tr><td>Name:</td><td>Ann Lee</td></tr></table>
<pre>  keep
   spacing</pre>
<p>On Mon, Ann wrote:</p>
<blockquote><p>old text</p><blockquote>older</blockquote></blockquote>
<p>&lt;tag&gt; &amp; &quot;q&quot;</p></body></html>`
	want := "Hello there,\nsecond line\n\n- one\n- two\nName: Ann Lee\n  keep\n   spacing\nOn Mon, Ann wrote:\n\n> old text\n>\n> > older\n<tag> & \"q\""
	if got := htmlToText(in); got != want {
		t.Errorf("htmlToText =\n%q\nwant\n%q", got, want)
	}
	if got := htmlToText("<div><div><div>" + strings.Repeat("<b>", 100000) + "deep"); got != "deep" {
		t.Errorf("deep = %q", got)
	}
}

func TestSplitReply(t *testing.T) {
	tests := []struct {
		name, in, own string
		quoted        string // substring of Quoted
	}{
		{"gmail en",
			"Stop it.\n\nOn Mon, Jan 8, 2024 at 10:15 AM Shop <news@shop.example> wrote:\n\n> Deals\n> more\n",
			"Stop it.", "> Deals"},
		{"gmail wrapped attribution",
			"Stop it.\n\nOn Mon, Jan 8, 2024 at 10:15 AM Shop Newsletter Team <\nnews@shop.example> wrote:\n\n> Deals\n",
			"Stop it.", "On Mon"},
		{"apple en",
			"Ok\n\n> On 8 Jan 2024, at 10:15, Shop <news@shop.example> wrote:\n> \n> Deals\n",
			"Ok", "> Deals"},
		{"apple ru",
			"Да\n\n> 8 янв. 2024 г., в 10:15, Магазин <news@shop.example> написал(а):\n> \n> Скидки\n",
			"Да", "Скидки"},
		{"mail.ru",
			"Отпишите.\n\nПонедельник, 8 января 2024, 10:15 +03:00 от Магазин <news@shop.example>:\n> Скидки\n",
			"Отпишите.", "Понедельник"},
		{"yandex",
			"Отпишите.\n\n08.01.2024, 10:15, \"Магазин\" <news@shop.example>:\n> Скидки\n",
			"Отпишите.", "08.01.2024"},
		{"outlook en",
			"Fine.\n\n________________________________\nFrom: Shop <news@shop.example>\nSent: Monday, January 8, 2024 10:15 AM\nTo: Ann\nSubject: Deals\n\nDeals\n",
			"Fine.", "Sent: Monday"},
		{"outlook ru",
			"Хорошо.\n\nОт: Магазин <news@shop.example>\nОтправлено: 8 января 2024 г. 10:15\nКому: Анна\nТема: Скидки\n\nСкидки\n",
			"Хорошо.", "Отправлено:"},
		{"original message",
			"Yes.\n\n-----Original Message-----\nFrom: Shop\nDeals\n",
			"Yes.", "Deals"},
		{"исходное сообщение",
			"Да.\n\n-----Исходное сообщение-----\nОт: Магазин\n",
			"Да.", "Магазин"},
		{"signature",
			"Name: Ann Lee\n-- \nAnn Lee\nPhone: +1 555 0100\n",
			"Name: Ann Lee", "Phone: +1 555 0100"},
		{"mobile footers",
			"Unsubscribe me\n\nSent from my iPhone\nОтправлено из мобильной Почты Mail.ru\nGet Outlook for Android\n",
			"Unsubscribe me", ""},
		{"bottom posting",
			"> Do you want to stay?\nNo, remove me.\n> Thanks\n",
			"No, remove me.", "> Thanks"},
		{"colon line kept",
			"My new details:\nName: Ann\n",
			"My new details:\nName: Ann", ""},
	}
	for _, tt := range tests {
		own, quoted, fwd := splitReply(tt.in, false, 0)
		if own != tt.own {
			t.Errorf("%s: own = %q, want %q", tt.name, own, tt.own)
		}
		if !strings.Contains(quoted, tt.quoted) {
			t.Errorf("%s: quoted = %q, want ~%q", tt.name, quoted, tt.quoted)
		}
		if fwd != nil {
			t.Errorf("%s: unexpected forward", tt.name)
		}
	}
}

func TestSplitForward(t *testing.T) {
	tests := []struct {
		name, in, own, fwdFrom, fwdSubject, fwdText string
		fwdSubjectPrefix                            bool
	}{
		{"gmail",
			"Please remove me.\n\n---------- Forwarded message ---------\nFrom: Shop <deals@shop.example>\nDate: Tue, Jan 16, 2024 at 8:00 AM\nSubject: Deals\nTo: <a@b.example>\n\n\nBuy!\n",
			"Please remove me.", "deals@shop.example", "Deals", "Buy!", false},
		{"apple quoted",
			"See below\n\nBegin forwarded message:\n\n> From: Shop <deals@shop.example>\n> Subject: Deals\n> Date: 16 January 2024\n> \n> Buy!\n",
			"See below", "deals@shop.example", "Deals", "Buy!", false},
		{"mail.ru",
			"\n\n-------- Пересылаемое сообщение --------\nОт кого: Магазин <deals@shop.example>\nКому: a@mail.ru\nДата: Понедельник, 8 января 2024, 10:15 +03:00\nТема: Скидки\n\nКупите!\n",
			"", "deals@shop.example", "Скидки", "Купите!", false},
		{"outlook forward",
			"FYI\n\n________________________________\nFrom: Shop [mailto:deals@shop.example]\nSent: Monday, January 8, 2024 10:15 AM\nTo: Ann\nSubject: Deals\n\nBuy!\n",
			"FYI", "deals@shop.example", "Deals", "Buy!", true},
		{"nested reply inside forward",
			"fwd\n\n-------- Forwarded Message --------\nSubject: Re: Deals\nFrom: Bob <bob@example.org>\n\nNo thanks.\n\nOn Mon, Shop <deals@shop.example> wrote:\n> Buy!\n",
			"fwd", "bob@example.org", "Re: Deals", "No thanks.", false},
	}
	for _, tt := range tests {
		own, _, fwd := splitReply(tt.in, tt.fwdSubjectPrefix, 0)
		if own != tt.own {
			t.Errorf("%s: own = %q", tt.name, own)
		}
		if fwd == nil {
			t.Errorf("%s: no forward", tt.name)
			continue
		}
		if fwd.From != tt.fwdFrom || fwd.Subject != tt.fwdSubject || fwd.Text != tt.fwdText {
			t.Errorf("%s: forward = %q %q %q", tt.name, fwd.From, fwd.Subject, fwd.Text)
		}
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		text string
		want Fields
	}{
		{"Name: Ann Lee\nPhone: +44 20 7946 0958", Fields{"Ann Lee", "+44 20 7946 0958"}},
		{"Имя: Анна Ли\nТелефон: 8 (916) 123-45-67", Fields{"Анна Ли", "8 (916) 123-45-67"}},
		{"ФИО: Петров Иван Сергеевич\nТел.: +7 916 1234567 доб. 12", Fields{"Петров Иван Сергеевич", "+7 916 1234567 доб. 12"}},
		{"Full name:   Ann   Marie Lee.\nMobile: 07700 900123;", Fields{"Ann Marie Lee", "07700 900123"}},
		{"**Name:** Ann\n* Phone number: +1-202-555-0100", Fields{"Ann", "+1-202-555-0100"}},
		{"New name: Ann Smith\nNew phone: 555 0100 12", Fields{"Ann Smith", "555 0100 12"}},
		{"Новый телефон: +7 999 111 22 33", Fields{"", "+7 999 111 22 33"}},
		{"name: ann@example.com\nphone: call me", Fields{}},
		{"Name: R2D2\nPhone: 12", Fields{}},
		{"Name: <script>x</script>", Fields{}},
		{"Name: First\nName: Second", Fields{"First", ""}},
		{"My name: Ann Lee\nUsername: bob", Fields{"Ann Lee", ""}},
		{"Company name: ACME", Fields{}},
		{"Nothing here", Fields{}},
	}
	for _, tt := range tests {
		m := &Message{Text: tt.text}
		if got := m.Fields(); got != tt.want {
			t.Errorf("Fields(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
	var nilMsg *Message
	if nilMsg.Fields() != (Fields{}) {
		t.Error("nil message has fields")
	}
}

func TestAutoReplySignals(t *testing.T) {
	tests := []struct {
		headers string
		subject string
		want    bool
	}{
		{"Auto-Submitted: no\n", "Cancel newsletter", false},
		{"Auto-Submitted: auto-replied\n", "x", true},
		{"Auto-Submitted: auto-generated; owner-email=a@b.example\n", "x", true},
		{"Auto-Submitted: No (manual)\n", "x", false},
		{"X-Autoreply: yes\n", "x", true},
		{"X-Autorespond: Out of office\n", "x", true},
		{"X-Autoreply: no\n", "x", false},
		{"Precedence: bulk\n", "x", true},
		{"Precedence: junk\n", "x", true},
		{"Precedence: list\n", "x", true},
		{"Precedence: auto_reply\n", "x", true},
		{"X-Precedence: auto_reply\n", "x", true},
		{"Precedence: normal\n", "x", false},
		{"X-Autogenerated: Reply\n", "x", true},
		{"Return-Path: <>\n", "x", true},
		{"Return-Path: <a@b.example>\n", "x", false},
		{"X-Auto-Response-Suppress: All\n", "Updating Personal Data", false},
		{"", "Automatic reply: Updating Personal Data", true},
		{"", "Auto: Updating Personal Data", true},
		{"", "Out of Office: back Monday", true},
		{"", "I'm out of the office", true},
		{"", "Автоответ: Отказ от рассылки", true},
		{"", "Автоматический ответ: Отказ от рассылки", true},
		{"", "Нет на месте", true},
		{"", "Re: Отказ от рассылки", false},
		{"", "Office supplies", false},
	}
	for _, tt := range tests {
		m := mustParse(t, "From: a@example.com\n"+tt.headers+"Subject: "+tt.subject+"\n\nx\n")
		if m.AutoReply != tt.want {
			t.Errorf("%q / %q: AutoReply = %v", tt.headers, tt.subject, m.AutoReply)
		}
	}
}

func TestBounceDetection(t *testing.T) {
	// A person writing about "delivery" is not a bounce.
	m := mustParse(t, "From: ann@example.com\nSubject: Undelivered parcel\n\nMy parcel 5.1.1 was not delivered.\n")
	if m.IsDSN || m.Bounce != nil {
		t.Errorf("person's mail taken as bounce: %+v", m.Bounce)
	}
	// Postmaster with a code but a neutral subject.
	m = mustParse(t, "From: postmaster@example.net\nSubject: Notification\n\nDelivery to bob@example.net failed: 550 5.7.1 rejected by policy.\n")
	if !m.IsDSN || m.Bounce == nil || !m.Bounce.Permanent || m.Bounce.Recipient != "bob@example.net" || m.Bounce.Status != "5.7.1" {
		t.Errorf("postmaster bounce = %v %+v", m.IsDSN, m.Bounce)
	}
	// A daemon's notice with no code and no failure is not permanent.
	m = mustParse(t, "From: MAILER-DAEMON@example.net\nSubject: Delivery delayed\n\nStill trying to deliver to bob@example.net.\n")
	if !m.IsDSN || m.Bounce.Permanent || m.Bounce.Action != "delayed" {
		t.Errorf("delayed = %+v", m.Bounce)
	}
	// Basic SMTP code only.
	m = mustParse(t, "From: Mail Delivery System <bounces@mx.example.net>\nSubject: Returned mail: see transcript\n\n<bob@example.net>... 550 User unknown\n")
	if !m.IsDSN || !m.Bounce.Permanent || m.Bounce.Status != "5.0.0" {
		t.Errorf("basic code = %+v", m.Bounce)
	}
}

func TestDSNMultipleRecipients(t *testing.T) {
	b := parseDSN([]byte("Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; ok@example.com\nAction: delivered\nStatus: 2.0.0\n\n" +
		"Final-Recipient: rfc822;bad@Example.com\nAction: failed\nStatus: 5.2.2 (mailbox full)\nDiagnostic-Code: smtp; 552 5.2.2 full\n"))
	if len(b.Recipients) != 2 || b.Recipient != "bad@example.com" || !b.Permanent || b.Status != "5.2.2" || b.Diagnostic != "smtp; 552 5.2.2 full" {
		t.Errorf("parseDSN = %+v", b)
	}
	b = parseDSN([]byte("Final-Recipient: rfc822; x@example.com\nAction: failed\nDiagnostic-Code: smtp; 550 no such user\n"))
	if !b.Permanent || b.Status != "5.0.0" {
		t.Errorf("status from diagnostic = %+v", b)
	}
	b = parseDSN([]byte("Final-Recipient: rfc822; x@example.com\nAction: failed\nStatus: 4.2.2\n"))
	if b.Permanent {
		t.Errorf("4.x.x is not permanent: %+v", b)
	}
}

func TestIsFromSelf(t *testing.T) {
	m := &Message{From: "Newsletter@shop.example"}
	if !IsFromSelf(m, []string{"Shop <newsletter@SHOP.example>"}) {
		t.Error("own address not recognized")
	}
	if !IsFromSelf(m, []string{"other@shop.example", "newsletter@shop.example"}) {
		t.Error("second own address not recognized")
	}
	if IsFromSelf(m, []string{"privacy@shop.example"}) || IsFromSelf(m, nil) || IsFromSelf(nil, []string{"x@y"}) ||
		IsFromSelf(&Message{}, []string{""}) {
		t.Error("false loop")
	}
}

func TestMultipartChoices(t *testing.T) {
	// Alternative with an empty plain part: the HTML is used.
	m := mustParse(t, `From: a@example.com
Subject: x
Content-Type: multipart/alternative; boundary=b

--b
Content-Type: text/plain; charset=utf-8

 
--b
Content-Type: text/html; charset=utf-8

<p>From HTML</p>
--b--
`)
	if m.Text != "From HTML" {
		t.Errorf("Text = %q", m.Text)
	}
	// Mixed: inline text parts join, attachments are skipped.
	m = mustParse(t, `From: a@example.com
Subject: x
Content-Type: multipart/mixed; boundary=m

--m
Content-Type: multipart/alternative; boundary=a

--a
Content-Type: text/plain

Part one
--a
Content-Type: text/html

<p>Part one (html)</p>
--a--
--m
Content-Type: text/plain; name=notes.txt
Content-Disposition: attachment; filename=notes.txt

Attached notes
--m
Content-Type: application/pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--m
Content-Type: text/plain; charset=utf-8
Content-Disposition: inline

Part two
--m--
`)
	if m.Text != "Part one\n\nPart two" {
		t.Errorf("Text = %q", m.Text)
	}
}
