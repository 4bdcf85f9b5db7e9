package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"newsletter/app"
)

// liteImport writes an import on SQLite with multi-row statements,
// prepared once per shape.
type liteImport struct {
	importRecords
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

// liteRows runs the import's shared statements on a database/sql
// transaction.
type liteRows struct{ tx *sql.Tx }

func (r liteRows) queryRow(ctx context.Context, query string, args ...any) func(dest ...any) error {
	return r.tx.QueryRowContext(ctx, query, args...).Scan
}

func (r liteRows) exec(ctx context.Context, query string, args ...any) error {
	_, err := r.tx.ExecContext(ctx, query, args...)
	return err
}

// stmt returns the prepared statement head + n groups of group (joined by
// commas) + tail.
func (w *liteImport) stmt(ctx context.Context, head, group, tail string, n int) (*sql.Stmt, error) {
	key := fmt.Sprintf("%s|%d", head, n)
	if st, ok := w.stmts[key]; ok {
		return st, nil
	}
	var b strings.Builder
	b.WriteString(head)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	b.WriteString(tail)
	st, err := w.tx.PrepareContext(ctx, b.String())
	if err != nil {
		return nil, err
	}
	w.stmts[key] = st
	return st, nil
}

func (w *liteImport) Suppressed(ctx context.Context, hashes []string) (map[string]string, error) {
	out := map[string]string{}
	for lo := 0; lo < len(hashes); lo += liteChunk {
		chunk := hashes[lo:min(lo+liteChunk, len(hashes))]
		st, err := w.stmt(ctx, `SELECT email_hash, reason FROM suppressions WHERE email_hash IN (`, "?", ")", len(chunk))
		if err != nil {
			return nil, fmt.Errorf("import: check suppressions: %w", err)
		}
		args := make([]any, len(chunk))
		for i, h := range chunk {
			args[i] = h
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("import: check suppressions: %w", err)
		}
		for rows.Next() {
			var h, reason string
			if err := rows.Scan(&h, &reason); err != nil {
				rows.Close()
				return nil, fmt.Errorf("import: check suppressions: %w", err)
			}
			out[h] = reason
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("import: check suppressions: %w", err)
		}
	}
	return out, nil
}

// InsertSubscribers inserts the subscribers (skipping addresses on file)
// and their consents and consent events, liteChunk rows per statement.
func (w *liteImport) InsertSubscribers(ctx context.Context, run *app.ImportRun, consentText string, rows []app.ImportRow) ([]bool, error) {
	inserted := make([]bool, len(rows))
	created := run.StartedAt.UTC()
	for lo := 0; lo < len(rows); lo += liteChunk {
		chunk := rows[lo:min(lo+liteChunk, len(rows))]
		st, err := w.stmt(ctx, `INSERT INTO subscribers (email, email_hash, name, phone, locale, status, created_at, updated_at, confirmed_at) VALUES `,
			"(?, ?, ?, ?, ?, 'active', ?, ?, ?)", " ON CONFLICT (email) DO NOTHING RETURNING id, email", len(chunk))
		if err != nil {
			return nil, fmt.Errorf("import: insert subscribers: %w", err)
		}
		args := make([]any, 0, 8*len(chunk))
		for i := range chunk {
			r := &chunk[i]
			args = append(args, r.Email, r.EmailHash, nullText(r.Name), nullText(r.Phone), r.Locale, created, created, r.ConsentAt)
		}
		res, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("import: insert subscribers: %w", err)
		}
		ids := make(map[string]int64, len(chunk))
		for res.Next() {
			var id int64
			var email string
			if err := res.Scan(&id, &email); err != nil {
				res.Close()
				return nil, fmt.Errorf("import: insert subscribers: %w", err)
			}
			ids[email] = id
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("import: insert subscribers: %w", err)
		}
		var consents, events []any
		nc := 0
		for i := range chunk {
			r := &chunk[i]
			id, ok := ids[r.Email]
			if !ok {
				continue
			}
			inserted[lo+i] = true
			for _, p := range importPurposes(r) {
				consents = append(consents, id, string(p), true, r.ConsentAt)
				events = append(events, id, string(p), string(app.ConsentGranted), string(app.ChannelImport), nullText(r.IP),
					nullText(r.UserAgent), r.Source, "", r.PolicyVersion, consentText, r.ConsentAt)
				nc++
			}
		}
		// Up to three consents per row: write them in pieces of liteChunk.
		for off := 0; off < nc; off += liteChunk {
			m := min(liteChunk, nc-off)
			st, err := w.stmt(ctx, `INSERT INTO consents (subscriber_id, purpose, granted, updated_at) VALUES `, "(?, ?, ?, ?)", "", m)
			if err != nil {
				return nil, fmt.Errorf("import: insert consents: %w", err)
			}
			if _, err := st.ExecContext(ctx, consents[4*off:4*(off+m)]...); err != nil {
				return nil, fmt.Errorf("import: insert consents: %w", err)
			}
			st, err = w.stmt(ctx, `INSERT INTO consent_events (subscriber_id, purpose, action, channel, ip, user_agent, form_id, page,
				policy_version, consent_text, created_at) VALUES `, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "", m)
			if err != nil {
				return nil, fmt.Errorf("import: insert consent events: %w", err)
			}
			if _, err := st.ExecContext(ctx, events[11*off:11*(off+m)]...); err != nil {
				return nil, fmt.Errorf("import: insert consent events: %w", err)
			}
		}
		if len(ids) == 0 {
			continue
		}
		// SQLite has no insert in a WITH: the joins are read back by the
		// people's ids.
		list := importedIDs(ids)
		for _, q := range []string{importMembersSQL(list, run.Newsletters),
			importEventsSQL + `newsletter_members m WHERE m.subscriber_id IN ` + idList(list)} {
			if _, err := w.tx.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("import: join newsletters: %w", err)
			}
		}
	}
	return inserted, nil
}

// importSQLite runs fn in one transaction on conn with prepared statements.
func importSQLite(ctx context.Context, conn *sql.Conn, now func() time.Time, fn func(w app.ImportWriter) error) error {
	// A bulk load touches every page of five indexes: give the
	// connection a page cache of 64 MB instead of SQLite's 2 MB.
	if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = -65536`); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import: begin: %w", err)
	}
	w := &liteImport{importRecords: importRecords{liteRows{tx}, now}, tx: tx, stmts: map[string]*sql.Stmt{}}
	defer func() {
		for _, st := range w.stmts {
			st.Close()
		}
		_ = tx.Rollback()
	}()
	if err := fn(w); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import: commit: %w", err)
	}
	return nil

}
