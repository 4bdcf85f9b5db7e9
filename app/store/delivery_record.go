package store

import (
	"context"
	"fmt"
	"math/rand/v2"
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

// sentShards is how many shards a campaign's sent count is spread over
// (see campaign_sent_shards): enough that commits under way at the same
// time seldom pick the same one.
const sentShards = 64

// recordSentPostgres is RecordDeliveries for outcomes that are all "sent",
// on PostgreSQL: the deliveries change, and their count is added to a
// shard of each campaign's sent counter picked at random, in one statement,
// so in one round trip and one commit. The campaign's own row is not
// touched, so commits of other results need not wait for this one's
// (each row a commit changes stays locked until it reaches the disk).
// Senders wait for that commit before their next message, so its latency
// is sending time. The ids are joined through unnest so that each row is
// found by its primary key: "id = ANY($1)" in a cached (generic) plan
// scanned the whole of deliveries_open_idx, whose first column is the
// campaign, once per commit.
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
	t := s.now()
	// Campaigns in id order: two commits that picked the same shard lock
	// their rows in the same order.
	err := s.with(ctx).Exec(`WITH sent AS (
			UPDATE deliveries d SET status = 'sent', sent_at = ?, claim_id = NULL, attempts = d.attempts + 1,
				next_attempt_at = NULL, smtp_code = 0, error = ''
			FROM unnest(CAST(? AS bigint[])) AS u(id)
			WHERE d.id = u.id AND d.status = 'sending'
			RETURNING d.campaign_id
		)
		INSERT INTO campaign_sent_shards AS k (campaign_id, shard, sent, progress_at)
		SELECT campaign_id, ?, count(*), ? FROM sent GROUP BY campaign_id ORDER BY campaign_id
		ON CONFLICT (campaign_id, shard) DO UPDATE SET sent = k.sent + EXCLUDED.sent, progress_at = EXCLUDED.progress_at`,
		t, ids.String(), rand.IntN(sentShards), t).Error
	if err != nil {
		return fmt.Errorf("record sent deliveries: %w", err)
	}
	return nil
}
