package inbound

import (
	"strings"
	"unicode/utf8"
)

// concept is a set of meanings a subject word can carry.
type concept uint32

const (
	cUnsub      concept = 1 << iota // unsubscribe, stop, отписаться
	cCancel                         // cancel, remove, отказ, отмена
	cDelete                         // delete, erase, удалить
	cRevoke                         // revoke, withdraw, отозвать
	cRevokeWeak                     // отзыв: also "review" in Russian
	cUpdate                         // update, change, актуализация
	cAccess                         // access, copy, доступ
	cRequest                        // request, запрос
	cDSAR                           // "dsar"
	cNews                           // newsletter, mailing, рассылка
	cMkt                            // products, services, special offers
	cNew                            // new, новых
	cStop                           // stop, стоп
	cWant                           // want, хочу
	cSubscr                         // subscription, подписка
	cSend                           // send, присылать
	cNeg                            // no, not, не
	cMore                           // more, больше
	cPersonal                       // personal, персональных
	cData                           // data, information, данные
	cField                          // name, phone, email, телефон
	cConsent                        // consent, agreement, согласие
	cProc                           // processing, обработка
	cAccount                        // account, profile, аккаунт
	cSubject                        // "subject" (of a subject access request)
	cRight                          // right, право
	cForget                         // forgotten, забвение
	cWhat                           // what, which, какие: a question
	cHold                           // hold, store, храните: what is kept
	cOther                          // known words that are no request on their own
)

