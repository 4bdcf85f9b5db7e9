package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"

	"newsletter/app/store"
	"newsletter/internal/testenv"
)

// storeBefore opens a new store of dialect d whose database has the
// migrations before version applied, and only those, so that a test can
// put rows in the older schema and then run the rest (Migrate). exec runs
// a statement on it, failing the test on error.
func storeBefore(t *testing.T, d store.Dialect, version int) (s *store.Store, db *sql.DB, exec func(q string)) {
	t.Helper()
	ctx := context.Background()
	var err error
	if d == store.Postgres {
		s, err = store.Open(ctx, testenv.Postgres(t), "")
	} else {
		s, err = store.Open(ctx, "", filepath.Join(t.TempDir(), "m.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err = s.DB()
	if err != nil {
		t.Fatal(err)
	}
	ms, err := store.Migrations(d)
	if err != nil {
		t.Fatal(err)
	}
	exec = func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
		applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`)
	for _, m := range ms {
		if m.Version >= version {
			break
		}
		exec(m.SQL)
		exec(`INSERT INTO schema_migrations (version, name) VALUES (` + strconv.Itoa(m.Version) + `, '` + m.Name + `')`)
	}
	return s, db, exec
}
