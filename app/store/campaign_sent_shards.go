package store

import (
	"context"
	"fmt"

	"newsletter/app"
)

// A campaign's sent count is the "sent" of its row plus the sum of its
// rows in campaign_sent_shards, where the commits of delivery results add
// (recordSentPostgres). Both only grow while a campaign sends, and each
// message is counted in one of them, so reading the row and then its
// shards gives a count between the two moments, never one counted twice.

// addSentShards adds each campaign's shards to its sent count.
func (s *Store) addSentShards(ctx context.Context, cs ...*app.Campaign) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	var rows []struct {
		CampaignID int64
		Sent       int64
	}
	if err := s.with(ctx).Raw(`SELECT campaign_id, SUM(sent) AS sent FROM campaign_sent_shards
		WHERE campaign_id IN ? GROUP BY campaign_id`, ids).Scan(&rows).Error; err != nil {
		return fmt.Errorf("campaign sent counts: %w", err)
	}
	for _, r := range rows {
		for _, c := range cs {
			if c.ID == r.CampaignID {
				c.Sent += r.Sent
			}
		}
	}
	return nil
}

// sentShardsQuietSQL is the SQL test that no commit of results added to the
// sent count of campaign c since @since: the shards' part of the
// campaign's progress.
const sentShardsQuietSQL = `NOT EXISTS (SELECT 1 FROM campaign_sent_shards k
	WHERE k.campaign_id = c.id AND k.progress_at >= @since)`
