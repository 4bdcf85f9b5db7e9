package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"newsletter/app"
)

type inboundRow struct {
	ID                 int64
	MessageKey         string
	Source             string
	Raw                []byte
	Size               int
	ReceivedAt         time.Time
	IMAPUIDValidity    *int64 `gorm:"column:imap_uidvalidity"`
	IMAPUID            *int64 `gorm:"column:imap_uid"`
	Status             string
	Round              int
	ForcedKind         string
	Outcome            string
	Kind               string
	Lang               string
	Verification       string
	VerificationDetail string
	SubscriberID       *int64
	RequestID          *int64
	ConfirmationID     *int64
	Reply              string
	ReplyPersonal      bool
	EraseAfterReply    bool
	SenderHash         *string
	Summary            *string
	RepliedAt          *time.Time
	ProcessedAt        *time.Time
}

func (inboundRow) TableName() string { return "inbound_messages" }

// inboundColumns are the columns read without the raw message.
var inboundColumns = []string{"id", "message_key", "source", "size", "received_at", "imap_uidvalidity", "imap_uid",
	"status", "round", "forced_kind", "outcome", "kind", "lang", "verification", "verification_detail", "subscriber_id",
	"request_id", "confirmation_id", "reply", "reply_personal", "erase_after_reply", "sender_hash", "summary",
	"replied_at", "processed_at"}

// inboundUpdateColumns are the processing fields UpdateInbound writes.
var inboundUpdateColumns = []string{"status", "round", "forced_kind", "outcome", "kind", "lang", "verification",
	"verification_detail", "subscriber_id", "request_id", "confirmation_id", "reply", "reply_personal",
	"erase_after_reply", "sender_hash", "summary", "replied_at", "processed_at"}

func optionalUID(v uint32) *int64 {
	if v == 0 {
		return nil
	}
	n := int64(v)
	return &n
}

func inboundUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func uidOf(p *int64) uint32 {
	if p == nil {
		return 0
	}
	return uint32(*p)
}

func (r *inboundRow) message() (*app.InboundMessage, error) {
	m := &app.InboundMessage{
		ID: r.ID, MessageKey: r.MessageKey, Source: r.Source, Size: r.Size, ReceivedAt: r.ReceivedAt,
		UIDValidity: uidOf(r.IMAPUIDValidity), UID: uidOf(r.IMAPUID), Status: r.Status, Round: r.Round,
		ForcedKind: app.RequestKind(r.ForcedKind), Outcome: r.Outcome, Kind: app.RequestKind(r.Kind), Lang: r.Lang,
		Verification: r.Verification, VerificationDetail: r.VerificationDetail, SubscriberID: r.SubscriberID,
		RequestID: r.RequestID, ConfirmationID: r.ConfirmationID, Reply: r.Reply, ReplyPersonal: r.ReplyPersonal,
		EraseAfterReply: r.EraseAfterReply, SenderHash: str(r.SenderHash), RepliedAt: r.RepliedAt, ProcessedAt: r.ProcessedAt,
	}
	if r.Summary != nil && *r.Summary != "" {
		m.Summary = &app.MessageSummary{}
		if err := json.Unmarshal([]byte(*r.Summary), m.Summary); err != nil {
			return nil, fmt.Errorf("decode inbound summary: %w", err)
		}
	}
	return m, nil
}

// AddInbound stores a new message with its raw text. When a message with
// the same key exists it stores nothing, sets m.ID to the existing row and
// reports false.
func (s *Store) AddInbound(ctx context.Context, m *app.InboundMessage, raw []byte) (bool, error) {
	r := inboundRow{MessageKey: m.MessageKey, Source: m.Source, Raw: raw, Size: len(raw), ReceivedAt: m.ReceivedAt.UTC(),
		IMAPUIDValidity: optionalUID(m.UIDValidity), IMAPUID: optionalUID(m.UID), Status: app.InboundReceived}
	res := s.with(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "message_key"}}, DoNothing: true}).Create(&r)
	if res.Error != nil {
		return false, fmt.Errorf("add inbound message: %w", res.Error)
	}
	if res.RowsAffected == 1 && r.ID != 0 {
		m.ID = r.ID
		return true, nil
	}
	var ids []int64
	if err := s.with(ctx).Model(&inboundRow{}).Where("message_key = ?", m.MessageKey).Limit(1).Pluck("id", &ids).Error; err != nil {
		return false, fmt.Errorf("find inbound message: %w", err)
	}
	if len(ids) == 0 {
		return false, fmt.Errorf("add inbound message: neither stored nor found")
	}
	m.ID = ids[0]
	return false, nil
}

// InboundMessage returns a stored message without its raw text.
func (s *Store) InboundMessage(ctx context.Context, id int64) (*app.InboundMessage, error) {
	var r inboundRow
	if err := s.with(ctx).Select(inboundColumns).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "inbound message")
	}
	return r.message()
}

// LockInbound returns a stored message without its raw text and, on
// PostgreSQL, locks its row until the transaction ends (SQLite runs one
// writing transaction at a time).
func (s *Store) LockInbound(ctx context.Context, id int64) (*app.InboundMessage, error) {
	q := s.with(ctx).Select(inboundColumns)
	if s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var r inboundRow
	if err := q.Take(&r, id).Error; err != nil {
		return nil, notFound(err, "inbound message")
	}
	return r.message()
}

