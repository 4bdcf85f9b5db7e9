package app

import (
	"context"
	"time"
)

// What happened to a campaign's mail after it was sent, and to the mail it
// did not send: the counters beside sent and failed, and the lists behind
// them.

// Reasons a delivery was skipped at send time (Delivery.skip_reason).
const (
	SkipOptedOut    = "opted_out"    // withdrew a consent the campaign needs
	SkipSuppressed  = "suppressed"   // on the suppression list
	SkipBlocked     = "blocked"      // processing suspended
	SkipErased      = "erased"       // erased, or gone
	SkipCrossBorder = "cross_border" // lacks the cross-border consent the infrastructure needs
	SkipInactive    = "inactive"     // no longer active for another reason
	SkipSegment     = "segment"      // no longer in the campaign's segment
)

// SkipReasons lists the skip reasons in display order.
var SkipReasons = []string{SkipOptedOut, SkipSuppressed, SkipBlocked, SkipErased, SkipCrossBorder, SkipInactive, SkipSegment}

// CampaignFeedback counts what happened to a campaign's mail besides its
// sending. It is computed from the records when a campaign is read, so it
// is never out of step with them.
type CampaignFeedback struct {
	// Unsubscribed counts the people who opted out (or revoked their
	// consent) through this campaign's links: one-click, the unsubscribe
	// page, or the mailto of List-Unsubscribe.
	Unsubscribed int64 `json:"unsubscribed"`
	// Bounced counts the messages that bounced, from any source: refused
	// by the server while we sent (also counted in failed), or reported
	// later by a delivery report or a provider. BouncedHard and
	// BouncedSoft split it (a message with both counts as hard).
	Bounced     int64 `json:"bounced"`
	BouncedHard int64 `json:"bounced_hard"`
	BouncedSoft int64 `json:"bounced_soft"`
	// Complaints counts the messages reported as spam.
	Complaints int64 `json:"complaints"`
	// SkippedReasons counts the deliveries not sent, by reason (the
	// SkipReasons; opted_out is the counter opted_out, the others add up
	// to skipped, "other" holds those skipped before reasons were kept).
	SkippedReasons map[string]int64 `json:"skipped_reasons"`
}

// Outcome lists of a campaign.
const (
	OutcomeFailed       = "failed"
	OutcomeBounced      = "bounced"
	OutcomeComplaints   = "complaints"
	OutcomeUnsubscribed = "unsubscribed"
	OutcomeSkipped      = "skipped"
)

// OutcomeLists are the lists CampaignOutcomes gives.
var OutcomeLists = []string{OutcomeFailed, OutcomeBounced, OutcomeComplaints, OutcomeUnsubscribed, OutcomeSkipped}

// OutcomeQuery asks for one list of a campaign's outcomes.
type OutcomeQuery struct {
	CampaignID int64
	// List is one of the OutcomeLists.
	List string
	// AfterID pages: entries with a larger ID.
	AfterID int64
	Limit   int
	// People adds each subscriber's name and address (privacy officers
	// and owners only).
	People bool
}

// CampaignOutcome is one entry of an outcome list. A marketer sees the
// subscriber by id only; Name and Email are filled for those who may see
// personal data.
type CampaignOutcome struct {
	// ID orders the list and pages it: the delivery (failed, bounced,
	// skipped), the event (complaints) or the request (unsubscribed).
	ID           int64  `json:"id"`
	SubscriberID *int64 `json:"subscriber_id"`
	// Kind is failed, hard_bounce, soft_bounce, complaint, unsubscribed or
	// skipped.
	Kind string `json:"kind"`
	// Detail is the SMTP code and answer of a failure, the status code of
	// a bounce, or the reason of a skip.
	Detail string `json:"detail,omitempty"`
	// Source is where it came from: smtp, dsn, arf, ses, sendgrid,
	// mailgun, postmark; one_click, web or email for an opt-out.
	Source string     `json:"source,omitempty"`
	At     *time.Time `json:"at,omitempty"`
	Name   string     `json:"name,omitempty"`
	Email  string     `json:"email,omitempty"`
}

// withFeedback fills the feedback counters of campaigns.
func (s *Campaigns) withFeedback(ctx context.Context, cs ...*Campaign) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	got, err := s.Store.Campaigns().CampaignFeedback(ctx, ids)
	if err != nil {
		return err
	}
	for _, c := range cs {
		c.CampaignFeedback = got[c.ID]
		if c.SkippedReasons == nil {
			c.SkippedReasons = map[string]int64{}
		}
	}
	return nil
}

// Outcomes lists the entries behind one of a campaign's counters (a list of
// OutcomeLists), after afterID. Marketers get subscriber ids only; privacy
// officers and owners also the name and address.
func (s *Campaigns) Outcomes(ctx context.Context, actor *Admin, id int64, list string, afterID int64, limit int) ([]CampaignOutcome, error) {
	valid := false
	for _, l := range OutcomeLists {
		valid = valid || l == list
	}
	if !valid {
		return nil, &Error{Code: EINVALID, Message: "Unknown list.",
			Fields: map[string]string{"list": "failed, bounced, complaints, unsubscribed or skipped"}}
	}
	if _, err := s.Store.Campaigns().Campaign(ctx, id); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	people := actor != nil && (actor.Role == RolePrivacyOfficer || actor.Role == RoleOwner)
	return s.Store.Campaigns().CampaignOutcomes(ctx, OutcomeQuery{CampaignID: id, List: list, AfterID: afterID, Limit: limit, People: people})
}

// Rate returns part of whole as a fraction (0 when whole is 0).
func Rate(part, whole int64) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

// ComplaintRateLimit is the complaint rate that Gmail and Yahoo ask bulk
// senders to stay under (0.3%).
const ComplaintRateLimit = 0.003

// DeliveryRecord is one campaign message to a subscriber, as the access
// export shows it: Subject is the subject as the person received it
// (Campaign.SubjectAsSent).
type DeliveryRecord struct {
	CampaignID int64      `json:"campaign_id"`
	Campaign   string     `json:"campaign"`
	Subject    string     `json:"subject"`
	Purpose    string     `json:"purpose"`
	Status     string     `json:"status"`
	SentAt     *time.Time `json:"sent_at"`
}