var lexiconWords = map[concept][]string{
	cUnsub: {"unsubscribe", "unsubscribed", "unsubscribing", "unsubscription", "optout",
		"отписаться", "отписка", "отписку", "отписки", "отписать", "отпишите", "отписываюсь", "отписываться"},
	cStop: {"stop", "stopp", "стоп"},
	cWant: {"want", "wish", "хочу", "желаю", "хотим"},
	cCancel: {"cancel", "cancelled", "canceled", "cancellation", "cancelation", "remove", "removal", "exclude",
		"discontinue", "terminate", "refuse", "refusal", "decline", "unlist",
		"отказ", "отказа", "отказаться", "отказываюсь", "отмена", "отменить", "отменяю", "отмените",
		"прекратить", "прекращение", "прекратите", "исключить", "исключение", "исключите", "убрать",
		"уберите", "остановить", "остановите"},
	cDelete: {"delete", "deletion", "erase", "erasure", "destroy", "destruction",
		"удалить", "удаление", "удалите", "уничтожить", "уничтожение", "уничтожьте", "стереть", "сотрите"},
	cRevoke: {"revoke", "revoking", "revocation", "withdraw", "withdrawal", "withdrawing", "rescind", "retract",
		"отозвать", "отзываю", "отзываем", "отозвание"},
	cRevokeWeak: {"отзыв", "отзыва"},
	cUpdate: {"update", "updating", "updated", "change", "changing", "correct", "correction", "rectify",
		"rectification", "amend", "amendment", "modify", "modification", "edit",
		"актуализация", "актуализировать", "актуализации", "актуализацию", "обновление", "обновить",
		"обновите", "изменение", "изменить", "измените", "изменения", "исправление", "исправить",
		"исправьте", "уточнение", "уточнить", "корректировка", "редактирование"},
	cAccess: {"access", "copy", "export", "доступ", "доступа", "копия", "копию", "выгрузка",
		"предоставление", "предоставить", "предоставьте", "ознакомление", "ознакомиться"},
	cRequest: {"request", "requesting", "запрос", "заявление", "требование", "обращение"},
	cDSAR:    {"dsar", "sar"},
	cNews: {"newsletter", "newsletters", "mailing", "mailings", "mailinglist", "mail", "email", "emails",
		"list", "messages", "letters", "spam", "digest",
		"рассылка", "рассылки", "рассылок", "рассылку", "рассылкой", "письма", "писем", "спам", "дайджест",
		"сообщений", "емейл", "имейл", "news", "новости", "новостей", "новостная", "новостную"},
	cNew: {"new", "новых", "новые", "новое"},
	cMkt: {"products", "product", "services", "service", "special", "offers", "offer", "events",
		"marketing", "promotional", "promotions", "promo", "advertising", "advertisement", "ads",
		"продуктах", "продукты", "продукции", "услугах", "услуги", "специальных",
		"специальные", "предложениях", "предложения", "мероприятиях", "мероприятия", "акциях", "акции",
		"реклама", "рекламы", "рекламу", "рекламных", "рекламной", "рекламного", "маркетинговых",
		"маркетинговой", "маркетинг"},
	cSubscr: {"subscription", "subscriptions", "подписка", "подписки", "подписку"},
	cSend: {"send", "sending", "присылать", "присылайте", "отправлять", "отправляйте", "слать",
		"высылать", "высылайте"},
	cNeg:      {"no", "not", "dont", "не"},
	cMore:     {"more", "больше"},
	cPersonal: {"personal", "персональных", "персональные", "персональным", "личных", "личные", "личным"},
	cData: {"data", "information", "info", "details", "данных", "данные", "данным", "информации",
		"информация", "сведения", "сведений"},
	cField: {"name", "phone", "number", "telephone", "address", "email", "имя", "имени", "фамилия",
		"фамилию", "телефон", "телефона", "номер", "номера", "адрес", "адреса", "почта", "почты", "фио"},
	cConsent: {"agreement", "consent", "согласие", "согласия"},
	cProc:    {"processing", "process", "обработка", "обработку", "обработки"},
	cAccount: {"account", "profile", "аккаунт", "аккаунта", "профиль", "профиля", "учетной", "учетная"},
	cSubject: {"subject"},
	cRight:   {"right", "право"},
	cForget:  {"forgotten", "forget", "забвение"},
	cWhat:    {"what", "which", "какие", "какая", "какой", "какую", "каких", "что"},
	cHold: {"hold", "holding", "held", "store", "storing", "stored", "keep", "keeping", "kept", "have", "has",
		"collect", "collected", "process", "processed",
		"хранятся", "хранится", "храните", "хранит", "храните", "хранить", "хранение", "имеете", "есть",
		"собираете", "собрали", "обрабатываете", "обрабатывается", "обрабатываются", "известно"},
	cOther: {"subscribe", "subscribed", "подписаться", "подписка", "order", "заказ", "receive", "invoice",
		"счет", "question", "вопрос", "problem", "проблема", "thanks", "спасибо", "confirm", "подтвердить",
		"unsubscribed"},
}

// fillers are words that carry no request but do not make a subject less
// likely to be one.
var fillers = toSet(`a an the to for of from with and or on in at by about regarding re my me i im
your you our us we please pls plz kindly all any this that these those it its would like
company website site be is are am do can could may further future hello hi dear immediately now asap urgent
been was per under via pursuant article art gdpr law fz get getting receiving received
receive well also
я мне у обо меня мой моя мои моих мое моего моей моим мною ваш ваша ваши ваших вашей вашего вашу вас
вам вы на о об от по с со и или к ко в во для из за при прошу просьба пожалуйста хотел
хотела бы компании компания сайта сайт все всех всего дальнейшей дальнейшего дальнейшие это этот эта срочно здравствуйте
добрый день также свое своих своего своей фз ст статья закон согласно соответствии рамках
получение получения получать получаю`)

func toSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

type lexEntry struct {
	word, stem []rune
	c          concept
}

var (
	lexicon     []lexEntry
	exactWords  = map[string]concept{}
	exactStems  = map[string]concept{}
	requestMask = cUnsub | cCancel | cDelete | cRevoke | cRevokeWeak | cUpdate | cAccess | cRequest |
		cDSAR | cNews | cMkt | cNew | cStop | cWant | cSubscr | cSend | cNeg | cMore | cPersonal | cData | cField | cConsent |
		cProc | cAccount | cSubject | cRight | cForget | cWhat | cHold
)

