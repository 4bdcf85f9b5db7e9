package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"newsletter/app"
)

// pgImport writes an import on PostgreSQL.
type pgImport struct {
	importRecords
	tx pgx.Tx
}

// pgRows runs the import's shared statements on a pgx transaction.
type pgRows struct{ tx pgx.Tx }

func (r pgRows) queryRow(ctx context.Context, query string, args ...any) func(dest ...any) error {
	row := r.tx.QueryRow(ctx, numbered(query), args...)
	return func(dest ...any) error {
		err := row.Scan(dest...)
		if errors.Is(err, pgx.ErrNoRows) {
			return sql.ErrNoRows
		}
		return err
	}
}

func (r pgRows) exec(ctx context.Context, query string, args ...any) error {
	_, err := r.tx.Exec(ctx, numbered(query), args...)
	return err
}

// numbered turns the ? placeholders of query into PostgreSQL's $1, $2 ...
// (the shared statements hold no ? in literals).
func numbered(query string) string {
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (w *pgImport) Suppressed(ctx context.Context, hashes []string) (map[string]string, error) {
	rows, err := w.tx.Query(ctx, `SELECT email_hash, reason FROM suppressions WHERE email_hash = ANY($1)`, hashes)
	if err != nil {
		return nil, fmt.Errorf("import: check suppressions: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var h, reason string
		if err := rows.Scan(&h, &reason); err != nil {
			return nil, fmt.Errorf("import: check suppressions: %w", err)
		}
		out[h] = reason
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("import: check suppressions: %w", err)
	}
	return out, nil
}

// InsertSubscribers inserts the subscribers with one statement over arrays
// (skipping addresses on file), then copies their consents and consent
// events.
func (w *pgImport) InsertSubscribers(ctx context.Context, run *app.ImportRun, consentText string, rows []app.ImportRow) ([]bool, error) {
	n := len(rows)
	emails, hashes, names, phones, locales := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ats := make([]time.Time, n)
	marketing, crossBorder := make([]bool, n), make([]bool, n)
	for i := range rows {
		r := &rows[i]
		emails[i], hashes[i], names[i], phones[i], locales[i], ats[i] = r.Email, r.EmailHash, r.Name, r.Phone, r.Locale, r.ConsentAt
		marketing[i], crossBorder[i] = r.Marketing, r.CrossBorder
	}
	// The consent flags (migration 0024) are written with the row, as the
	// consents copied below grant them (importPurposes): their trigger
	// then finds nothing to change instead of writing every row again.
	res, err := w.tx.Query(ctx, `INSERT INTO subscribers (email, email_hash, name, phone, locale, status, created_at, updated_at, confirmed_at,
			consent_processing, consent_marketing, consent_cross_border)
		SELECT u.email, u.hash, NULLIF(u.name, ''), NULLIF(u.phone, ''), u.locale, 'active', $7, $7, u.at, true, u.mkt, u.xb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $8::boolean[], $9::boolean[])
			AS u(email, hash, name, phone, locale, at, mkt, xb)
		ON CONFLICT (email) DO NOTHING
		RETURNING id, email`, emails, hashes, names, phones, locales, ats, run.StartedAt.UTC(), marketing, crossBorder)
	if err != nil {
		return nil, fmt.Errorf("import: insert subscribers: %w", err)
	}
	ids := make(map[string]int64, n)
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
	inserted := make([]bool, n)
	consents := make([][]any, 0, 2*len(ids))
	events := make([][]any, 0, 2*len(ids))
	for i := range rows {
		r := &rows[i]
		id, ok := ids[r.Email]
		if !ok {
			continue
		}
		inserted[i] = true
		for _, p := range importPurposes(r) {
			consents = append(consents, []any{id, string(p), true, r.ConsentAt})
			events = append(events, []any{id, string(p), string(app.ConsentGranted), string(app.ChannelImport), nullText(r.IP),
				nullText(r.UserAgent), r.Source, "", r.PolicyVersion, consentText, r.ConsentAt})
		}
	}
	if len(consents) == 0 {
		return inserted, nil
	}
	if _, err := w.tx.CopyFrom(ctx, pgx.Identifier{"consents"}, []string{"subscriber_id", "purpose", "granted", "updated_at"},
		pgx.CopyFromRows(consents)); err != nil {
		return nil, fmt.Errorf("import: copy consents: %w", err)
	}
	if _, err := w.tx.CopyFrom(ctx, pgx.Identifier{"consent_events"}, []string{"subscriber_id", "purpose", "action", "channel",
		"ip", "user_agent", "form_id", "page", "policy_version", "consent_text", "created_at"}, pgx.CopyFromRows(events)); err != nil {
		return nil, fmt.Errorf("import: copy consent events: %w", err)
	}
	// The joins are recorded from the rows the insert returns, in the
	// same statement: reading them back by the people's ids would scan
	// the memberships imported so far, once per chunk.
	if _, err := w.tx.Exec(ctx, `WITH m AS (`+importMembersSQL(importedIDs(ids), run.Newsletters)+
		` RETURNING subscriber_id, newsletter_id, joined_at) `+importEventsSQL+`m`); err != nil {
		return nil, fmt.Errorf("import: join newsletters: %w", err)
	}
	return inserted, nil
}

// importPostgres runs fn in one transaction of pgx on conn.
func importPostgres(ctx context.Context, conn *sql.Conn, now func() time.Time, fn func(w app.ImportWriter) error) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("import: unexpected driver connection %T", dc)
		}
		tx, err := c.Conn().Begin(ctx)
		if err != nil {
			return fmt.Errorf("import: begin: %w", err)
		}
		defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it does nothing
		if err := fn(&pgImport{importRecords: importRecords{pgRows{tx}, now}, tx: tx}); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("import: commit: %w", err)
		}
		return nil
	})
}
