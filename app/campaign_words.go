package app

import (
	"strconv"
	"strings"
	"unicode"
)

// Merge fields in text. A mail client makes links of what looks like a web
// address in text, so a name joined to one ("https://attacker.example/?n="
// followed by {{.Name}}, or {{.Name}} followed by ".attacker.example") would
// carry it away on a click. A merge field in text is judged with the word
// around it: everything that touches it up to whitespace, and up to the
// enclosing angle brackets on its line.

// textWord is a marker in a text and the word around it.
type textWord struct {
	index         int
	before, after string // the rest of the word on either side
	long          bool   // the word is longer than maxWord
}

// maxWord is the longest word around a merge field that is judged; a
// longer one is refused as joined (no real text has one).
const maxWord = 256

// wordsOf finds each marker of a text with the rest of its word: what
// touches it up to whitespace, widened to an enclosing <...> on its line
// (mail clients make one link of "<https://... text>"). It walks the text
// once, so that a text full of markers costs no more than its length.
func (c *mergeChecker) wordsOf(s string) []textWord {
	var out []textWord
	low := strings.ToLower(s)
	sc := &textScan{s: s}
	for from := 0; ; {
		k := strings.Index(low[from:], c.prefix)
		if k < 0 {
			return out
		}
		i := from + k
		z := strings.IndexByte(low[i+len(c.prefix):], 'z')
		if z < 0 {
			return out
		}
		j := i + len(c.prefix) + z + 1
		n, err := strconv.Atoi(low[i+len(c.prefix) : j-1])
		from = j
		if err != nil || n < 0 || n >= len(c.actions) {
			continue
		}
		sc.advance(i)
		lo, hi := sc.lastSpace+1, sc.next(j, aheadSpace)
		lineHi := sc.next(j, aheadNL)
		if sc.lastLT > sc.lastNL && sc.lastLT > sc.lastGT {
			if gt := sc.next(j, aheadGT); gt < lineHi && gt < sc.next(j, aheadLT) {
				lo, hi = min(lo, sc.lastLT), max(hi, gt+1)
			}
		}
		w := textWord{index: n}
		if i-lo+hi-j > maxWord {
			w.long = true
		} else {
			w.before, w.after = s[lo:i], s[j:hi]
		}
		out = append(out, w)
	}
}

// What textScan.next looks for.
const (
	aheadSpace = iota
	aheadNL
	aheadLT
	aheadGT
)

var aheadMatch = [...]func(rune) bool{
	aheadSpace: unicode.IsSpace,
	aheadNL:    func(r rune) bool { return r == '\n' },
	aheadLT:    func(r rune) bool { return r == '<' },
	aheadGT:    func(r rune) bool { return r == '>' },
}

// textScan walks a text forwards, keeping the last space, line break and
// angle brackets behind its position, and the next ones ahead of it.
type textScan struct {
	s                                 string
	pos                               int
	lastSpace, lastNL, lastLT, lastGT int
	ahead                             [4][2]int // per search: its last start+1 and result
}

// advance moves the position forward to i.
func (t *textScan) advance(i int) {
	if t.pos == 0 {
		t.lastSpace, t.lastNL, t.lastLT, t.lastGT = -1, -1, -1, -1
	}
	for k, r := range t.s[t.pos:i] {
		at := t.pos + k
		switch {
		case r == '\n':
			t.lastNL, t.lastSpace = at, at
		case r == '<':
			t.lastLT = at
		case r == '>':
			t.lastGT = at
		case unicode.IsSpace(r):
			t.lastSpace = at
		}
	}
	t.pos = max(t.pos, i)
}

// next returns the index of the first rune at or after from that the
// search kind matches (len(s) when none). Searches start at increasing
// positions, so a result still ahead of from is reused.
func (t *textScan) next(from, kind int) int {
	if prev := t.ahead[kind]; prev[0] > 0 && prev[0]-1 <= from && prev[1] >= from {
		return prev[1]
	}
	res := len(t.s)
	if k := strings.IndexFunc(t.s[from:], aheadMatch[kind]); k >= 0 {
		res = from + k
	}
	t.ahead[kind] = [2]int{from + 1, res}
	return res
}

// judgeText decides whether a merge field in text may stand where it
// does: a name not joined to a web address; a link field standing apart
// (only punctuation touching it), and not in the subject.
func (c *mergeChecker) judgeText(w textWord, mode partMode) (place, bool) {
	if w.long {
		return place{kind: placeJoined}, false
	}
	if c.actions[w.index].field != mergeName {
		if mode == modeSubject {
			return place{kind: placeSubject}, false
		}
		if strings.ContainsFunc(w.before+w.after, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			return place{kind: placeJoined}, false
		}
		return place{}, true
	}
	word := w.before + "x" + w.after
	if strings.ContainsAny(word, `/\@`) {
		return place{kind: placeJoined}, false
	}
	rs := []rune(word)
	for k := 0; k+1 < len(rs); k++ {
		switch rs[k] {
		case '.', '。', '．', '｡':
			if unicode.IsLetter(rs[k+1]) || unicode.IsDigit(rs[k+1]) {
				return place{kind: placeJoined}, false
			}
		}
	}
	return place{}, true
}
