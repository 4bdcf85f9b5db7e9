package app

import (
	"context"
	"strings"
	"time"
)

// Suppression is one entry of the suppression list: a keyed hash of an
// address, never the address.
type Suppression struct {
	EmailHash string    `json:"email_hash"`
	Reason    string    `json:"reason"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// SuppressionQuery narrows a listing of the suppression list.
type SuppressionQuery struct {
	Reason string
	// After is the email hash to continue after (paging in hash order).
	After string
	Limit int
}

// SuppressionCounts returns how many addresses the suppression list holds
// per reason (every reason present, zero or not).
func (s *Privacy) SuppressionCounts(ctx context.Context) (map[string]int64, error) {
	counts, err := s.Store.Suppressions().SuppressionCounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range []string{SuppressErased, SuppressHardBounce, SuppressComplaint, SuppressManual} {
		counts[r] += 0
	}
	return counts, nil
}

// Suppressions lists entries of the suppression list (hashes only).
func (s *Privacy) Suppressions(ctx context.Context, q SuppressionQuery) ([]Suppression, error) {
	return s.Store.Suppressions().ListSuppressions(ctx, q)
}

// SuppressManually puts an address on the suppression list by the
// operator's decision: only its keyed hash is stored. No mail goes to it,
// no import adds it, and a new subscription does not lift it; only the
// operator does (RemoveSuppression). It returns the hash.
func (s *Privacy) SuppressManually(ctx context.Context, actor *Admin, email, note string) (string, error) {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return "", &Error{Code: EINVALID, Message: "invalid email", Fields: map[string]string{"email": ErrorMessage(err)}}
	}
	note, err = cleanReason("note", note, false)
	if err != nil {
		return "", err
	}
	hash := s.Signer.KeyedHash(addr)
	err = s.Store.Tx(ctx, func(tx Store) error {
		if err := tx.Suppressions().Suppress(ctx, hash, SuppressManual, note); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), AuditSuppressionAdded, "suppression", 0, SuppressManual)
	})
	return hash, err
}

// RemoveSuppression takes a manual entry off the suppression list; key is
// the address or its hash. Other entries are lifted only by the person's
// new confirmed consent.
func (s *Privacy) RemoveSuppression(ctx context.Context, actor *Admin, key string) error {
	hash := strings.ToLower(strings.TrimSpace(key))
	if strings.Contains(hash, "@") {
		addr, err := NormalizeEmail(key)
		if err != nil {
			return &Error{Code: EINVALID, Message: "invalid email", Fields: map[string]string{"email": ErrorMessage(err)}}
		}
		hash = s.Signer.KeyedHash(addr)
	} else if !isHexHash(hash) {
		return &Error{Code: EINVALID, Message: "invalid suppression", Fields: map[string]string{"email": "an address or its hash"}}
	}
	return s.Store.Tx(ctx, func(tx Store) error {
		reason, err := tx.Suppressions().SuppressionReason(ctx, hash)
		if err != nil {
			return err
		}
		switch reason {
		case "":
			return Errorf(ENOTFOUND, "The address is not on the suppression list.")
		case SuppressManual:
		case SuppressHardBounce, SuppressComplaint:
			return Errorf(ECONFLICT, "Only manual suppressions can be removed; this one (%s) is lifted with a reason.", reason)
		default:
			return Errorf(ECONFLICT, "Only manual suppressions can be removed; this one (%s) is lifted by the person's new consent.", reason)
		}
		if err := tx.Suppressions().Unsuppress(ctx, hash); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), AuditSuppressionRemoved, "suppression", 0, SuppressManual)
	})
}

func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}
