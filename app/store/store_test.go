package store_test

import (
	"context"
	"testing"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

// open returns a migrated store on the given engine.
func open(t *testing.T, dialect store.Dialect) *store.Store { return testenv.Store(t, dialect) }

var forEachDialect = testenv.ForEachDialect

// TestUniqueViolationIsConflict: a second row with a unique value is the
// domain's conflict on both engines (gorm.ErrDuplicatedKey, translated by
// each driver), not an internal error.
func TestUniqueViolationIsConflict(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sub := &app.Subscriber{Email: "dup@example.com", Status: app.StatusPending, Locale: "en"}
		if err := s.CreateSubscriber(ctx, sub); err != nil {
			t.Fatal(err)
		}
		again := &app.Subscriber{Email: "dup@example.com", Status: app.StatusPending, Locale: "en"}
		if err := s.CreateSubscriber(ctx, again); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("second subscriber with the address: %v, want %s", err, app.ECONFLICT)
		}
		if err := s.CreateAdmin(ctx, &app.Admin{Email: "a@example.com", Role: app.RoleOwner}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAdmin(ctx, &app.Admin{Email: "a@example.com", Role: app.RoleOwner}); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("second admin with the address: %v, want %s", err, app.ECONFLICT)
		}
	})
}

func TestMigrateTwice(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ms, err := store.Migrations(s.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := ms[len(ms)-1].Version; v != want {
			t.Fatalf("schema version %d, want %d", v, want)
		}
		n, err := s.Migrate(ctx)
		if err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if n != 0 {
			t.Fatalf("second migrate applied %d migrations, want 0", n)
		}
		v2, _ := s.SchemaVersion(ctx)
		if v2 != v {
			t.Fatalf("schema version changed from %d to %d", v, v2)
		}
	})
}

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	pg, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) != len(lite) {
		t.Fatalf("postgres has %d migrations, sqlite %d", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i].Version != lite[i].Version || pg[i].Name != lite[i].Name {
			t.Errorf("migration %d: postgres %s, sqlite %s", i, pg[i].Name, lite[i].Name)
		}
	}
}

func TestAPITokenRecordsLastUse(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := &app.Admin{Email: "owner@example.com", Role: app.RoleOwner, PasswordHash: "x"}
		if err := s.CreateAdmin(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAPIToken(ctx, a.ID, "cli", "hash-1"); err != nil {
			t.Fatal(err)
		}
		db, _ := s.DB()
		var used int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL`).Scan(&used); err != nil || used != 0 {
			t.Fatalf("before use: %d, %v", used, err)
		}
		got, err := s.AdminByTokenHash(ctx, "hash-1")
		if err != nil || got.ID != a.ID {
			t.Fatalf("admin by token: %v, %v", got, err)
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL`).Scan(&used); err != nil || used != 1 {
			t.Fatalf("after use: %d, %v", used, err)
		}
		if _, err := s.AdminByTokenHash(ctx, "no-such-hash"); !app.IsNotFound(err) {
			t.Fatalf("unknown token: %v", err)
		}
	})
}
