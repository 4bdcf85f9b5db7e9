package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"newsletter/app"
)

// allSent reports whether every outcome is a message the server accepted.
func allSent(outs []app.DeliveryOutcome) bool {
	for _, o := range outs {
		if o.Status != app.DeliverySent {
			return false
		}
	}
	return true
}

// recordSentPostgres is RecordDeliveries for outcomes that are all "sent",
// on PostgreSQL: the deliveries and their campaigns' counters change in
// one statement, so in one round trip and one commit. Senders wait for
// that commit before their next message, so its latency is sending time.
func (s *Store) recordSentPostgres(ctx context.Context, outs []app.DeliveryOutcome) error {
	var ids strings.Builder
	ids.WriteByte('{')
	for i, o := range outs {
		if i > 0 {
			ids.WriteByte(',')
		}
		ids.WriteString(strconv.FormatInt(o.DeliveryID, 10))
	}
	ids.WriteByte('}')
	t := now()
	err := s.with(ctx).Exec(`WITH sent AS (
			UPDATE deliveries SET status = 'sent', sent_at = ?, claim_id = NULL, attempts = attempts + 1,
				next_attempt_at = NULL, smtp_code = 0, error = ''
			WHERE id = ANY(CAST(? AS bigint[])) AND status = 'sending'
			RETURNING campaign_id
		)
		UPDATE campaigns c SET sent = c.sent + n.sent, progress_at = ?
		FROM (SELECT campaign_id, count(*) AS sent FROM sent GROUP BY campaign_id) n
		WHERE c.id = n.campaign_id`, t, ids.String(), t).Error
	if err != nil {
		return fmt.Errorf("record sent deliveries: %w", err)
	}
	return nil
}