// InboundRaw returns the raw text of a message; nil once it was destroyed.
func (s *Store) InboundRaw(ctx context.Context, id int64) ([]byte, error) {
	var r inboundRow
	if err := s.with(ctx).Select("id", "raw").Take(&r, id).Error; err != nil {
		return nil, notFound(err, "inbound message")
	}
	return r.Raw, nil
}

// UpdateInbound writes the processing fields of m.
func (s *Store) UpdateInbound(ctx context.Context, m *app.InboundMessage) error {
	r := inboundRow{Status: m.Status, Round: m.Round, ForcedKind: string(m.ForcedKind), Outcome: m.Outcome,
		Kind: string(m.Kind), Lang: m.Lang, Verification: m.Verification, VerificationDetail: m.VerificationDetail,
		SubscriberID: m.SubscriberID, RequestID: m.RequestID, ConfirmationID: m.ConfirmationID, Reply: m.Reply,
		ReplyPersonal: m.ReplyPersonal, EraseAfterReply: m.EraseAfterReply, SenderHash: nullable(m.SenderHash),
		RepliedAt: inboundUTC(m.RepliedAt), ProcessedAt: inboundUTC(m.ProcessedAt)}
	if m.Summary != nil {
		b, err := json.Marshal(m.Summary)
		if err != nil {
			return fmt.Errorf("encode inbound summary: %w", err)
		}
		r.Summary = nullable(string(b))
	}
	res := s.with(ctx).Model(&inboundRow{}).Where("id = ?", m.ID).Select(inboundUpdateColumns).Updates(&r)
	if res.Error != nil {
		return fmt.Errorf("update inbound message: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENOTFOUND, "inbound message not found")
	}
	return nil
}

// CountReplies counts the messages from the sender with keyed hash
// senderHash that were answered since.
func (s *Store) CountReplies(ctx context.Context, senderHash string, since time.Time) (int, error) {
	var n int64
	if err := s.with(ctx).Model(&inboundRow{}).Where("sender_hash = ? AND replied_at >= ?", senderHash, since.UTC()).
		Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count replies: %w", err)
	}
	return int(n), nil
}

// PurgeInboundRaw destroys the raw text (and what was read from it) of
// messages received before cutoff that are done and whose request, if
// any, is closed. The rows stay, so a message delivered again is still
// recognized.
func (s *Store) PurgeInboundRaw(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.with(ctx).Exec(`UPDATE inbound_messages SET raw = NULL, summary = NULL, sender_hash = NULL
		WHERE raw IS NOT NULL AND received_at < ? AND status = 'done'
		AND (request_id IS NULL OR NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = inbound_messages.request_id
			AND r.status NOT IN ('completed', 'rejected')))`, cutoff.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("purge inbound messages: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// AcquireLease takes or renews the lease name for owner until ttl from now;
// it reports false when another owner holds an unexpired lease.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	t := s.now()
	res := s.with(ctx).Exec(`INSERT INTO inbound_leases (name, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE inbound_leases.owner = excluded.owner OR inbound_leases.expires_at < ?`, name, owner, t.Add(ttl), t)
	if res.Error != nil {
		return false, fmt.Errorf("acquire lease: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// LeaseHolder returns the owner of the lease name, expired or not; "" when
// nobody holds it.
func (s *Store) LeaseHolder(ctx context.Context, name string) (string, error) {
	var owners []string
	if err := s.with(ctx).Raw(`SELECT owner FROM inbound_leases WHERE name = ?`, name).Scan(&owners).Error; err != nil {
		return "", fmt.Errorf("lease holder: %w", err)
	}
	if len(owners) == 0 {
		return "", nil
	}
	return owners[0], nil
}

// TakeOverLease gives the lease name to owner until ttl from now, if from
// still holds it (whether or not it expired); it reports false when from no
// longer holds it. It is for a holder known to be dead.
func (s *Store) TakeOverLease(ctx context.Context, name, from, owner string, ttl time.Duration) (bool, error) {
	res := s.with(ctx).Exec(`UPDATE inbound_leases SET owner = ?, expires_at = ? WHERE name = ? AND owner = ?`,
		owner, s.now().Add(ttl), name, from)
	if res.Error != nil {
		return false, fmt.Errorf("take over lease: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReleaseLease gives up owner's lease name, if owner holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := s.with(ctx).Exec(`DELETE FROM inbound_leases WHERE name = ? AND owner = ?`, name, owner).Error; err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

// ListInbound implements app.FeedbackStore.
func (s *Store) ListInbound(ctx context.Context, q app.InboundQuery) ([]app.InboundMessage, error) {
	db := s.with(ctx).Select(inboundColumns).Order("id DESC")
	if len(q.Outcomes) > 0 {
		db = db.Where("outcome IN ?", q.Outcomes)
	}
	if q.BeforeID > 0 {
		db = db.Where("id < ?", q.BeforeID)
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	var rows []inboundRow
	if err := db.Limit(q.Limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list inbound messages: %w", err)
	}
	return fromRowsErr(rows, (*inboundRow).message)
}
