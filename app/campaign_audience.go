package app

import (
	"time"
)

// Audience is the rule that decides who receives a campaign.
type Audience struct {
	Purpose CampaignPurpose
	// CrossBorder requires the cross-border consent: the mail goes through
	// a country without adequate protection.
	CrossBorder bool
	// Newsletters are the campaign's newsletters: a recipient must be on
	// one of them. None means the default newsletter of Purpose.
	Newsletters []int64
}

// AudienceOf returns the audience rule of c under op.
func AudienceOf(c *Campaign, op Operator) Audience {
	return Audience{Purpose: c.Purpose, CrossBorder: op.CrossBorderRequired(), Newsletters: c.NewsletterIDs}
}

// Member reports whether a person on the newsletters on (their current
// memberships) is on one of the audience's newsletters.
func (a Audience) Member(on []Newsletter) bool {
	for _, n := range on {
		if len(a.Newsletters) == 0 {
			if n.Default && n.Purpose == a.Purpose {
				return true
			}
			continue
		}
		for _, id := range a.Newsletters {
			if n.ID == id {
				return true
			}
		}
	}
	return false
}

// RequiredConsents lists the consents a recipient must have granted:
// processing always, marketing for marketing campaigns, cross-border when
// the infrastructure requires it.
func (a Audience) RequiredConsents() []Purpose {
	ps := []Purpose{PurposeProcessing}
	if a.Purpose == CampaignMarketing {
		ps = append(ps, PurposeMarketing)
	}
	if a.CrossBorder {
		ps = append(ps, PurposeCrossBorder)
	}
	return ps
}

// Judge decides, at send time, what becomes of a delivery to s, who is on
// the newsletters on now: DeliverySending when the message may go,
// DeliveryOptedOut when the person withdrew a consent the campaign needs
// or left its newsletters, DeliverySkipped when they
// are no longer active (blocked, erased), lack the cross-border consent or
// are on the suppression list. The database applies the same rule in SQL;
// this is its reference.
func (a Audience) Judge(s *Subscriber, consents []Consent, on []Newsletter, suppressed bool) DeliveryStatus {
	if s == nil || s.Status != StatusActive || s.Email == "" {
		return DeliverySkipped
	}
	granted := map[Purpose]bool{}
	for _, c := range consents {
		granted[c.Purpose] = c.Granted
	}
	if !granted[PurposeProcessing] || (a.Purpose == CampaignMarketing && !granted[PurposeMarketing]) {
		return DeliveryOptedOut
	}
	if !a.Member(on) {
		return DeliveryOptedOut
	}
	if a.CrossBorder && !granted[PurposeCrossBorder] {
		return DeliverySkipped
	}
	if suppressed {
		return DeliverySkipped
	}
	return DeliverySending
}

// Recipient is a delivery claimed for sending, with what its message
// needs. It holds personal data: never log it, never queue it.
type Recipient struct {
	DeliveryID   int64
	SubscriberID int64
	Email        string
	Name         string
	Locale       string
	Attempts     int
}

// DeliveryOutcome is the result of one attempt to deliver, to be recorded.
type DeliveryOutcome struct {
	CampaignID int64
	DeliveryID int64
	// Status is DeliverySent, DeliveryFailed, or DeliveryPending for
	// another attempt at RetryAt.
	Status  DeliveryStatus
	RetryAt time.Time
	Code    int
	Error   string
	// SuppressHash, when set, is the keyed hash of an address the server
	// said does not exist: it joins the suppression list (hard_bounce).
	SuppressHash string
}

// DeliveryRange is a range of delivery ids, both ends included: the unit of
// work of one batch task.
type DeliveryRange struct {
	Lo int64
	Hi int64
}

// CampaignRound names one dispatch round of a campaign.
type CampaignRound struct {
	ID      int64
	Version int64
}

// ClaimRequest asks for up to Limit sendable deliveries of a campaign with
// ids in [Lo, Hi], for the claim ClaimID.
type ClaimRequest struct {
	CampaignID int64
	ClaimID    int64
	Lo, Hi     int64
	Limit      int
	Audience   Audience
}
