package inbound

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"newsletter/app"
)

// trustedID is the authserv-id of the operator's receiving server in the
// fixtures.
const trustedID = "mx.operator.test"

// testDNS is an in-memory DKIM key resolver.
type testDNS struct {
	mu      sync.Mutex
	records map[string]string
	lookups int
}

func newTestDNS() *testDNS { return &testDNS{records: map[string]string{}} }

func (d *testDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lookups++
	if r, ok := d.records[strings.ToLower(name)]; ok {
		return []string{r}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (d *testDNS) opts() VerifyOptions {
	return VerifyOptions{LookupTXT: d.LookupTXT, TrustedAuthservID: trustedID}
}

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

func testRSAKey(t testing.TB) *rsa.PrivateKey {
	rsaKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

// sign DKIM-signs raw as domain with a fresh key (RSA for gmail.com, as
// Gmail does, Ed25519 otherwise) and publishes the key in dns.
func (d *testDNS) sign(t testing.TB, raw []byte, domain string) []byte {
	t.Helper()
	selector := "s" + strings.ReplaceAll(domain, ".", "-")
	var signer crypto.Signer
	var record string
	if domain == "gmail.com" {
		k := testRSAKey(t)
		pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		signer, record = k, "v=DKIM1; k=rsa; p="+base64.StdEncoding.EncodeToString(pub)
	} else {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		signer, record = priv, "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub)
	}
	d.mu.Lock()
	d.records[selector+"._domainkey."+domain] = record
	d.mu.Unlock()
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain:                 domain,
		Selector:               selector,
		Signer:                 signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             []string{"From", "To", "Subject", "Date", "Message-ID", "Content-Type", "MIME-Version", "In-Reply-To", "References"},
	})
	if err != nil {
		t.Fatalf("dkim sign: %v", err)
	}
	return out.Bytes()
}

// Verification outcomes in the corpus table.
const (
	passDKIM = MethodDKIM
	passAR   = MethodAuthResults
	fail     = "fail"
)

type corpusCase struct {
	file       string
	kind       app.RequestKind
	lang       string
	autoReply  bool
	dsn        bool
	permanent  bool
	verify     string // passDKIM, passAR or fail
	signAs     string // DKIM-sign at test time as this domain
	from       string
	text       []string // in Text
	notText    []string // not in Text
	fields     Fields
	fwdFrom    string
	token      string
	bounceRcpt string
	origID     string // Message-ID of the bounced message
}

var corpus = []corpusCase{
	{file: "gmail_en_optout.eml", kind: optout, lang: "en", verify: passDKIM, signAs: "gmail.com",
		from: "John.Smith@gmail.com", text: []string{"Please stop sending me marketing emails – I no longer want the special offers."}},
	{file: "gmail_ru_revocation_base64.eml", kind: revoke, lang: "ru", verify: passDKIM, signAs: "gmail.com",
		from: "ivan.petrov@gmail.com", text: []string{"Отзываю согласие на обработку моих персональных данных"}},
	{file: "outlook_en_update_ar.eml", kind: update, lang: "en", verify: passAR,
		from: "john.smith@outlook.com", fields: Fields{Name: "John A. Smith", Phone: "+1 (555) 010-0199"}},
	{file: "yandex_ru_update_koi8r.eml", kind: update, lang: "ru", verify: fail,
		from: "ivan.petrov@yandex.ru", fields: Fields{Name: "Иван Сергеевич Петров", Phone: "+7 916 123-45-67"},
		text: []string{"Прошу исправить мои данные"}, notText: []string{"+7 999 000-00-00", "С уважением"}},
	{file: "mailru_ru_optout_cp1251_html.eml", kind: optout, lang: "ru", verify: passDKIM, signAs: "mail.ru",
		from: "maria.ivanova@mail.ru", text: []string{"Прошу исключить меня из рассылки о новых продуктах."}, notText: []string{"<div>", "&nbsp;"}},
	{file: "apple_en_access.eml", kind: access, lang: "en", verify: passDKIM, signAs: "icloud.com",
		from: "emma.brown@icloud.com", text: []string{"personal data you hold about me."}, notText: []string{"Sent from my iPhone", "=\n"}},
	{file: "gmail_en_reply_optout.eml", kind: optout, lang: "en", verify: passDKIM, signAs: "gmail.com",
		from: "alice.cooper@gmail.com", text: []string{"Yes, please cancel it."}, notText: []string{"wrote", "We received", "Somebody"}},
	{file: "gmail_ru_reply_optout.eml", kind: optout, lang: "ru", verify: fail,
		from: "olga.smirnova@gmail.com", text: []string{"Больше не присылайте, спасибо."}, notText: []string{"Магазин", "Новые продукты"}},
	{file: "outlook_en_reply_update_html.eml", kind: update, lang: "en", verify: passDKIM, signAs: "contoso.co.uk",
		from: "Robert.Jones@contoso.co.uk", fields: Fields{Phone: "020 7946 0958"}, notText: []string{"Not Robert", "Sent:"}},
	{file: "gmail_en_forward_inline.eml", kind: unk, lang: "en", verify: passDKIM, signAs: "gmail.com",
		from: "peter.parker@gmail.com", text: []string{"Please take me off this list."}, notText: []string{"20% off"}, fwdFrom: "deals@shop.example"},
	{file: "yandex_ru_forward_optout.eml", kind: optout, lang: "ru", verify: passDKIM, signAs: "yandex.ru",
		from: "sergey@yandex.ru", text: []string{"Отпишите меня, пожалуйста."}, notText: []string{"Скидки"}, fwdFrom: "deals@shop.example"},
	{file: "apple_en_forward_rfc822.eml", kind: optout, lang: "en", verify: passDKIM, signAs: "me.com",
		from: "liam.wilson@me.com", text: []string{"As the subject says."}, notText: []string{"Everything must go"}, fwdFrom: "deals@shop.example"},
	{file: "thunderbird_ru_forward.eml", kind: update, lang: "ru", verify: fail,
		from: "igor@example.ru", text: []string{"Пересылаю своё письмо"}, notText: []string{"Игорь Васильев"}, fwdFrom: "igor@example.ru"},
	{file: "ooo_en_outlook.eml", kind: optout, lang: "en", autoReply: true, verify: fail, from: "sarah.miller@contoso.com"},
	{file: "ooo_ru_yandex.eml", kind: optout, lang: "ru", autoReply: true, verify: fail, from: "anna.k@yandex.ru"},
	{file: "ooo_ru_subject_only.eml", kind: unk, lang: "ru", autoReply: true, verify: fail, from: "dmitry@corp.example.ru"},
	{file: "ooo_en_x_autoreply.eml", kind: unk, lang: "en", autoReply: true, verify: fail, from: "tom.lee@example.org"},
	{file: "mdn_read_receipt.eml", kind: update, lang: "en", autoReply: true, verify: fail, from: "kate@example.com"},
	{file: "bulk_list_mail.eml", kind: unk, lang: "en", autoReply: true, verify: fail, from: "news@othershop.example"},
	{file: "dsn_postfix_permanent.eml", kind: unk, lang: "en", autoReply: true, dsn: true, permanent: true, verify: fail,
		from: "MAILER-DAEMON@mx.shop.example", bounceRcpt: "Gone.User@example.org", origID: "campaign-12.delivery-345@shop.example"},
	{file: "dsn_postfix_delayed.eml", kind: unk, lang: "en", autoReply: true, dsn: true, verify: fail,
		from: "MAILER-DAEMON@mx.shop.example", bounceRcpt: "slow.user@example.net", origID: "campaign-12.delivery-346@shop.example"},
	{file: "dsn_gmail_permanent.eml", kind: unk, lang: "en", autoReply: true, dsn: true, permanent: true, verify: fail,
		from: "mailer-daemon@googlemail.com", bounceRcpt: "nobody.here@gmail.com", origID: "campaign-13.delivery-1@shop.example"},
	{file: "bounce_exim_freetext.eml", kind: unk, lang: "en", autoReply: true, dsn: true, permanent: true, verify: fail,
		from: "Mailer-Daemon@mail.example.net", bounceRcpt: "old.address@example.net", origID: "campaign-14.delivery-9@shop.example"},
	{file: "bounce_exim_delayed.eml", kind: unk, lang: "en", autoReply: true, dsn: true, verify: fail,
		from: "Mailer-Daemon@mail.example.net", bounceRcpt: "busy.user@example.com"},
	{file: "bounce_ru_freetext.eml", kind: unk, lang: "ru", dsn: true, permanent: true, verify: fail,
		from: "mailer-daemon@mx.example.ru", bounceRcpt: "petrov.old@example.ru"},
	{file: "arf_abuse_report.eml", kind: unk, lang: "en", autoReply: true, verify: fail, from: "feedback@fbl.mailbox.example"},
	{file: "spoof_dkim_other_domain.eml", kind: revoke, lang: "ru", verify: fail, signAs: "evil.example",
		from: "victim.person@gmail.com"},
	{file: "spoof_untrusted_ar.eml", kind: revoke, lang: "en", verify: fail, from: "victim@yandex.ru"},
	{file: "spoof_ar_not_topmost.eml", kind: update, lang: "en", verify: fail, from: "victim@mail.ru",
		fields: Fields{Name: "Attacker Name", Phone: "+1 202 555 0100"}},
	{file: "spoof_double_from.eml", kind: revoke, lang: "en", verify: fail, signAs: "gmail.com", from: "owner@gmail.com"},
	{file: "mailru_ru_revocation_ar.eml", kind: revoke, lang: "ru", verify: passAR, from: "pavel@mail.ru", text: []string{"Отзываю согласие."}},
	{file: "mailto_token_optout.eml", kind: optout, lang: "en", verify: passDKIM, signAs: "gmail.com",
		from: "someone@gmail.com", token: "eyJzIjo0Mn0.h8Xy_Kq-3z"},
	{file: "html_only_ru_access.eml", kind: access, lang: "ru", verify: fail, from: "elena@rambler.ru",
		text: []string{"Прошу предоставить сведения", "- основание"}, notText: []string{"font-family", "var x"}},
	{file: "iso8859_5_unsubscribe.eml", kind: optout, lang: "ru", verify: fail, from: "oleg@example.ru",
		text: []string{"Отпишите меня от всех рассылок."}},
	{file: "outlook_ru_question_unknown.eml", kind: unk, lang: "ru", verify: fail, from: "nikolay@company.example.ru",
		text: []string{"Когда приедет мой заказ?"}},
	{file: "raw_8bit_cp1251.eml", kind: optout, lang: "ru", verify: passDKIM, signAs: "example.ru", from: "vasily@example.ru",
		text: []string{"Не присылайте мне больше писем."}},
	{file: "subdomain_aligned_en.eml", kind: optout, lang: "en", verify: passDKIM, signAs: "example.co.uk",
		from: "noah@news.example.co.uk", text: []string{"unsubscribe"}},

	// Read with the person's text (see reading_test.go): Russian in Latin
	// letters, access asked freely, requests for someone else, several
	// requests, requests in the text only, our campaign quoted below.
	{file: "gmail_ru_translit_optout.eml", kind: optout, lang: "ru", verify: passDKIM, signAs: "gmail.com",
		from: "dmitry.orlov@gmail.com", text: []string{"bol'she ne prisylayte mne reklamu."}},
	{file: "outlook_ru_translit_revocation.eml", kind: revoke, lang: "ru", verify: fail,
		from: "sergey.volkov@outlook.com", text: []string{"Otzyvayu svoe soglasie"}, notText: []string{"<p", "MsoNormal"}},
	{file: "yandex_ru_translit_update.eml", kind: update, lang: "ru", verify: fail,
		from: "katya.smirnova@yandex.ru", text: []string{"proshu izmenit' moyu familiyu"}},
	{file: "mailru_ru_translit_optout_quoted.eml", kind: optout, lang: "ru", verify: fail,
		from: "aleksey.k@mail.ru", text: []string{"Otpishite menya."}, notText: []string{"Весенняя", "отказаться"}},
	{file: "thunderbird_ru_translit_access.eml", kind: access, lang: "ru", verify: fail,
		from: "ivan.belov@example.ru", text: []string{"kakie dannye obo mne u vas est'."}},
	{file: "gmail_en_access_question.eml", kind: access, lang: "en", verify: fail,
		from: "tom.baker@gmail.com", text: []string{"what you have on file"}},
	{file: "yandex_ru_access_question.eml", kind: access, lang: "ru", verify: fail,
		from: "n.sokolova@yandex.ru", text: []string{"какие сведения обо мне вы храните"}},
	{file: "outlook_en_access_gdpr_html.eml", kind: access, lang: "en", verify: fail,
		from: "laura.green@contoso.com", text: []string{"copy of all personal data you hold about me"}, notText: []string{"Calibri", "<p"}},
	{file: "apple_en_access_body_only.eml", kind: unk, lang: "en", verify: fail,
		from: "mia.clark@icloud.com", text: []string{"what information you hold about me?"}, notText: []string{"Sent from my iPhone"}},
	{file: "gmail_en_optout_wife.eml", kind: optout, lang: "en", verify: passDKIM, signAs: "gmail.com",
		from: "paul.turner@gmail.com", text: []string{"unsubscribe my wife"}},
	{file: "mailru_ru_optout_second_address.eml", kind: optout, lang: "ru", verify: fail,
		from: "petrov.p@mail.ru", text: []string{"petrov.work@mail.ru", "продолжайте присылать"}},
	{file: "outlook_en_optout_keep_this.eml", kind: optout, lang: "en", verify: fail,
		from: "chris.hall@outlook.com", text: []string{"Keep sending to this one."}},
	{file: "yandex_ru_optout_husband.eml", kind: optout, lang: "ru", verify: fail,
		from: "irina.kozlova@yandex.ru", text: []string{"Отпишите мужа"}},
	{file: "apple_en_revoke_for_mother.eml", kind: revoke, lang: "en", verify: fail,
		from: "james.wright@me.com", text: []string{"on behalf of my mother"}},
	{file: "gmail_en_forward_from_wife.eml", kind: optout, lang: "en", verify: fail,
		from: "mark.evans@gmail.com", text: []string{"See below."}, notText: []string{"Can you unsubscribe me"}, fwdFrom: "anna.evans@example.com"},
	{file: "gmail_ru_optout_and_access.eml", kind: optout, lang: "ru", verify: fail,
		from: "olga.novikova@gmail.com", text: []string{"какие данные обо мне вы храните"}},
	{file: "outlook_en_update_and_optout.eml", kind: update, lang: "en", verify: fail,
		from: "rachel.adams@outlook.com", text: []string{"stop sending me special offers"}},
	{file: "thunderbird_en_no_subject_optout.eml", kind: unk, lang: "en", verify: fail,
		from: "john.doe@example.org", text: []string{"Please unsubscribe me from your newsletter."}, notText: []string{"acme-corp", "Head of Sales"}},
	{file: "mailru_ru_body_revocation.eml", kind: unk, lang: "ru", verify: fail,
		from: "v.lebedev@mail.ru", text: []string{"Отзываю согласие на обработку моих персональных данных."}},
	{file: "gmail_en_reply_thanks_campaign.eml", kind: unk, lang: "en", verify: fail,
		from: "lucy.young@gmail.com", text: []string{"Thanks, looks great!"}, notText: []string{"Unsubscribe", "special offers", "wrote:"}},
	{file: "outlook_ru_reply_campaign_optout.eml", kind: unk, lang: "ru", verify: fail,
		from: "a.morozov@company.example.ru", text: []string{"Отпишите меня, пожалуйста."}, notText: []string{"Sent:", "отказаться", "Изменить"}},
	{file: "gmail_en_dont_unsubscribe.eml", kind: optout, lang: "en", verify: fail,
		from: "nina.scott@gmail.com", text: []string{"please do not unsubscribe me."}},
	{file: "yandex_ru_optout_pronoun.eml", kind: optout, lang: "ru", verify: fail,
		from: "grigory@yandex.ru", text: []string{"она приходит слишком часто."}},
	{file: "gateway_ru_optout_bad_header.eml", kind: optout, lang: "ru", verify: fail,
		from: "boris.ivanov@example.ru", text: []string{"Прошу отписать меня от рассылки."}},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestCorpus(t *testing.T) {
	if len(corpus) < 25 {
		t.Fatalf("corpus has %d fixtures", len(corpus))
	}
	files, _ := filepath.Glob("testdata/*.eml")
	if len(files) != len(corpus) {
		t.Errorf("%d fixture files, %d in the table", len(files), len(corpus))
	}
	for _, tc := range corpus {
		t.Run(strings.TrimSuffix(tc.file, ".eml"), func(t *testing.T) {
			dns := newTestDNS()
			raw := readFixture(t, tc.file)
			if tc.signAs != "" {
				raw = dns.sign(t, raw, tc.signAs)
			}
			m, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.From != tc.from {
				t.Errorf("From = %q, want %q", m.From, tc.from)
			}
			if m.MessageID == "" {
				t.Error("no Message-ID")
			}
			c := Classify(m.Subject)
			if c.Kind != tc.kind || c.Lang != tc.lang {
				t.Errorf("Classify(%q) = %s/%s, want %s/%s", m.Subject, c.Kind, c.Lang, tc.kind, tc.lang)
			}
			if c.Token != tc.token {
				t.Errorf("Token = %q, want %q", c.Token, tc.token)
			}
			if m.AutoReply != tc.autoReply {
				t.Errorf("AutoReply = %v, want %v", m.AutoReply, tc.autoReply)
			}
			if m.IsDSN != tc.dsn {
				t.Errorf("IsDSN = %v, want %v", m.IsDSN, tc.dsn)
			}
			if tc.dsn {
				if m.Bounce == nil {
					t.Fatal("no Bounce")
				}
				if m.Bounce.Permanent != tc.permanent {
					t.Errorf("Bounce.Permanent = %v, want %v (%+v)", m.Bounce.Permanent, tc.permanent, m.Bounce)
				}
				if m.Bounce.Recipient != tc.bounceRcpt {
					t.Errorf("Bounce.Recipient = %q, want %q", m.Bounce.Recipient, tc.bounceRcpt)
				}
				if tc.origID != "" && (m.Bounce.Original == nil || m.Bounce.Original.MessageID != tc.origID) {
					t.Errorf("Bounce.Original = %+v, want Message-ID %q", m.Bounce.Original, tc.origID)
				}
				if m.Forwarded != nil {
					t.Error("a bounce has no Forwarded message")
				}
			} else if m.Bounce != nil {
				t.Errorf("Bounce = %+v on a non-DSN", m.Bounce)
			}
			for _, s := range tc.text {
				if !strings.Contains(m.Text, s) {
					t.Errorf("Text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range tc.notText {
				if strings.Contains(m.Text, s) {
					t.Errorf("Text has %q:\n%s", s, m.Text)
				}
			}
			if f := m.Fields(); f != tc.fields {
				t.Errorf("Fields = %+v, want %+v", f, tc.fields)
			}
			switch {
			case tc.fwdFrom == "" && m.Forwarded != nil && !tc.dsn:
				t.Errorf("unexpected Forwarded from %q", m.Forwarded.From)
			case tc.fwdFrom != "" && (m.Forwarded == nil || m.Forwarded.From != tc.fwdFrom):
				t.Errorf("Forwarded = %+v, want from %q", m.Forwarded, tc.fwdFrom)
			}

			v := Verify(context.Background(), raw, m.FromDomain(), dns.opts())
			got := fail
			if v.Pass {
				got = v.Method
			}
			if got != tc.verify {
				t.Errorf("Verify = %+v, want %s", v, tc.verify)
			}
			if strings.Contains(v.Detail, "@") {
				t.Errorf("Verify detail has an address: %q", v.Detail)
			}
			if tc.signAs != "" && dns.lookups == 0 && tc.file != "spoof_double_from.eml" {
				t.Error("signed message verified without a key lookup")
			}
		})
	}
}
