package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"newsletter/app"
)

type subscriberRow struct {
	ID          int64
	Email       *string
	EmailHash   *string
	Name        *string
	Phone       *string
	Locale      string
	Status      string
	BlockReason string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ConfirmedAt *time.Time
	ErasedAt    *time.Time
}

func (subscriberRow) TableName() string { return "subscribers" }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (r *subscriberRow) subscriber() *app.Subscriber {
	return &app.Subscriber{
		ID: r.ID, Email: str(r.Email), EmailHash: str(r.EmailHash), Name: str(r.Name), Phone: str(r.Phone), Locale: r.Locale,
		Status: app.SubscriberStatus(r.Status), BlockReason: r.BlockReason,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ConfirmedAt: r.ConfirmedAt, ErasedAt: r.ErasedAt,
	}
}

func subscriberToRow(s *app.Subscriber) subscriberRow {
	return subscriberRow{
		ID: s.ID, Email: nullable(s.Email), EmailHash: nullable(s.EmailHash), Name: nullable(s.Name), Phone: nullable(s.Phone), Locale: s.Locale,
		Status: string(s.Status), BlockReason: s.BlockReason, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
		ConfirmedAt: s.ConfirmedAt, ErasedAt: s.ErasedAt,
	}
}

// Subscriber returns the subscriber with id.
func (s *Store) Subscriber(ctx context.Context, id int64) (*app.Subscriber, error) {
	var r subscriberRow
	if err := s.with(ctx).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "subscriber")
	}
	return r.subscriber(), nil
}

// SubscriberByEmail returns the subscriber with that normalized address.
func (s *Store) SubscriberByEmail(ctx context.Context, email string) (*app.Subscriber, error) {
	var r subscriberRow
	if err := s.with(ctx).Where("email = ?", email).Take(&r).Error; err != nil {
		return nil, notFound(err, "subscriber")
	}
	return r.subscriber(), nil
}

// CreateSubscriber inserts a subscriber; the address must be unused.
func (s *Store) CreateSubscriber(ctx context.Context, sub *app.Subscriber) error {
	t := s.now()
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = t
	}
	sub.UpdatedAt = t
	r := subscriberToRow(sub)
	if err := s.with(ctx).Create(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return app.Errorf(app.ECONFLICT, "subscriber exists")
		}
		return fmt.Errorf("create subscriber: %w", err)
	}
	sub.ID = r.ID
	return nil
}

// UpdateSubscriber writes every field of sub.
func (s *Store) UpdateSubscriber(ctx context.Context, sub *app.Subscriber) error {
	sub.UpdatedAt = s.now()
	r := subscriberToRow(sub)
	res := s.with(ctx).Model(&subscriberRow{}).Where("id = ?", sub.ID).Select("*").Omit("id", "created_at").Updates(&r)
	if res.Error != nil {
		if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
			return app.Errorf(app.ECONFLICT, "another subscriber has this email")
		}
		return fmt.Errorf("update subscriber: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENOTFOUND, "subscriber not found")
	}
	return nil
}

