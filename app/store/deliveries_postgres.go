package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

// createDeliveryClaimPostgres takes the lease from the database's clock.
func (s *Store) createDeliveryClaimPostgres(ctx context.Context, campaignID int64, owner string, lease time.Duration) (int64, error) {
	var id int64
	err := s.with(ctx).Raw(`INSERT INTO delivery_claims (campaign_id, owner, lease_until)
		VALUES (?, ?, now() + make_interval(secs => ?)) RETURNING id`, campaignID, owner, lease.Seconds()).Scan(&id).Error
	return id, err
}

// renewDeliveryClaimsPostgres extends the leases from the database's clock.
func (s *Store) renewDeliveryClaimsPostgres(ctx context.Context, owner string, lease time.Duration) *gorm.DB {
	return s.with(ctx).Exec(`UPDATE delivery_claims SET lease_until = now() + make_interval(secs => ?) WHERE owner = ?`,
		lease.Seconds(), owner)
}

// claimPostgres claims and judges the rows in one statement; rows another
// claimer holds are skipped (FOR UPDATE SKIP LOCKED).
func claimPostgres(tx *gorm.DB, r app.ClaimRequest, args map[string]any) ([]claimedRow, error) {
	var rows []claimedRow
	q := `WITH picked AS (
			SELECT d.id, d.subscriber_id FROM deliveries d WHERE ` + claimableSQL("now()") + `
			ORDER BY d.id LIMIT @lim FOR UPDATE OF d SKIP LOCKED
		), judged AS MATERIALIZED (
			-- MATERIALIZED: the verdict is judged once per row, not
			-- once per place that uses it.
			SELECT p.id, s.email, s.name, s.locale, ` + skipReasonSQL(r.Audience, args) + ` AS reason
			FROM picked p LEFT JOIN subscribers s ON s.id = p.subscriber_id
		)
		UPDATE deliveries d SET status = ` + verdictOf("j.reason") + `, skip_reason = j.reason,
			claim_id = CASE WHEN j.reason = '' THEN CAST(@claim AS BIGINT) END
		FROM judged j WHERE d.id = j.id
		RETURNING d.id, d.subscriber_id, d.attempts, j.email, j.name, j.locale, ` + verdictOf("j.reason") + ` AS verdict`
	if err := tx.Raw(q, args).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return rows, nil
}
