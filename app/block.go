package app

import (
	"context"
	"fmt"
	"time"
)

// BlockEvent is one block or unblock of a subscriber.
type BlockEvent struct {
	ID           int64     `json:"id"`
	SubscriberID int64     `json:"subscriber_id"`
	Action       string    `json:"action"` // BlockActionBlocked or BlockActionUnblocked
	Reason       string    `json:"reason"`
	RequestID    *int64    `json:"request_id,omitempty"`
	Actor        string    `json:"actor"`
	CreatedAt    time.Time `json:"created_at"`
}

// Block event actions.
const (
	BlockActionBlocked   = "blocked"
	BlockActionUnblocked = "unblocked"
)

// BlockInput is an operator's order to block a subscriber.
type BlockInput struct {
	Reason string `json:"reason"`
	// RequestID optionally names the request the block belongs to.
	RequestID int64 `json:"request_id"`
}

// Block suspends all processing of a subscriber's data (no mail of any
// kind) while their data is disputed or a request is verified. The reason
// is kept with the subscriber and its block history (erasure destroys
// both); the audit log gets the ids. Blocking a blocked subscriber records
// the new reason.
func (s *Privacy) Block(ctx context.Context, actor *Admin, subscriberID int64, in BlockInput) (*Subscriber, error) {
	return s.changeBlock(ctx, actor, subscriberID, in, true)
}

// changeBlock blocks or unblocks a subscriber in a transaction of its own,
// for the request in.RequestID when it is set (it must exist). A block
// needs a reason; an unblock may have one.
func (s *Privacy) changeBlock(ctx context.Context, actor *Admin, subscriberID int64, in BlockInput, block bool) (*Subscriber, error) {
	reason, err := cleanReason("reason", in.Reason, block)
	if err != nil {
		return nil, err
	}
	change := s.unblock
	if block {
		change = s.block
	}
	var out *Subscriber
	err = s.Store.Tx(ctx, func(tx Store) error {
		var reqID *int64
		if in.RequestID > 0 {
			if _, err := tx.Requests().Request(ctx, in.RequestID); err != nil {
				return err
			}
			reqID = &in.RequestID
		}
		var err error
		out, err = change(ctx, tx, actor, subscriberID, reason, reqID)
		return err
	})
	return out, err
}

// block blocks a subscriber inside tx and writes the block event and the
// audit entry.
func (c *Core) block(ctx context.Context, tx Store, actor *Admin, subscriberID int64, reason string, requestID *int64) (*Subscriber, error) {
	now := c.Now.Now()
	ok, err := tx.Subscribers().SetBlocked(ctx, subscriberID, true, reason, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		if _, err := tx.Subscribers().Subscriber(ctx, subscriberID); err != nil {
			return nil, err
		}
		return nil, Errorf(ECONFLICT, "An erased subscriber cannot be blocked.")
	}
	if err := tx.Subscribers().AddBlockEvent(ctx, &BlockEvent{SubscriberID: subscriberID, Action: BlockActionBlocked, Reason: reason,
		RequestID: requestID, Actor: AdminActor(actor).String(), CreatedAt: now}); err != nil {
		return nil, err
	}
	if err := audit(ctx, tx.Audit(), AdminActor(actor), AuditSubscriberBlocked, "subscriber", subscriberID, requestDetails(requestID)); err != nil {
		return nil, err
	}
	return tx.Subscribers().Subscriber(ctx, subscriberID)
}

func requestDetails(id *int64) string {
	if id == nil || *id == 0 {
		return ""
	}
	return fmt.Sprintf("request %d", *id)
}

// Unblock resumes processing of a blocked subscriber: active again, or
// pending when they never confirmed and hold no processing consent. The
// reason is optional and kept in the block history. Unblocking a
// subscriber who is not blocked changes nothing.
func (s *Privacy) Unblock(ctx context.Context, actor *Admin, subscriberID int64, in BlockInput) (*Subscriber, error) {
	return s.changeBlock(ctx, actor, subscriberID, in, false)
}

func (c *Core) unblock(ctx context.Context, tx Store, actor *Admin, subscriberID int64, reason string, requestID *int64) (*Subscriber, error) {
	now := c.Now.Now()
	ok, err := tx.Subscribers().SetBlocked(ctx, subscriberID, false, "", now)
	if err != nil {
		return nil, err
	}
	sub, err := tx.Subscribers().Subscriber(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	if !ok {
		if sub.Status == StatusErased {
			return nil, Errorf(ECONFLICT, "The subscriber is erased.")
		}
		return sub, nil
	}
	if err := tx.Subscribers().AddBlockEvent(ctx, &BlockEvent{SubscriberID: subscriberID, Action: BlockActionUnblocked, Reason: reason,
		RequestID: requestID, Actor: AdminActor(actor).String(), CreatedAt: now}); err != nil {
		return nil, err
	}
	if err := audit(ctx, tx.Audit(), AdminActor(actor), AuditSubscriberUnblocked, "subscriber", subscriberID, requestDetails(requestID)); err != nil {
		return nil, err
	}
	return sub, nil
}

// BlockHistory returns the blocks and unblocks of a subscriber.
func (s *Privacy) BlockHistory(ctx context.Context, subscriberID int64) ([]BlockEvent, error) {
	return s.Store.Subscribers().BlockEvents(ctx, subscriberID)
}

// unblockFor unblocks a subscriber whose latest block was for request id.
func (c *Core) unblockFor(ctx context.Context, tx Store, actor *Admin, subscriberID, requestID int64) error {
	events, err := tx.Subscribers().BlockEvents(ctx, subscriberID)
	if err != nil || len(events) == 0 {
		return err
	}
	last := events[len(events)-1]
	if last.Action != BlockActionBlocked || last.RequestID == nil || *last.RequestID != requestID {
		return nil
	}
	_, err = c.unblock(ctx, tx, actor, subscriberID, fmt.Sprintf("request %d closed", requestID), &requestID)
	return err
}
