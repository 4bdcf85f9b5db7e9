package store

import (
	"context"
	"fmt"
	"io"
	"sort"
)

// Dump writes every row of every table as text, one line per row, for
// audits of what the database holds (tests check that an erased person's
// data appear nowhere).
func (s *Store) Dump(ctx context.Context, w io.Writer) error {
	var tables []string
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	if s.dialect == SQLite {
		q = `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	if err := s.with(ctx).Raw(q).Scan(&tables).Error; err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	sort.Strings(tables)
	for _, t := range tables {
		rows, err := s.with(ctx).Raw(`SELECT * FROM "` + t + `"`).Rows()
		if err != nil {
			return fmt.Errorf("dump %s: %w", t, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return fmt.Errorf("dump %s: %w", t, err)
			}
			fmt.Fprintf(w, "%s:", t)
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(w, " %s=%v", cols[i], v)
			}
			fmt.Fprintln(w)
		}
		rows.Close()
	}
	return nil
}
