package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"newsletter/app"
)

// The public archive and the aggregate click counts
// (app.CampaignArchiveStore).

// SetCampaignArchive publishes (or withdraws) a campaign. It changes
// updated_at, so the archive renders it again.
func (s *Store) SetCampaignArchive(ctx context.Context, id int64, on bool) error {
	res := s.with(ctx).Model(&campaignRow{}).Where("id = ?", id).
		Updates(map[string]any{"archive": on, "updated_at": s.now()})
	if res.Error != nil {
		return fmt.Errorf("set campaign archive: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENOTFOUND, "campaign not found")
	}
	return nil
}

// ArchivedCampaigns lists the published finished campaigns, newest first.
func (s *Store) ArchivedCampaigns(ctx context.Context, offset, limit int) ([]app.Campaign, error) {
	var rows []campaignRow
	err := s.with(ctx).Where("archive AND status = ? AND finished_at IS NOT NULL", string(app.CampaignFinished)).
		Order("finished_at DESC, id DESC").Offset(offset).Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list archived campaigns: %w", err)
	}
	return fromRows(rows, (*campaignRow).campaign), nil
}

// campaignLinkRow is one counted link of a campaign.
type campaignLinkRow struct {
	CampaignID int64 `gorm:"primaryKey"`
	Idx        int   `gorm:"primaryKey"`
	URL        string
	Clicks     int64
}

func (campaignLinkRow) TableName() string { return "campaign_links" }

// RegisterCampaignLinks stores a campaign's counted links by index; a link
// stored before keeps its count, unless its index now names another URL
// (a campaign taken back to draft and edited).
func (s *Store) RegisterCampaignLinks(ctx context.Context, campaignID int64, urls []string) error {
	if len(urls) == 0 {
		return nil
	}
	rows := make([]campaignLinkRow, len(urls))
	for i, u := range urls {
		rows[i] = campaignLinkRow{CampaignID: campaignID, Idx: i, URL: u}
	}
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		for _, r := range rows {
			if err := tx.Exec(`INSERT INTO campaign_links (campaign_id, idx, url, clicks) VALUES (?, ?, ?, 0)
				ON CONFLICT (campaign_id, idx) DO UPDATE SET url = EXCLUDED.url,
				clicks = CASE WHEN campaign_links.url = EXCLUDED.url THEN campaign_links.clicks ELSE 0 END`, r.CampaignID, r.Idx, r.URL).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("register campaign %d links: %w", campaignID, err)
	}
	return nil
}

// CountClick adds one click to a link in one statement and returns its
// URL; ENOTFOUND when there is no such link.
func (s *Store) CountClick(ctx context.Context, campaignID int64, index int) (string, error) {
	var urls []string
	err := s.with(ctx).Raw(`UPDATE campaign_links SET clicks = clicks + 1 WHERE campaign_id = ? AND idx = ? RETURNING url`,
		campaignID, index).Scan(&urls).Error
	if err != nil {
		return "", fmt.Errorf("count click: %w", err)
	}
	if len(urls) == 0 {
		return "", app.Errorf(app.ENOTFOUND, "link not found")
	}
	return urls[0], nil
}

// CampaignLinkURL returns a link's URL without counting.
func (s *Store) CampaignLinkURL(ctx context.Context, campaignID int64, index int) (string, error) {
	var r campaignLinkRow
	if err := s.with(ctx).Where("campaign_id = ? AND idx = ?", campaignID, index).Take(&r).Error; err != nil {
		return "", notFound(err, "link")
	}
	return r.URL, nil
}

// CampaignLinks lists a campaign's counted links by index.
func (s *Store) CampaignLinks(ctx context.Context, campaignID int64) ([]app.CampaignLink, error) {
	var rows []campaignLinkRow
	if err := s.with(ctx).Where("campaign_id = ?", campaignID).Order("idx").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list campaign links: %w", err)
	}
	out := make([]app.CampaignLink, len(rows))
	for i, r := range rows {
		out[i] = app.CampaignLink{Index: r.Idx, URL: r.URL, Clicks: r.Clicks}
	}
	return out, nil
}
