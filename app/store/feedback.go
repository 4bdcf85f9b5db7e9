package store

import (
	"context"
	"fmt"
	"time"

	"newsletter/app"
)

// Delivery feedback: bounce and complaint events, the campaign counters and
// lists computed from them, webhook replay keys and lifted suppressions.

// FeedbackTarget implements app.FeedbackStore.
func (s *Store) FeedbackTarget(ctx context.Context, deliveryID int64) (*app.FeedbackTarget, error) {
	var rows []struct {
		ID           int64
		CampaignID   int64
		SubscriberID int64
		Status       string
		EmailHash    *string
	}
	if err := s.with(ctx).Raw(`SELECT d.id, d.campaign_id, d.subscriber_id, d.status, s.email_hash
		FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id WHERE d.id = ?`, deliveryID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("feedback target: %w", err)
	}
	if len(rows) == 0 {
		return nil, app.Errorf(app.ENOTFOUND, "delivery not found")
	}
	r := rows[0]
	return &app.FeedbackTarget{DeliveryID: r.ID, CampaignID: r.CampaignID, SubscriberID: r.SubscriberID,
		Status: app.DeliveryStatus(r.Status), EmailHash: str(r.EmailHash)}, nil
}

// AddFeedbackEvent implements app.FeedbackStore. The unique event key makes
// a second insert of one event do nothing; a concurrent one waits for the
// first to commit.
func (s *Store) AddFeedbackEvent(ctx context.Context, r *app.FeedbackRecord) (bool, error) {
	var ids []int64
	err := s.with(ctx).Raw(`INSERT INTO feedback_events (event_key, source, kind, delivery_id, campaign_id, subscriber_id,
		status, request_id, inbound_id, occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (event_key) DO NOTHING RETURNING id`,
		r.Key, r.Source, r.Kind, r.DeliveryID, r.CampaignID, r.SubscriberID, r.Status, r.RequestID, r.InboundID,
		r.OccurredAt.UTC(), s.now()).Scan(&ids).Error
	if err != nil {
		return false, fmt.Errorf("add feedback event: %w", err)
	}
	if len(ids) == 0 {
		return false, nil
	}
	r.ID = ids[0]
	return true, s.recordFeedbackEvent(ctx, r)
}

// SetFeedbackRequest implements app.FeedbackStore.
func (s *Store) SetFeedbackRequest(ctx context.Context, eventID, requestID int64) error {
	if err := s.with(ctx).Exec(`UPDATE feedback_events SET request_id = ? WHERE id = ?`, requestID, eventID).Error; err != nil {
		return fmt.Errorf("link feedback event: %w", err)
	}
	return nil
}

// RecordReplayKey implements app.FeedbackStore.
func (s *Store) RecordReplayKey(ctx context.Context, key string, at, purgeBefore time.Time) (bool, error) {
	db := s.with(ctx)
	if err := db.Exec(`DELETE FROM webhook_replays WHERE seen_at < ?`, purgeBefore.UTC()).Error; err != nil {
		return false, fmt.Errorf("purge replay keys: %w", err)
	}
	var keys []string
	if err := db.Raw(`INSERT INTO webhook_replays (replay_key, seen_at) VALUES (?, ?) ON CONFLICT (replay_key) DO NOTHING
		RETURNING replay_key`, key, at.UTC()).Scan(&keys).Error; err != nil {
		return false, fmt.Errorf("record replay key: %w", err)
	}
	return len(keys) == 1, nil
}

// Opt-outs that count as a campaign's unsubscribes: through its links (the
// one-click POST, the unsubscribe page, the mailto with its token), not a
// complaint.
const unsubscribedSQL = `kind IN ('marketing_optout', 'consent_revocation') AND channel IN ('one_click', 'web', 'email')
	AND status <> 'rejected' AND subscriber_id IS NOT NULL`

