package store

import (
	"context"
	"fmt"
)

// audienceFlagsDriftSQL selects the subscribers whose copy of their
// consents and suppression (migration 0024) differs from the truth:
// the consents table and the suppression list.
const audienceFlagsDriftSQL = `SELECT s.id FROM subscribers s WHERE
	s.consent_processing <> EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = s.id AND c.purpose = 'processing' AND c.granted)
	OR s.consent_marketing <> EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = s.id AND c.purpose = 'marketing' AND c.granted)
	OR s.consent_cross_border <> EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = s.id AND c.purpose = 'cross_border' AND c.granted)
	OR s.suppressed <> (s.email_hash IS NOT NULL AND EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = s.email_hash))
	ORDER BY s.id LIMIT 100`

// AudienceFlagsDrift lists (up to 100) subscribers whose copy of their
// consents and suppression, which the audience count reads, differs from
// the consents and the suppression list. The database keeps the copy in
// the transaction of every change, so the list is empty; a check for
// tests and the operator.
func (s *Store) AudienceFlagsDrift(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := s.with(ctx).Raw(audienceFlagsDriftSQL).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("audience flags drift: %w", err)
	}
	return ids, nil
}
