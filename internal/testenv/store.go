package testenv

import (
	"context"
	"path/filepath"
	"testing"

	"newsletter/app/store"
)

// Dialects are the database engines the store runs on, in the order tests
// run them.
var Dialects = []store.Dialect{store.Postgres, store.SQLite}

// Store returns a migrated store on dialect: a fresh PostgreSQL database
// (a copy of the migrated template, MigratedPostgres), or a SQLite file in
// the test's temporary directory. It is closed when the test ends.
func Store(t testing.TB, dialect store.Dialect) *store.Store {
	t.Helper()
	ctx := context.Background()
	var (
		s   *store.Store
		err error
	)
	if dialect == store.Postgres {
		s, err = store.Open(ctx, MigratedPostgres(t), "")
	} else {
		s, err = store.Open(ctx, "", filepath.Join(t.TempDir(), "test.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// ForEachDialect runs fn as a parallel subtest per dialect, each with a
// migrated store of its own.
func ForEachDialect(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, Store(t, d))
		})
	}
}
