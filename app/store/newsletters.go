package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"newsletter/app"
)

// Newsletters (app.NewsletterStore): the lists, who is on them
// (newsletter_members, current when left_at is NULL) and the history of
// joins and leaves with their evidence (newsletter_events).

type newsletterRow struct {
	ID            int64
	Name          string
	DescriptionEN string `gorm:"column:description_en"`
	DescriptionRU string `gorm:"column:description_ru"`
	Purpose       string
	Public        bool
	IsDefault     bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (newsletterRow) TableName() string { return "newsletters" }

func (r *newsletterRow) newsletter() app.Newsletter {
	return app.Newsletter{ID: r.ID, Name: r.Name, Description: app.NewsletterDescription{EN: r.DescriptionEN, RU: r.DescriptionRU},
		Purpose: app.CampaignPurpose(r.Purpose), Public: r.Public, Default: r.IsDefault,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// ListNewsletters implements app.NewsletterStore.
func (s *Store) ListNewsletters(ctx context.Context) ([]app.Newsletter, error) {
	var rows []newsletterRow
	if err := s.with(ctx).Order("is_default DESC, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list newsletters: %w", err)
	}
	out := make([]app.Newsletter, len(rows))
	for i := range rows {
		out[i] = rows[i].newsletter()
	}
	return out, nil
}

// Newsletter implements app.NewsletterStore.
func (s *Store) Newsletter(ctx context.Context, id int64) (*app.Newsletter, error) {
	var r newsletterRow
	if err := s.with(ctx).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "newsletter")
	}
	n := r.newsletter()
	return &n, nil
}

// DefaultNewsletter implements app.NewsletterStore.
func (s *Store) DefaultNewsletter(ctx context.Context, p app.CampaignPurpose) (*app.Newsletter, error) {
	var r newsletterRow
	if err := s.with(ctx).Where("is_default AND purpose = ?", string(p)).Take(&r).Error; err != nil {
		return nil, notFound(err, "default newsletter")
	}
	n := r.newsletter()
	return &n, nil
}

// CreateNewsletter implements app.NewsletterStore; a new newsletter is
// never a default.
func (s *Store) CreateNewsletter(ctx context.Context, n *app.Newsletter) error {
	t := s.now()
	r := newsletterRow{Name: n.Name, DescriptionEN: n.Description.EN, DescriptionRU: n.Description.RU, Purpose: string(n.Purpose),
		Public: n.Public, CreatedAt: t, UpdatedAt: t}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create newsletter: %w", err)
	}
	*n = r.newsletter()
	return nil
}

