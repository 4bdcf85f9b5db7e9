package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// PostgresAdminURL is the server tests create their databases on; override
// with TEST_POSTGRES_URL.
func PostgresAdminURL() string {
	if u := os.Getenv("TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Postgres creates a new empty database for the test, drops it when the test
// ends, and returns its URL.
func Postgres(t testing.TB) string {
	t.Helper()
	return createDatabase(t, "")
}

// createDatabase creates a new database, a copy of template when it is not
// empty, drops it when the test ends, and returns its URL.
func createDatabase(t testing.TB, template string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", PostgresAdminURL())
	if err != nil {
		skipOrFail(t, "postgres: %v", err)
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		skipOrFail(t, "postgres not reachable: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "nltest_" + hex.EncodeToString(b)
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + template
	}
	if _, err := admin.ExecContext(ctx, create); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	return databaseURL(name)
}
