package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"newsletter/app"
)

// Import runs fn in one transaction on a connection of its own, handing it
// a bulk writer: on PostgreSQL through pgx directly (array parameters and
// COPY), on SQLite through prepared multi-row statements. Bulk writing is
// the one place that bypasses GORM: an import writes five rows per person,
// and statement building per row would dominate its time.
func (s *Store) Import(ctx context.Context, fn func(w app.ImportWriter) error) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("import: connect: %w", err)
	}
	defer conn.Close()
	if s.dialect == Postgres {
		return importPostgres(ctx, conn, s.now, fn)
	}
	return importSQLite(ctx, conn, s.now, fn)
}

// importPurposes lists the consents an imported row grants.
func importPurposes(r *app.ImportRow) []app.Purpose {
	ps := make([]app.Purpose, 1, 3)
	ps[0] = app.PurposeProcessing
	if r.Marketing {
		ps = append(ps, app.PurposeMarketing)
	}
	if r.CrossBorder {
		ps = append(ps, app.PurposeCrossBorder)
	}
	return ps
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// liteChunk is the most rows one SQLite statement carries (its variable
// limit is 32766).
const liteChunk = 500

// importSQL runs the statements both engines' import writers share, with ?
// placeholders; queryRow returns the Scan of its row (sql.ErrNoRows when
// there is none).
type importSQL interface {
	queryRow(ctx context.Context, query string, args ...any) func(dest ...any) error
	exec(ctx context.Context, query string, args ...any) error
}

// importRecords are the writes of an import that are the same SQL on both
// engines: the run, its audit entry and the policy it records.
type importRecords struct {
	db  importSQL
	now func() time.Time
}

func (w importRecords) CurrentPolicyVersion(ctx context.Context) (string, error) {
	var v string
	err := w.db.queryRow(ctx, `SELECT version FROM policy_versions ORDER BY id DESC LIMIT 1`)(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", app.Errorf(app.ENOTFOUND, "no privacy policy is published")
	}
	if err != nil {
		return "", fmt.Errorf("import: current policy: %w", err)
	}
	return v, nil
}

func (w importRecords) CreateImport(ctx context.Context, run *app.ImportRun) error {
	err := w.db.queryRow(ctx, `INSERT INTO imports (actor, started_at) VALUES (?, ?) RETURNING id`,
		run.Actor, run.StartedAt.UTC())(&run.ID)
	if err != nil {
		return fmt.Errorf("import: record run: %w", err)
	}
	return nil
}

func (w importRecords) FinishImport(ctx context.Context, run *app.ImportRun) error {
	err := w.db.exec(ctx, `UPDATE imports SET file_sha256 = ?, rows_read = ?, imported = ?, existing = ?,
		suppressed = ?, rejected = ?, finished_at = ? WHERE id = ?`, run.FileSHA256, run.RowsRead, run.Imported,
		run.Existing, run.Suppressed, run.Rejected, run.FinishedAt.UTC(), run.ID)
	if err != nil {
		return fmt.Errorf("import: finish run: %w", err)
	}
	return nil
}

func (w importRecords) AddAudit(ctx context.Context, e *app.AuditEntry) error {
	err := w.db.queryRow(ctx, `INSERT INTO audit_log (actor, action, subject_type, subject_id, details, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, e.Actor, e.Action, e.SubjectType, e.SubjectID, e.Details, w.now())(&e.ID)
	if err != nil {
		return fmt.Errorf("import: audit: %w", err)
	}
	return nil
}
