package mail

// appendQP appends s encoded as quoted-printable text (RFC 2045 section 6.7):
// line breaks (LF or CRLF) become CRLF, encoded lines stay within 76
// characters, and "=", control characters, 8-bit bytes and whitespace before
// a line break are written as =XX. It copies runs of printable ASCII at
// once, which makes it several times faster than mime/quotedprintable.
func appendQP(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	const max = 75 // characters before a soft line break "=" (76 with it)
	n := 0         // length of the current output line
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n' || c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			dst = append(dst, '\r', '\n')
			n = 0
			if c == '\r' {
				i++
			}
			i++
			continue
		case qpLiteral[c] == '1':
			// A run of printable characters, up to the room left on the line.
			if n == max {
				dst = append(dst, '=', '\r', '\n')
				n = 0
			}
			j, end := i+1, min(len(s), i+max-n)
			for j < end && qpLiteral[s[j]] == '1' {
				j++
			}
			dst = append(dst, s[i:j]...)
			n += j - i
			i = j
			continue
		case (c == ' ' || c == '\t') && !atLineEnd(s, i+1):
			if n+1 > max {
				dst = append(dst, '=', '\r', '\n')
				n = 0
			}
			dst = append(dst, c)
			n++
		default:
			// A run of bytes written as =XX (the bytes of a letter outside
			// ASCII come together), as many as the line has room for.
			for {
				if n+3 > max {
					dst = append(dst, '=', '\r', '\n')
					n = 0
				}
				dst = append(dst, '=', hex[c>>4], hex[c&0x0f])
				n += 3
				i++
				if i == len(s) || s[i] < 0x80 {
					break
				}
				c = s[i]
			}
			continue
		}
		i++
	}
	return dst
}

// qpLiteral marks with '1' the bytes quoted-printable writes as they are
// ("!" to "~" except "="), by value.
const qpLiteral = "" +
	"0000000000000000" + "0000000000000000" + // control characters
	"0111111111111111" + "1111111111111011" + // " " to "/", "0" to "?" (not "=")
	"1111111111111111" + "1111111111111111" + // "@" to "_"
	"1111111111111111" + "1111111111111110" + // "`" to "~", not DEL
	"0000000000000000" + "0000000000000000" + "0000000000000000" + "0000000000000000" +
	"0000000000000000" + "0000000000000000" + "0000000000000000" + "0000000000000000"

// atLineEnd reports whether position i of s is a line break or the end.
func atLineEnd(s string, i int) bool {
	return i >= len(s) || s[i] == '\n' || s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n'
}

// qpSize estimates the encoded size of s, to size buffers once.
func qpSize(s string) int {
	high := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			high++
		}
	}
	n := len(s) + 2*high
	return n + n/70*3 + 8
}
