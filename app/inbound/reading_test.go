package inbound

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"newsletter/app"
)

// review marks a message that a person must read.
const review app.RequestKind = "review"

// readingWant is what reading each person's message of the corpus must give:
// the request to act on, or review. Auto-replies and delivery reports are
// never read for a request and are not listed.
var readingWant = map[string]app.RequestKind{
	"apple_en_access.eml":                  access,
	"apple_en_forward_rfc822.eml":          optout,
	"gmail_en_forward_inline.eml":          review, // "take me off this list": not clear enough
	"gmail_en_optout.eml":                  optout,
	"gmail_en_reply_optout.eml":            optout,
	"gmail_ru_reply_optout.eml":            optout,
	"gmail_ru_revocation_base64.eml":       revoke,
	"html_only_ru_access.eml":              access,
	"iso8859_5_unsubscribe.eml":            optout,
	"mailru_ru_optout_cp1251_html.eml":     optout,
	"mailru_ru_revocation_ar.eml":          revoke,
	"mailto_token_optout.eml":              optout,
	"outlook_en_reply_update_html.eml":     update,
	"outlook_en_update_ar.eml":             update,
	"outlook_ru_question_unknown.eml":      review,
	"raw_8bit_cp1251.eml":                  optout,
	"spoof_ar_not_topmost.eml":             update, // verification is a separate question
	"spoof_dkim_other_domain.eml":          revoke,
	"spoof_double_from.eml":                revoke,
	"spoof_untrusted_ar.eml":               revoke,
	"subdomain_aligned_en.eml":             optout,
	"thunderbird_ru_forward.eml":           update,
	"yandex_ru_forward_optout.eml":         optout,
	"yandex_ru_update_koi8r.eml":           update,
	"gmail_ru_translit_optout.eml":         optout,
	"outlook_ru_translit_revocation.eml":   revoke,
	"yandex_ru_translit_update.eml":        update,
	"mailru_ru_translit_optout_quoted.eml": optout,
	"thunderbird_ru_translit_access.eml":   access,
	"gmail_en_access_question.eml":         access,
	"yandex_ru_access_question.eml":        access,
	"outlook_en_access_gdpr_html.eml":      access,
	"apple_en_access_body_only.eml":        access,
	"gmail_en_optout_wife.eml":             review,
	"mailru_ru_optout_second_address.eml":  review,
	"outlook_en_optout_keep_this.eml":      review,
	"yandex_ru_optout_husband.eml":         review,
	"apple_en_revoke_for_mother.eml":       review,
	"gmail_en_forward_from_wife.eml":       review,
	"gmail_ru_optout_and_access.eml":       review,
	"outlook_en_update_and_optout.eml":     review,
	"thunderbird_en_no_subject_optout.eml": optout,
	"mailru_ru_body_revocation.eml":        revoke,
	"gmail_en_reply_thanks_campaign.eml":   review,
	"outlook_ru_reply_campaign_optout.eml": optout,
	"gmail_en_dont_unsubscribe.eml":        review,
	"yandex_ru_optout_pronoun.eml":         optout,
	"gateway_ru_optout_bad_header.eml":     optout,
}

// ownTest are our own addresses in the fixtures.
var ownTest = []string{"Shop News <news@shop.example>", "privacy@shop.example"}

// readingScore counts how reading did against what was wanted.
type readingScore struct {
	messages, wantAction, wantReview int
	right                            int // acted on the right kind
	wrong                            int // acted on the wrong kind, or on a message for review
	needless                         int // review of a clear request
	reviewed                         int // review where review was wanted
}

func (s *readingScore) add(want, got app.RequestKind) {
	s.messages++
	if want == review {
		s.wantReview++
	} else {
		s.wantAction++
	}
	switch {
	case got == app.KindUnknown && want == review:
		s.reviewed++
	case got == app.KindUnknown:
		s.needless++
	case got == want:
		s.right++
	default:
		s.wrong++
	}
}

func (s readingScore) precision() float64 {
	if s.right+s.wrong == 0 {
		return 1
	}
	return float64(s.right) / float64(s.right+s.wrong)
}

func (s readingScore) recall() float64 {
	if s.wantAction == 0 {
		return 1
	}
	return float64(s.right) / float64(s.wantAction)
}

func (s readingScore) String() string {
	return fmt.Sprintf("%d messages (%d requests to act on, %d for review): precision %.3f, recall %.3f; "+
		"%d acted on rightly, %d wrong actions, %d needless reviews, %d rightly reviewed",
		s.messages, s.wantAction, s.wantReview, s.precision(), s.recall(), s.right, s.wrong, s.needless, s.reviewed)
}

