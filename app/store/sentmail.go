package store

import (
	"context"
	"fmt"
	"time"
)

// staleClaim is how old a "sending" claim must be before another attempt
// may take it over: the attempt that made it crashed between the claim and
// recording the result.
const staleClaim = 5 * time.Minute

// ClaimMail claims the right to send the transactional message key. It
// reports false when the message was already sent, or is being sent by a
// live attempt.
func (s *Store) ClaimMail(ctx context.Context, key string) (bool, error) {
	t := s.now()
	res := s.with(ctx).Exec(`INSERT INTO sent_mail (key, status, created_at) VALUES (?, 'sending', ?) ON CONFLICT (key) DO NOTHING`, key, t)
	if res.Error != nil {
		return false, fmt.Errorf("claim mail: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	// Take over a claim left by a crashed or failed attempt.
	res = s.with(ctx).Exec(`UPDATE sent_mail SET status = 'sending', created_at = ? WHERE key = ?
		AND (status = 'failed_temporary' OR (status = 'sending' AND created_at < ?))`, t, key, t.Add(-staleClaim))
	if res.Error != nil {
		return false, fmt.Errorf("claim mail: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FinishMail records the outcome of a claimed message: status "sent",
// "failed" (permanent) or "failed_temporary" (may be claimed again).
func (s *Store) FinishMail(ctx context.Context, key, status, errText string) error {
	var sentAt *time.Time
	if status == "sent" {
		t := s.now()
		sentAt = &t
	}
	if err := s.with(ctx).Exec(`UPDATE sent_mail SET status = ?, error = ?, sent_at = ? WHERE key = ?`, status, errText, sentAt, key).Error; err != nil {
		return fmt.Errorf("finish mail: %w", err)
	}
	return nil
}

// MailStatus returns the status of a transactional message, "" if never claimed.
func (s *Store) MailStatus(ctx context.Context, key string) (string, error) {
	var st []string
	if err := s.with(ctx).Raw(`SELECT status FROM sent_mail WHERE key = ?`, key).Scan(&st).Error; err != nil {
		return "", fmt.Errorf("mail status: %w", err)
	}
	if len(st) == 0 {
		return "", nil
	}
	return st[0], nil
}