// UpdateNewsletter implements app.NewsletterStore.
func (s *Store) UpdateNewsletter(ctx context.Context, n *app.Newsletter) error {
	t := s.now()
	res := s.with(ctx).Model(&newsletterRow{}).Where("id = ?", n.ID).Updates(map[string]any{
		"name": n.Name, "description_en": n.Description.EN, "description_ru": n.Description.RU, "purpose": string(n.Purpose),
		"public": n.Public, "updated_at": t})
	if res.Error != nil {
		return fmt.Errorf("update newsletter: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENOTFOUND, "newsletter not found")
	}
	n.UpdatedAt = t
	return nil
}

// Memberships implements app.NewsletterStore.
func (s *Store) Memberships(ctx context.Context, subscriberID int64) ([]app.NewsletterMembership, error) {
	var rows []struct {
		NewsletterID int64
		Name         string
		Purpose      string
		IsDefault    bool
		Channel      string
		JoinedAt     time.Time
		LeftAt       *time.Time
	}
	if err := s.with(ctx).Raw(`SELECT m.newsletter_id, n.name, n.purpose, n.is_default, m.channel, m.joined_at, m.left_at
		FROM newsletter_members m JOIN newsletters n ON n.id = m.newsletter_id
		WHERE m.subscriber_id = ? ORDER BY n.is_default DESC, n.id`, subscriberID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read memberships: %w", err)
	}
	out := make([]app.NewsletterMembership, len(rows))
	for i, r := range rows {
		out[i] = app.NewsletterMembership{NewsletterID: r.NewsletterID, Name: r.Name, Purpose: app.CampaignPurpose(r.Purpose), Default: r.IsDefault,
			Channel: app.Channel(r.Channel), JoinedAt: r.JoinedAt.UTC(), LeftAt: utcPtr(r.LeftAt)}
	}
	return out, nil
}

// CurrentNewsletters implements app.NewsletterStore.
func (s *Store) CurrentNewsletters(ctx context.Context, subscriberIDs []int64) (map[int64][]int64, error) {
	out := make(map[int64][]int64, len(subscriberIDs))
	if len(subscriberIDs) == 0 {
		return out, nil
	}
	var rows []struct{ SubscriberID, NewsletterID int64 }
	if err := s.with(ctx).Raw(`SELECT subscriber_id, newsletter_id FROM newsletter_members
		WHERE subscriber_id IN ? AND left_at IS NULL ORDER BY subscriber_id, newsletter_id`, subscriberIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read current newsletters: %w", err)
	}
	for _, r := range rows {
		out[r.SubscriberID] = append(out[r.SubscriberID], r.NewsletterID)
	}
	return out, nil
}

// JoinNewsletters implements app.NewsletterStore.
func (s *Store) JoinNewsletters(ctx context.Context, c app.NewsletterChange) ([]int64, error) {
	return s.changeMembership(ctx, c, app.NewsletterJoined)
}

// LeaveNewsletters implements app.NewsletterStore.
func (s *Store) LeaveNewsletters(ctx context.Context, c app.NewsletterChange) ([]int64, error) {
	return s.changeMembership(ctx, c, app.NewsletterLeft)
}

func (s *Store) changeMembership(ctx context.Context, c app.NewsletterChange, action app.NewsletterAction) ([]int64, error) {
	at := c.Evidence.At.UTC()
	if c.Evidence.At.IsZero() {
		at = s.now()
	}
	var changed []int64
	err := s.tx(ctx, func(tx *Store) error {
		db := tx.with(ctx)
		for _, id := range c.NewsletterIDs {
			var q string
			var args []any
			if action == app.NewsletterJoined {
				q = `INSERT INTO newsletter_members (subscriber_id, newsletter_id, channel, joined_at) VALUES (?, ?, ?, ?)
					ON CONFLICT (subscriber_id, newsletter_id) DO UPDATE SET channel = excluded.channel,
					joined_at = excluded.joined_at, left_at = NULL WHERE newsletter_members.left_at IS NOT NULL`
				args = []any{c.SubscriberID, id, string(c.Evidence.Channel), at}
			} else {
				q = `UPDATE newsletter_members SET left_at = ? WHERE subscriber_id = ? AND newsletter_id = ? AND left_at IS NULL`
				args = []any{at, c.SubscriberID, id}
			}
			res := db.Exec(q, args...)
			if res.Error != nil {
				return fmt.Errorf("%s newsletter: %w", action, res.Error)
			}
			if res.RowsAffected == 0 {
				continue
			}
			changed = append(changed, id)
			if err := tx.addNewsletterEvent(ctx, c, id, action, at); err != nil {
				return err
			}
		}
		return nil
	})
	return changed, err
}

type newsletterEventRow struct {
	ID           int64
	SubscriberID int64
	NewsletterID int64
	Action       string
	Channel      string
	IP           *string `gorm:"column:ip"`
	UserAgent    *string
	FormID       string
	Page         string
	RequestID    *int64
	CampaignID   *int64
	CreatedAt    time.Time
}

func (newsletterEventRow) TableName() string { return "newsletter_events" }

func (s *Store) addNewsletterEvent(ctx context.Context, c app.NewsletterChange, newsletterID int64, action app.NewsletterAction, at time.Time) error {
	ev := c.Evidence
	r := newsletterEventRow{SubscriberID: c.SubscriberID, NewsletterID: newsletterID, Action: string(action), Channel: string(ev.Channel),
		IP: nullable(ev.IP), UserAgent: nullable(ev.UserAgent), FormID: ev.FormID, Page: ev.Page, RequestID: c.RequestID, CreatedAt: at}
	if c.CampaignID > 0 {
		r.CampaignID = &c.CampaignID
	}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("add newsletter event: %w", err)
	}
	t := app.EventNewsletterJoined
	if action == app.NewsletterLeft {
		t = app.EventNewsletterLeft
	}
	d := app.EventData{SubscriberID: c.SubscriberID, NewsletterID: newsletterID, Channel: ev.Channel, CampaignID: c.CampaignID}
	if c.RequestID != nil {
		d.RequestID = *c.RequestID
	}
	return s.RecordEvent(ctx, app.Event{Type: t, At: at, Data: d})
}