// TestReadingCorpus reads every person's message of the corpus as the
// processor does and prints precision and recall (the figure in the
// README). A wrong action (the wrong kind, or acting on a message for
// someone else) is worse than a needless review: there must be none, and
// never more than needless reviews.
func TestReadingCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.eml")
	var score readingScore
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		m, err := Parse(readFixture(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.AutoReply || m.IsDSN {
			if _, ok := readingWant[name]; ok {
				t.Errorf("%s is an automatic message: it is never read for a request", name)
			}
			continue
		}
		want, ok := readingWant[name]
		if !ok {
			t.Errorf("%s: no expected reading", name)
			continue
		}
		seen[name] = true
		rd := Read(m, ownTest)
		score.add(want, rd.Kind)
		switch {
		case rd.Kind == app.KindUnknown && want != review:
			t.Logf("needless review: %s (%s %v)", name, rd.Review, rd.Kinds)
		case rd.Kind != app.KindUnknown && rd.Kind != want:
			t.Errorf("wrong action: %s read as %s, want %s", name, rd.Kind, want)
		}
		if (rd.Review == "") != (rd.Kind != app.KindUnknown || len(rd.Kinds) == 0) {
			t.Errorf("%s: review %q with kind %s and kinds %v", name, rd.Review, rd.Kind, rd.Kinds)
		}
	}
	for name := range readingWant {
		if !seen[name] && !t.Failed() {
			t.Errorf("%s: expected reading of a missing fixture", name)
		}
	}
	t.Logf("inbound corpus: %s", score)
	fmt.Printf("inbound corpus: %s\n", score)
	if score.messages < 45 {
		t.Errorf("only %d messages scored", score.messages)
	}
	if score.wrong > 0 || score.wrong > score.needless {
		t.Errorf("%d wrong actions (%d needless reviews): a wrong action must be rarer than a needless review, and there must be none", score.wrong, score.needless)
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name, subject, text string
		kind                app.RequestKind
		reason              string
		kinds               []app.RequestKind
		lang                string
	}{
		{"SubjectAlone", "Unsubscribe", "", optout, "", nil, "en"},
		{"TextAgrees", "Отказ от рассылки", "Больше не присылайте рекламу.", optout, "", nil, "ru"},
		{"TextOnly", "Hello", "Please unsubscribe me from your newsletter.", optout, "", nil, "en"},
		{"TextOnlyRussian", "Re: Spring sale", "Отпишите меня, пожалуйста.", optout, "", nil, "ru"},
		{"TextOnlyTranslit", "Vopros", "Otpishite menya ot rassylki, pozhaluysta.", optout, "", nil, "ru"},
		{"NothingAsked", "Re: Spring sale", "Thanks, looks great!", unk, "", nil, "en"},
		{"RevocationIncludesOptout", "Revoking the Agreement to Personal Data Processing", "Stop all mailings and delete my data.", revoke, "", nil, "en"},
		{"UnsubscribeAndDelete", "Hello", "Please unsubscribe me and delete my data.", revoke, "", nil, "en"},
		{"Several", "Unsubscribe", "Also tell me what personal data you hold about me.", unk, app.ReviewSeveral, []app.RequestKind{optout, access}, "en"},
		{"SeveralInOneSentence", "Hi", "Отпишите меня и сообщите, какие данные обо мне вы храните.", unk, app.ReviewSeveral, []app.RequestKind{optout, access}, "ru"},
		{"Wife", "Unsubscribe", "Please unsubscribe my wife.", unk, app.ReviewOtherPerson, []app.RequestKind{optout}, "en"},
		{"She", "Unsubscribe", "She no longer wants it.", unk, app.ReviewOtherPerson, []app.RequestKind{optout}, "en"},
		{"OnBehalf", "Delete my personal data", "I write on behalf of my father.", unk, app.ReviewOtherPerson, []app.RequestKind{revoke}, "en"},
		{"OtImeni", "Отзыв согласия", "Пишу от имени отца.", unk, app.ReviewOtherPerson, []app.RequestKind{revoke}, "ru"},
		{"Zhena", "Otkaz ot rassylki", "Otpishite zhenu, pozhaluysta.", unk, app.ReviewOtherPerson, []app.RequestKind{optout}, "ru"},
		{"OtherAddressWritten", "Unsubscribe", "Remove j.doe@work.example from the list.", unk, app.ReviewOtherPerson, []app.RequestKind{optout}, "en"},
		{"OwnAddressWritten", "Unsubscribe", "Remove person@example.com from the list.", optout, "", nil, "en"},
		{"OurAddressWritten", "Unsubscribe", "I wrote to privacy@shop.example before.", optout, "", nil, "en"},
		{"OtherAddressWords", "Отписка", "Отпишите мой старый адрес.", unk, app.ReviewOtherPerson, []app.RequestKind{optout}, "ru"},
		{"KeepSending", "Unsubscribe", "Keep sending the newsletter, just no ads.", unk, app.ReviewContrary, []app.RequestKind{optout}, "en"},
		{"DoNotUnsubscribe", "Re: Unsubscribe", "Please do not unsubscribe me.", unk, app.ReviewContrary, []app.RequestKind{optout}, "en"},
		{"NeOtpisyvayte", "Отписка", "Не отписывайте меня, это ошибка.", unk, app.ReviewContrary, []app.RequestKind{optout}, "ru"},
		{"DontSendIsOptout", "Hi", "Don't send me newsletters any more.", optout, "", nil, "en"},
		{"NoMoreMail", "Unsubscribe", "No, I don't want any more emails.", optout, "", nil, "en"},
		{"PronounOfNewsletter", "Отписка", "Рассылка мне не нужна, она приходит слишком часто.", optout, "", nil, "ru"},
		{"EnglishNotTranslit", "Unsubscribe", "Stop sending me drug offers.", optout, "", nil, "en"},
		{"OtherPersonWithoutRequest", "Hello", "My wife says hello.", unk, "", nil, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Message{From: "person@example.com", To: []string{"privacy@shop.example"}, Subject: tt.subject, Text: tt.text}
			rd := Read(m, ownTest)
			if rd.Kind != tt.kind || rd.Review != tt.reason || !slices.Equal(rd.Kinds, tt.kinds) || rd.Lang != tt.lang {
				t.Errorf("Read = %s %q %v %s; want %s %q %v %s", rd.Kind, rd.Review, rd.Kinds, rd.Lang, tt.kind, tt.reason, tt.kinds, tt.lang)
			}
			if (rd.Kind == unk) != (rd.Score == 0) {
				t.Errorf("score %v for %s", rd.Score, rd.Kind)
			}
		})
	}
}

