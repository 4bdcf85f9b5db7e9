package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Operator is who runs the list, as the privacy policy names them.
type Operator struct {
	Name        string
	Email       string
	Address     string
	Country     string
	SMTPCountry string
}

// CrossBorderRequired reports whether people must give the separate
// cross-border consent before mail reaches them through the configured
// infrastructure.
func (o Operator) CrossBorderRequired() bool {
	return CrossBorderConsentRequired(o.Country, o.SMTPCountry)
}

// Service holds the use cases of subscribers, consents and requests.
type Service struct {
	Store      Store
	Signer     *Signer
	Links      *Links
	Calendar   *Calendar
	Operator   Operator
	ConfirmTTL time.Duration
	PendingTTL time.Duration
	// Now is the clock; nil is the system clock.
	Now Clock
	// Wake is called after a commit that wrote outbox rows, so the relay
	// picks them up at once; nil does nothing.
	Wake func()
	// MailFiles, in the embedded mode, are the files of the mail sent;
	// an erasure deletes the person's. Nil: mail goes to an SMTP server.
	MailFiles MailFiles

	policyMu sync.Mutex
	policy   *PolicyVersion
	policyAt time.Time
}

func (s *Service) wake() {
	if s.Wake != nil {
		s.Wake()
	}
}

// Outbox task kinds written by the use cases (the jobs package handles them).
const (
	OutboxConfirmation = "mail:confirmation"
	OutboxPreferences  = "mail:preferences"
	OutboxErase        = "privacy:erase"
	// OutboxRequestExtended mails the reasoned notice of an extended
	// access request (payload SubscriberRef with RequestID).
	OutboxRequestExtended = "mail:request_extended"
	// OutboxDeadlineAlert mails the privacy officers the requests a sweep
	// flagged overdue or due soon (payload DeadlineAlert).
	OutboxDeadlineAlert = "mail:deadline_alert"
)

// addOutbox writes a side effect with an id-only payload.
func addOutbox(ctx context.Context, tx Store, kind string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", kind, err)
	}
	_, err = tx.Outbox().AddOutbox(ctx, kind, b)
	return err
}
