package testenv

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"newsletter/app/store"
)

// A migrated database is copied from a template rather than migrated for
// every test: CREATE DATABASE ... TEMPLATE copies the files of a database
// migrated once per server and set of migrations, which is several times
// faster than applying the migrations again.
var (
	templateMu   sync.Mutex
	templateName string // the template this process made sure of, once
)

// MigratedPostgres creates a new database holding the store's PostgreSQL
// schema (every migration applied), drops it when the test ends, and
// returns its URL. The migrations run once per server and set of
// migrations, into a template database named after their digest; each
// test gets a copy.
func MigratedPostgres(t testing.TB) string {
	t.Helper()
	tmpl, err := postgresTemplate()
	if err != nil {
		t.Fatalf("migrated template database: %v", err)
	}
	return createDatabase(t, tmpl)
}

// postgresTemplate returns the name of the template database of the
// current migrations, creating it when no process has yet. Processes that
// run at once (packages tested in parallel) take turns on an advisory
// lock; the database is marked a template only once fully migrated, so a
// half-built one left by a killed process is built again.
func postgresTemplate() (string, error) {
	templateMu.Lock()
	defer templateMu.Unlock()
	if templateName != "" {
		return templateName, nil
	}
	ms, err := store.Migrations(store.Postgres)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s %d\n%s\n", m.Version, m.Name, len(m.SQL), m.SQL)
	}
	sum := h.Sum(nil)
	name := "nltemplate_" + hex.EncodeToString(sum[:8])

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := sql.Open("pgx", PostgresAdminURL())
	if err != nil {
		return "", fmt.Errorf("open the server: %w", err)
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx) // the advisory lock belongs to this session
	if err != nil {
		return "", fmt.Errorf("connect to the server: %w", err)
	}
	defer conn.Close()
	lockID := int64(binary.BigEndian.Uint64(sum[8:16]))
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return "", fmt.Errorf("lock the template: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID) //nolint:errcheck

	var ready bool
	err = conn.QueryRowContext(ctx, `SELECT datistemplate FROM pg_database WHERE datname = $1`, name).Scan(&ready)
	if err == nil && ready {
		templateName = name
		return name, nil
	}
	if err != nil && err != sql.ErrNoRows {
		return "", fmt.Errorf("look for the template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("drop a half-built template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create the template: %w", err)
	}
	st, err := store.Open(ctx, databaseURL(name), "")
	if err != nil {
		return "", fmt.Errorf("open the template: %w", err)
	}
	_, err = st.Migrate(ctx)
	st.Close()
	if err != nil {
		return "", fmt.Errorf("migrate the template: %w", err)
	}
	// Marked a template only now: from here on it is complete.
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE true"); err != nil {
		return "", fmt.Errorf("mark the template: %w", err)
	}
	templateName = name
	return name, nil
}

// databaseURL is the URL of database name on the test server.
func databaseURL(name string) string {
	u := PostgresAdminURL()
	base, query, _ := strings.Cut(u, "?")
	base = base[:strings.LastIndexByte(base, '/')+1] + name
	if query != "" {
		return base + "?" + query
	}
	return base
}
