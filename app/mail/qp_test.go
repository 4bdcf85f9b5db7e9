package mail

import (
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// checkQP encodes s, checks the RFC 2045 rules on the output and that the
// standard decoder gives s back (with CRLF line breaks).
func checkQP(t *testing.T, s string) string {
	t.Helper()
	enc := string(appendQP(nil, s))
	for i, line := range strings.Split(enc, "\r\n") {
		if len(line) > 76 {
			t.Fatalf("line %d has %d characters: %q", i, len(line), line)
		}
		if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			t.Fatalf("line %d ends in whitespace: %q", i, line)
		}
		for j := 0; j < len(line); j++ {
			if c := line[j]; c < ' ' && c != '\t' || c > '~' {
				t.Fatalf("line %d has byte %#x", i, c)
			}
		}
	}
	if strings.Contains(strings.ReplaceAll(enc, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(enc, "\r\n", ""), "\r") {
		t.Fatalf("bare CR or LF in %q", enc)
	}
	dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(enc)))
	if err != nil {
		t.Fatalf("decode %q: %v", enc, err)
	}
	want := strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
	if string(dec) != want {
		t.Fatalf("round trip\n got %q\nwant %q\n enc %q", dec, want, enc)
	}
	return enc
}

func TestAppendQP(t *testing.T) {
	tests := map[string]string{
		"Plain":          "Hello, world",
		"Equals":         "a=b==c",
		"TrailingSpace":  "line with space \nnext\t\nlast ",
		"CRLF":           "a\r\nb\r\n",
		"LoneCR":         "a\rb",
		"Cyrillic":       "Здравствуйте, это письмо на русском языке с длинной строкой текста без переносов.",
		"LongASCII":      strings.Repeat("abcdefghij", 40),
		"LongWithEquals": strings.Repeat("x=", 100),
		"Exactly76":      strings.Repeat("a", 76) + "\n" + strings.Repeat("b", 75) + "\n" + strings.Repeat("c", 77),
		"Control":        "\x00\x01\x7f\xff",
		"EmptyLines":     "\n\n\n",
		"Dots":           ".\n..\n.leading",
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) { checkQP(t, s) })
	}
	if got := checkQP(t, "Hello = world "); got != "Hello =3D world=20" {
		t.Errorf("got %q", got)
	}
}

func FuzzAppendQP(f *testing.F) {
	f.Add("Hello =\r\n world \t\n")
	f.Add(strings.Repeat("Ж", 50))
	f.Fuzz(func(t *testing.T, s string) { checkQP(t, s) })
}

// BenchmarkAppendQP encodes a mail body of about 8 KB in English and in
// Russian (two bytes per letter, each written as =XX).
func BenchmarkAppendQP(b *testing.B) {
	for _, tc := range []struct{ name, line string }{
		{"en", `<p style="margin:0 0 16px">Hello, this is our spring letter with news and offers for you.</p>` + "\n"},
		{"ru", `<p style="margin:0 0 16px">Здравствуйте, это наше весеннее письмо с новостями и предложениями.</p>` + "\n"},
	} {
		s := strings.Repeat(tc.line, 8192/len(tc.line))
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			buf := make([]byte, 0, qpSize(s))
			for b.Loop() {
				buf = appendQP(buf[:0], s)
			}
		})
	}
}
