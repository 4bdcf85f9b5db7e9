package inbound

import (
	"strings"
	"unicode"
)

// Russian written in Latin letters.
//
// People who cannot type Cyrillic (a foreign keyboard, a phone without the
// layout) write Russian in Latin letters, in no one standard: "Otkaz ot
// rassylki", "Otzyv soglasiya na obrabotku personalnyh dannyh",
// "Aktualizatsiya personalnykh dannykh", "udalit' moi dannye". cyrillicize
// spells such text back in Cyrillic by the common systems together (the
// passport system, GOST 7.79, BGN/PCGN, ISO 9 without diacritics, and the
// habits of chat): multi-letter groups first ("shch", "zh", "kh", "ts",
// "ya"/"ia"/"ja", ...), then single letters. Where the systems disagree
// ("y" for ы or й, "i" for и or ы, "h" for х) it picks the likelier reading;
// the lexicon's typo tolerance absorbs the rest.

var translitGroups = []struct{ lat, cyr string }{
	{"shch", "щ"}, {"tsya", "тся"}, {"tsja", "тся"}, {"sch", "щ"}, {"iya", "ия"}, {"ija", "ия"}, {"iia", "ия"},
	{"iyu", "ию"}, {"iju", "ию"}, {"iye", "ие"}, {"zh", "ж"}, {"kh", "х"}, {"ts", "ц"}, {"ch", "ч"}, {"sh", "ш"},
	{"yu", "ю"}, {"ju", "ю"}, {"ya", "я"}, {"ja", "я"}, {"yo", "е"}, {"jo", "е"}, {"je", "е"},
	{"yi", "ый"}, {"iy", "ий"}, {"ij", "ий"}, {"yj", "ый"}, {"ay", "ай"}, {"oy", "ой"}, {"ey", "ей"}, {"uy", "уй"},
	{"x", "кс"}, {"w", "в"}, {"q", "к"},
}

var translitLetters = map[rune]string{
	'a': "а", 'b': "б", 'c': "ц", 'd': "д", 'e': "е", 'f': "ф", 'g': "г", 'h': "х", 'i': "и", 'j': "й",
	'k': "к", 'l': "л", 'm': "м", 'n': "н", 'o': "о", 'p': "п", 'r': "р", 's': "с", 't': "т", 'u': "у",
	'v': "в", 'y': "ы", 'z': "з",
}

// cyrillicize spells the Latin words of s in Cyrillic, lower-cased; other
// words are kept. An apostrophe inside a word is a soft sign.
func cyrillicize(s string) string {
	s = strings.ToLower(s)
	var out strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		if (r == '\'' || r == '’') && i > 0 && isLatin(rs[i-1]) {
			out.WriteString("ь")
			i++
			continue
		}
		if !isLatin(r) {
			out.WriteRune(r)
			i++
			continue
		}
		// "ye" is е at the start of a word or after a vowel ("yesli",
		// "moye"); after a consonant, ые at the end of a word ("dannye",
		// "novye") and ье inside one ("Vasilyev").
		if r == 'y' && i+1 < len(rs) && rs[i+1] == 'e' {
			switch {
			case i == 0 || !isLatin(rs[i-1]) || strings.ContainsRune("aeiouy", rs[i-1]):
				out.WriteString("е")
			case i+2 >= len(rs) || !isLatin(rs[i+2]):
				out.WriteString("ые")
			default:
				out.WriteString("ье")
			}
			i += 2
			continue
		}
		matched := false
		for _, g := range translitGroups {
			if strings.HasPrefix(string(rs[i:min(len(rs), i+len(g.lat))]), g.lat) {
				out.WriteString(g.cyr)
				i += len(g.lat)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if c, ok := translitLetters[r]; ok {
			out.WriteString(c)
		} else {
			out.WriteRune(r)
		}
		i++
	}
	return out.String()
}

func isLatin(r rune) bool { return r < 0x80 && unicode.IsLetter(r) }

// hasLatinWord reports whether s has a word of Latin letters.
func hasLatinWord(s string) bool {
	for _, r := range s {
		if isLatin(r) {
			return true
		}
	}
	return false
}
