package inbound

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"newsletter/app"
)

// TokenPrefix opens the token that a List-Unsubscribe mailto subject carries:
// the subject ends with " [u:TOKEN]".
const TokenPrefix = "u:"

// Classification is what a subject line asks for.
type Classification struct {
	// Kind is the request kind; app.KindUnknown when the subject is not a
	// request or is ambiguous.
	Kind app.RequestKind
	// Lang is "ru" for a subject written mostly in Cyrillic, else "en".
	Lang string
	// Token is the token of our own List-Unsubscribe mailto subject, "" when
	// absent. A token makes the request a marketing opt-out whatever the
	// rest of the subject says; it still has to be checked by the caller.
	Token string
	// Score is how closely the subject matches the nearest canonical subject
	// of Kind, from 0 to 1 (1 for a token or an exact policy subject).
	Score float64
}

// The policy's subjects, by language.
var policySubjects = map[string]map[app.RequestKind]string{
	"en": {
		app.KindMarketingOptout:   "Cancel Newsletter with New Products, Services and Special Offers",
		app.KindDataUpdate:        "Updating Personal Data",
		app.KindConsentRevocation: "Revoking the Agreement to Personal Data Processing",
		app.KindAccess:            "Access to Personal Data",
	},
	"ru": {
		app.KindMarketingOptout:   "Отказ от рассылки о новых продуктах, услугах и специальных предложениях",
		app.KindDataUpdate:        "Актуализация персональных данных",
		app.KindConsentRevocation: "Отзыв согласия на обработку персональных данных",
		app.KindAccess:            "Доступ к персональным данным",
	},
}

// PolicySubject returns the policy's subject line for kind in lang ("ru" or
// "en"; anything else is English); "" for app.KindUnknown.
func PolicySubject(kind app.RequestKind, lang string) string {
	if lang != "ru" {
		lang = "en"
	}
	return policySubjects[lang][kind]
}

// MailtoSubject returns the subject of our List-Unsubscribe mailto link: the
// policy's opt-out subject in lang followed by " [u:TOKEN]". token must
// consist of [A-Za-z0-9_.-]; the caller percent-encodes the subject for the
// mailto URI.
func MailtoSubject(lang, token string) string {
	return PolicySubject(app.KindMarketingOptout, lang) + " [" + TokenPrefix + token + "]"
}

var (
	tokenRe = regexp.MustCompile(`\[\s*[uU]:([A-Za-z0-9_.\-]{1,512})\s*\]`)
	// Reply and forward prefixes: Re:, RE[2]:, Fwd:, FW:, AW:, WG:, SV:,
	// VS:, Antw:, RV:, TR:, Ответ:, Отв:, Пересл:, Переслано:.
	prefixRe   = regexp.MustCompile(`(?i)^\s*(re|fw|fwd|aw|wg|sv|vs|antw|rv|tr|ref|отв|ответ|пересл|переслано|перес)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*`)
	leadTagRe  = regexp.MustCompile(`^\s*(?:\[[^\]]{0,60}\]|\*{3}[^*]{0,40}\*{3})\s*`)
	trailTagRe = regexp.MustCompile(`\s*\[[^\]]{0,60}\]\s*$`)
	emailURLRe = regexp.MustCompile(`(?i)\S+@\S+|https?://\S+|www\.\S+`)
)

var forwardPrefixes = map[string]bool{"fw": true, "fwd": true, "wg": true, "tr": true, "rv": true, "пересл": true, "переслано": true, "перес": true}

