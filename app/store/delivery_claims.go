package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

// Claims: a batch claims the deliveries it sends (delivery_claims) with a
// lease its worker renews; rows of a claim whose lease ran out are taken
// over by another batch.

type claimRow struct {
	ID         int64
	CampaignID int64
	Owner      string
	LeaseUntil time.Time
	CreatedAt  time.Time
}

func (claimRow) TableName() string { return "delivery_claims" }

// CreateDeliveryClaim opens a claim of owner on a campaign's deliveries,
// with a lease of the given length from the database's clock.
func (s *Store) CreateDeliveryClaim(ctx context.Context, campaignID int64, owner string, lease time.Duration) (int64, error) {
	create := s.createDeliveryClaimSQLite
	if s.dialect == Postgres {
		create = s.createDeliveryClaimPostgres
	}
	id, err := create(ctx, campaignID, owner, lease)
	if err != nil {
		return 0, fmt.Errorf("create delivery claim: %w", err)
	}
	return id, nil
}

// RenewDeliveryClaims extends the lease of every claim of owner.
func (s *Store) RenewDeliveryClaims(ctx context.Context, owner string, lease time.Duration) (int64, error) {
	renew := s.renewDeliveryClaimsSQLite
	if s.dialect == Postgres {
		renew = s.renewDeliveryClaimsPostgres
	}
	res := renew(ctx, owner, lease)
	if res.Error != nil {
		return 0, fmt.Errorf("renew delivery claims: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// ReleaseDeliveryClaim gives the deliveries a claim still holds back (they
// become pending, without counting an attempt) and deletes the claim. It
// returns how many it gave back.
func (s *Store) ReleaseDeliveryClaim(ctx context.Context, claimID int64) (int64, error) {
	var n int64
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE deliveries SET status = 'pending', claim_id = NULL WHERE claim_id = ? AND status = 'sending'`, claimID)
		if res.Error != nil {
			return fmt.Errorf("release deliveries: %w", res.Error)
		}
		n = res.RowsAffected
		if err := tx.Exec(`UPDATE deliveries SET claim_id = NULL WHERE claim_id = ?`, claimID).Error; err != nil {
			return fmt.Errorf("release deliveries: %w", err)
		}
		if err := tx.Exec(`DELETE FROM delivery_claims WHERE id = ?`, claimID).Error; err != nil {
			return fmt.Errorf("delete delivery claim: %w", err)
		}
		return nil
	})
	return n, err
}

// PurgeDeliveryClaims deletes claims whose lease ended before cutoff and
// that hold no delivery any more.
func (s *Store) PurgeDeliveryClaims(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.with(ctx).Exec(`DELETE FROM delivery_claims WHERE lease_until < ? AND NOT EXISTS
		(SELECT 1 FROM deliveries d WHERE d.claim_id = delivery_claims.id AND d.status = 'sending')`, cutoff.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("purge delivery claims: %w", res.Error)
	}
	return res.RowsAffected, nil
}

type claimedRow struct {
	ID           int64
	SubscriberID int64
	Attempts     int
	Email        *string
	Name         *string
	Locale       *string
	Reason       string
	Verdict      string
}

// claimableSQL selects deliveries d of a range that a batch may take:
// pending and due, or sending under a claim whose lease ran out (its worker
// died), while the campaign runs. nowSQL is the database clock.
//
// A lapsed claim is one the statement sees, with its lease over; never a
// claim it does not see. On PostgreSQL a row another batch claimed after
// this statement began is re-read when this statement locks it (it is
// "sending" now), but the subquery on delivery_claims still answers from
// the statement's start, when the other batch's claim did not exist yet:
// asking "is there no live claim?" would then take the row over, and the
// message would go out twice. Every sending row has its claim row (a
// claim is deleted only after its rows are given back), so asking "is its
// claim there and lapsed?" misses no row a dead worker left behind.
func claimableSQL(nowSQL string) string {
	return `d.campaign_id = @cid AND d.id BETWEEN @lo AND @hi AND d.status IN ('pending', 'sending')
		AND ((d.status = 'pending' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ` + nowSQL + `))
		  OR (d.status = 'sending' AND EXISTS (SELECT 1 FROM delivery_claims k WHERE k.id = d.claim_id AND k.lease_until <= ` + nowSQL + `)))
		AND EXISTS (SELECT 1 FROM campaigns cp WHERE cp.id = @cid AND cp.status = 'running')`
}

// ClaimDeliveries takes up to r.Limit deliveries of a running campaign in
// [r.Lo, r.Hi] for claim r.ClaimID and returns those that may be sent, with
// the recipient's address, name and language. Eligibility (status, consent,
// suppression) is judged again in the same statement, so a change committed
// before the claim wins: deliveries whose person is no longer eligible
// become skipped or opted_out and are counted. On PostgreSQL rows locked by
// another claimer are skipped (FOR UPDATE SKIP LOCKED), so batches on the
// same range share it; SQLite has a single writer.
func (s *Store) ClaimDeliveries(ctx context.Context, r app.ClaimRequest) ([]app.Recipient, error) {
	var rows []claimedRow
	args := map[string]any{"cid": r.CampaignID, "lo": r.Lo, "hi": r.Hi, "lim": r.Limit, "claim": r.ClaimID, "now": s.now()}
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		claim := claimSQLite
		if s.dialect == Postgres {
			claim = claimPostgres
		}
		var err error
		if rows, err = claim(tx, r, args); err != nil {
			return err
		}
		var skipped, optedOut int64
		for _, row := range rows {
			switch app.DeliveryStatus(row.Verdict) {
			case app.DeliverySkipped:
				skipped++
			case app.DeliveryOptedOut:
				optedOut++
			}
		}
		// The campaign's row is written only to count: claims of
		// batches under way at the same time would otherwise wait for
		// each other on it. A claim that only takes rows to send is
		// progress enough by itself (a live claim), and their results
		// count it.
		set := map[string]any{"progress_at": s.now()}
		if skipped > 0 {
			set["skipped"] = gorm.Expr("skipped + ?", skipped)
		}
		if optedOut > 0 {
			set["opted_out"] = gorm.Expr("opted_out + ?", optedOut)
		}
		if skipped > 0 || optedOut > 0 {
			if err := tx.Model(&campaignRow{}).Where("id = ?", r.CampaignID).Updates(set).Error; err != nil {
				return fmt.Errorf("count claimed deliveries: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]app.Recipient, 0, len(rows))
	for _, row := range rows {
		if row.Verdict != string(app.DeliverySending) {
			continue
		}
		out = append(out, app.Recipient{DeliveryID: row.ID, SubscriberID: row.SubscriberID, Email: str(row.Email),
			Name: str(row.Name), Locale: str(row.Locale), Attempts: row.Attempts})
	}
	// RETURNING gives no order; send in id order.
	sortRecipients(out)
	return out, nil
}

func sortRecipients(rs []app.Recipient) {
	slices.SortFunc(rs, func(a, b app.Recipient) int { return cmp.Compare(a.DeliveryID, b.DeliveryID) })
}

// DeliveryClaimOwners lists the owners of open claims.
func (s *Store) DeliveryClaimOwners(ctx context.Context) ([]string, error) {
	var owners []string
	if err := s.with(ctx).Raw(`SELECT DISTINCT owner FROM delivery_claims`).Scan(&owners).Error; err != nil {
		return nil, fmt.Errorf("claim owners: %w", err)
	}
	return owners, nil
}

// ExpireDeliveryClaims ends the leases of every claim of owner (a process
// known to be dead) and returns the campaigns they were on.
func (s *Store) ExpireDeliveryClaims(ctx context.Context, owner string) ([]int64, error) {
	var ids []int64
	past := s.now().Add(-time.Hour)
	if err := s.with(ctx).Raw(`UPDATE delivery_claims SET lease_until = ? WHERE owner = ? RETURNING campaign_id`,
		past, owner).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("expire claims: %w", err)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// LastDeliveryID returns the highest id of a campaign's pending or sending
// deliveries (0 when there is none).
func (s *Store) LastDeliveryID(ctx context.Context, campaignID int64) (int64, error) {
	var ids []int64
	if err := s.with(ctx).Raw(`SELECT id FROM deliveries WHERE campaign_id = ? AND status IN ('pending', 'sending')
		ORDER BY campaign_id DESC, id DESC LIMIT 1`, campaignID).Scan(&ids).Error; err != nil {
		return 0, fmt.Errorf("last delivery: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}
