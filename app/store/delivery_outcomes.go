package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

// recordChunk bounds the ids of one UPDATE.
const recordChunk = 500

// RecordDeliveries records the outcomes of sending attempts in one
// transaction and counts them on their campaigns. Only deliveries still
// sending are changed, so recording an outcome twice counts it once. A
// hard bounce adds the address's keyed hash to the suppression list.
func (s *Store) RecordDeliveries(ctx context.Context, outs []app.DeliveryOutcome) error {
	if len(outs) == 0 {
		return nil
	}
	if s.dialect == Postgres && allSent(outs) {
		return s.recordSentPostgres(ctx, outs)
	}
	type counts struct{ sent, failed int64 }
	perCampaign := map[int64]*counts{}
	sentIDs := map[int64][]int64{}
	for _, o := range outs {
		if perCampaign[o.CampaignID] == nil {
			perCampaign[o.CampaignID] = &counts{}
		}
		if o.Status == app.DeliverySent {
			sentIDs[o.CampaignID] = append(sentIDs[o.CampaignID], o.DeliveryID)
		}
	}
	t := s.now()
	return s.with(ctx).Transaction(func(tx *gorm.DB) error {
		for cid, ids := range sentIDs {
			for len(ids) > 0 {
				chunk := ids[:min(len(ids), recordChunk)]
				ids = ids[len(chunk):]
				res := tx.Exec(`UPDATE deliveries SET status = 'sent', sent_at = ?, claim_id = NULL, attempts = attempts + 1,
					next_attempt_at = NULL, smtp_code = 0, error = '' WHERE id IN ? AND status = 'sending'`, t, chunk)
				if res.Error != nil {
					return fmt.Errorf("record sent deliveries: %w", res.Error)
				}
				perCampaign[cid].sent += res.RowsAffected
			}
		}
		for _, o := range outs {
			var res *gorm.DB
			switch o.Status {
			case app.DeliverySent:
				continue
			case app.DeliveryFailed:
				res = tx.Exec(`UPDATE deliveries SET status = 'failed', claim_id = NULL, attempts = attempts + 1,
					next_attempt_at = NULL, smtp_code = ?, error = ? WHERE id = ? AND status = 'sending'`,
					o.Code, truncate(o.Error, 500), o.DeliveryID)
				if res.Error == nil {
					perCampaign[o.CampaignID].failed += res.RowsAffected
				}
			case app.DeliveryPending:
				res = tx.Exec(`UPDATE deliveries SET status = 'pending', claim_id = NULL, attempts = attempts + 1,
					next_attempt_at = ?, smtp_code = ?, error = ? WHERE id = ? AND status = 'sending'`,
					o.RetryAt.UTC(), o.Code, truncate(o.Error, 500), o.DeliveryID)
			default:
				return fmt.Errorf("record delivery %d: unexpected status %q", o.DeliveryID, o.Status)
			}
			if res.Error != nil {
				return fmt.Errorf("record delivery %d: %w", o.DeliveryID, res.Error)
			}
			if o.SuppressHash != "" {
				if err := tx.Exec(`INSERT INTO suppressions (email_hash, reason, note, created_at) VALUES (?, ?, ?, ?)
					ON CONFLICT (email_hash) DO NOTHING`, o.SuppressHash, app.SuppressHardBounce,
					fmt.Sprintf("campaign %d delivery %d: %s", o.CampaignID, o.DeliveryID, truncate(o.Error, 200)), t).Error; err != nil {
					return fmt.Errorf("suppress bounced address: %w", err)
				}
				if res.RowsAffected == 1 {
					bounced := app.Event{Type: app.EventDeliveryBounced, At: t, Data: app.EventData{DeliveryID: o.DeliveryID,
						CampaignID: o.CampaignID, Bounce: "hard", Source: "smtp"}}
					if err := (&Store{db: tx, dialect: s.dialect, inTx: true, clock: s.clock}).RecordEvent(ctx, bounced); err != nil {
						return err
					}
				}
			}
		}
		// Campaigns in id order: commits under way at the same time lock
		// their rows in the same order.
		for _, cid := range slices.Sorted(maps.Keys(perCampaign)) {
			c := perCampaign[cid]
			set := map[string]any{"progress_at": t}
			if c.sent > 0 {
				set["sent"] = gorm.Expr("sent + ?", c.sent)
			}
			if c.failed > 0 {
				set["failed"] = gorm.Expr("failed + ?", c.failed)
			}
			if err := tx.Model(&campaignRow{}).Where("id = ?", cid).Updates(set).Error; err != nil {
				return fmt.Errorf("count deliveries: %w", err)
			}
		}
		return nil
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// NextRetryAt returns when the earliest pending delivery of a campaign in
// [lo, hi] is due (now for one without a retry time), or nil when there is
// none.
func (s *Store) NextRetryAt(ctx context.Context, campaignID, lo, hi int64) (*time.Time, error) {
	var rows []struct {
		ID            int64
		NextAttemptAt *time.Time
	}
	if err := s.with(ctx).Raw(`SELECT id, next_attempt_at FROM deliveries
		WHERE campaign_id = ? AND id BETWEEN ? AND ? AND status = 'pending'
		ORDER BY next_attempt_at IS NOT NULL, next_attempt_at LIMIT 1`, campaignID, lo, hi).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("next retry: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if rows[0].NextAttemptAt == nil {
		t := s.now()
		return &t, nil
	}
	t := rows[0].NextAttemptAt.UTC()
	return &t, nil
}
