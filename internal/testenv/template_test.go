package testenv

import (
	"context"
	"database/sql"
	"testing"

	"newsletter/app/store"
)

// TestMigratedPostgres: each call gives a database of its own that holds
// every migration, and writes to one are not seen in another.
func TestMigratedPostgres(t *testing.T) {
	ctx := context.Background()
	ms, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	var dbs []*sql.DB
	for range 2 {
		u := MigratedPostgres(t)
		db, err := sql.Open("pgx", u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
		var applied, latest int
		if err := db.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&applied, &latest); err != nil {
			t.Fatal(err)
		}
		if applied != len(ms) || latest != ms[len(ms)-1].Version {
			t.Fatalf("%d migrations applied, the latest %d; want %d, the latest %d", applied, latest, len(ms), ms[len(ms)-1].Version)
		}
	}
	if _, err := dbs[0].ExecContext(ctx, `DELETE FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := dbs[1].QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != len(ms) {
		t.Errorf("a write to one copy reached another: %d migrations left, want %d", left, len(ms))
	}
	s := Store(t, store.Postgres)
	if n, err := s.Migrate(ctx); err != nil || n != 0 {
		t.Errorf("migrating a store of Store: %d applied, %v; want none", n, err)
	}
}