// bouncesSQL is every bounce of the campaigns @ids, one row per delivery
// and source event: reported ones, and the failures whose SMTP answer was a
// refusal (5xx hard, 4xx given up soft).
const bouncesSQL = `SELECT campaign_id, delivery_id, kind, status, source FROM feedback_events
		WHERE campaign_id IN @ids AND kind IN ('hard_bounce', 'soft_bounce')
	UNION ALL
	SELECT campaign_id, id, CASE WHEN smtp_code >= 500 THEN 'hard_bounce' ELSE 'soft_bounce' END, CAST(smtp_code AS TEXT), 'smtp'
		FROM deliveries WHERE campaign_id IN @ids AND status = 'failed' AND smtp_code >= 400`

// CampaignFeedback implements app.CampaignStore.
func (s *Store) CampaignFeedback(ctx context.Context, ids []int64) (map[int64]app.CampaignFeedback, error) {
	out := make(map[int64]app.CampaignFeedback, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		out[id] = app.CampaignFeedback{SkippedReasons: map[string]int64{}}
	}
	db := s.with(ctx)
	args := map[string]any{"ids": ids}
	type count struct {
		CampaignID int64
		Key        string
		N          int64
	}
	var counts []count
	// An unsubscribe is an opt-out request, or leaving the campaign's
	// newsletters through its links; a person counts once.
	if err := db.Raw(`SELECT campaign_id, '' AS key, COUNT(DISTINCT subscriber_id) AS n FROM (
			SELECT campaign_id, subscriber_id FROM requests WHERE campaign_id IN @ids AND `+unsubscribedSQL+`
			UNION ALL
			SELECT campaign_id, subscriber_id FROM newsletter_events WHERE campaign_id IN @ids AND action = 'left'
				AND channel IN ('one_click', 'web', 'email')
		) u GROUP BY campaign_id`, args).Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("count unsubscribes: %w", err)
	}
	for _, c := range counts {
		f := out[c.CampaignID]
		f.Unsubscribed = c.N
		out[c.CampaignID] = f
	}
	counts = nil
	if err := db.Raw(`SELECT campaign_id, CASE WHEN hard > 0 THEN 'hard' ELSE 'soft' END AS key, COUNT(*) AS n FROM (
			SELECT campaign_id, delivery_id, SUM(CASE WHEN kind = 'hard_bounce' THEN 1 ELSE 0 END) AS hard
			FROM (`+bouncesSQL+`) b GROUP BY campaign_id, delivery_id
		) d GROUP BY campaign_id, CASE WHEN hard > 0 THEN 'hard' ELSE 'soft' END`, args).Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("count bounces: %w", err)
	}
	for _, c := range counts {
		f := out[c.CampaignID]
		if c.Key == "hard" {
			f.BouncedHard = c.N
		} else {
			f.BouncedSoft = c.N
		}
		f.Bounced = f.BouncedHard + f.BouncedSoft
		out[c.CampaignID] = f
	}
	counts = nil
	if err := db.Raw(`SELECT campaign_id, '' AS key, COUNT(DISTINCT delivery_id) AS n FROM feedback_events
		WHERE campaign_id IN @ids AND kind = 'complaint' GROUP BY campaign_id`, args).Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("count complaints: %w", err)
	}
	for _, c := range counts {
		f := out[c.CampaignID]
		f.Complaints = c.N
		out[c.CampaignID] = f
	}
	counts = nil
	if err := db.Raw(`SELECT campaign_id, CASE WHEN status = 'opted_out' THEN 'opted_out' WHEN skip_reason = '' THEN 'other'
			ELSE skip_reason END AS key, COUNT(*) AS n
		FROM deliveries WHERE campaign_id IN @ids AND status IN ('skipped', 'opted_out')
		GROUP BY campaign_id, CASE WHEN status = 'opted_out' THEN 'opted_out' WHEN skip_reason = '' THEN 'other' ELSE skip_reason END`,
		args).Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("count skipped deliveries: %w", err)
	}
	for _, c := range counts {
		out[c.CampaignID].SkippedReasons[c.Key] += c.N
	}
	return out, nil
}

// outcomeRow is one entry of an outcome list as read.
type outcomeRow struct {
	ID           int64
	SubscriberID *int64
	Kind         string
	Detail       string
	Source       string
	At           *time.Time
}

