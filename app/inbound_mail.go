package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/textproto"
	"strings"
	"time"
)

// Emailed requests.
//
// A message reaches the product from the IMAP mailbox or the webhook and is
// stored at once (ReceiveInbound), with an outbox row that asks for its
// processing; the mailbox is never the only copy of an unprocessed request.
// The worker examines it (package inbound: parse, classify, verify) and
// hands what it found to ActOnEmail, which records the request in the
// register and acts on it in one transaction. The reply is sent after that,
// and FinishEmail closes the message: only then is an erasure the request
// asked for written to the outbox, so the reply leaves before the address
// is destroyed.

// OutboxInboundProcess is the task that processes one stored inbound
// message (payload InboundRef).
const OutboxInboundProcess = "inbound:process"

// InboundRef is the id-only payload of inbound tasks.
type InboundRef struct {
	InboundID int64 `json:"inbound_id"`
}

// Sources of inbound messages.
const (
	InboundIMAP    = "imap"
	InboundWebhook = "webhook"
)

// Processing states of an inbound message.
const (
	// InboundReceived: stored, not yet examined.
	InboundReceived = "received"
	// InboundActed: the request is recorded and acted on; its reply may
	// still be due.
	InboundActed = "acted"
	// InboundDone: nothing more to do.
	InboundDone = "done"
)

// Limits of inbound mail.
const (
	// MaxInboundBytes is the largest message stored.
	MaxInboundBytes = 10 << 20
	// InboundRetention is how long the raw text of a processed message
	// whose request is closed is kept; then it is destroyed and only the
	// register entry remains.
	InboundRetention = 90 * 24 * time.Hour
	// RevokeLinkTTL is how long the link confirming an emailed revocation
	// works: the legal deadline of the revocation itself.
	RevokeLinkTTL = RevocationDays * 24 * time.Hour
)

// InboundSource says where a raw message came from.
type InboundSource struct {
	// Source is InboundIMAP or InboundWebhook.
	Source string
	// UIDValidity and UID name the message in the IMAP folder.
	UIDValidity uint32
	UID         uint32
	// ReceivedAt is when the message arrived (IMAP INTERNALDATE); zero
	// means now.
	ReceivedAt time.Time
}

// InboundMessage is one stored emailed message and how far its processing
// went.
type InboundMessage struct {
	ID int64
	// MessageKey is the SHA-256 of the Message-ID (or of the whole
	// message when it has none): unique, so a message is processed once.
	MessageKey  string
	Source      string
	Size        int
	ReceivedAt  time.Time
	UIDValidity uint32
	UID         uint32
	Status      string
	// Round counts the times a privacy officer had the message processed
	// again as a given kind (ForcedKind).
	Round      int
	ForcedKind RequestKind
	// Outcome is the disposition (EmailIs*) of the examined message.
	Outcome            string
	Kind               RequestKind
	Lang               string
	Verification       string
	VerificationDetail string
	SubscriberID       *int64
	RequestID          *int64
	ConfirmationID     *int64
	// Reply is the template of the reply still to send ("" for none).
	Reply string
	// ReplyPersonal says the reply goes to the address on file, so it may
	// greet the person by name and carry links to their data.
	ReplyPersonal bool
	// EraseAfterReply asks for the erasure of SubscriberID once the reply
	// has gone.
	EraseAfterReply bool
	// SenderHash is a keyed hash of the sender's address.
	SenderHash  string
	Summary     *MessageSummary
	RepliedAt   *time.Time
	ProcessedAt *time.Time
}

// MessageSummary is what a privacy officer sees of a message in the review
// queue. It holds personal data.
type MessageSummary struct {
	From     string    `json:"from"`
	FromName string    `json:"from_name,omitempty"`
	Subject  string    `json:"subject"`
	Date     time.Time `json:"date,omitzero"`
	Text     string    `json:"text"`
	Lang     string    `json:"lang"`
	// Reason says why the message waits for a person (Review*); "" when
	// its request is unclear.
	Reason string `json:"reason,omitempty"`
}

// InboundSenderNamespace keys the hash of an emailed request's sender
// (Signer.Fingerprint): it counts the replies per address and lets an
// erasure find the person's messages.
const InboundSenderNamespace = "inbound-sender"