// likeEscaper escapes the wildcards of a LIKE pattern (escape character \).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListSubscribers returns subscribers matching f in id order; Query matches
// part of the email or name literally.
func (s *Store) ListSubscribers(ctx context.Context, f app.SubscriberFilter) ([]app.Subscriber, error) {
	q := s.with(ctx).Model(&subscriberRow{}).Order("id")
	if f.Email != "" {
		q = q.Where("email = ?", f.Email)
	}
	if f.Query != "" {
		// The search is for the text as typed, in any case and language
		// (nl_fold, see fold.go): % _ and \ match themselves.
		like := "%" + likeEscaper.Replace(fold(f.Query)) + "%"
		q = q.Where(`nl_fold(email) LIKE ? ESCAPE '\' OR nl_fold(name) LIKE ? ESCAPE '\'`, like, like)
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.AfterID > 0 {
		q = q.Where("id > ?", f.AfterID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var rows []subscriberRow
	if err := q.Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list subscribers: %w", err)
	}
	return fromRows(rows, (*subscriberRow).subscriber), nil
}

type consentRow struct {
	SubscriberID int64  `gorm:"primaryKey"`
	Purpose      string `gorm:"primaryKey"`
	Granted      bool
	UpdatedAt    time.Time
}

func (consentRow) TableName() string { return "consents" }

// Consents returns the current consents of a subscriber.
func (s *Store) Consents(ctx context.Context, subscriberID int64) ([]app.Consent, error) {
	var rows []consentRow
	if err := s.with(ctx).Where("subscriber_id = ?", subscriberID).Order("purpose").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read consents: %w", err)
	}
	out := make([]app.Consent, len(rows))
	for i, r := range rows {
		out[i] = app.Consent{Purpose: app.Purpose(r.Purpose), Granted: r.Granted, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// SetConsent sets the current state of one consent.
func (s *Store) SetConsent(ctx context.Context, subscriberID int64, p app.Purpose, granted bool, at time.Time) error {
	r := consentRow{SubscriberID: subscriberID, Purpose: string(p), Granted: granted, UpdatedAt: at.UTC()}
	return s.tx(ctx, func(tx *Store) error {
		err := tx.with(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "subscriber_id"}, {Name: "purpose"}},
			DoUpdates: clause.AssignmentColumns([]string{"granted", "updated_at"}),
		}).Create(&r).Error
		if err != nil {
			return fmt.Errorf("set consent: %w", err)
		}
		return tx.followConsent(ctx, subscriberID, p, granted, app.Evidence{At: at}, nil)
	})
}

type consentEventRow struct {
	ID            int64
	SubscriberID  int64
	Purpose       string
	Action        string
	Channel       string
	IP            *string `gorm:"column:ip"`
	UserAgent     *string
	FormID        string
	Page          string
	PolicyVersion string
	ConsentText   string
	RequestID     *int64
	CreatedAt     time.Time
}

func (consentEventRow) TableName() string { return "consent_events" }

// AddConsentEvent appends one event to a consent's history.
func (s *Store) AddConsentEvent(ctx context.Context, e *app.ConsentEvent) error {
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	r := consentEventRow{
		SubscriberID: e.SubscriberID, Purpose: string(e.Purpose), Action: string(e.Action), Channel: string(e.Channel),
		IP: nullable(e.IP), UserAgent: nullable(e.UserAgent), FormID: e.FormID, Page: e.Page,
		PolicyVersion: e.PolicyVersion, ConsentText: e.ConsentText, RequestID: e.RequestID, CreatedAt: at.UTC(),
	}
	return s.tx(ctx, func(tx *Store) error {
		if err := tx.with(ctx).Create(&r).Error; err != nil {
			return fmt.Errorf("add consent event: %w", err)
		}
		e.ID, e.At = r.ID, r.CreatedAt
		return tx.recordConsentEvent(ctx, e)
	})
}

// ConsentEvents returns a subscriber's consent history, oldest first.
func (s *Store) ConsentEvents(ctx context.Context, subscriberID int64) ([]app.ConsentEvent, error) {
	var rows []consentEventRow
	if err := s.with(ctx).Where("subscriber_id = ?", subscriberID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read consent events: %w", err)
	}
	out := make([]app.ConsentEvent, len(rows))
	for i, r := range rows {
		out[i] = app.ConsentEvent{
			ID: r.ID, SubscriberID: r.SubscriberID, Purpose: app.Purpose(r.Purpose), Action: app.ConsentAction(r.Action),
			Evidence: app.Evidence{At: r.CreatedAt, Channel: app.Channel(r.Channel), IP: str(r.IP), UserAgent: str(r.UserAgent),
				FormID: r.FormID, Page: r.Page, PolicyVersion: r.PolicyVersion},
			ConsentText: r.ConsentText, RequestID: r.RequestID,
		}
	}
	return out, nil
}

type confirmationRow struct {
	ID            int64
	SubscriberID  int64
	Kind          string
	Email         *string
	Name          *string
	Phone         *string
	Locale        string
	Purposes      string
	IP            *string `gorm:"column:ip"`
	UserAgent     *string
	FormID        string
	Page          string
	PolicyVersion string
	ConsentTexts  string
	Newsletters   string
	RequestID     *int64
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        *time.Time
}

func (confirmationRow) TableName() string { return "confirmations" }

func confirmationToRow(c *app.Confirmation) confirmationRow {
	purposes := make([]string, len(c.Purposes))
	for i, p := range c.Purposes {
		purposes[i] = string(p)
	}
	texts, _ := json.Marshal(c.ConsentTexts) // a map of strings always encodes
	return confirmationRow{
		SubscriberID: c.SubscriberID, Kind: c.Kind, Email: nullable(c.Email), Name: nullable(c.Name), Phone: nullable(c.Phone),
		Locale: c.Locale, Purposes: strings.Join(purposes, ","), IP: nullable(c.Evidence.IP), UserAgent: nullable(c.Evidence.UserAgent),
		FormID: c.Evidence.FormID, Page: c.Evidence.Page, PolicyVersion: c.Evidence.PolicyVersion, ConsentTexts: string(texts),
		RequestID: c.RequestID, CreatedAt: c.CreatedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC(), Newsletters: joinIDs(c.Newsletters),
	}
}

// joinIDs writes ids comma-separated; splitIDs reads them back.
func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) []int64 {
	var out []int64
	for _, p := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// CreateConfirmation stores a pending change.
func (s *Store) CreateConfirmation(ctx context.Context, c *app.Confirmation) error {
	r := confirmationToRow(c)
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create confirmation: %w", err)
	}
	c.ID = r.ID
	return nil
}

