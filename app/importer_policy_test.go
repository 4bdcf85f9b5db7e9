package app_test

import (
	"context"
	"strings"
	"testing"

	"newsletter/app"
)

// TestImportPolicyVersion: a consent imported with a policy_version column
// is recorded under that version; a row that leaves it empty, or a file
// without the column, records that the version is unknown, never the
// version in force on the day of the import.
func TestImportPolicyVersion(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		file := "email,consent_at,consent_source,policy_version\n" +
			"old@example.com,2024-03-01,Spring fair 2024,2024-01\n" +
			"blank@example.com,2024-03-02,Spring fair 2024,\n" +
			"bad@example.com,2024-03-03,Spring fair 2024,\"v\x01\"\n" +
			"long@example.com,2024-03-03,Spring fair 2024," + strings.Repeat("x", 65) + "\n"
		rep, err := e.importer().Import(ctx, strings.NewReader(file), app.ImportOptions{Actor: "test"})
		must(t, err)
		if rep.Imported != 2 || rep.Rejected != 2 {
			t.Fatalf("report %+v", rep)
		}
		for _, r := range rep.Rejections {
			if !strings.HasPrefix(r.Reason, "policy_version: ") {
				t.Errorf("line %d rejected with %q", r.Line, r.Reason)
			}
		}
		noColumn := "email,consent_at,consent_source\nnocolumn@example.com,2024-03-04,Spring fair 2024\n"
		_, err = e.importer().Import(ctx, strings.NewReader(noColumn), app.ImportOptions{Actor: "test"})
		must(t, err)
		for addr, want := range map[string]string{"old@example.com": "2024-01", "blank@example.com": app.PolicyVersionUnknown,
			"nocolumn@example.com": app.PolicyVersionUnknown} {
			sub, err := e.store.SubscriberByEmail(ctx, addr)
			must(t, err)
			events, err := e.store.ConsentEvents(ctx, sub.ID)
			must(t, err)
			if len(events) == 0 {
				t.Fatalf("%s: no consent events", addr)
			}
			for _, ev := range events {
				if ev.PolicyVersion != want {
					t.Errorf("%s: consent recorded under policy %q, want %q", addr, ev.PolicyVersion, want)
				}
			}
		}
	})
}
