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

// ActorName names an operator in the audit log and in records: by id only.
func ActorName(a *Admin) string {
	if a == nil {
		return "system"
	}
	return fmt.Sprintf("admin:%d", a.ID)
}

// Audit lists the audit log, newest first.
func (s *Service) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	return s.Store.Audit().ListAudit(ctx, q)
}

// RecordAction writes an operator's action (for example an export) to the
// audit log. details must hold ids only.
func (s *Service) RecordAction(ctx context.Context, actor *Admin, action, subjectType string, subjectID int64, details string) error {
	return s.Store.Audit().AddAudit(ctx, &AuditEntry{Actor: ActorName(actor), Action: action, SubjectType: subjectType,
		SubjectID: subjectID, Details: details})
}