func TestReadForwardedFromOthers(t *testing.T) {
	for _, tt := range []struct {
		from string
		want app.RequestKind
	}{
		{"deals@shop.example", optout}, // our own campaign
		{"person@example.com", optout}, // the sender's own message
		{"anna@example.org", unk},      // somebody else's
	} {
		m := &Message{From: "person@example.com", To: []string{"privacy@shop.example"}, Subject: "Fwd: Unsubscribe",
			Text: "See below.", Forwarded: &Message{From: tt.from}}
		if rd := Read(m, ownTest); rd.Kind != tt.want {
			t.Errorf("forwarded from %s: %s, want %s", tt.from, rd.Kind, tt.want)
		}
	}
}

// TestReadKeepsToken: a mailto opt-out whose text is for someone else goes
// to review and keeps its token, for the officer's assignment.
func TestReadKeepsToken(t *testing.T) {
	m := &Message{From: "person@example.com", Subject: MailtoSubject("en", "tok-1"), Text: "Please unsubscribe my husband instead."}
	rd := Read(m, ownTest)
	if rd.Kind != unk || rd.Review != app.ReviewOtherPerson || rd.Token != "tok-1" {
		t.Errorf("Read = %s %q token %q", rd.Kind, rd.Review, rd.Token)
	}
}

func TestCyrillicize(t *testing.T) {
	tests := map[string]string{
		"Otkaz ot rassylki":                   "отказ от рассылки",
		"Otzyv soglasiya na obrabotku":        "отзыв согласия на обработку",
		"Aktualizatsiya personalnykh dannykh": "актуализация персоналных данных",
		"personal'nyh dannye":                 "персональных данные",
		"Shchedryj":                           "щедрый",
		"Zhenu, pozhaluysta, otpishite":       "жену, пожалуйста, отпишите",
		"yesli":                               "если",
		"Ivan 2024!":                          "иван 2024!",
		"Maxim Vasilyev":                      "максим васильев",
	}
	for in, want := range tests {
		if got := cyrillicize(in); got != want {
			t.Errorf("cyrillicize(%q) = %q, want %q", in, got, want)
		}
	}
}
