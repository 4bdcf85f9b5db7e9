package inbound

import (
	"testing"

	"newsletter/app"
)

const (
	optout = app.KindMarketingOptout
	update = app.KindDataUpdate
	revoke = app.KindConsentRevocation
	access = app.KindAccess
	unk    = app.KindUnknown
)

func TestClassify(t *testing.T) {
	tests := []struct {
		subject string
		kind    app.RequestKind
		lang    string
	}{
		// The policy's subjects, verbatim.
		{"Cancel Newsletter with New Products, Services and Special Offers", optout, "en"},
		{"Updating Personal Data", update, "en"},
		{"Revoking the Agreement to Personal Data Processing", revoke, "en"},
		{"Отказ от рассылки о новых продуктах, услугах и специальных предложениях", optout, "ru"},
		{"Актуализация персональных данных", update, "ru"},
		{"Отзыв согласия на обработку персональных данных", revoke, "ru"},

		// Prefixes, tags, case, quotes, punctuation.
		{"Re: Cancel Newsletter with New Products, Services and Special Offers", optout, "en"},
		{"RE: RE: Fwd: cancel newsletter with new products, services and special offers", optout, "en"},
		{"Fw: [External] Updating Personal Data", update, "en"},
		{"AW: WG: Revoking the agreement to personal data processing", revoke, "en"},
		{"Ответ: Отказ от рассылки о новых продуктах", optout, "ru"},
		{"Отв: Пересл: «Актуализация персональных данных»", update, "ru"},
		{"Re[2]: \"Отзыв согласия на обработку персональных данных\"", revoke, "ru"},
		{"[SPAM] Re: ОТЗЫВ СОГЛАСИЯ НА ОБРАБОТКУ ПЕРСОНАЛЬНЫХ ДАННЫХ!!!", revoke, "ru"},
		{"'Updating personal data.'", update, "en"},
		{"RE:Re:re: UPDATING PERSONAL DATA", update, "en"},
		{"Пересл: Отказ от рассылки…", optout, "ru"},

		// Missing and extra words.
		{"Cancel newsletter", optout, "en"},
		{"Cancel the newsletter with special offers please", optout, "en"},
		{"Please cancel my newsletter with new products, services and special offers from ACME", optout, "en"},
		{"Отказ от рассылки", optout, "ru"},
		{"Прошу отказ от рассылки специальных предложений", optout, "ru"},
		{"Revoking agreement", revoke, "en"},
		{"Revoke my consent to data processing", revoke, "en"},
		{"Отзыв согласия", revoke, "ru"},
		{"Отзыв согласия на обработку данных", revoke, "ru"},
		{"Update my personal data", update, "en"},
		{"Update of data", update, "en"},
		{"Актуализация данных", update, "ru"},
		{"Изменение персональных данных", update, "ru"},
		{"Change my phone number", update, "en"},
		{"Изменить номер телефона", update, "ru"},

		// Typos.
		{"Cancle newsleter with new prodcts", optout, "en"},
		{"Cancel Newsleter wiht New Products, Servises and Spcial Ofers", optout, "en"},
		{"Updaitng Personal Dat", update, "en"},
		{"Revokng the Agreemnt to Personal Data Procesing", revoke, "en"},
		{"Отказ от расылки", optout, "ru"},
		{"Актулизация персональных даных", update, "ru"},
		{"Отзыв согласия на обработку персональых данных", revoke, "ru"},
		{"Oтказ от рассылки", optout, "ru"}, // Latin "O"

		// Plain unsubscribe words.
		{"unsubscribe", optout, "en"},
		{"Unsubscribe", optout, "en"},
		{"UNSUBSCRIBE ME", optout, "en"},
		{"Please unsubscribe me from this list", optout, "en"},
		{"Stop", optout, "en"},
		{"STOP sending me emails", optout, "en"},
		{"opt-out", optout, "en"},
		{"Don't send me newsletters", optout, "en"},
		{"No more emails", optout, "en"},
		{"отписаться", optout, "ru"},
		{"Отписка", optout, "ru"},
		{"Хочу отписаться от рассылки", optout, "ru"},
		{"Больше не присылайте рассылку", optout, "ru"},
		{"Remove me from your mailing list", optout, "en"},
		{"Отзыв согласия на получение рекламной рассылки", optout, "ru"},

		// Access requests.
		{"Access to personal data", access, "en"},
		{"Request for my data", access, "en"},
		{"Subject access request", access, "en"},
		{"GDPR subject access request", access, "en"},
		{"DSAR", access, "en"},
		{"Запрос персональных данных", access, "ru"},
		{"Доступ к персональным данным", access, "ru"},
		{"Copy of my personal data", access, "en"},

		// Russian written in Latin letters, by the common systems.
		{"Otkaz ot rassylki", optout, "ru"},
		{"Re: Otkaz ot rassylki o novykh produktakh, uslugakh i spetsialnykh predlozheniyakh", optout, "ru"},
		{"Otkaz ot rassilki o novih produktah", optout, "ru"},
		{"OTPISATSYA", optout, "ru"},
		{"Otpishite menya ot rassylki", optout, "ru"},
		{"Otmena podpiski", optout, "ru"},
		{"Otzyv soglasiya na obrabotku personalnyh dannyh", revoke, "ru"},
		{"Otzyv soglasija na obrabotku personal'nyh dannyh", revoke, "ru"},
		{"Otzyv soglasiia na obrabotku personalnykh dannykh", revoke, "ru"},
		{"Fwd: otzyv soglasiya", revoke, "ru"},
		{"Udalit' moi dannye", revoke, "ru"},
		{"Aktualizatsiya personalnykh dannykh", update, "ru"},
		{"Aktualizaciya personalnyh dannyh", update, "ru"},
		{"Aktualizacija personal'nyh dannyh", update, "ru"},
		{"Izmenenie personalnyh dannyh", update, "ru"},
		{"Zapros na dostup k personalnym dannym", access, "ru"},
		{"Dostup k personalnym dannym", access, "ru"},
		{"Kakie moi dannye u vas hranyatsya?", access, "ru"},
		{"Privet", unk, "en"},
		{"Zakaz 12345", unk, "en"},
		{"Otzyv o tovare", unk, "en"},
		{"Podpisatsya na rassylku", unk, "en"},

		// Access asked as a question.
		{"What personal data do you hold about me?", access, "en"},
		{"Which data do you have on me", access, "en"},
		{"What information do you store about me?", access, "en"},
		{"Какие мои данные у вас хранятся?", access, "ru"},
		{"Какие персональные данные обо мне вы храните", access, "ru"},
		{"Запрос на доступ к персональным данным", access, "ru"},
		{"What do you think about the new products?", unk, "en"},
		{"Что у вас есть из новых продуктов?", unk, "ru"},
		{"What happened to my order", unk, "en"},

		// Erasure is a revocation.
		{"Delete my personal data", revoke, "en"},
		{"Удалить мои персональные данные", revoke, "ru"},
		{"Right to be forgotten", revoke, "en"},
		{"Unsubscribe and delete my data", revoke, "en"},

		// Negatives: not a request, or not clearly one.
		{"Re: your newsletter about products", unk, "en"},
		{"Your newsletter", unk, "en"},
		{"New products and special offers", unk, "en"},
		{"Subscribe", unk, "en"},
		{"Подписаться на рассылку", unk, "ru"},
		{"Cancel my order", unk, "en"},
		{"Отмена заказа", unk, "ru"},
		{"Personal data", unk, "en"},
		{"Персональные данные", unk, "ru"},
		{"Agreement to personal data processing", unk, "en"},
		{"Отзыв о новых продуктах", unk, "ru"},
		{"Отзыв", unk, "ru"},
		{"I don't receive the newsletter", unk, "en"},
		{"Не получаю рассылку", unk, "ru"},
		{"Question about your services", unk, "en"},
		{"Hello", unk, "en"},
		{"", unk, "en"},
		{"Re:", unk, "en"},
		{"Invoice 12345", unk, "en"},
		{"Can't access my account", unk, "en"},
		{"Update", unk, "en"},
		{"Cancel newsletter and update my personal data", unk, "en"},
		{"Отзыв согласия на обработку персональных данных и отказ от рекламной рассылки", unk, "ru"},
		{"Unsubscribe from the partner program webinar", unk, "en"},
		{"Meeting tomorrow at 10", unk, "en"},
		{"Updated data sheet for product", unk, "en"},
	}
	if len(tests) < 60 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tt := range tests {
		got := Classify(tt.subject)
		if got.Kind != tt.kind || got.Lang != tt.lang {
			t.Errorf("Classify(%q) = %s/%s, want %s/%s", tt.subject, got.Kind, got.Lang, tt.kind, tt.lang)
		}
		if got.Token != "" {
			t.Errorf("Classify(%q) found token %q", tt.subject, got.Token)
		}
		if (got.Kind == unk) != (got.Score == 0) || got.Score < 0 || got.Score > 1 {
			t.Errorf("Classify(%q) score %v for kind %s", tt.subject, got.Score, got.Kind)
		}
	}
}