// NewsletterEvents implements app.NewsletterStore.
func (s *Store) NewsletterEvents(ctx context.Context, subscriberID int64) ([]app.NewsletterEvent, error) {
	var rows []newsletterEventRow
	if err := s.with(ctx).Where("subscriber_id = ?", subscriberID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read newsletter events: %w", err)
	}
	out := make([]app.NewsletterEvent, len(rows))
	for i, r := range rows {
		out[i] = app.NewsletterEvent{ID: r.ID, SubscriberID: r.SubscriberID, NewsletterID: r.NewsletterID,
			Action: app.NewsletterAction(r.Action), RequestID: r.RequestID, CampaignID: r.CampaignID,
			Evidence: app.Evidence{At: r.CreatedAt.UTC(), Channel: app.Channel(r.Channel), IP: str(r.IP), UserAgent: str(r.UserAgent),
				FormID: r.FormID, Page: r.Page}}
	}
	return out, nil
}

// followConsent keeps a subscriber's newsletters in step with a consent
// that changed: withdrawing advertising leaves the marketing newsletters,
// withdrawing processing leaves them all; granting one with no newsletter
// of its purpose joins the default newsletter of that purpose (whoever
// consents without choosing). The consent's own history holds the
// evidence; the joins and leaves name the channel "consent".
func (s *Store) followConsent(ctx context.Context, subscriberID int64, p app.Purpose, granted bool, ev app.Evidence, requestID *int64) error {
	np := app.NewsletterPurposeOf(p)
	if np == "" {
		return nil
	}
	if ev.Channel == "" {
		ev.Channel = app.ChannelConsent
	}
	if !granted {
		return s.followConsentLeave(ctx, subscriberID, p, ev, requestID, 0)
	}
	c := app.NewsletterChange{SubscriberID: subscriberID, Evidence: ev, RequestID: requestID}
	if err := s.with(ctx).Raw(`SELECT n.id FROM newsletters n WHERE n.is_default AND n.purpose = ?
		AND NOT EXISTS (SELECT 1 FROM newsletter_members m JOIN newsletters o ON o.id = m.newsletter_id
			WHERE m.subscriber_id = ? AND m.left_at IS NULL AND o.purpose = ?)`,
		string(np), subscriberID, string(np)).Scan(&c.NewsletterIDs).Error; err != nil {
		return fmt.Errorf("default newsletter of granted consent: %w", err)
	}
	_, err := s.JoinNewsletters(ctx, c)
	return err
}

// followConsentLeave leaves the newsletters a withdrawn consent p covered
// (all of them for processing, the marketing ones for advertising).
func (s *Store) followConsentLeave(ctx context.Context, subscriberID int64, p app.Purpose, ev app.Evidence, requestID *int64, campaignID int64) error {
	if app.NewsletterPurposeOf(p) == "" {
		return nil
	}
	c := app.NewsletterChange{SubscriberID: subscriberID, Evidence: ev, RequestID: requestID, CampaignID: campaignID}
	q := `SELECT m.newsletter_id FROM newsletter_members m JOIN newsletters n ON n.id = m.newsletter_id
		WHERE m.subscriber_id = ? AND m.left_at IS NULL`
	args := []any{subscriberID}
	if p == app.PurposeMarketing {
		q += ` AND n.purpose = ?`
		args = append(args, string(app.CampaignMarketing))
	}
	if err := s.with(ctx).Raw(q+` ORDER BY m.newsletter_id`, args...).Scan(&c.NewsletterIDs).Error; err != nil {
		return fmt.Errorf("newsletters of withdrawn consent: %w", err)
	}
	_, err := s.LeaveNewsletters(ctx, c)
	return err
}

// idList writes ids as an SQL list literal: they are integers, so the
// text is safe to put in a statement.
func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
