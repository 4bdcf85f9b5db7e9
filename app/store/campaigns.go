package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"newsletter/app"
)

// Campaigns (app.CampaignStore) and the campaign-level steps of sending;
// the deliveries of a campaign are in deliveries.go.

type campaignRow struct {
	ID               int64
	Name             string
	Subject          string
	Purpose          string
	Locale           string
	BodyHTML         string
	BodyText         string
	Format           string
	Translations     string
	Archive          bool
	TrackClicks      bool
	Status           string
	SendAt           *time.Time
	SegmentID        *int64
	Template         bool
	Version          int64
	Recipients       int64
	Sent             int64
	Failed           int64
	Skipped          int64
	OptedOut         int64
	AudienceMaxID    *int64
	MaterializedUpto int64
	MaterializedAt   *time.Time
	ProgressAt       *time.Time
	CreatedBy        *int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
	StartedAt        *time.Time
	FinishedAt       *time.Time
}

func (campaignRow) TableName() string { return "campaigns" }

func (r *campaignRow) campaign() *app.Campaign {
	c := &app.Campaign{
		ID: r.ID, Name: r.Name, Subject: r.Subject, Purpose: app.CampaignPurpose(r.Purpose), Locale: r.Locale,
		BodyHTML: r.BodyHTML, BodyText: r.BodyText, Status: app.CampaignStatus(r.Status), SendAt: utcPtr(r.SendAt),
		Version: r.Version, SegmentID: r.SegmentID, Template: r.Template,
		CampaignCounters: app.CampaignCounters{Recipients: r.Recipients, Sent: r.Sent, Failed: r.Failed,
			Skipped: r.Skipped, OptedOut: r.OptedOut},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), StartedAt: utcPtr(r.StartedAt),
		FinishedAt: utcPtr(r.FinishedAt), MaterializedAt: utcPtr(r.MaterializedAt),
	}
	if r.CreatedBy != nil {
		c.CreatedBy = *r.CreatedBy
	}
	setContent(c, r.Format, r.Translations)
	c.Archive, c.TrackClicks = r.Archive, r.TrackClicks
	return c
}

// setCampaignNewsletters makes ids the newsletters of campaign id; none
// means the default newsletter of its purpose.
func (s *Store) setCampaignNewsletters(ctx context.Context, id int64, ids []int64) error {
	db := s.with(ctx)
	if err := db.Exec(`DELETE FROM campaign_newsletters WHERE campaign_id = ?`, id).Error; err != nil {
		return fmt.Errorf("set campaign newsletters: %w", err)
	}
	var err error
	if len(ids) == 0 {
		err = db.Exec(`INSERT INTO campaign_newsletters (campaign_id, newsletter_id)
			SELECT c.id, n.id FROM campaigns c JOIN newsletters n ON n.is_default AND n.purpose = c.purpose WHERE c.id = ?`, id).Error
	} else {
		err = db.Exec(`INSERT INTO campaign_newsletters (campaign_id, newsletter_id)
			SELECT ?, n.id FROM newsletters n WHERE n.id IN ?`, id, ids).Error
	}
	if err != nil {
		return fmt.Errorf("set campaign newsletters: %w", err)
	}
	return nil
}

// addCampaignNewsletters fills in the newsletters of campaigns, in one
// query.
func (s *Store) addCampaignNewsletters(ctx context.Context, cs ...*app.Campaign) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	byID := make(map[int64]*app.Campaign, len(cs))
	for i, c := range cs {
		ids[i], byID[c.ID] = c.ID, c
		c.NewsletterIDs = []int64{}
	}
	var rows []struct{ CampaignID, NewsletterID int64 }
	if err := s.with(ctx).Raw(`SELECT campaign_id, newsletter_id FROM campaign_newsletters WHERE campaign_id IN ?
		ORDER BY campaign_id, newsletter_id`, ids).Scan(&rows).Error; err != nil {
		return fmt.Errorf("read campaign newsletters: %w", err)
	}
	for _, r := range rows {
		c := byID[r.CampaignID]
		c.NewsletterIDs = append(c.NewsletterIDs, r.NewsletterID)
	}
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateCampaign inserts a campaign.
func (s *Store) CreateCampaign(ctx context.Context, c *app.Campaign) error {
	t := s.now()
	format, body, translations, err := contentColumns(c)
	if err != nil {
		return err
	}
	r := campaignRow{Name: c.Name, Subject: c.Subject, Purpose: string(c.Purpose), Locale: c.Locale,
		BodyHTML: body, BodyText: c.BodyText, Format: format, Translations: translations, Status: string(c.Status),
		SendAt: c.SendAt, SegmentID: c.SegmentID, Template: c.Template, CreatedAt: t, UpdatedAt: t, Archive: c.Archive, TrackClicks: c.TrackClicks}
	if r.Status == "" {
		r.Status = string(app.CampaignDraft)
	}
	if c.CreatedBy != 0 {
		r.CreatedBy = &c.CreatedBy
	}
	err = s.tx(ctx, func(tx *Store) error {
		if err := tx.with(ctx).Create(&r).Error; err != nil {
			return fmt.Errorf("create campaign: %w", err)
		}
		return tx.setCampaignNewsletters(ctx, r.ID, c.NewsletterIDs)
	})
	if err != nil {
		return err
	}
	ids, seg := c.NewsletterIDs, c.Segment
	*c = *r.campaign()
	c.NewsletterIDs, c.Segment = ids, seg
	return nil
}

