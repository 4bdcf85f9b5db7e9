package app_test

import (
	"context"
	"strings"
	"testing"
	"unicode"

	"newsletter/app"
)

// hasCyrillic reports whether s says something in Russian.
func hasCyrillic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cyrillic, r) {
			return true
		}
	}
	return false
}

// TestImportReasonsInRussian: every reason the import gives for a
// rejected line, and for a file it refuses, has a Russian text; English
// stays as it is.
func TestImportReasonsInRussian(t *testing.T) {
	file := importFile +
		"Bad Name <b>,badname@example.com,,2025-03-01,Spring fair,no,,\n" +
		"Old,old@example.com,,1980-03-01,Spring fair,no,,\n" +
		"Bad Date,baddate@example.com,,yesterday,Spring fair,no,,\n" +
		"Bad IP,badip@example.com,,2025-03-01,Spring fair,no,999.1.1.1,\n" +
		"Bad Email,anna@@example.com,,2025-03-01,Spring fair,no,,\n" +
		"Long Source,long@example.com,,2025-03-01," + strings.Repeat("s", 201) + ",no,,\n"
	forEachDialect(t, func(t *testing.T, e *env) {
		rep, err := e.importer().Import(context.Background(), strings.NewReader(file), app.ImportOptions{Actor: "test", DryRun: true})
		must(t, err)
		if len(rep.Rejections) < 12 {
			t.Fatalf("rejections %+v", rep.Rejections)
		}
		for _, r := range rep.Rejections {
			if ru := app.ImportReason("ru", r.Reason); !hasCyrillic(ru) {
				t.Errorf("line %d: no Russian for %q", r.Line, r.Reason)
			}
			if en := app.ImportReason("en", r.Reason); en != r.Reason {
				t.Errorf("English changed: %q", en)
			}
		}
		for _, bad := range []string{"", "email,name\nanna@example.com,Anna\n", "email,email,consent_at,consent_source\n",
			"email,consent_at,consent_source\n\"broken,2025-03-01,x\n"} {
			_, err := e.importer().Import(context.Background(), strings.NewReader(bad), app.ImportOptions{Actor: "test", DryRun: true})
			if err == nil {
				t.Fatalf("%q imported", bad)
			}
			if ru := app.ImportReason("ru", app.ErrorMessage(err)); !hasCyrillic(ru) {
				t.Errorf("no Russian for %q", app.ErrorMessage(err))
			}
		}
	})
}
