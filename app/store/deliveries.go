package store

import (
	"context"
	"fmt"
	"strings"

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
//
// Here the materialization of the audience; the claims are in
// delivery_claims.go, the recording of outcomes in delivery_outcomes.go, and
// the statements that differ by dialect in deliveries_postgres.go and
// deliveries_sqlite.go.

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
		args := map[string]any{"cid": id, "from": from, "to": to}
		q := `INSERT INTO deliveries (campaign_id, subscriber_id)
			SELECT @cid, s.id FROM subscribers s
			WHERE s.id >= @from AND s.id < @to AND ` + eligibleSQL(a) + ` AND ` + segmentSQL(a.Segment, args, consentExists) + `
			ORDER BY s.id
			ON CONFLICT (campaign_id, subscriber_id) DO NOTHING`
		res := tx.Exec(q, args)
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

// consentFlag is consentExists read from the copy on the subscriber's row
// (migration 0024: the database keeps it equal to the consents).
func consentFlag(p app.Purpose) string {
	return "s.consent_" + string(p)
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
// Judge's, then the segment's (app.SegmentFilter.Match), whose named
// arguments it adds to args.
func skipReasonSQL(a app.Audience, args map[string]any) string {
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
	b.WriteString(" WHEN " + suppressedSQL + " THEN '" + app.SkipSuppressed + "'")
	if !a.Segment.IsZero() {
		b.WriteString(" WHEN NOT " + segmentSQL(a.Segment, args, consentExists) + " THEN '" + app.SkipSegment + "'")
	}
	b.WriteString(" ELSE '' END")
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