func TestClassifyExactScore(t *testing.T) {
	for _, lang := range []string{"en", "ru"} {
		for _, k := range []app.RequestKind{optout, update, revoke, access} {
			s := PolicySubject(k, lang)
			got := Classify(s)
			if got.Kind != k || got.Lang != lang || got.Score < 0.99 {
				t.Errorf("Classify(%q) = %+v", s, got)
			}
		}
	}
	if PolicySubject(unk, "en") != "" {
		t.Error("PolicySubject(unknown) should be empty")
	}
}

func TestMailtoSubjectToken(t *testing.T) {
	for _, lang := range []string{"en", "ru"} {
		s := MailtoSubject(lang, "AbC-12_x.Y")
		if want := PolicySubject(optout, lang) + " [u:AbC-12_x.Y]"; s != want {
			t.Fatalf("MailtoSubject = %q, want %q", s, want)
		}
		got := Classify(s)
		if got.Kind != optout || got.Token != "AbC-12_x.Y" || got.Lang != lang || got.Score != 1 {
			t.Errorf("Classify(%q) = %+v", s, got)
		}
	}
	tests := []struct {
		subject, token string
		kind           app.RequestKind
	}{
		// The token decides, whatever the rest says.
		{"Re: Hello [u:tok123]", "tok123", optout},
		{"Updating Personal Data [u:tok123]", "tok123", optout},
		{"[u:tok123]", "tok123", optout},
		{"Fwd: Cancel Newsletter [ u:abc_DEF-1.2 ]", "abc_DEF-1.2", optout},
		{"Cancel Newsletter [U:abc]", "abc", optout},
		// Not our token.
		{"Cancel Newsletter [x:abc]", "", optout},
		{"Hello [u:]", "", unk},
		{"Hello [u:has space]", "", unk},
		{"Hello [u:bad/chars]", "", unk},
	}
	for _, tt := range tests {
		got := Classify(tt.subject)
		if got.Token != tt.token || got.Kind != tt.kind {
			t.Errorf("Classify(%q) = %+v, want token %q kind %s", tt.subject, got, tt.token, tt.kind)
		}
	}
}

