package app

import (
	"context"
	"fmt"
)

// reportsNothing ends the detail of a report that names our message but
// reports neither a failure nor a complaint (a success notice, a
// "not spam" report).
const reportsNothing = "reports no failure or complaint"

// actOnReport acts on a delivery report or an ARF complaint report that
// came by mail, inside ActOnEmail's transaction. Each event counts only when
// the report proves it is about a message we sent (applyFeedback with
// byMail); a report that proves nothing changes nothing, records no
// request, and is kept as not acted on (EmailIsUnproven) with a summary for
// the privacy officer.
func (s *Feedback) actOnReport(ctx context.Context, tx Store, m *InboundMessage, e EmailRequest) error {
	var named *DeliveryRef
	if ref, ok := s.Signer.FindDeliveryRef(e.ReportRefs...); ok {
		named = &ref
	}
	acted := false
	for i, ev := range e.Feedback {
		if ref, ok := s.Signer.FindDeliveryRef(ev.RefHints...); ok && named == nil {
			named = &ref
		}
		ev.InboundID = m.ID
		ev.Key = fmt.Sprintf("inbound:%d.%d", m.ID, i)
		out, err := s.applyFeedback(ctx, tx, ev, true)
		if err != nil {
			return err
		}
		if out.status == feedbackIgnored {
			continue
		}
		acted = true
		if out.subscriberID > 0 {
			id := out.subscriberID
			m.SubscriberID = &id
		}
		if out.requestID > 0 {
			id := out.requestID
			m.RequestID = &id
		}
	}
	switch {
	case acted:
		m.Outcome, m.Verification = e.Disposition, VerifiedDeliveryRef
		m.VerificationDetail = fmt.Sprintf("names delivery %d of campaign %d", named.DeliveryID, named.CampaignID)
	case named != nil && len(e.Feedback) == 0:
		m.Outcome = EmailIsUnproven
		m.VerificationDetail = fmt.Sprintf("names delivery %d of campaign %d; %s", named.DeliveryID, named.CampaignID, reportsNothing)
		m.Summary = e.Summary
	case named != nil:
		m.Outcome = EmailIsUnproven
		m.VerificationDetail = fmt.Sprintf("names delivery %d of campaign %d, but not its recipient or not a message that was sent", named.DeliveryID, named.CampaignID)
		m.Summary = e.Summary
	default:
		m.Outcome = EmailIsUnproven
		m.VerificationDetail = "names no message we sent"
		m.Summary = e.Summary
	}
	return nil
}