// Campaign returns the campaign with id.
func (s *Store) Campaign(ctx context.Context, id int64) (*app.Campaign, error) {
	var r campaignRow
	if err := s.with(ctx).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "campaign")
	}
	c := r.campaign()
	if err := s.addSentShards(ctx, c); err != nil {
		return nil, err
	}
	if err := s.readCampaignSegment(ctx, c); err != nil {
		return nil, err
	}
	if err := s.addCampaignNewsletters(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// ListCampaigns returns campaigns, newest first.
func (s *Store) ListCampaigns(ctx context.Context, f app.CampaignFilter) ([]app.Campaign, error) {
	q := s.with(ctx).Model(&campaignRow{}).Order("id DESC")
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	q = q.Where("template = ?", f.Templates)
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var rows []campaignRow
	if err := q.Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	out := make([]app.Campaign, len(rows))
	ptrs := make([]*app.Campaign, len(rows))
	for i := range rows {
		out[i] = *rows[i].campaign()
		ptrs[i] = &out[i]
	}
	if err := s.addSentShards(ctx, ptrs...); err != nil {
		return nil, err
	}
	if err := s.addCampaignNewsletters(ctx, ptrs...); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateCampaignDraft writes the editable fields of a draft.
func (s *Store) UpdateCampaignDraft(ctx context.Context, c *app.Campaign) error {
	t := s.now()
	format, body, translations, err := contentColumns(c)
	if err != nil {
		return err
	}
	var res *gorm.DB
	err = s.tx(ctx, func(tx *Store) error {
		res = tx.with(ctx).Model(&campaignRow{}).Where("id = ? AND status = ?", c.ID, string(app.CampaignDraft)).
			Updates(map[string]any{"name": c.Name, "subject": c.Subject, "purpose": string(c.Purpose), "locale": c.Locale,
				"body_html": body, "body_text": c.BodyText, "format": format, "translations": translations,
				"segment_id": c.SegmentID, "updated_at": t, "archive": c.Archive, "track_clicks": c.TrackClicks})
		if res.Error != nil {
			return fmt.Errorf("update campaign: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		return tx.setCampaignNewsletters(ctx, c.ID, c.NewsletterIDs)
	})
	if err != nil {
		return err
	}
	if res.RowsAffected == 0 {
		if _, err := s.Campaign(ctx, c.ID); err != nil {
			return err
		}
		return app.Errorf(app.ECONFLICT, "Only a draft can be edited.")
	}
	c.UpdatedAt = t
	return nil
}

// TransitionCampaign changes a campaign's status when it is one of t.From.
func (s *Store) TransitionCampaign(ctx context.Context, id int64, t app.CampaignTransition) (*app.Campaign, error) {
	at := s.now()
	from := make([]string, len(t.From))
	for i, f := range t.From {
		from[i] = string(f)
	}
	set := map[string]any{"status": string(t.To), "updated_at": at}
	if t.SendAt != nil {
		set["send_at"] = t.SendAt.UTC()
	}
	if t.ClearSendAt {
		set["send_at"] = nil
	}
	if t.BumpVersion {
		set["version"] = gorm.Expr("version + 1")
		set["progress_at"] = at
	}
	if t.To == app.CampaignCancelled || t.To == app.CampaignFinished {
		set["finished_at"] = at
	}
	if t.To == app.CampaignRunning {
		set["started_at"] = gorm.Expr("COALESCE(started_at, ?)", at)
	}
	res := s.with(ctx).Model(&campaignRow{}).Where("id = ? AND status IN ?", id, from).Updates(set)
	if res.Error != nil {
		return nil, fmt.Errorf("change campaign status: %w", res.Error)
	}
	c, err := s.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if res.RowsAffected == 0 {
		return nil, app.Errorf(app.ECONFLICT, "The campaign is %s.", c.Status)
	}
	return c, nil
}

// RetryFailedDeliveries makes the failed deliveries of a running, paused or
// finished campaign pending again; a finished one runs again. Each retry
// starts a new dispatch round.
func (s *Store) RetryFailedDeliveries(ctx context.Context, id int64) (int64, error) {
	var n int64
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		var r campaignRow
		q := tx.Select("id", "status")
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&r, id).Error; err != nil {
			return notFound(err, "campaign")
		}
		switch app.CampaignStatus(r.Status) {
		case app.CampaignRunning, app.CampaignPaused, app.CampaignFinished:
		default:
			return app.Errorf(app.ECONFLICT, "A %s campaign has no deliveries to retry.", r.Status)
		}
		res := tx.Exec(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL, claim_id = NULL,
			smtp_code = 0, error = '' WHERE campaign_id = ? AND status = 'failed'`, id)
		if res.Error != nil {
			return fmt.Errorf("retry failed deliveries: %w", res.Error)
		}
		n = res.RowsAffected
		if n == 0 {
			return nil
		}
		at := s.now()
		set := map[string]any{"failed": gorm.Expr("failed - ?", n), "version": gorm.Expr("version + 1"),
			"progress_at": at, "updated_at": at}
		if app.CampaignStatus(r.Status) == app.CampaignFinished {
			set["status"], set["finished_at"] = string(app.CampaignRunning), nil
		}
		if err := tx.Model(&campaignRow{}).Where("id = ?", id).Updates(set).Error; err != nil {
			return fmt.Errorf("reopen campaign: %w", err)
		}
		return nil
	})
	return n, err
}

// StartCampaign moves a scheduled campaign whose time has come to running,
// if version is still its round. It reports whether it did.
func (s *Store) StartCampaign(ctx context.Context, id, version int64, at time.Time) (bool, error) {
	t := s.now()
	res := s.with(ctx).Exec(`UPDATE campaigns SET status = 'running', started_at = COALESCE(started_at, ?),
		progress_at = ?, updated_at = ? WHERE id = ? AND status = 'scheduled' AND version = ? AND (send_at IS NULL OR send_at <= ?)`,
		t, t, t, id, version, at.UTC())
	if res.Error != nil {
		return false, fmt.Errorf("start campaign: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FinishCampaignIfDone marks a running campaign finished once every
// delivery exists and none is pending or being sent.
func (s *Store) FinishCampaignIfDone(ctx context.Context, id int64) (bool, error) {
	t := s.now()
	finished := false
	err := s.tx(ctx, func(tx *Store) error {
		res := tx.with(ctx).Exec(`UPDATE campaigns SET status = 'finished', finished_at = ?, updated_at = ?
		WHERE id = ? AND status = 'running' AND materialized_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.campaign_id = ? AND d.status IN ('pending', 'sending'))`,
			t, t, id, id)
		if res.Error != nil {
			return fmt.Errorf("finish campaign: %w", res.Error)
		}
		finished = res.RowsAffected == 1
		if !finished {
			return nil
		}
		return tx.RecordEvent(ctx, app.Event{Type: app.EventCampaignFinished, At: t, Data: app.EventData{CampaignID: id}})
	})
	return finished, err
}

// DueCampaigns lists scheduled campaigns whose send time has come.
func (s *Store) DueCampaigns(ctx context.Context, at time.Time) ([]app.CampaignRound, error) {
	var out []app.CampaignRound
	if err := s.with(ctx).Raw(`SELECT id, version FROM campaigns WHERE status = 'scheduled' AND send_at <= ? ORDER BY id`,
		at.UTC()).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("due campaigns: %w", err)
	}
	return out, nil
}

// StalledCampaigns lists running campaigns that need a new dispatch round,
// at most once per quiet period (since their last round): those with
// deliveries held by a claim whose lease ran out (its worker died), and
// those where nothing happened for quiet, no claim is alive and work is due
// (a lost task, or materialization cut short).
func (s *Store) StalledCampaigns(ctx context.Context, quiet time.Duration) ([]app.CampaignRound, error) {
	nowSQL, args := "now()", map[string]any{}
	if s.dialect != Postgres {
		nowSQL = "@now"
		args["now"] = s.now()
	}
	args["since"] = s.now().Add(-quiet)
	q := `SELECT c.id, c.version FROM campaigns c WHERE c.status = 'running' AND c.updated_at < @since AND (
		EXISTS (SELECT 1 FROM delivery_claims k WHERE k.campaign_id = c.id AND k.lease_until <= ` + nowSQL + `
			AND EXISTS (SELECT 1 FROM deliveries d WHERE d.claim_id = k.id AND d.status = 'sending'))
		OR (COALESCE(c.progress_at, c.updated_at) < @since AND ` + sentShardsQuietSQL + `
			AND NOT EXISTS (SELECT 1 FROM delivery_claims k WHERE k.campaign_id = c.id AND k.lease_until > ` + nowSQL + `)
			AND (c.materialized_at IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.campaign_id = c.id
				AND d.status IN ('pending', 'sending')
				AND (d.status = 'sending' OR d.next_attempt_at IS NULL OR d.next_attempt_at <= ` + nowSQL + `))))
		OR (c.materialized_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.campaign_id = c.id
			AND d.status IN ('pending', 'sending'))))
		ORDER BY c.id`
	var out []app.CampaignRound
	if err := s.with(ctx).Raw(q, args).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("stalled campaigns: %w", err)
	}
	return out, nil
}

// BumpCampaignVersion starts a new dispatch round of a running campaign if
// version is still its round; it reports whether it did (another process
// may have done it first).
func (s *Store) BumpCampaignVersion(ctx context.Context, id, version int64) (bool, error) {
	t := s.now()
	res := s.with(ctx).Exec(`UPDATE campaigns SET version = version + 1, updated_at = ?, progress_at = ?
		WHERE id = ? AND version = ? AND status = 'running'`, t, t, id, version)
	if res.Error != nil {
		return false, fmt.Errorf("new campaign round: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FailedDeliveries implements app.CampaignStore.
func (s *Store) FailedDeliveries(ctx context.Context, campaignID, afterID int64, limit int) ([]app.FailedDelivery, error) {
	var rows []struct {
		ID           int64
		SubscriberID int64
		Attempts     int
		SMTPCode     int `gorm:"column:smtp_code"`
		Error        string
		SentAt       *time.Time
	}
	err := s.with(ctx).Raw(`SELECT id, subscriber_id, attempts, smtp_code, error, sent_at FROM deliveries
		WHERE campaign_id = ? AND status = 'failed' AND id > ? ORDER BY id LIMIT ?`, campaignID, afterID, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("failed deliveries: %w", err)
	}
	out := make([]app.FailedDelivery, len(rows))
	for i, r := range rows {
		out[i] = app.FailedDelivery{ID: r.ID, SubscriberID: r.SubscriberID, Attempts: r.Attempts, SMTPCode: r.SMTPCode,
			Error: r.Error, SentAt: r.SentAt}
	}
	return out, nil
}

// SubscriberDeliveries lists the campaign messages of a subscriber, for
// the access export.
func (s *Store) SubscriberDeliveries(ctx context.Context, subscriberID int64) ([]app.DeliveryRecord, error) {
	var rows []struct {
		CampaignID   int64
		Name         string
		Subject      string
		Locale       string
		Translations string
		Purpose      string
		Status       string
		SentAt       *time.Time
		Person       *string
		PersonLocale string
	}
	err := s.with(ctx).Raw(`SELECT d.campaign_id, c.name, c.subject, c.locale, c.translations, c.purpose, d.status, d.sent_at,
			p.name AS person, p.locale AS person_locale
		FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id JOIN subscribers p ON p.id = d.subscriber_id
		WHERE d.subscriber_id = ? ORDER BY d.id`, subscriberID).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list deliveries of subscriber: %w", err)
	}
	out := make([]app.DeliveryRecord, len(rows))
	subjects := map[int64]string{} // by campaign: one person, so one subject each
	for i, r := range rows {
		// The subject as this person received it: their language's,
		// their name merged.
		subject, ok := subjects[r.CampaignID]
		if !ok {
			c := &app.Campaign{Subject: r.Subject, Locale: r.Locale}
			setContent(c, "", r.Translations)
			subject = c.SubjectAsSent(r.PersonLocale, str(r.Person))
			subjects[r.CampaignID] = subject
		}
		out[i] = app.DeliveryRecord{CampaignID: r.CampaignID, Campaign: r.Name, Subject: subject,
			Purpose: r.Purpose, Status: r.Status, SentAt: r.SentAt}
	}
	return out, nil
}
