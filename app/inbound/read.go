package inbound

import (
	"regexp"
	"slices"
	"strings"

	"newsletter/app"
)

// Reading is what a person's message asks for, read from its subject and
// from the text the person wrote.
type Reading struct {
	// Classification is the request: its Kind is app.KindUnknown when the
	// message is unclear or Review is set; Lang is the language of the
	// words that decided (the subject's, else the person's text's). The
	// Token of our mailto subject is kept even when Review is set, for a
	// privacy officer's assignment as an opt-out.
	Classification
	// Kinds lists the kinds asked for when the message asks for several
	// (Review is then app.ReviewSeveral).
	Kinds []app.RequestKind
	// Review says why a person must read the message although it asks for
	// something: app.ReviewOtherPerson, app.ReviewContrary or
	// app.ReviewSeveral; "" otherwise.
	Review string
}

// Read reads a message as its sender wrote it: the subject (Classify) and
// the person's own text (m.Text: quoted replies, our own campaign quoted
// below, forwarded messages and signatures are not part of it), sentence by
// sentence, in English and Russian, also Russian written in Latin letters.
//
//   - A clear request in the subject or the text, and nothing else asked,
//     is that request.
//   - A message whose text names another person ("my wife", "от имени
//     мамы", "she") or another address than the sender's ("my other
//     address", an address written out, a forwarded message from someone
//     else) goes to review: acting on the sender could be the opposite of
//     what was asked.
//   - A message whose text asks not to act ("do not unsubscribe me", "не
//     отписывайте") or to keep mail coming ("keep sending to this one")
//     goes to review.
//   - A message that asks for several different things (sentence by
//     sentence, and clause by clause: "unsubscribe me and tell me what you
//     hold") goes to review, with the kinds it asks for; a revocation
//     includes the end of advertising asked with it.
//
// own lists our own addresses (MAIL_FROM, OPERATOR_EMAIL): they and their
// domains are never "another address".
func Read(m *Message, own []string) Reading {
	subj := Classify(m.Subject)
	rd := Reading{Classification: subj}
	ours := ownAddresses(m, own)

	var body []app.RequestKind
	sig, bodyLang := 0, ""
	for _, s := range sentences(m.Text) {
		for _, part := range append([]string{s}, clauses(s)...) {
			k, sg, lang := readSentence(part)
			if k != app.KindUnknown && !slices.Contains(body, k) {
				body = append(body, k)
				if bodyLang == "" {
					bodyLang = lang
				}
			}
			sig |= sg
		}
	}
	if namesOtherAddress(m, ours) {
		sig |= sigOtherAddress
	}

	kinds := body
	if subj.Kind != app.KindUnknown {
		kinds = append([]app.RequestKind{subj.Kind}, slices.DeleteFunc(slices.Clone(body), func(k app.RequestKind) bool {
			return k == subj.Kind
		})...)
	}
	if slices.Contains(kinds, app.KindConsentRevocation) {
		// Revoking consent ends the advertising too.
		kinds = slices.DeleteFunc(kinds, func(k app.RequestKind) bool { return k == app.KindMarketingOptout })
	}
	if subj.Kind == app.KindUnknown && len(body) > 0 {
		rd.Lang = bodyLang
	}
	switch {
	case len(kinds) == 0:
		rd.Kind, rd.Score = app.KindUnknown, 0
	case sig&(sigOtherPerson|sigOtherAddress) != 0:
		rd.Kind, rd.Score, rd.Review, rd.Kinds = app.KindUnknown, 0, app.ReviewOtherPerson, kinds
	case sig&(sigKeep|sigNotAct) != 0:
		rd.Kind, rd.Score, rd.Review, rd.Kinds = app.KindUnknown, 0, app.ReviewContrary, kinds
	case len(kinds) > 1:
		rd.Kind, rd.Score, rd.Review, rd.Kinds = app.KindUnknown, 0, app.ReviewSeveral, kinds
	default:
		rd.Kind = kinds[0]
		if subj.Kind == app.KindUnknown {
			rd.Score = 0.5 // from the text alone
		}
	}
	return rd
}

// known counts the words of the lexicon and the fillers.
func known(words []string) int {
	n := 0
	for _, w := range words {
		if fillers[w] || lookup(w) != 0 {
			n++
		}
	}
	return n
}

var sentenceEndRe = regexp.MustCompile(`[.!?;…]+(?:\s+|$)|\n`)

// maxSentences bounds the sentences of a message that are read.
const maxSentences = 60

// sentences splits text into sentences (and lines).
func sentences(text string) []string {
	var out []string
	for _, s := range sentenceEndRe.Split(truncateRunes(text, 20000), -1) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
			if len(out) == maxSentences {
				break
			}
		}
	}
	return out
}

