package app

import (
	"context"
	"fmt"
	"time"
)

// AuditQuery narrows a listing of the audit log (newest first).
type AuditQuery struct {
	Actor       string
	Action      string
	SubjectType string
	SubjectID   int64
	// SubjectIDs narrows to any of these subjects (with SubjectType).
	SubjectIDs []int64
	// BeforeID pages backwards: entries with a smaller id.
	BeforeID int64
	Since    *time.Time
	Until    *time.Time
	Limit    int
}

// Audit actions of privacy operations.
const (
	AuditSubscriberBlocked   = "subscriber_blocked"
	AuditSubscriberUnblocked = "subscriber_unblocked"
	AuditSubscriberErased    = "subscriber_erased"
	AuditRequestRegistered   = "request_registered"
	AuditRequestExtended     = "request_extended"
	AuditRequestCompleted    = "request_completed"
	AuditRequestRejected     = "request_rejected"
	AuditSuppressionAdded    = "suppression_added"
	AuditSuppressionRemoved  = "suppression_removed"
	AuditDestructionsExport  = "destructions_exported"
	AuditSubscriberExported  = "subscriber_exported"
	AuditSubscribersImported = "subscribers_imported"
)

// Actor names who did something in the audit log and in records, by id
// only: "admin:ID", "subscriber:ID", "system", or the name of a tool
// ("cli").
type Actor string

// ActorSystem is the product itself (a sweep, a worker, a throttle).
const ActorSystem Actor = "system"

// AdminActor names an operator; nil is ActorSystem.
func AdminActor(a *Admin) Actor {
	if a == nil {
		return ActorSystem
	}
	return Actor(fmt.Sprintf("admin:%d", a.ID))
}

// SubscriberActor names a subscriber acting on their own data.
func SubscriberActor(id int64) Actor { return Actor(fmt.Sprintf("subscriber:%d", id)) }

// String returns the name as stored.
func (a Actor) String() string { return string(a) }

// auditLog is where audit entries are written: the audit area of a Store
// (of a transaction, so the entry commits with the change) or an import.
type auditLog interface {
	AddAudit(ctx context.Context, e *AuditEntry) error
}

// audit writes one entry of the audit log: actor did action to the
// subject (type and id); details hold ids only. Every entry the use cases
// write goes through it.
func audit(ctx context.Context, to auditLog, actor Actor, action, subjectType string, subjectID int64, details string) error {
	return to.AddAudit(ctx, &AuditEntry{Actor: actor.String(), Action: action, SubjectType: subjectType,
		SubjectID: subjectID, Details: details})
}

// Audit lists the audit log, newest first.
func (s *Privacy) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	return s.Store.Audit().ListAudit(ctx, q)
}

// RecordAction writes an operator's action (for example an export) to the
// audit log. details must hold ids only.
func (s *Privacy) RecordAction(ctx context.Context, actor *Admin, action, subjectType string, subjectID int64, details string) error {
	return audit(ctx, s.Store.Audit(), AdminActor(actor), action, subjectType, subjectID, details)
}