// CampaignOutcomes implements app.CampaignStore.
func (s *Store) CampaignOutcomes(ctx context.Context, q app.OutcomeQuery) ([]app.CampaignOutcome, error) {
	args := map[string]any{"c": q.CampaignID, "ids": []int64{q.CampaignID}, "after": q.AfterID, "lim": q.Limit}
	var sql string
	switch q.List {
	case app.OutcomeFailed:
		sql = `SELECT id, subscriber_id, 'failed' AS kind, CASE WHEN smtp_code > 0 THEN CAST(smtp_code AS TEXT) || ' ' || error
				ELSE error END AS detail, 'smtp' AS source
			FROM deliveries WHERE campaign_id = @c AND status = 'failed' AND id > @after ORDER BY id LIMIT @lim`
	case app.OutcomeBounced:
		sql = `SELECT d.id, d.subscriber_id, CASE WHEN b.hard > 0 THEN 'hard_bounce' ELSE 'soft_bounce' END AS kind,
				b.detail, b.source
			FROM (SELECT delivery_id, SUM(CASE WHEN kind = 'hard_bounce' THEN 1 ELSE 0 END) AS hard, MAX(status) AS detail,
					MIN(source) AS source
				FROM (` + bouncesSQL + `) u GROUP BY delivery_id) b
			JOIN deliveries d ON d.id = b.delivery_id WHERE d.id > @after ORDER BY d.id LIMIT @lim`
	case app.OutcomeComplaints:
		sql = `SELECT id, subscriber_id, 'complaint' AS kind, status AS detail, source, occurred_at AS at
			FROM feedback_events WHERE campaign_id = @c AND kind = 'complaint' AND id > @after ORDER BY id LIMIT @lim`
	case app.OutcomeUnsubscribed:
		sql = `SELECT id, subscriber_id, 'unsubscribed' AS kind, kind AS detail, channel AS source, received_at AS at
			FROM requests WHERE campaign_id = @c AND ` + unsubscribedSQL + ` AND id > @after ORDER BY id LIMIT @lim`
	case app.OutcomeSkipped:
		sql = `SELECT id, subscriber_id, 'skipped' AS kind, CASE WHEN status = 'opted_out' THEN 'opted_out'
				WHEN skip_reason = '' THEN 'other' ELSE skip_reason END AS detail, '' AS source
			FROM deliveries WHERE campaign_id = @c AND status IN ('skipped', 'opted_out') AND id > @after ORDER BY id LIMIT @lim`
	default:
		return nil, app.Errorf(app.EINVALID, "Unknown list.")
	}
	var rows []outcomeRow
	if err := s.with(ctx).Raw(sql, args).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("campaign outcomes: %w", err)
	}
	out := make([]app.CampaignOutcome, len(rows))
	var subIDs []int64
	for i, r := range rows {
		out[i] = app.CampaignOutcome{ID: r.ID, SubscriberID: r.SubscriberID, Kind: r.Kind, Detail: truncate(r.Detail, 300),
			Source: r.Source, At: utcPtr(r.At)}
		if r.SubscriberID != nil {
			subIDs = append(subIDs, *r.SubscriberID)
		}
	}
	if !q.People || len(subIDs) == 0 {
		return out, nil
	}
	var people []struct {
		ID    int64
		Name  *string
		Email *string
	}
	if err := s.with(ctx).Raw(`SELECT id, name, email FROM subscribers WHERE id IN ?`, subIDs).Scan(&people).Error; err != nil {
		return nil, fmt.Errorf("campaign outcomes: people: %w", err)
	}
	byID := map[int64]int{}
	for i, p := range people {
		byID[p.ID] = i
	}
	for i := range out {
		if out[i].SubscriberID == nil {
			continue
		}
		if j, ok := byID[*out[i].SubscriberID]; ok {
			out[i].Name, out[i].Email = str(people[j].Name), str(people[j].Email)
		}
	}
	return out, nil
}

// The officer's reason for a lift may describe the person: erasure blanks
// it with the rest of their data.
func init() {
	eraseExtra = append(eraseExtra, `UPDATE suppression_lifts SET reason = '' WHERE subscriber_id = ?`)
}