// MessageKey returns the deduplication key of a raw message: the SHA-256 of
// its Message-ID, or of the whole message when it has none.
func MessageKey(raw []byte) string {
	if id := headerMessageID(raw); id != "" {
		sum := sha256.Sum256([]byte("id:" + id))
		return hex.EncodeToString(sum[:])
	}
	sum := sha256.Sum256(append([]byte("raw:"), raw...))
	return hex.EncodeToString(sum[:])
}

// headerMessageID reads the Message-ID of a raw message, without angle
// brackets and comments; "" when there is none.
func headerMessageID(raw []byte) string {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return ""
	}
	v := strings.TrimSpace(h.Get("Message-Id"))
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	v = strings.TrimSpace(v)
	if len(v) > 998 || strings.ContainsAny(v, " \t\r\n") {
		return ""
	}
	return v
}

// ReceiveInbound stores a raw message and asks for its processing, in one
// transaction. A message stored before (same Message-ID, or the same bytes
// when it has none) is not stored or processed again: created is false and
// id names the earlier one.
func (s *Inbound) ReceiveInbound(ctx context.Context, raw []byte, src InboundSource) (id int64, created bool, err error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return 0, false, Errorf(EINVALID, "The message is empty.")
	}
	if len(raw) > MaxInboundBytes {
		return 0, false, Errorf(EINVALID, "The message is larger than %d bytes.", MaxInboundBytes)
	}
	switch src.Source {
	case InboundIMAP, InboundWebhook:
	default:
		return 0, false, fmt.Errorf("receive inbound: unknown source %q", src.Source)
	}
	received := src.ReceivedAt.UTC()
	if received.IsZero() || received.After(s.Now.Now()) {
		received = s.Now.Now()
	}
	m := &InboundMessage{MessageKey: MessageKey(raw), Source: src.Source, Size: len(raw), ReceivedAt: received,
		UIDValidity: src.UIDValidity, UID: src.UID, Status: InboundReceived}
	err = s.Store.Tx(ctx, func(tx Store) error {
		if created, err = tx.Inbound().AddInbound(ctx, m, raw); err != nil || !created {
			return err
		}
		return addOutbox(ctx, tx, OutboxInboundProcess, InboundRef{InboundID: m.ID})
	})
	if err != nil {
		return 0, false, err
	}
	if created {
		s.wake()
	}
	return m.ID, created, nil
}

// InboundMessage returns a stored message without its raw text.
func (s *Inbound) InboundMessage(ctx context.Context, id int64) (*InboundMessage, error) {
	return s.Store.Inbound().InboundMessage(ctx, id)
}

// InboundRaw returns the raw text of a stored message; nil once destroyed.
func (s *Inbound) InboundRaw(ctx context.Context, id int64) ([]byte, error) {
	return s.Store.Inbound().InboundRaw(ctx, id)
}

// RepliesSince counts the replies sent since to the sender with the keyed
// hash senderHash (InboundMessage.SenderHash).
func (s *Inbound) RepliesSince(ctx context.Context, senderHash string, since time.Time) (int, error) {
	if senderHash == "" {
		return 0, nil
	}
	return s.Store.Inbound().CountReplies(ctx, senderHash, since)
}

// FinishEmail closes a message after its reply was sent (replied) or given
// up: the message is done, and the erasure a verified revocation asked for
// is written to the outbox now, after the reply. It does nothing for a
// message not in the state acted of that round.
func (s *Inbound) FinishEmail(ctx context.Context, id int64, round int, replied bool) error {
	now := s.Now.Now()
	erase := false
	err := s.Store.Tx(ctx, func(tx Store) error {
		m, err := tx.Inbound().LockInbound(ctx, id)
		if err != nil {
			return err
		}
		if m.Status != InboundActed || m.Round != round {
			return nil
		}
		m.Status = InboundDone
		if replied {
			m.RepliedAt = &now
		}
		if m.EraseAfterReply && m.SubscriberID != nil {
			ref := SubscriberRef{SubscriberID: *m.SubscriberID}
			if m.RequestID != nil {
				ref.RequestID = *m.RequestID
			}
			if err := addOutbox(ctx, tx, OutboxErase, ref); err != nil {
				return err
			}
			erase = true
		}
		return tx.Inbound().UpdateInbound(ctx, m)
	})
	if err == nil && erase {
		s.wake()
	}
	return err
}

// SweepInbound destroys the raw text of processed messages older than
// InboundRetention whose requests are closed, and returns how many.
func (s *Inbound) SweepInbound(ctx context.Context) (int64, error) {
	return s.Store.Inbound().PurgeInboundRaw(ctx, s.Now.Now().Add(-InboundRetention))
}
