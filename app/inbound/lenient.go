package inbound

import (
	"bytes"
)

// Header lines that are not header fields.
//
// Badly written clients and gateways put a line without a colon into the
// header ("X-Gateway processed", a wrapped value that lost its indentation).
// A strict reader refuses the whole message; mail clients skip the line and
// show the rest. skipBadHeaderLines does what they do: it drops the lines
// of the header that are neither a field ("Name: value") nor the
// continuation of one. A bad line after which no field follows is where a
// body begins that lacks the blank line before it.

// skipBadHeaderLines returns raw with its header's bad lines dropped, and
// raw itself when there are none.
func skipBadHeaderLines(raw []byte) []byte {
	end := headerEnd(raw)
	lines := bytes.SplitAfter(raw[:end], []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	bad := -1
	for i, l := range lines {
		if !isHeaderLine(l, i) {
			bad = i
			break
		}
	}
	if bad < 0 {
		return raw
	}
	out := make([]byte, 0, len(raw)+2)
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if isHeaderLine(l, i) {
			out = append(out, l...)
			continue
		}
		if !fieldFollows(lines[i+1:]) {
			// The body starts here, without the blank line before it.
			if bytes.HasSuffix(l, []byte("\r\n")) {
				out = append(out, '\r')
			}
			out = append(out, '\n')
			for _, rest := range lines[i:] {
				out = append(out, rest...)
			}
			return append(out, raw[end:]...)
		}
		// Skip the bad line and the indented lines that continue it.
		for i+1 < len(lines) && isContinuation(lines[i+1]) {
			i++
		}
	}
	return append(out, raw[end:]...)
}

// headerEnd returns the offset of the blank line that ends the header (or
// len(raw) when there is none).
func headerEnd(raw []byte) int {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return len(raw)
		}
		line := raw[i : i+j+1]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return i
		}
		i += j + 1
	}
	return len(raw)
}

// isHeaderLine reports a field line "Name: value" (the name printable
// ASCII without spaces) or, after the first line, an indented continuation.
func isHeaderLine(l []byte, i int) bool {
	if i > 0 && isContinuation(l) {
		return true
	}
	colon := bytes.IndexByte(l, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range bytes.TrimRight(l[:colon], " \t") {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func isContinuation(l []byte) bool {
	return len(l) > 0 && (l[0] == ' ' || l[0] == '\t')
}

// fieldFollows reports whether one of lines is a field line.
func fieldFollows(lines [][]byte) bool {
	for _, l := range lines {
		if !isContinuation(l) && isHeaderLine(l, 0) {
			return true
		}
	}
	return false
}
