package app_test

import (
	"context"
	"strings"
	"testing"

	"newsletter/app"
)

// TestImportRefusesLinkInName: the import applies the name rule of the
// form: a row whose name carries a domain is rejected with the reason and
// its line, the others are imported.
func TestImportRefusesLinkInName(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		file := "name,email,consent_at,consent_source\n" +
			"Anna Test,anna.test@example.com,2025-03-01,Spring fair\n" +
			"Visit evil.com now,spam@example.com,2025-03-01,Spring fair\n"
		rep, err := e.importer().Import(context.Background(), strings.NewReader(file), app.ImportOptions{Actor: "test"})
		must(t, err)
		if rep.Imported != 1 || rep.Rejected != 1 || len(rep.Rejections) != 1 || rep.Rejections[0].Line != 3 ||
			!strings.Contains(rep.Rejections[0].Reason, "website or domain name") {
			t.Fatalf("report %+v", rep)
		}
		if _, err := e.store.SubscriberByEmail(context.Background(), "spam@example.com"); !app.IsNotFound(err) {
			t.Errorf("the rejected row was imported: %v", err)
		}
	})
}