// Words that name another person than the writer.
var otherPersonWords = toSet(`wife husband spouse partner son daughter mother mom mum father dad parents
brother sister colleague colleagues friend boss employee employees child children kid kids grandmother
grandfather girlfriend boyfriend she her hers he him his behalf
жена жены жене жену женой муж мужа мужу мужем супруг супруга супругу супруги супругой сын сына сыну
дочь дочери дочка дочки дочку мама мамы маме маму мамой мать матери отец отца отцу папа папы папе папу
родители родителей брат брата брату сестра сестры сестре сестру коллега коллеги коллегу друг друга
подруга подруги подругу начальник начальника сотрудник сотрудника сотрудников ребенок ребенка дети
детей бабушка бабушки бабушку дедушка дедушки дедушку`)

// Words that, before an address word, mean an address other than this one.
var (
	otherQualifiers = toSet(`other another second old former previous work different alternate alternative
другой другого другому другим другую второй второго второму вторую старый старого старому старую
прежний прежнего прежнему прежнюю рабочий рабочего рабочему рабочую`)
	addressNouns = toSet(`address addresses email emails mail mailbox account inbox
адрес адреса адресу адресом почту почта почты ящик ящика ящику аккаунт аккаунта емейл имейл`)
	keepWords = toSet(`keep continue продолжайте продолжать продолжите оставьте оставить сохраните`)
	keepWhat  = toSet(`this one subscribed этот эту этом это подписанным подписанной`)
	// Words allowed between "not" and the action it negates: "do not want
	// to unsubscribe", "не надо отписывать".
	negGap = toSet(`want wish need to me my me надо нужно хочу меня мою мой`)
)

// What a sentence says besides its request.
const (
	sigOtherPerson  = 1 << iota // names another person
	sigOtherAddress             // names another address
	sigKeep                     // asks to keep mail coming
	sigNotAct                   // asks not to act ("do not unsubscribe")
)

// readSentence reads one sentence (or clause): its request, what else it
// says (sig*), and its language. Russian in Latin letters is read as
// Russian when it reads better so.
func readSentence(s string) (app.RequestKind, int, string) {
	words := tokenize(s)
	k, _ := decide(words)
	sig, lang := signals(words), detectLang(s)
	if hasLatinWord(s) {
		if cw := tokenize(cyrillicize(s)); known(cw) > known(words) {
			if k == app.KindUnknown {
				k, _ = decide(cw)
			}
			sig |= signals(cw)
			lang = "ru"
		}
	}
	return k, sig, lang
}

var clauseRe = regexp.MustCompile(`(?i)(?:,\s*|\s+)(?:and also|and then|and|also|as well as|plus|а также|и ещё|и еще|и|а|также)\s+|,\s+`)

// clauses splits a sentence at its conjunctions and commas: "unsubscribe
// me and tell me what you hold" asks two things. A sentence of one clause
// gives none.
func clauses(s string) []string {
	parts := clauseRe.Split(s, 8)
	if len(parts) < 2 {
		return nil
	}
	return parts
}

// signals reports, for the words of one sentence, whether they name another
// person or address, or ask to keep mail coming or not to act (sig*).
func signals(words []string) int {
	sig := 0
	cs := make([]concept, len(words))
	keepable := false // a word that mail may be kept for
	for i, w := range words {
		cs[i] = lookup(w)
		keepable = keepable || keepWhat[w] || cs[i]&(cSend|cNews|cMkt|cSubscr) != 0
	}
	for i, w := range words {
		if otherPersonWords[w] {
			sig |= sigOtherPerson
		}
		if i+1 < len(words) && ((w == "от" && words[i+1] == "имени") || (w == "on" && words[i+1] == "behalf")) {
			sig |= sigOtherPerson
		}
		if otherQualifiers[w] {
			for j := i + 1; j < len(words) && j <= i+3; j++ {
				if addressNouns[words[j]] {
					sig |= sigOtherAddress
				}
			}
		}
		if keepWords[w] && keepable {
			sig |= sigKeep
		}
		if cs[i]&cNeg != 0 {
			for j := i + 1; j < len(words) && j <= i+4; j++ {
				c := cs[j]
				if c&(cUnsub|cCancel|cDelete|cRevoke) != 0 && c&cSend == 0 {
					sig |= sigNotAct
					break
				}
				if !negGap[words[j]] {
					break
				}
			}
		}
	}
	return sig
}

// ownAddresses are the addresses that are never "another address": ours,
// and the ones the message was sent to.
func ownAddresses(m *Message, own []string) []string {
	out := slices.Clone(m.To)
	for _, a := range own {
		if addr, _ := parseAddress(a); addr != "" {
			out = append(out, addr)
		}
	}
	return out
}

// namesOtherAddress reports whether the person's text writes out an address
// other than the sender's and ours, or forwards a message from another
// person.
func namesOtherAddress(m *Message, ours []string) bool {
	isOurs := func(a string) bool {
		if strings.EqualFold(a, m.From) {
			return true
		}
		for _, o := range ours {
			if strings.EqualFold(a, o) || strings.EqualFold(domainOf(a), domainOf(o)) {
				return true
			}
		}
		return false
	}
	for _, a := range addrSpecRe.FindAllString(m.Text, 20) {
		if !isOurs(normalizeAddress(a)) {
			return true
		}
	}
	return m.Forwarded != nil && m.Forwarded.From != "" && !isOurs(m.Forwarded.From)
}
