package app

import (
	"context"
	"fmt"
	"time"
)

// The campaign actions around sending: the count of its audience before
// sending, taking a scheduled campaign back to draft, duplicating one, and
// templates (campaigns kept to start others from).

// CampaignFilter narrows a campaign listing.
type CampaignFilter struct {
	Status CampaignStatus
	// Templates lists the templates instead of the campaigns.
	Templates bool
	BeforeID  int64 // newest first: ids below this
	Limit     int
}

// CampaignTransition is a conditional change of a campaign's status: it
// applies only when the status is one of From.
type CampaignTransition struct {
	From []CampaignStatus
	To   CampaignStatus
	// SendAt replaces the send time when not nil.
	SendAt *time.Time
	// BumpVersion starts a new dispatch round.
	BumpVersion bool
	// ClearSendAt removes the send time (back to draft).
	ClearSendAt bool
}

// AudienceExcluded counts the people of a campaign's audience (its
// newsletters and segment) it would not reach, by the first reason that
// excludes each, in the order of Audience.Judge.
type AudienceExcluded struct {
	Blocked       int64 `json:"blocked"`
	Suppressed    int64 `json:"suppressed"`
	NoConsent     int64 `json:"no_consent"`
	NoCrossBorder int64 `json:"no_cross_border"`
}

// AudienceCount is how many people a campaign would reach now: in total,
// per newsletter (by id; a person in two newsletters counts in each, and
// once in Total), and who it would not, by reason.
type AudienceCount struct {
	Total        int64            `json:"total"`
	ByNewsletter map[string]int64 `json:"by_newsletter"`
	Excluded     AudienceExcluded `json:"excluded"`
}

// segmentRef is the segment id of a campaign: nil for none (0).
func segmentRef(id int64) *int64 {
	if id <= 0 {
		return nil
	}
	return &id
}

// segmentFilter is the filter of the campaign's segment (zero: everyone).
func (c *Campaign) segmentFilter() SegmentFilter {
	if c.Segment == nil {
		return SegmentFilter{}
	}
	return *c.Segment
}

// checkSegment refuses a campaign whose segment does not exist, and reads
// the segment's filter into it.
func (s *Campaigns) checkSegment(ctx context.Context, c *Campaign) error {
	c.Segment = nil
	if c.SegmentID == nil {
		return nil
	}
	g, err := s.Store.Segments().Segment(ctx, *c.SegmentID)
	if IsNotFound(err) {
		return &Error{Code: EINVALID, Message: "The campaign has errors.", Fields: map[string]string{"segment_id": "no such segment"}}
	}
	if err != nil {
		return err
	}
	c.Segment = &g.Filter
	return nil
}

// Audience counts who the campaign would reach if it were sent now, by the
// rule its deliveries are materialized and claimed with.
func (s *Campaigns) Audience(ctx context.Context, id int64) (*AudienceCount, error) {
	c, err := s.Store.Campaigns().Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	n, err := s.Store.Segments().CountAudience(ctx, AudienceOf(c, s.Operator))
	if err != nil {
		return nil, fmt.Errorf("count the audience of campaign %d: %w", id, err)
	}
	return n, nil
}

// Unschedule takes a scheduled campaign back to draft, to be edited and
// scheduled again. Its version changes, so the dispatch task of the old
// schedule finds a round that is no longer current and does nothing.
func (s *Campaigns) Unschedule(ctx context.Context, actor *Admin, id int64) (*Campaign, error) {
	c, err := s.Store.Campaigns().TransitionCampaign(ctx, id, CampaignTransition{
		From: []CampaignStatus{CampaignScheduled}, To: CampaignDraft, BumpVersion: true, ClearSendAt: true})
	if err != nil {
		return nil, s.explain(ctx, id, err, "taken back to draft")
	}
	return c, s.audit(ctx, actor, "campaign_unscheduled", id, "")
}

// Duplicate makes a new draft with the content and audience of campaign id
// (any status): a template when template is true, else a campaign (from a
// template, that is starting a campaign from it).
func (s *Campaigns) Duplicate(ctx context.Context, actor *Admin, id int64, template bool) (*Campaign, error) {
	src, err := s.Store.Campaigns().Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	c := *src
	c.ID, c.Status, c.SendAt, c.Template = 0, CampaignDraft, nil, template
	c.CampaignCounters, c.CampaignFeedback = CampaignCounters{}, CampaignFeedback{}
	c.StartedAt, c.FinishedAt, c.MaterializedAt = nil, nil, nil
	c.CreatedBy = 0
	if actor != nil {
		c.CreatedBy = actor.ID
	}
	if err := s.checkSegment(ctx, &c); err != nil {
		c.SegmentID, c.Segment = nil, nil // the segment is gone: everyone
	}
	if err := s.Store.Campaigns().CreateCampaign(ctx, &c); err != nil {
		return nil, err
	}
	action := "campaign_duplicated"
	if template {
		action = "campaign_template_saved"
	}
	if err := s.audit(ctx, actor, action, c.ID, fmt.Sprintf("from campaign %d", id)); err != nil {
		return nil, err
	}
	return &c, nil
}

// FailedDeliveries lists a campaign's failed deliveries, for the retry
// decision of a marketer.
func (s *Campaigns) FailedDeliveries(ctx context.Context, id, afterID int64, limit int) ([]FailedDelivery, error) {
	if _, err := s.Store.Campaigns().Campaign(ctx, id); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.Store.Campaigns().FailedDeliveries(ctx, id, afterID, limit)
}

// explain turns a refused transition into a message naming the status.
func (s *Campaigns) explain(ctx context.Context, id int64, err error, verb string) error {
	if ErrorCode(err) != ECONFLICT {
		return err
	}
	c, gerr := s.Store.Campaigns().Campaign(ctx, id)
	if gerr != nil {
		return err
	}
	return Errorf(ECONFLICT, "A %s campaign cannot be %s.", c.Status, verb)
}
