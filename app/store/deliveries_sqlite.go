package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

// createDeliveryClaimSQLite takes the lease from this process's clock (one
// machine writes an SQLite file).
func (s *Store) createDeliveryClaimSQLite(ctx context.Context, campaignID int64, owner string, lease time.Duration) (int64, error) {
	r := claimRow{CampaignID: campaignID, Owner: owner, LeaseUntil: s.now().Add(lease), CreatedAt: s.now()}
	err := s.with(ctx).Create(&r).Error
	return r.ID, err
}

// renewDeliveryClaimsSQLite extends the leases from this process's clock.
func (s *Store) renewDeliveryClaimsSQLite(ctx context.Context, owner string, lease time.Duration) *gorm.DB {
	return s.with(ctx).Exec(`UPDATE delivery_claims SET lease_until = ? WHERE owner = ?`, s.now().Add(lease), owner)
}

// claimSQLite selects and judges the rows, then marks them by verdict
// (SQLite has one writer, so nothing moves in between).
func claimSQLite(tx *gorm.DB, r app.ClaimRequest, args map[string]any) ([]claimedRow, error) {
	var rows []claimedRow
	q := `SELECT id, subscriber_id, attempts, email, name, locale, reason, ` + verdictOf("reason") + ` AS verdict FROM (
			SELECT d.id, d.subscriber_id, d.attempts, s.email, s.name, s.locale, ` + skipReasonSQL(r.Audience, args) + ` AS reason
			FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id
			WHERE ` + claimableSQL("@now") + ` ORDER BY d.id LIMIT @lim) j`
	if err := tx.Raw(q, args).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	byReason := map[string][]int64{}
	for _, row := range rows {
		byReason[row.Reason] = append(byReason[row.Reason], row.ID)
	}
	for reason, ids := range byReason {
		var claim any
		verdict := string(app.DeliverySkipped)
		switch reason {
		case "":
			claim, verdict = r.ClaimID, string(app.DeliverySending)
		case app.SkipOptedOut:
			verdict = string(app.DeliveryOptedOut)
		}
		if err := tx.Exec(`UPDATE deliveries SET status = ?, claim_id = ?, skip_reason = ? WHERE id IN ?`,
			verdict, claim, reason, ids).Error; err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
	}
	return rows, nil
}