// stripPrefixes removes reply/forward prefixes and leading [tags], repeated.
func stripPrefixes(s string) (rest string, forwarded bool) {
	for i := 0; i < 20; i++ {
		if m := prefixRe.FindStringSubmatch(s); m != nil {
			if forwardPrefixes[strings.ToLower(m[1])] {
				forwarded = true
			}
			s = s[len(m[0]):]
			continue
		}
		if m := leadTagRe.FindString(s); m != "" {
			s = s[len(m):]
			continue
		}
		break
	}
	for i := 0; i < 5; i++ {
		t := trailTagRe.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	return strings.TrimSpace(s), forwarded
}

func hasForwardPrefix(subject string) bool {
	_, f := stripPrefixes(subject)
	return f
}

// Classify reads a subject line: the policy's subjects in English and
// Russian (also written in Latin letters: "Otkaz ot rassylki") and the
// usual ways people shorten or garble them (reply and forward prefixes,
// tags, case, quotes, punctuation, missing or extra words, small typos),
// plain "unsubscribe"/"отписаться"/"stop", access requests (also asked as a
// question: "What personal data do you hold about me?"), and our own
// List-Unsubscribe mailto subject with its token.
//
// Words are normalized, lightly stemmed and matched against a lexicon of
// request concepts with a Damerau-Levenshtein tolerance that grows with word
// length. A kind needs its action ("cancel", "revoke", "update", "access",
// ...) together with a matching object ("newsletter", "consent", "personal
// data", ...), and few words that belong to no request; a subject that fits
// two kinds is ambiguous. Everything else is app.KindUnknown: a person
// reviews it.
func Classify(subject string) Classification {
	subject = cleanSubject(subject)
	c := Classification{Kind: app.KindUnknown}
	if m := tokenRe.FindStringSubmatch(subject); m != nil {
		c.Token = m[1]
		subject = tokenRe.ReplaceAllString(subject, " ")
	}
	rest, _ := stripPrefixes(subject)
	rest = emailURLRe.ReplaceAllString(truncateRunes(rest, maxSubjectBytes), " ")
	c.Lang = detectLang(rest)
	if c.Token != "" {
		c.Kind, c.Score = app.KindMarketingOptout, 1
		return c
	}
	c.Kind, c.Score = decide(tokenize(rest))
	if c.Kind == app.KindUnknown && hasLatinWord(rest) {
		// Russian written in Latin letters.
		if k, sc := decide(tokenize(cyrillicize(rest))); k != app.KindUnknown {
			c.Kind, c.Score, c.Lang = k, sc, "ru"
		}
	}
	return c
}

// maxSubjectBytes bounds the part of a subject that is classified.
const maxSubjectBytes = 1000

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func detectLang(s string) string {
	cyr, lat := 0, 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.Is(unicode.Latin, r):
			lat++
		}
	}
	if cyr > lat {
		return "ru"
	}
	return "en"
}

// Latin letters that look like Cyrillic ones, and back: a Russian word typed
// with a stray Latin "о" or "с" is still that word.
var (
	latToCyr = map[rune]rune{'a': 'а', 'c': 'с', 'e': 'е', 'o': 'о', 'p': 'р', 'x': 'х', 'y': 'у', 'k': 'к', 'm': 'м', 't': 'т', 'h': 'н', 'b': 'в'}
	cyrToLat = map[rune]rune{'а': 'a', 'с': 'c', 'е': 'e', 'о': 'o', 'р': 'p', 'х': 'x', 'у': 'y', 'к': 'k', 'м': 'm', 'т': 't', 'н': 'h', 'в': 'b'}
)

// tokenize lower-cases s and splits it into words of letters, fixing mixed
// scripts and joining split compounds ("opt out", "e-mail").
func tokenize(s string) []string {
	s = strings.ToLower(s)
	s = strings.NewReplacer("ё", "е", "'", "", "’", "", "`", "").Replace(s)
	fields := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	var words []string
	for _, f := range fields {
		words = append(words, fixScript(f))
		if len(words) >= 40 {
			break
		}
	}
	joined := words[:0:0]
	for i := 0; i < len(words); i++ {
		if i+1 < len(words) {
			if j, ok := compounds[words[i]+" "+words[i+1]]; ok {
				joined = append(joined, j)
				i++
				continue
			}
		}
		joined = append(joined, words[i])
	}
	return joined
}

var compounds = map[string]string{
	"opt out": "optout", "e mail": "email", "e mails": "emails", "news letter": "newsletter",
	"news letters": "newsletters", "un subscribe": "unsubscribe", "mailing list": "mailinglist",
	"ф и": "фи", "и о": "ио",
}

func fixScript(w string) string {
	cyr, lat := 0, 0
	for _, r := range w {
		if unicode.Is(unicode.Cyrillic, r) {
			cyr++
		} else if unicode.Is(unicode.Latin, r) {
			lat++
		}
	}
	if cyr == 0 || lat == 0 {
		return w
	}
	table := latToCyr
	if lat > cyr {
		table = cyrToLat
	}
	return strings.Map(func(r rune) rune {
		if t, ok := table[r]; ok {
			return t
		}
		return r
	}, w)
}

