package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"newsletter/app"
)

// NewsletterPurposes returns the purpose of each of ids that names a
// newsletter (an import names a few).
func (w importRecords) NewsletterPurposes(ctx context.Context, ids []int64) (map[int64]app.CampaignPurpose, error) {
	out := make(map[int64]app.CampaignPurpose, len(ids))
	for _, id := range ids {
		var p string
		err := w.db.queryRow(ctx, `SELECT purpose FROM newsletters WHERE id = ?`, id)(&p)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("import: newsletter %d: %w", id, err)
		}
		out[id] = app.CampaignPurpose(p)
	}
	return out, nil
}

// importMembersSQL is the statement that makes newly imported subscribers
// (ids) members of the newsletters chosen for the import that their
// consents allow (a marketing newsletter needs the advertising consent, an
// informational one the processing consent); with none chosen, of the
// default newsletters. Ids are integers written into the text. Each
// dialect records those joins after it (joinImportedPostgres,
// joinImportedSQLite) with importEventsSQL.
func importMembersSQL(ids, chosen []int64) string {
	target := "n.is_default"
	if len(chosen) > 0 {
		target = "n.id IN " + idList(chosen)
	}
	return `INSERT INTO newsletter_members (subscriber_id, newsletter_id, channel, joined_at)
		SELECT c.subscriber_id, n.id, 'import', c.updated_at FROM consents c
		JOIN newsletters n ON ` + target + `
			AND n.purpose = CASE c.purpose WHEN 'marketing' THEN 'marketing' ELSE 'informational' END
		WHERE c.subscriber_id IN ` + idList(ids) + ` AND c.granted AND c.purpose IN ('marketing', 'processing')
		ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING`
}

// importEventsSQL records the joins of the memberships m, a relation the
// dialect's statement names after it.
const importEventsSQL = `INSERT INTO newsletter_events (subscriber_id, newsletter_id, action, channel, created_at)
		SELECT m.subscriber_id, m.newsletter_id, 'joined', 'import', m.joined_at FROM `

// importedIDs lists the ids of the people a chunk inserted (by address).
func importedIDs(ids map[string]int64) []int64 {
	list := make([]int64, 0, len(ids))
	for _, id := range ids {
		list = append(list, id)
	}
	return list
}