func TestStripPrefixes(t *testing.T) {
	tests := []struct {
		in, out string
		fwd     bool
	}{
		{"Re: Fwd: Hello", "Hello", true},
		{"RE[3]: Hello", "Hello", false},
		{"[list] Re: [ext] Hello [tag]", "Hello", false},
		{"Пересл: Отв: Привет", "Привет", true},
		{"Ответ: Привет", "Привет", false},
		{"Hello: world", "Hello: world", false},
		{"Regarding: x", "Regarding: x", false},
	}
	for _, tt := range tests {
		out, fwd := stripPrefixes(tt.in)
		if out != tt.out || fwd != tt.fwd {
			t.Errorf("stripPrefixes(%q) = %q, %v; want %q, %v", tt.in, out, fwd, tt.out, tt.fwd)
		}
	}
}

func TestOSA(t *testing.T) {
	tests := []struct {
		a, b string
		d    int
	}{
		{"cancel", "cancel", 0},
		{"cancle", "cancel", 1},
		{"newsleter", "newsletter", 1},
		{"abc", "xyz", 3},
		{"рассылка", "расылка", 1},
		{"", "abc", 3},
	}
	for _, tt := range tests {
		if d := osa([]rune(tt.a), []rune(tt.b), 5); d != tt.d {
			t.Errorf("osa(%q, %q) = %d, want %d", tt.a, tt.b, d, tt.d)
		}
	}
}
