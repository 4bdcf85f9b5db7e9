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

// importNewsletterSQL are the statements that make newly imported
// subscribers (ids) members of the newsletters chosen for the import that
// their consents allow (a marketing newsletter needs the advertising
// consent, an informational one the processing consent), and record
// those joins; with none chosen, of the default newsletters
// (importJoinSQL). Ids are integers written into the text.
func importNewsletterSQL(ids, chosen []int64) []string {
	if len(chosen) == 0 {
		return importJoinSQL(ids)
	}
	list := idList(ids)
	return []string{
		`INSERT INTO newsletter_members (subscriber_id, newsletter_id, channel, joined_at)
		SELECT c.subscriber_id, n.id, 'import', c.updated_at FROM consents c
		JOIN newsletters n ON n.id IN ` + idList(chosen) + `
			AND n.purpose = CASE c.purpose WHEN 'marketing' THEN 'marketing' ELSE 'informational' END
		WHERE c.subscriber_id IN ` + list + ` AND c.granted AND c.purpose IN ('marketing', 'processing')
		ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING`,
		`INSERT INTO newsletter_events (subscriber_id, newsletter_id, action, channel, created_at)
		SELECT m.subscriber_id, m.newsletter_id, 'joined', 'import', m.joined_at FROM newsletter_members m
		WHERE m.subscriber_id IN ` + list,
	}
}

// joinImported puts the people a chunk inserted (ids, by address) on the
// chosen newsletters, or on the defaults their consents name when none
// was chosen, through exec of each dialect's transaction.
func joinImported(ids map[string]int64, chosen []int64, exec func(q string) error) error {
	list := make([]int64, 0, len(ids))
	for _, id := range ids {
		list = append(list, id)
	}
	for _, q := range importNewsletterSQL(list, chosen) {
		if err := exec(q); err != nil {
			return fmt.Errorf("import: join newsletters: %w", err)
		}
	}
	return nil
}
