package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"newsletter/app"
)

// The owner's mail layout of each language (app.MailLayoutStore).

type mailLayoutRow struct {
	Locale          string `gorm:"primaryKey"`
	LogoURL         string `gorm:"column:logo_url"`
	BrandColor      string
	BackgroundColor string
	FooterText      string
	UpdatedAt       time.Time
}

func (mailLayoutRow) TableName() string { return "mail_layouts" }

// ListMailLayouts returns the saved layouts, by language.
func (s *Store) ListMailLayouts(ctx context.Context) ([]app.MailLayout, error) {
	var rows []mailLayoutRow
	if err := s.with(ctx).Order("locale").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list mail layouts: %w", err)
	}
	out := make([]app.MailLayout, len(rows))
	for i, r := range rows {
		out[i] = app.MailLayout{Locale: r.Locale, LogoURL: r.LogoURL, BrandColor: r.BrandColor,
			BackgroundColor: r.BackgroundColor, FooterText: r.FooterText, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// PutMailLayout saves the layout of l.Locale, replacing the one saved.
func (s *Store) PutMailLayout(ctx context.Context, l app.MailLayout) error {
	r := mailLayoutRow{Locale: l.Locale, LogoURL: l.LogoURL, BrandColor: l.BrandColor, BackgroundColor: l.BackgroundColor,
		FooterText: l.FooterText, UpdatedAt: l.UpdatedAt.UTC()}
	err := s.with(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "locale"}},
		DoUpdates: clause.AssignmentColumns([]string{"logo_url", "brand_color", "background_color", "footer_text", "updated_at"})}).
		Create(&r).Error
	if err != nil {
		return fmt.Errorf("save mail layout %s: %w", l.Locale, err)
	}
	return nil
}
