package app

import (
	"errors"
	"strings"
	"testing"
	texttemplate "text/template"
	"time"
)

// TestRenderWriterStops: a rendering stops at the size cap and at its
// time limit, at the first write past either.
func TestRenderWriterStops(t *testing.T) {
	var b strings.Builder
	w := &renderWriter{w: &b, max: 10, deadline: time.Now().Add(time.Hour)}
	if _, err := w.Write([]byte("12345")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("123456")); !errors.Is(err, errTooLarge) || b.Len() != 5 {
		t.Fatalf("past the cap: %v, %d bytes", err, b.Len())
	}
	late := &renderWriter{w: &b, max: 1 << 20, deadline: time.Now().Add(-time.Second)}
	if _, err := late.Write([]byte("x")); !errors.Is(err, errTooSlow) {
		t.Fatalf("past the deadline: %v", err)
	}
	// A template's execution ends at the first write refused.
	var out strings.Builder
	tpl := texttemplate.Must(texttemplate.New("t").Parse(`{{range 10000000}}0123456789{{end}}`))
	if err := tpl.Execute(newRenderWriter(&out, 1000), nil); !errors.Is(err, errTooLarge) || out.Len() > 1000 {
		t.Fatalf("execution past the cap: %v, %d bytes", err, out.Len())
	}
	out.Reset()
	if err := tpl.Execute(late, nil); !errors.Is(err, errTooSlow) || out.Len() != 0 {
		t.Fatalf("execution past the deadline: %v", err)
	}
}
