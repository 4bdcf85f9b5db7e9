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

// Core is what the use-case types of subscribers, privacy, requests,
// inbound mail and feedback share: the store, the keys, the calendar, the
// operator, the clock and the relay's wake-up. cmd/newsletter builds one
// and embeds it in each (Subscriptions, Privacy, Register, Inbound, Feedback,
// Retention); so do tests. Its methods are the steps several of them take
// inside one transaction (block.go, requests_email.go).
type Core struct {
	Store    Store
	Signer   *Signer
	Links    *Links
	Calendar *Calendar
	Operator Operator
	// Now is the clock; nil is the system clock.
	Now Clock
	// Wake is called after a commit that wrote outbox rows, so the relay
	// picks them up at once; nil does nothing.
	Wake func()
	// MailFiles, in the embedded mode, are the files of the mail sent;
	// an erasure deletes the person's. Nil: mail goes to an SMTP server.
	MailFiles MailFiles
}

func (c *Core) wake() {
	if c.Wake != nil {
		c.Wake()
	}
}

// Subscriptions holds the use cases of subscribers and their consents:
// the subscription form, the preference centre, newsletters joined and
// left, and unsubscribing.
type Subscriptions struct {
	*Core
	ConfirmTTL time.Duration
	PendingTTL time.Duration

	policyMu sync.Mutex
	policy   *PolicyVersion
	policyAt time.Time
}

// Privacy holds the privacy officer's operations on a person's data:
// blocking, erasure and export, the suppression list, the audit log and
// the cross-border rule.
type Privacy struct {
	*Core
	// Subscriptions withdraw the consents of a person erased on the
	// operator's order.
	Subscriptions *Subscriptions
}

// Register holds the register of data-subject requests: registering,
// extending, closing and answering them, their notes and review queue, and
// the requests that arrive by email.
type Register struct {
	*Core
	// Privacy erases the data of a person whose revocation is closed.
	Privacy *Privacy
	// Feedback reads the feedback reports that arrive by email.
	Feedback *Feedback
}

// Inbound holds the emailed mail as received: storing it, reading it back,
// and destroying its raw text when its time is up.
type Inbound struct {
	*Core
}

// Feedback holds the mail providers' feedback: bounces and complaints
// from webhooks and from reports sent by email.
type Feedback struct {
	*Core
}

// Retention holds the sweep that enforces the retention rules and the
// request deadlines.
type Retention struct {
	*Core
	// PendingTTL is how long a subscription may wait for its confirmation.
	PendingTTL time.Duration
	// Register flags the requests overdue or due soon.
	Register *Register
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
