package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

// Deliveries: the materialized audience of a campaign and its sending.
//
// A delivery row per (campaign, subscriber) is the truth of what was sent.
// Its life: pending -> sending (claimed by a batch, eligibility checked
// again in the same statement) -> sent | failed | pending (retry later);
// or pending -> skipped | opted_out when the person is no longer eligible
// at send time. A claim (delivery_claims) has a lease its worker renews;
// rows of a claim whose lease ran out are taken over by another batch.

// BeginMaterialization fixes the audience of a campaign (the subscribers
// with ids up to the highest existing now, kept across restarts) and
// returns where materialization stands: subscriber ids below from are done,
// and it ends at maxID.
func (s *Store) BeginMaterialization(ctx context.Context, id int64) (from, maxID int64, err error) {
	err = s.with(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE campaigns SET audience_max_id = (SELECT COALESCE(MAX(id), 0) FROM subscribers)
			WHERE id = ? AND audience_max_id IS NULL`, id).Error; err != nil {
			return fmt.Errorf("fix audience: %w", err)
		}
		var r campaignRow
		if err := tx.Select("materialized_upto", "audience_max_id").Take(&r, id).Error; err != nil {
			return notFound(err, "campaign")
		}
		from = r.MaterializedUpto
		if r.AudienceMaxID != nil {
			maxID = *r.AudienceMaxID
		}
		return nil
	})
	return from, maxID, err
}

// MaterializeDeliveries inserts, in one statement, a pending delivery for
// every eligible subscriber with an id in [from, to), skipping those that
// have one; it advances the campaign's cursor and recipient count in the
// same transaction and returns how many rows it inserted.
func (s *Store) MaterializeDeliveries(ctx context.Context, id int64, a app.Audience, from, to int64) (int64, error) {
	var n int64
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		q := `INSERT INTO deliveries (campaign_id, subscriber_id)
			SELECT ?, s.id FROM subscribers s
			WHERE s.id >= ? AND s.id < ? AND ` + eligibleSQL(a) + `
			ORDER BY s.id
			ON CONFLICT (campaign_id, subscriber_id) DO NOTHING`
		res := tx.Exec(q, id, from, to)
		if res.Error != nil {
			return fmt.Errorf("materialize deliveries: %w", res.Error)
		}
		n = res.RowsAffected
		t := s.now()
		upto := gorm.Expr("CASE WHEN materialized_upto < ? THEN ? ELSE materialized_upto END", to, to)
		if err := tx.Model(&campaignRow{}).Where("id = ?", id).Updates(map[string]any{
			"materialized_upto": upto, "recipients": gorm.Expr("recipients + ?", n), "progress_at": t}).Error; err != nil {
			return fmt.Errorf("advance materialization: %w", err)
		}
		return nil
	})
	return n, err
}

// FinishMaterialization records that every delivery of a campaign exists.
func (s *Store) FinishMaterialization(ctx context.Context, id int64) error {
	t := s.now()
	if err := s.with(ctx).Exec(`UPDATE campaigns SET materialized_at = ?, progress_at = ? WHERE id = ? AND materialized_at IS NULL`,
		t, t, id).Error; err != nil {
		return fmt.Errorf("finish materialization: %w", err)
	}
	return nil
}

// consentExists is the SQL test that subscriber s has granted p.
func consentExists(p app.Purpose) string {
	return `EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = s.id AND c.purpose = '` + string(p) + `' AND c.granted)`
}

// memberSQL is the test that subscriber s is on one of the audience's
// newsletters now (the default newsletter of its purpose when it names
// none): one probe of newsletter_members' primary key per newsletter.
func memberSQL(a app.Audience) string {
	in := `(SELECT n.id FROM newsletters n WHERE n.is_default AND n.purpose = '` + string(a.Purpose) + `')`
	if len(a.Newsletters) > 0 {
		in = idList(a.Newsletters)
	}
	return `EXISTS (SELECT 1 FROM newsletter_members m WHERE m.subscriber_id = s.id AND m.left_at IS NULL AND m.newsletter_id IN ` + in + `)`
}

const suppressedSQL = `EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = s.email_hash)`

// eligibleSQL is the audience rule as a condition on subscribers s; it
// mirrors app.Audience.Judge.
func eligibleSQL(a app.Audience) string {
	parts := []string{"s.status = 'active'", "s.email IS NOT NULL"}
	for _, p := range a.RequiredConsents() {
		parts = append(parts, consentExists(p))
	}
	parts = append(parts, memberSQL(a), "NOT "+suppressedSQL)
	return strings.Join(parts, " AND ")
}

// skipReasonSQL is app.Audience.Judge as an SQL expression on subscribers s
// (which may be missing: LEFT JOIN), giving the reason a delivery is
// skipped (app.Skip*: opted_out means the status opted_out, any other
// reason skipped) or the empty string when it may be sent. The order of the tests is
// Judge's.
func skipReasonSQL(a app.Audience) string {
	var b strings.Builder
	b.WriteString("CASE WHEN s.id IS NULL OR s.email IS NULL OR s.status = 'erased' THEN '" + app.SkipErased + "'")
	b.WriteString(" WHEN s.status = 'blocked' THEN '" + app.SkipBlocked + "'")
	b.WriteString(" WHEN s.status <> 'active' THEN '" + app.SkipInactive + "'")
	b.WriteString(" WHEN NOT " + consentExists(app.PurposeProcessing) + " THEN '" + app.SkipOptedOut + "'")
	if a.Purpose == app.CampaignMarketing {
		b.WriteString(" WHEN NOT " + consentExists(app.PurposeMarketing) + " THEN '" + app.SkipOptedOut + "'")
	}
	b.WriteString(" WHEN NOT " + memberSQL(a) + " THEN '" + app.SkipOptedOut + "'")
	if a.CrossBorder {
		b.WriteString(" WHEN NOT " + consentExists(app.PurposeCrossBorder) + " THEN '" + app.SkipCrossBorder + "'")
	}
	b.WriteString(" WHEN " + suppressedSQL + " THEN '" + app.SkipSuppressed + "' ELSE '' END")
	return b.String()
}

// verdictOf turns a skip reason (a column or expression) into the
// delivery's status: 'sending', 'opted_out' or 'skipped'.
func verdictOf(reason string) string {
	return "CASE " + reason + " WHEN '' THEN 'sending' WHEN '" + app.SkipOptedOut + "' THEN 'opted_out' ELSE 'skipped' END"
}

// DeliveryRanges returns the ranges of size ids (aligned on multiples of
// size) that hold pending or sending deliveries of a campaign.
func (s *Store) DeliveryRanges(ctx context.Context, id int64, size int64) ([]app.DeliveryRange, error) {
	var buckets []int64
	if err := s.with(ctx).Raw(`SELECT DISTINCT id / ? AS b FROM deliveries
		WHERE campaign_id = ? AND status IN ('pending', 'sending') ORDER BY b`, size, id).Scan(&buckets).Error; err != nil {
		return nil, fmt.Errorf("delivery ranges: %w", err)
	}
	out := make([]app.DeliveryRange, len(buckets))
	for i, b := range buckets {
		out[i] = app.DeliveryRange{Lo: b * size, Hi: (b+1)*size - 1}
	}
	return out, nil
}

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
		set := map[string]any{"progress_at": s.now()}
		if skipped > 0 {
			set["skipped"] = gorm.Expr("skipped + ?", skipped)
		}
		if optedOut > 0 {
			set["opted_out"] = gorm.Expr("opted_out + ?", optedOut)
		}
		if len(rows) > 0 {
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
