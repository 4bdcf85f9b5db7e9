package app

import (
	"context"
	"strings"
	"time"
)

// Lifting a suppression: a bounce or a complaint can be wrong (a mailbox
// that was full for a while, a report about someone else, a person who
// asks for the mail again). A privacy officer lifts it with a reason; the
// lift is kept with the reason and written to the audit log. An erasure's
// suppression is never lifted by an operator: only the person's new,
// confirmed consent lifts it.

// AuditSuppressionLifted is the audit action of a lifted suppression.
const AuditSuppressionLifted = "suppression_lifted"

// SuppressionLift is one lifted suppression.
type SuppressionLift struct {
	ID             int64     `json:"id"`
	EmailHash      string    `json:"email_hash"`
	PreviousReason string    `json:"previous_reason"`
	Reason         string    `json:"reason"`
	SubscriberID   *int64    `json:"subscriber_id,omitempty"`
	Actor          string    `json:"actor"`
	LiftedAt       time.Time `json:"lifted_at"`
}

// LiftSuppression takes a hard-bounce, complaint or manual entry off the
// suppression list; key is the address or its keyed hash, reason why
// (required). The lift and its reason are kept, and the audit log names
// it.
func (s *Privacy) LiftSuppression(ctx context.Context, actor *Admin, key, reason string) (*SuppressionLift, error) {
	hash, err := s.suppressionKey(key)
	if err != nil {
		return nil, err
	}
	reason, err = cleanReason("reason", reason, true)
	if err != nil {
		return nil, err
	}
	var out *SuppressionLift
	err = s.Store.Tx(ctx, func(tx Store) error {
		cur, err := tx.Suppressions().SuppressionReason(ctx, hash)
		if err != nil {
			return err
		}
		switch cur {
		case "":
			return Errorf(ENOTFOUND, "The address is not on the suppression list.")
		case SuppressErased:
			return Errorf(ECONFLICT, "An erasure's suppression is lifted only by the person's new confirmed consent.")
		}
		if err := tx.Suppressions().Unsuppress(ctx, hash); err != nil {
			return err
		}
		l := &SuppressionLift{EmailHash: hash, PreviousReason: cur, Reason: reason, Actor: AdminActor(actor).String(), LiftedAt: s.Now.Now()}
		id, err := tx.Subscribers().SubscriberIDByHash(ctx, hash)
		if err != nil {
			return err
		}
		if id > 0 {
			l.SubscriberID = &id
		}
		if err := tx.Suppressions().AddSuppressionLift(ctx, l); err != nil {
			return err
		}
		out = l
		return audit(ctx, tx.Audit(), AdminActor(actor), AuditSuppressionLifted, "suppression", l.ID, cur)
	})
	return out, err
}

// SuppressionLifts lists lifted suppressions, newest first.
func (s *Privacy) SuppressionLifts(ctx context.Context, beforeID int64, limit int) ([]SuppressionLift, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.Store.Suppressions().SuppressionLifts(ctx, beforeID, limit)
}

// suppressionKey turns an address or a keyed hash into the hash.
func (s *Privacy) suppressionKey(key string) (string, error) {
	hash := strings.ToLower(strings.TrimSpace(key))
	if strings.Contains(hash, "@") {
		addr, err := NormalizeEmail(key)
		if err != nil {
			return "", &Error{Code: EINVALID, Message: "invalid email", Fields: map[string]string{"email": ErrorMessage(err)}}
		}
		return s.Signer.KeyedHash(addr), nil
	}
	if !isHexHash(hash) {
		return "", &Error{Code: EINVALID, Message: "invalid suppression", Fields: map[string]string{"email": "an address or its hash"}}
	}
	return hash, nil
}
