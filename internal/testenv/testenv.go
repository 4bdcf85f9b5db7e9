// Package testenv gives tests the real services they run against: a fresh
// PostgreSQL database, a Redis database number, and real SMTP and IMAP
// servers. Outside CI a missing service skips the test; in CI (CI=true) it
// fails it, so CI never passes by skipping.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run in CI.
func InCI() bool { return os.Getenv("CI") != "" }

// skipOrFail skips the test outside CI and fails it in CI.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
