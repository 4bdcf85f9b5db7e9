package store

import (
	"context"
	"fmt"

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
		return importPostgres(ctx, conn, fn)
	}
	return importSQLite(ctx, conn, fn)
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