func init() {
	for c, ws := range lexiconWords {
		for _, w := range ws {
			st := stem(w)
			exactWords[w] |= c
			exactStems[st] |= c
			lexicon = append(lexicon, lexEntry{word: []rune(w), stem: []rune(st), c: c})
		}
	}
}

// lookup returns the concepts a word carries, matching exactly, by stem, or
// within a typo tolerance; 0 for a word outside the lexicon. cOther words
// are known but carry no request concept; they count as unknown.
func lookup(w string) concept {
	if c, ok := exactWords[w]; ok {
		return c & requestMask
	}
	st := stem(w)
	if c, ok := exactStems[st]; ok {
		return c & requestMask
	}
	wr, sr := []rune(w), []rune(st)
	if len(wr) < 3 {
		return 0
	}
	if len(wr) <= 4 {
		// A short word may be cut off by one letter ("dat", "nam").
		var c concept
		for _, e := range lexicon {
			if len(e.word) == len(wr)+1 && string(e.word[:len(wr)]) == w {
				c |= e.c
			}
		}
		return c & requestMask
	}
	best, bestC := 3, concept(0)
	for _, e := range lexicon {
		if e.word[0] != wr[0] {
			continue
		}
		d := 3
		if t := tolerance(min(len(wr), len(e.word))); t > 0 {
			if x := osa(wr, e.word, t); x <= t {
				d = x
			}
		}
		if t := tolerance(min(len(sr), len(e.stem))); t > 0 {
			if x := osa(sr, e.stem, t); x <= t && x < d {
				d = x
			}
		}
		switch {
		case d < best:
			best, bestC = d, e.c
		case d == best && d < 3:
			bestC |= e.c
		}
	}
	return bestC & requestMask
}

// tolerance is the number of edits allowed for a word of n letters.
func tolerance(n int) int {
	switch {
	case n <= 4:
		return 0
	case n <= 7:
		return 1
	default:
		return 2
	}
}

// osa is the optimal string alignment (restricted Damerau-Levenshtein)
// distance between a and b, or max+1 once it exceeds max.
func osa(a, b []rune, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

var (
	ruEndings = []string{"ться", "тся", "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ях", "ах",
		"ых", "их", "ую", "юю", "ая", "яя", "ое", "ее", "ые", "ие", "ый", "ий", "ой", "ей", "ом", "ем",
		"ам", "ям", "ов", "ев", "ию", "ия", "ии", "ья", "ье", "ью", "ть", "ет", "ут", "ют", "ит", "ат",
		"ят", "им", "у", "ю", "а", "я", "ы", "и", "е", "о", "ь", "й"}
	enEndings = []string{"ations", "ation", "ings", "ing", "ions", "ion", "ed", "es", "s", "e"}
)

// stem strips one common inflectional ending, keeping at least three
// letters. It is deliberately light: typo tolerance covers the rest.
func stem(w string) string {
	endings := enEndings
	if r, _ := utf8.DecodeRuneInString(w); r >= 0x400 && r <= 0x4ff {
		endings = ruEndings
	}
	for _, e := range endings {
		if strings.HasSuffix(w, e) && utf8.RuneCountInString(w)-utf8.RuneCountInString(e) >= 3 {
			if e == "s" && strings.HasSuffix(w, "ss") {
				continue
			}
			return strings.TrimSuffix(w, e)
		}
	}
	return w
}

// sameWord reports whether two words are the same within the typo
// tolerance used for the lexicon.
func sameWord(a, b string) bool {
	if a == b || stem(a) == stem(b) {
		return true
	}
	ar, br := []rune(a), []rune(b)
	if len(ar) == 0 || len(br) == 0 || ar[0] != br[0] {
		return false
	}
	t := tolerance(min(len(ar), len(br)))
	return t > 0 && osa(ar, br, t) <= t
}