// RecordSubscription implements app.SubscriberStore. On PostgreSQL it is
// one statement (one round trip, atomic without an explicit transaction);
// on SQLite a transaction of several.
func (s *Store) RecordSubscription(ctx context.Context, sub *app.Subscriber, c *app.Confirmation, outboxKind string) (bool, error) {
	if s.dialect == Postgres && !s.inTx {
		return s.recordSubscriptionPostgres(ctx, sub, c, outboxKind)
	}
	written := false
	err := s.tx(ctx, func(tx *Store) error {
		existing, err := tx.SubscriberByEmail(ctx, sub.Email)
		switch {
		case app.IsNotFound(err):
			if err := tx.CreateSubscriber(ctx, sub); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			*sub = *existing
		}
		if sub.Status == app.StatusBlocked {
			return nil
		}
		c.SubscriberID = sub.ID
		if err := tx.CreateConfirmation(ctx, c); err != nil {
			return err
		}
		if _, err := tx.AddOutbox(ctx, outboxKind, []byte(fmt.Sprintf(`{"confirmation_id":%d}`, c.ID))); err != nil {
			return err
		}
		written = true
		return nil
	})
	return written, err
}

func (s *Store) recordSubscriptionPostgres(ctx context.Context, sub *app.Subscriber, c *app.Confirmation, outboxKind string) (bool, error) {
	r := confirmationToRow(c)
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = s.now()
	}
	var out []struct {
		SubscriberID   int64
		ConfirmationID int64
	}
	err := s.with(ctx).Raw(`
WITH ins AS (
	INSERT INTO subscribers (email, email_hash, name, phone, locale, status, created_at, updated_at)
	VALUES (@email, @email_hash, @sub_name, @sub_phone, @sub_locale, 'pending', @created, @created)
	ON CONFLICT (email) DO NOTHING
	RETURNING id, status
), sub AS (
	SELECT id, status FROM ins
	UNION ALL
	SELECT id, status FROM subscribers WHERE email = @email AND NOT EXISTS (SELECT 1 FROM ins)
), conf AS (
	INSERT INTO confirmations (subscriber_id, kind, email, name, phone, locale, purposes, ip, user_agent,
		form_id, page, policy_version, consent_texts, newsletters, created_at, expires_at)
	SELECT id, @kind, @c_email, @c_name, @c_phone, @c_locale, @purposes, @ip, @ua,
		@form_id, @page, @policy, @texts, @newsletters, @c_created, @expires
	FROM sub WHERE status <> 'blocked'
	RETURNING id, subscriber_id
), box AS (
	INSERT INTO outbox (kind, payload, created_at)
	SELECT @outbox_kind, '{"confirmation_id":' || id || '}', @c_created FROM conf
)
SELECT (SELECT id FROM sub LIMIT 1) AS subscriber_id, (SELECT id FROM conf LIMIT 1) AS confirmation_id`,
		map[string]any{
			"email": sub.Email, "email_hash": nullable(sub.EmailHash), "sub_name": nullable(sub.Name), "sub_phone": nullable(sub.Phone),
			"sub_locale": sub.Locale, "created": sub.CreatedAt.UTC(),
			"kind": r.Kind, "c_email": r.Email, "c_name": r.Name, "c_phone": r.Phone, "c_locale": r.Locale, "purposes": r.Purposes,
			"ip": r.IP, "ua": r.UserAgent, "form_id": r.FormID, "page": r.Page, "policy": r.PolicyVersion, "texts": r.ConsentTexts,
			"newsletters": r.Newsletters, "c_created": r.CreatedAt, "expires": r.ExpiresAt, "outbox_kind": outboxKind,
		}).Scan(&out).Error
	if err != nil {
		return false, fmt.Errorf("record subscription: %w", err)
	}
	if len(out) == 0 || out[0].SubscriberID == 0 {
		// The address was inserted by a concurrent request that committed
		// after this statement began; that request sends the confirmation.
		return false, nil
	}
	sub.ID, c.SubscriberID, c.ID = out[0].SubscriberID, out[0].SubscriberID, out[0].ConfirmationID
	return c.ID != 0, nil
}

