package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

// Published versions of the privacy policy (app.PolicyStore).

type policyRow struct {
	ID          int64
	Version     string
	BodyEN      string `gorm:"column:body_en"`
	BodyRU      string `gorm:"column:body_ru"`
	PublishedAt time.Time
}

func (policyRow) TableName() string { return "policy_versions" }

func (r *policyRow) policy() *app.PolicyVersion {
	return &app.PolicyVersion{ID: r.ID, Version: r.Version, BodyEN: r.BodyEN, BodyRU: r.BodyRU, PublishedAt: r.PublishedAt}
}

// CurrentPolicy returns the latest published policy version.
func (s *Store) CurrentPolicy(ctx context.Context) (*app.PolicyVersion, error) {
	return takeOne(s.with(ctx).Order("id DESC"), "policy", (*policyRow).policy)
}

// Policy returns the policy with that version name.
func (s *Store) Policy(ctx context.Context, version string) (*app.PolicyVersion, error) {
	return takeOne(s.with(ctx).Where("version = ?", version), "policy version", (*policyRow).policy)
}

// ListPolicies returns every published version, newest first.
func (s *Store) ListPolicies(ctx context.Context) ([]app.PolicyVersion, error) {
	var rows []policyRow
	if err := s.with(ctx).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return fromRows(rows, (*policyRow).policy), nil
}

// CreatePolicy publishes a new policy version.
func (s *Store) CreatePolicy(ctx context.Context, p *app.PolicyVersion) error {
	r := policyRow{Version: p.Version, BodyEN: p.BodyEN, BodyRU: p.BodyRU, PublishedAt: s.now()}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return app.Errorf(app.ECONFLICT, "policy version %s exists", p.Version)
		}
		return fmt.Errorf("create policy: %w", err)
	}
	p.ID, p.PublishedAt = r.ID, r.PublishedAt
	return nil
}
