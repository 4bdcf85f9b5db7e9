// Package store keeps the product's data with GORM on PostgreSQL (production)
// or SQLite (embedded): models, queries, transactions and versioned migrations.
//
// The contract is app.Store: one accessor per area (areas.go), each
// returning the Store as that area's interface, and `var _ app.Store =
// (*Store)(nil)` makes the compiler check it. A method lives in the file of
// its area (subscribers.go, requests.go, campaigns.go, ...); to add one,
// add it to the area's interface in package app and implement it there.
//
// Rules of the package:
//   - GORM for plain reads and writes of one table; SQL (Raw/Exec) for
//     set-based work, such as claiming or judging many deliveries at once.
//   - A dialect difference is a pair of named functions, fooPostgres and
//     fooSQLite, in files named _postgres.go and _sqlite.go when they are
//     large (deliveries_postgres.go, import_sqlite.go ...), chosen at one
//     switch on s.dialect in the exported method. Only a difference inside
//     one statement (a row lock PostgreSQL needs and SQLite's single
//     writer does not, the SQL of "now" or of a day) is one if on s.dialect
//     next to the statement.
//   - Errors are recognized with errors.Is, never by their text: Open sets
//     gorm.Config{TranslateError: true}, so a unique violation is
//     gorm.ErrDuplicatedKey on both engines, and not-found is mapped to
//     app's ENOTFOUND by notFound.
//   - Multi-statement methods use s.tx, which hands them the transaction's
//     *Store; the app's use cases use Tx.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"newsletter/app"
)

// Dialect names the database engine behind a Store.
type Dialect string

// Supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Store is the database. Its methods run on the connection pool, or inside
// a transaction when the Store was handed out by Tx.
type Store struct {
	db      *gorm.DB
	dialect Dialect
	inTx    bool
	// clock is the time of the rows the store writes; nil is the system
	// clock (SetClock).
	clock app.Clock
}

// Open connects to databaseURL (postgres://...) or, when it is empty, to the
// SQLite file at sqlitePath.
func Open(ctx context.Context, databaseURL, sqlitePath string) (*Store, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		// Unique violations arrive as gorm.ErrDuplicatedKey on both
		// engines (errors.Is), never as driver text to match.
		TranslateError: true,
	}
	var (
		db      *gorm.DB
		err     error
		dialect Dialect
	)
	if databaseURL != "" {
		dialect = Postgres
		db, err = gorm.Open(postgres.New(postgres.Config{DSN: databaseURL}), cfg)
	} else {
		dialect = SQLite
		if err := privateSQLiteFiles(sqlitePath); err != nil {
			return nil, fmt.Errorf("open %s database: %w", dialect, err)
		}
		dsn := "file:" + (&url.URL{Path: sqlitePath}).EscapedPath() +
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=secure_delete(1)&_txlock=immediate"
		db, err = gorm.Open(sqlite.Open(dsn), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if dialect == SQLite {
		// One writer at a time is SQLite's model; one connection avoids
		// SQLITE_BUSY between our own goroutines.
		sqlDB.SetMaxOpenConns(1)
	} else {
		if err := registerInvalidText(db); err != nil {
			sqlDB.Close()
			return nil, err
		}
		sqlDB.SetMaxOpenConns(40)
		sqlDB.SetMaxIdleConns(40)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	s := &Store{db: db, dialect: dialect}
	db.Config.NowFunc = s.now
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pingCtx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// SetMaxConns limits the connections the store opens to PostgreSQL (40
// unless set); SQLite keeps its one connection.
func (s *Store) SetMaxConns(n int) {
	if s.dialect != Postgres || n < 1 {
		return
	}
	if sqlDB, err := s.db.DB(); err == nil {
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
	}
}

// Dialect reports the database engine.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Tx runs fn in one transaction: it commits when fn returns nil and rolls
// back otherwise. Nested calls run in the enclosing transaction.
func (s *Store) Tx(ctx context.Context, fn func(tx app.Store) error) error {
	return s.tx(ctx, func(tx *Store) error { return fn(tx) })
}

// tx is Tx for the store's own multi-statement methods: fn gets the
// transaction's *Store.
func (s *Store) tx(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Store{db: tx, dialect: s.dialect, inTx: true, clock: s.clock})
	})
}

// with returns the gorm handle bound to ctx.
func (s *Store) with(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// DB exposes the underlying *sql.DB for tools (benchmarks, dumps).
func (s *Store) DB() (*sql.DB, error) { return s.db.DB() }

// notFound turns gorm's not-found into the domain's.
func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, sql.ErrNoRows) {
		return app.Errorf(app.ENOTFOUND, "%s not found", what)
	}
	return err
}

// takeOne reads the one row q selects (conds as gorm's Take takes them)
// and converts it with conv; no row is app.ENOTFOUND naming what.
func takeOne[R, T any](q *gorm.DB, what string, conv func(*R) *T, conds ...any) (*T, error) {
	var r R
	if err := q.Take(&r, conds...).Error; err != nil {
		return nil, notFound(err, what)
	}
	return conv(&r), nil
}

// errInvalidText is PostgreSQL's refusal of a text parameter it cannot
// store: a NUL byte or invalid UTF-8 (SQLSTATE 22021). It comes from the
// client's input, so it is the client's error, not the database's.
var errInvalidText = &app.Error{Code: app.EINVALID, Message: "The request contains characters that cannot be stored (such as a NUL byte)."}

// registerInvalidText makes every statement report errInvalidText for
// such a refusal.
func registerInvalidText(db *gorm.DB) error {
	translate := func(tx *gorm.DB) {
		if tx.Error != nil && strings.Contains(tx.Error.Error(), "SQLSTATE 22021") {
			tx.Error = errInvalidText
		}
	}
	cb := db.Callback()
	for _, p := range []interface {
		Register(name string, fn func(*gorm.DB)) error
	}{cb.Create(), cb.Query(), cb.Update(), cb.Delete(), cb.Row(), cb.Raw()} {
		if err := p.Register("newsletter:invalid_text", translate); err != nil {
			return fmt.Errorf("register callback: %w", err)
		}
	}
	return nil
}

// now is the store's clock: the time it writes into the rows it creates.
func (s *Store) now() time.Time { return s.clock.Now() }

// SetClock sets the time the store writes into the rows it creates; nil
// is the system clock. Set it before the store is used.
func (s *Store) SetClock(c app.Clock) { s.clock = c }
