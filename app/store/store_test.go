package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

// open returns a migrated store on the given engine.
func open(t *testing.T, dialect store.Dialect) *store.Store {
	t.Helper()
	ctx := context.Background()
	var (
		s   *store.Store
		err error
	)
	if dialect == store.Postgres {
		s, err = store.Open(ctx, testenv.Postgres(t), "")
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

func forEachDialect(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, d := range []store.Dialect{store.Postgres, store.SQLite} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, open(t, d))
		})
	}
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