// decide maps the words of a subject to a kind.
func decide(words []string) (app.RequestKind, float64) {
	var (
		have    concept
		known   int // words that carry a concept
		unknown int // words that are neither concepts nor filler
		content []string
	)
	for i, w := range words {
		if fillers[w] {
			continue
		}
		c := lookup(w)
		if c == 0 {
			unknown++
			continue
		}
		// "no" and "not" only negate a following verb.
		if c == cNeg && i == len(words)-1 {
			continue
		}
		have |= c
		known++
		content = append(content, w)
	}
	has := func(c concept) bool { return have&c != 0 }

	var (
		unsub    = has(cUnsub | cStop)
		cancel   = has(cCancel) || (has(cNeg) && has(cSend|cMore|cWant))
		del      = has(cDelete)
		proc     = has(cConsent | cProc)
		pdata    = has(cPersonal | cData)
		revoke   = has(cRevoke) || (has(cRevokeWeak) && (proc || pdata))
		update   = has(cUpdate)
		access   = has(cAccess) || has(cDSAR)
		request  = has(cRequest)
		mkt      = has(cNews | cMkt | cNew | cSubscr | cSend)
		field    = has(cField)
		account  = has(cAccount)
		subject  = has(cSubject)
		forget   = has(cRight) && has(cForget)
		anyOther = update || access
	)

	kinds := map[app.RequestKind]bool{}
	budget := func(k int) bool { return unknown <= (k-1)/2 }
	// Consent revocation: stop all processing.
	if ((revoke || cancel || unsub || del) && proc && !mkt) ||
		((revoke || del || cancel) && (pdata || account) && !mkt && !update && !access) ||
		forget {
		if budget(known) {
			kinds[app.KindConsentRevocation] = true
		}
	}
	// Marketing opt-out: stop marketing mail.
	optoutBudget := unknown <= known/2 || (has(cUnsub) && unknown <= 1)
	if optoutBudget && !anyOther {
		switch {
		case (unsub || cancel || del) && mkt && !pdata && !proc:
			kinds[app.KindMarketingOptout] = true
		case has(cRevoke) && has(cNews|cSubscr) && !pdata && !proc:
			kinds[app.KindMarketingOptout] = true
		case (revoke || cancel || unsub) && proc && mkt && !pdata:
			// Withdrawing the consent to advertising is an opt-out (38-FZ).
			kinds[app.KindMarketingOptout] = true
		case unsub && !pdata && !proc && !field && !account && !del:
			kinds[app.KindMarketingOptout] = true
		}
		if proc && mkt && pdata && (revoke || cancel || unsub) {
			kinds[app.KindMarketingOptout] = true // and revocation: ambiguous
			kinds[app.KindConsentRevocation] = true
		}
	}
	// Data update.
	if update && (pdata || field || account) && !has(cMkt) && !revoke && !del && !unsub && budget(known) {
		kinds[app.KindDataUpdate] = true
		if cancel && mkt {
			kinds[app.KindMarketingOptout] = true // two requests in one: ambiguous
		}
	}
	// Access.
	if budget(known) && !update && !revoke && !del && !unsub && !cancel {
		if (access && (pdata || field || subject || has(cDSAR))) || (request && pdata) ||
			(has(cWhat) && has(cHold) && (pdata || field)) {
			kinds[app.KindAccess] = true
		}
	}
	if len(kinds) != 1 {
		return app.KindUnknown, 0
	}
	for k := range kinds {
		precision := float64(known) / float64(known+unknown)
		return k, (score(k, content, known+unknown) + precision) / 2
	}
	return app.KindUnknown, 0
}

// score compares the matched words with the canonical subjects of kind
// (Dice coefficient over concept-bearing words).
func score(kind app.RequestKind, content []string, total int) float64 {
	best := 0.0
	for _, canon := range canonicalWords[kind] {
		used := make([]bool, len(canon))
		match := 0
		for _, w := range content {
			for i, cw := range canon {
				if !used[i] && sameWord(w, cw) {
					used[i] = true
					match++
					break
				}
			}
		}
		if d := 2 * float64(match) / float64(len(canon)+total); d > best {
			best = d
		}
	}
	if best > 1 {
		best = 1
	}
	return best
}

// canonicalWords holds the concept-bearing words of the canonical subjects.
var canonicalWords = func() map[app.RequestKind][][]string {
	phrases := map[app.RequestKind][]string{
		app.KindMarketingOptout: {
			policySubjects["en"][app.KindMarketingOptout], policySubjects["ru"][app.KindMarketingOptout],
			"unsubscribe", "отписаться", "отписка", "stop",
		},
		app.KindDataUpdate:        {policySubjects["en"][app.KindDataUpdate], policySubjects["ru"][app.KindDataUpdate]},
		app.KindConsentRevocation: {policySubjects["en"][app.KindConsentRevocation], policySubjects["ru"][app.KindConsentRevocation]},
		app.KindAccess: {
			policySubjects["en"][app.KindAccess], policySubjects["ru"][app.KindAccess],
			"Request for my data", "Запрос персональных данных", "Subject access request",
		},
	}
	out := map[app.RequestKind][][]string{}
	for k, ps := range phrases {
		for _, p := range ps {
			var ws []string
			for _, w := range tokenize(p) {
				if !fillers[w] {
					ws = append(ws, w)
				}
			}
			out[k] = append(out[k], ws)
		}
	}
	return out
}()