// Confirmation returns the pending change with id.
func (s *Store) Confirmation(ctx context.Context, id int64) (*app.Confirmation, error) {
	var r confirmationRow
	if err := s.with(ctx).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "confirmation")
	}
	c := &app.Confirmation{
		ID: r.ID, SubscriberID: r.SubscriberID, Kind: r.Kind, Email: str(r.Email), Name: str(r.Name), Phone: str(r.Phone),
		Locale: r.Locale, RequestID: r.RequestID, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, UsedAt: r.UsedAt,
		Newsletters: splitIDs(r.Newsletters),
		Evidence:    app.Evidence{At: r.CreatedAt, IP: str(r.IP), UserAgent: str(r.UserAgent), FormID: r.FormID, Page: r.Page, PolicyVersion: r.PolicyVersion},
	}
	for _, p := range strings.Split(r.Purposes, ",") {
		if p != "" {
			c.Purposes = append(c.Purposes, app.Purpose(p))
		}
	}
	if r.ConsentTexts != "" {
		if err := json.Unmarshal([]byte(r.ConsentTexts), &c.ConsentTexts); err != nil {
			return nil, fmt.Errorf("decode consent texts: %w", err)
		}
	}
	return c, nil
}

// MarkConfirmationUsed marks a confirmation used; it reports false when it
// had already been used (so a link works once even under concurrent clicks).
func (s *Store) MarkConfirmationUsed(ctx context.Context, id int64, at time.Time) (bool, error) {
	res := s.with(ctx).Model(&confirmationRow{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", at.UTC())
	if res.Error != nil {
		return false, fmt.Errorf("use confirmation: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// WithdrawMarketing implements app.SubscriberStore. On PostgreSQL it is one
// statement: the conditional UPDATE locks the consent row, so of two
// concurrent withdrawals only one finds it granted and records anything.
func (s *Store) WithdrawMarketing(ctx context.Context, subscriberID, campaignID int64, ev app.Evidence) (bool, error) {
	at := ev.At.UTC()
	if at.IsZero() {
		at = s.now()
	}
	var campaign *int64
	if campaignID > 0 {
		campaign = &campaignID
	}
	// The one statement below records no events: with an endpoint that
	// asks for them, the transaction further down does.
	hooked, err := s.anyWebhooks(ctx, app.EventConsentWithdrawn, app.EventRequestCreated, app.EventRequestCompleted,
		app.EventNewsletterLeft)
	if err != nil {
		return false, fmt.Errorf("withdraw marketing: %w", err)
	}
	if s.dialect == Postgres && !s.inTx && !hooked {
		var n []int64
		err := s.with(ctx).Raw(`
WITH upd AS (
	UPDATE consents SET granted = false, updated_at = @at
	WHERE subscriber_id = @sid AND purpose = 'marketing' AND granted
		AND EXISTS (SELECT 1 FROM subscribers WHERE id = @sid AND status <> 'erased')
	RETURNING subscriber_id
), req AS (
	INSERT INTO requests (subscriber_id, kind, channel, status, received_at, due_at, completed_at, verification, campaign_id)
	SELECT subscriber_id, 'marketing_optout', @channel, 'completed', @at, @at, @at, 'link', @campaign FROM upd
	RETURNING id, subscriber_id
), ev AS (
	INSERT INTO consent_events (subscriber_id, purpose, action, channel, ip, user_agent, request_id, created_at)
	SELECT subscriber_id, 'marketing', 'withdrawn', @channel, @ip, @ua, id, @at FROM req
	RETURNING id
), gone AS (
	-- No more advertising: the marketing newsletters are left with it.
	UPDATE newsletter_members m SET left_at = @at FROM newsletters n, req
	WHERE m.subscriber_id = req.subscriber_id AND n.id = m.newsletter_id AND n.purpose = 'marketing' AND m.left_at IS NULL
	RETURNING m.subscriber_id, m.newsletter_id, req.id AS request_id
), gone_ev AS (
	INSERT INTO newsletter_events (subscriber_id, newsletter_id, action, channel, ip, user_agent, request_id, campaign_id, created_at)
	SELECT subscriber_id, newsletter_id, 'left', @channel, @ip, @ua, request_id, @campaign, @at FROM gone
)
SELECT count(*) FROM ev`, map[string]any{"sid": subscriberID, "at": at, "channel": string(ev.Channel), "campaign": campaign,
			"ip": nullable(ev.IP), "ua": nullable(ev.UserAgent)}).Scan(&n).Error
		if err != nil {
			return false, fmt.Errorf("withdraw marketing: %w", err)
		}
		return len(n) == 1 && n[0] > 0, nil
	}
	changed := false
	err = s.tx(ctx, func(tx *Store) error {
		db := tx.with(ctx)
		res := db.Exec(`UPDATE consents SET granted = false, updated_at = ? WHERE subscriber_id = ? AND purpose = 'marketing' AND granted
			AND EXISTS (SELECT 1 FROM subscribers WHERE id = ? AND status <> 'erased')`, at, subscriberID, subscriberID)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		r := &app.Request{SubscriberID: &subscriberID, Kind: app.KindMarketingOptout, Channel: ev.Channel, Status: app.RequestCompleted,
			ReceivedAt: at, DueAt: &at, CompletedAt: &at, Verification: "link", CampaignID: campaign}
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		ev.At = at
		changed = true
		if err := tx.AddConsentEvent(ctx, &app.ConsentEvent{SubscriberID: subscriberID, Purpose: app.PurposeMarketing,
			Action: app.ConsentWithdrawn, Evidence: ev, RequestID: &r.ID}); err != nil {
			return err
		}
		return tx.followConsentLeave(ctx, subscriberID, app.PurposeMarketing, ev, &r.ID, campaignID)
	})
	if err != nil {
		return false, fmt.Errorf("withdraw marketing: %w", err)
	}
	return changed, nil
}

// SubscriberIDByHash implements app.FeedbackStore.
func (s *Store) SubscriberIDByHash(ctx context.Context, emailHash string) (int64, error) {
	var ids []int64
	if err := s.with(ctx).Raw(`SELECT id FROM subscribers WHERE email_hash = ? AND status <> 'erased' ORDER BY id LIMIT 1`,
		emailHash).Scan(&ids).Error; err != nil {
		return 0, fmt.Errorf("subscriber by hash: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// CountActiveWithout counts active subscribers who have not granted p.
func (s *Store) CountActiveWithout(ctx context.Context, p app.Purpose) (int64, error) {
	var n int64
	err := s.with(ctx).Raw(`SELECT COUNT(*) FROM subscribers s WHERE s.status = 'active' AND NOT EXISTS
		(SELECT 1 FROM consents c WHERE c.subscriber_id = s.id AND c.purpose = ? AND c.granted)`, string(p)).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count subscribers without %s consent: %w", p, err)
	}
	return n, nil
}

// LockSubscriber locks a subscriber's row until the transaction ends, on
// PostgreSQL; SQLite runs one writing transaction at a time anyway.
func (s *Store) LockSubscriber(ctx context.Context, id int64) error {
	if s.dialect != Postgres {
		return nil
	}
	var ids []int64
	if err := s.with(ctx).Raw(`SELECT id FROM subscribers WHERE id = ? FOR UPDATE`, id).Scan(&ids).Error; err != nil {
		return fmt.Errorf("lock subscriber: %w", err)
	}
	return nil
}
