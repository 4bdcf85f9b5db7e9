package app_test

import (
	"context"
	"fmt"
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

// TestImportNameRule: the import judges names by the rule of the form:
// a name with a digit or two is a name, one with a phone number, a link
// or markup is refused by its line.
func TestImportNameRule(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
		reason   string
	}{
		{"test name with a digit", "Anna Test0", true, ""},
		{"company", "Studio 54", true, ""},
		{"cyrillic", "Анна-Мария О’Нил", true, ""},
		{"phone number", "Call 88005553535", false, "at most 4 digits"},
		{"markup", "<b>Anna</b>", false, "only letters, digits"},
		{"dotted number", "Anna 1.0.1", false, "website or domain name"},
	}
	forEachDialect(t, func(t *testing.T, e *env) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				file := fmt.Sprintf("name,email,consent_at,consent_source\n%q,person%d@example.com,2025-03-01,Spring fair\n", tt.in, i)
				rep, err := e.importer().Import(context.Background(), strings.NewReader(file), app.ImportOptions{Actor: "test"})
				must(t, err)
				if tt.ok != (rep.Imported == 1) {
					t.Fatalf("report %+v", rep)
				}
				if !tt.ok && (len(rep.Rejections) != 1 || rep.Rejections[0].Line != 2 || !strings.Contains(rep.Rejections[0].Reason, tt.reason)) {
					t.Errorf("rejections %+v, want line 2: %s", rep.Rejections, tt.reason)
				}
			})
		}
	})
}
