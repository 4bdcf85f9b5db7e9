package inbound

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset" // also registers every common charset with go-message
	"golang.org/x/text/encoding/charmap"
)

// wordDecoder decodes RFC 2047 words in any charset go-message knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

var encodedWordRe = regexp.MustCompile(`=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=`)

// decodeHeader decodes RFC 2047 encoded words. Unlike mime.WordDecoder it
// joins adjacent words of one charset before converting them, so a
// multi-byte character split across two words (as some mailers write them)
// survives. Raw 8-bit values that are not UTF-8 are guessed.
func decodeHeader(s string) string {
	if !strings.Contains(s, "=?") {
		if utf8.ValidString(s) {
			return s
		}
		return guess8bit([]byte(s))
	}
	var (
		out        strings.Builder
		pendCS     string
		pend       []byte
		prevWasEnc bool
		last       int
	)
	flush := func() {
		if pend != nil {
			out.WriteString(toUTF8(pendCS, pend))
			pend = nil
		}
	}
	for _, loc := range encodedWordRe.FindAllStringSubmatchIndex(s, -1) {
		gap := s[last:loc[0]]
		if !(prevWasEnc && strings.TrimSpace(gap) == "") {
			flush()
			out.WriteString(rawText(gap))
		}
		cs := s[loc[2]:loc[3]]
		if i := strings.IndexByte(cs, '*'); i >= 0 { // RFC 2231 language suffix
			cs = cs[:i]
		}
		b, ok := decodeWord(s[loc[4]:loc[5]], s[loc[6]:loc[7]])
		last = loc[1]
		if !ok {
			flush()
			out.WriteString(s[loc[0]:loc[1]])
			prevWasEnc = false
			continue
		}
		if pend != nil && !strings.EqualFold(cs, pendCS) {
			flush()
		}
		pendCS = cs
		if pend == nil {
			pend = make([]byte, 0, len(b))
		}
		pend = append(pend, b...)
		prevWasEnc = true
	}
	flush()
	out.WriteString(rawText(s[last:]))
	return out.String()
}

func rawText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return guess8bit([]byte(s))
}

func decodeWord(enc, text string) ([]byte, bool) {
	switch enc {
	case "b", "B":
		text = strings.TrimRight(text, "=")
		b, err := base64.RawStdEncoding.DecodeString(text)
		if err != nil {
			return nil, false
		}
		return b, true
	default:
		var out []byte
		for i := 0; i < len(text); i++ {
			c := text[i]
			switch {
			case c == '_':
				out = append(out, ' ')
			case c == '=' && i+2 < len(text):
				hi, ok1 := unhex(text[i+1])
				lo, ok2 := unhex(text[i+2])
				if !ok1 || !ok2 {
					out = append(out, c)
					continue
				}
				out = append(out, hi<<4|lo)
				i += 2
			default:
				out = append(out, c)
			}
		}
		return out, true
	}
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// toUTF8 converts b from the named charset; unknown charsets and invalid
// UTF-8 are guessed.
func toUTF8(cs string, b []byte) string {
	switch strings.ToLower(cs) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		if utf8.Valid(b) {
			return string(b)
		}
		return guess8bit(b)
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		if utf8.Valid(b) {
			return string(b)
		}
		return guess8bit(b)
	}
	out, err := io.ReadAll(r)
	if err != nil || !utf8.Valid(out) {
		return guess8bit(b)
	}
	return string(out)
}

// guess8bit decodes undeclared 8-bit text. Mail in this product is Russian
// or English, so the candidates are the two common Cyrillic encodings; the
// one yielding more lower-case Cyrillic letters (ordinary prose is mostly
// lower case) wins. Text that reads as neither is taken as windows-1252.
func guess8bit(b []byte) string {
	var (
		best      string
		bestScore = -1
		high      int
	)
	for _, c := range b {
		if c >= 0x80 {
			high++
		}
	}
	for _, cm := range []*charmap.Charmap{charmap.Windows1251, charmap.KOI8R} {
		s, err := cm.NewDecoder().String(string(b))
		if err != nil {
			continue
		}
		score := 0
		for _, r := range s {
			if (r >= 'а' && r <= 'я') || r == 'ё' {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = s, score
		}
	}
	if high > 0 && (bestScore*2 < high || latinWords(b)) {
		if s, err := charmap.Windows1252.NewDecoder().String(string(b)); err == nil {
			return s
		}
	}
	if bestScore < 0 {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return best
}

// latinWords reports text whose 8-bit letters sit inside words of ASCII
// letters ("M\xfcnchen"), as in Western European text, rather than forming
// words of their own as Cyrillic does.
func latinWords(b []byte) bool {
	mixed, own := 0, 0
	word := func(ascii, high bool) {
		switch {
		case ascii && high:
			mixed++
		case high:
			own++
		}
	}
	ascii, high := false, false
	for _, c := range b {
		switch {
		case c >= 0x80:
			high = true
		case (c|0x20) >= 'a' && (c|0x20) <= 'z':
			ascii = true
		default:
			word(ascii, high)
			ascii, high = false, false
		}
	}
	word(ascii, high)
	return mixed > own
}
