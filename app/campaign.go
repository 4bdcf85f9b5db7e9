package app

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// CampaignStatus is where a campaign stands.
type CampaignStatus string

// Campaign statuses.
const (
	CampaignDraft     CampaignStatus = "draft"
	CampaignScheduled CampaignStatus = "scheduled"
	CampaignRunning   CampaignStatus = "running"
	CampaignPaused    CampaignStatus = "paused"
	CampaignCancelled CampaignStatus = "cancelled"
	CampaignFinished  CampaignStatus = "finished"
)

// CampaignPurpose is what a campaign is for; it decides its audience.
type CampaignPurpose string

// Campaign purposes.
const (
	// CampaignMarketing goes to active subscribers who consented to
	// marketing (and to processing).
	CampaignMarketing CampaignPurpose = "marketing"
	// CampaignInformational goes to active subscribers who consented to
	// processing.
	CampaignInformational CampaignPurpose = "informational"
)

// DeliveryStatus is where one recipient's message of a campaign stands.
type DeliveryStatus string

// Delivery statuses. A delivery is pending until a batch claims it; it is
// then sending until its result is recorded (sent, failed, or pending again
// for a later attempt), or it is skipped or opted_out when the recipient is
// no longer eligible at send time.
const (
	DeliveryPending  DeliveryStatus = "pending"
	DeliverySending  DeliveryStatus = "sending"
	DeliverySent     DeliveryStatus = "sent"
	DeliveryFailed   DeliveryStatus = "failed"
	DeliverySkipped  DeliveryStatus = "skipped"
	DeliveryOptedOut DeliveryStatus = "opted_out"
)

// CampaignCounters count a campaign's deliveries. Recipients is the size of
// the audience when sending started; the others count deliveries by outcome.
type CampaignCounters struct {
	Recipients int64 `json:"recipients"`
	Sent       int64 `json:"sent"`
	Failed     int64 `json:"failed"`
	// Skipped counts deliveries not sent because the person was no longer
	// eligible for another reason than an opt-out (SkippedReasons says
	// which).
	Skipped int64 `json:"skipped"`
	// OptedOut counts deliveries skipped because the person opted out
	// before their message went out (not opt-outs caused by this
	// campaign: those are Unsubscribed).
	OptedOut int64 `json:"opted_out"`
}

// Campaign is one mailing written by a marketer.
type Campaign struct {
	ID      int64           `json:"id"`
	Name    string          `json:"name"`
	Subject string          `json:"subject"`
	Purpose CampaignPurpose `json:"purpose"`
	// NewsletterIDs are the newsletters the campaign goes to, all of its
	// purpose; a campaign written without them goes to the default
	// newsletter of its purpose.
	NewsletterIDs []int64 `json:"newsletter_ids"`
	// Locale ("en" or "ru") is the language of the footer and of the
	// List-Unsubscribe mailto subject; empty means each recipient's own.
	Locale string `json:"locale"`
	// Format is how the bodies are written: Markdown (Body) or HTML
	// (BodyHTML).
	Format   CampaignFormat `json:"format"`
	Body     string         `json:"body,omitempty"`
	BodyHTML string         `json:"body_html"`
	BodyText string         `json:"body_text"`
	// Translations are the subject and body in the other languages, by
	// language; the fields above are the default language's.
	Translations map[string]CampaignTranslation `json:"translations,omitempty"`
	CampaignPublishing
	Status CampaignStatus `json:"status"`
	SendAt *time.Time     `json:"send_at"`
	// SegmentID names the segment the campaign goes to (nil: everyone in
	// its audience); Segment is that segment's filter, read with it.
	SegmentID *int64         `json:"segment_id"`
	Segment   *SegmentFilter `json:"-"`
	// Template marks a campaign kept to start others from: it is never
	// sent.
	Template bool `json:"template"`
	// Version changes with every schedule, resume, retry and recovery; it
	// names the dispatch task of that round.
	Version int64 `json:"-"`
	CampaignCounters
	CampaignFeedback
	CreatedBy      int64      `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	StartedAt      *time.Time `json:"started_at"`
	FinishedAt     *time.Time `json:"finished_at"`
	MaterializedAt *time.Time `json:"-"`
}

// Limits of a campaign's fields.
const (
	campaignNameMax    = 200
	campaignSubjectMax = 300
	campaignBodyMax    = 512 << 10
	// CampaignTestMax is how many addresses one test send may have.
	CampaignTestMax = 10
)

// CampaignInput is what a marketer writes: a new campaign, or all fields of
// a draft (PUT).
type CampaignInput struct {
	Name    string          `json:"name"`
	Subject string          `json:"subject"`
	Purpose CampaignPurpose `json:"purpose"`
	Locale  string          `json:"locale"`
	// Format is markdown or html; empty is html, as before formats.
	Format       CampaignFormat                 `json:"format"`
	Body         string                         `json:"body"`
	BodyHTML     string                         `json:"body_html"`
	BodyText     string                         `json:"body_text"`
	Translations map[string]CampaignTranslation `json:"translations"`
	Archive      bool                           `json:"archive"`
	TrackClicks  bool                           `json:"track_clicks"`
	// SegmentID is the segment to send to; nil or 0 means none.
	SegmentID *int64 `json:"segment_id"`
	// NewsletterIDs are the newsletters to send to; none: the default
	// newsletter of Purpose.
	NewsletterIDs []int64 `json:"newsletter_ids"`
}

// CampaignPatch changes some fields of a draft (PATCH); nil fields stay.
type CampaignPatch struct {
	Name         *string                         `json:"name"`
	Subject      *string                         `json:"subject"`
	Purpose      *CampaignPurpose                `json:"purpose"`
	Locale       *string                         `json:"locale"`
	Format       *CampaignFormat                 `json:"format"`
	Body         *string                         `json:"body"`
	BodyHTML     *string                         `json:"body_html"`
	BodyText     *string                         `json:"body_text"`
	Translations *map[string]CampaignTranslation `json:"translations"`
	Archive      *bool                           `json:"archive"`
	TrackClicks  *bool                           `json:"track_clicks"`
	// SegmentID changes the segment when set; 0 removes it.
	SegmentID *int64 `json:"segment_id"`
	// NewsletterIDs replaces the newsletters when set; when only the
	// purpose changes, a campaign on its purpose's default newsletter
	// moves to the new purpose's.
	NewsletterIDs *[]int64 `json:"newsletter_ids"`
}

// apply writes the fields of p that are set onto c.
func (p CampaignPatch) apply(c *Campaign) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, p.Name)
	set(&c.Subject, p.Subject)
	set(&c.Locale, p.Locale)
	set(&c.BodyHTML, p.BodyHTML)
	set(&c.BodyText, p.BodyText)
	set(&c.Body, p.Body)
	if p.Purpose != nil {
		c.Purpose = *p.Purpose
	}
	if p.SegmentID != nil {
		c.SegmentID = segmentRef(*p.SegmentID)
	}
	if p.Format != nil {
		c.Format = *p.Format
	}
	if p.Translations != nil {
		c.Translations = *p.Translations
	}
	p.applyPublishing(c)
}

// Validate checks the fields a marketer writes, and that the bodies and
// subject are templates that render with the merge fields. It returns an
// *Error with code EINVALID and a message per field.
func (c *Campaign) Validate() error {
	if err := c.ValidateFields(); err != nil {
		return err
	}
	if _, err := CompileCampaign(c, Operator{}, nil, Frame{}); err != nil {
		return err
	}
	return nil
}

// ValidateFields is Validate without the templates: the fields' presence,
// lengths and choices.
func (c *Campaign) ValidateFields() error {
	c.Name = strings.TrimSpace(c.Name)
	c.Subject = strings.TrimSpace(c.Subject)
	c.Locale = strings.ToLower(strings.TrimSpace(c.Locale))
	fields := map[string]string{}
	var texts map[string]Text
	switch {
	case c.Name == "":
		fields["name"] = "required"
	case utf8.RuneCountInString(c.Name) > campaignNameMax:
		fields["name"] = fieldf(&texts, "at most %d characters", campaignNameMax)
	}
	switch {
	case c.Subject == "":
		fields["subject"] = "required"
	case utf8.RuneCountInString(c.Subject) > campaignSubjectMax:
		fields["subject"] = fieldf(&texts, "at most %d characters", campaignSubjectMax)
	case strings.ContainsAny(c.Subject, "\r\n"):
		fields["subject"] = "must be one line"
	}
	switch c.Purpose {
	case CampaignMarketing, CampaignInformational:
	case "":
		fields["purpose"] = "required: marketing or informational"
	default:
		fields["purpose"] = "must be marketing or informational"
	}
	switch c.Locale {
	case "", "en", "ru":
	default:
		fields["locale"] = "must be en, ru or empty (each recipient's language)"
	}
	c.validateContent(fields, &texts)
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "The campaign has errors.", Fields: fields, FieldTexts: texts}
}

// FailedDelivery is one message of a campaign that could not be delivered.
// It names the subscriber by id only (marketers see no personal data); the
// error is the mail server's answer with any address in it removed.
type FailedDelivery struct {
	ID           int64      `json:"id"`
	SubscriberID int64      `json:"subscriber_id"`
	Attempts     int        `json:"attempts"`
	SMTPCode     int        `json:"smtp_code"`
	Error        string     `json:"error"`
	SentAt       *time.Time `json:"last_attempt_at,omitempty"`
}

// CampaignQueue starts the sending of a campaign.
type CampaignQueue interface {
	// EnqueueDispatch asks for the dispatch of round version of a campaign
	// at at (at once when at has passed). Enqueueing the same round twice
	// is harmless.
	EnqueueDispatch(ctx context.Context, campaignID, version int64, at time.Time) error
}

// CampaignTester sends a campaign's test message to a few addresses.
type CampaignTester interface {
	SendTest(ctx context.Context, c *Campaign, to []string) error
}

// Campaigns holds the use cases of campaigns: writing, testing, scheduling,
// pausing, resuming, cancelling and retrying them. Sending itself happens in
// the workers; the database is the truth, and the queue only a prompt, so a
// failed enqueue is repaired by the workers' periodic reconciliation.
type Campaigns struct {
	Store  Store
	Queue  CampaignQueue
	Tester CampaignTester
	// Signer keys the suppression-list hashes that test sends are checked
	// against; without it test sends are refused.
	Signer *Signer
	// Operator decides whether test recipients need the cross-border
	// consent, as campaign recipients do.
	Operator Operator
	// Limiter bounds test sends per admin (CampaignTestsPerHour) across
	// every web process; nil means no limit.
	Limiter RateLimiter
	// Now is the clock; nil is the system clock.
	Now Clock
	// EnqueueFailed, when set, hears of an enqueue that failed after a
	// change was committed (the reconciliation will enqueue it later).
	EnqueueFailed func(campaignID int64, err error)
}

func (s *Campaigns) audit(ctx context.Context, actor *Admin, action string, id int64, details string) error {
	return audit(ctx, s.Store.Audit(), AdminActor(actor), action, "campaign", id, details)
}

func (s *Campaigns) enqueue(ctx context.Context, c *Campaign) {
	at := s.Now.Now()
	if c.SendAt != nil && c.SendAt.After(at) {
		at = *c.SendAt
	}
	if err := s.Queue.EnqueueDispatch(ctx, c.ID, c.Version, at); err != nil && s.EnqueueFailed != nil {
		s.EnqueueFailed(c.ID, err)
	}
}

// Create validates and stores a new draft.
func (s *Campaigns) Create(ctx context.Context, actor *Admin, in CampaignInput) (*Campaign, error) {
	c := &Campaign{Name: in.Name, Subject: in.Subject, Purpose: in.Purpose, Locale: in.Locale, Format: in.Format,
		Body: in.Body, BodyHTML: in.BodyHTML, BodyText: in.BodyText, Translations: in.Translations, Status: CampaignDraft,
		CampaignPublishing: CampaignPublishing{Archive: in.Archive, TrackClicks: in.TrackClicks}}
	if in.SegmentID != nil {
		c.SegmentID = segmentRef(*in.SegmentID)
	}
	if actor != nil {
		c.CreatedBy = actor.ID
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkSegment(ctx, c); err != nil {
		return nil, err
	}
	ids, err := CheckCampaignNewsletters(ctx, s.Store.Newsletters(), c.Purpose, in.NewsletterIDs)
	if err != nil {
		return nil, err
	}
	c.NewsletterIDs = ids
	if err := s.Store.Campaigns().CreateCampaign(ctx, c); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, actor, "campaign_created", c.ID, ""); err != nil {
		return nil, err
	}
	return c, nil
}

// Get returns one campaign with its counters.
func (s *Campaigns) Get(ctx context.Context, id int64) (*Campaign, error) {
	c, err := s.Store.Campaigns().Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.withLinks(ctx, c); err != nil {
		return nil, err
	}
	return c, s.withFeedback(ctx, c)
}

// List returns campaigns, newest first.
func (s *Campaigns) List(ctx context.Context, f CampaignFilter) ([]Campaign, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	list, err := s.Store.Campaigns().ListCampaigns(ctx, f)
	if err != nil {
		return nil, err
	}
	ptrs := make([]*Campaign, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	return list, s.withFeedback(ctx, ptrs...)
}

// Update changes some fields of a draft.
func (s *Campaigns) Update(ctx context.Context, actor *Admin, id int64, p CampaignPatch) (*Campaign, error) {
	c, err := s.Store.Campaigns().Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != CampaignDraft && p.archiveOnly() {
		return s.setArchive(ctx, actor, c, *p.Archive)
	}
	if c.Status != CampaignDraft {
		return nil, Errorf(ECONFLICT, "Only a draft can be edited; this campaign is %s.", c.Status)
	}
	before := c.Purpose
	p.apply(c)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkSegment(ctx, c); err != nil {
		return nil, err
	}
	if err := s.patchNewsletters(ctx, c, before, p.NewsletterIDs); err != nil {
		return nil, err
	}
	if err := s.Store.Campaigns().UpdateCampaignDraft(ctx, c); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, actor, "campaign_edited", c.ID, ""); err != nil {
		return nil, err
	}
	return c, nil
}

// Replace sets every editable field of a draft.
func (s *Campaigns) Replace(ctx context.Context, actor *Admin, id int64, in CampaignInput) (*Campaign, error) {
	seg := int64(0)
	if in.SegmentID != nil {
		seg = *in.SegmentID
	}
	return s.Update(ctx, actor, id, CampaignPatch{Name: &in.Name, Subject: &in.Subject, Purpose: &in.Purpose,
		Locale: &in.Locale, Format: &in.Format, Body: &in.Body, BodyHTML: &in.BodyHTML, BodyText: &in.BodyText,
		Translations: &in.Translations, Archive: &in.Archive, TrackClicks: &in.TrackClicks,
		SegmentID: &seg, NewsletterIDs: &in.NewsletterIDs})
}

// patchNewsletters sets the newsletters of c after a change: the ones
// given, or, when none are given and the purpose changed from before, the
// new purpose's default.
func (s *Campaigns) patchNewsletters(ctx context.Context, c *Campaign, before CampaignPurpose, ids *[]int64) error {
	want := c.NewsletterIDs
	switch {
	case ids != nil:
		want = *ids
	case c.Purpose != before:
		want = nil
	}
	checked, err := CheckCampaignNewsletters(ctx, s.Store.Newsletters(), c.Purpose, want)
	if err != nil {
		return err
	}
	c.NewsletterIDs = checked
	return nil
}

// Schedule plans a draft (or re-plans a scheduled campaign) for at; a nil
// or past at means now. The campaign is validated once more first: one
// saved before a rule was added is refused here, before it reaches anyone.
func (s *Campaigns) Schedule(ctx context.Context, actor *Admin, id int64, at *time.Time) (*Campaign, error) {
	cur, err := s.Store.Campaigns().Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if cur.Template {
		return nil, Errorf(ECONFLICT, "A template is not sent; start a campaign from it.")
	}
	if cur.Status == CampaignDraft || cur.Status == CampaignScheduled {
		check := *cur
		if err := check.Validate(); err != nil {
			return nil, err
		}
		// A newsletter may have changed purpose since the campaign was
		// saved: it must still be the campaign's.
		if _, err := CheckCampaignNewsletters(ctx, s.Store.Newsletters(), cur.Purpose, cur.NewsletterIDs); err != nil {
			return nil, err
		}
	}
	now := s.Now.Now()
	when := now
	if at != nil && at.After(now) {
		when = at.UTC()
	}
	c, err := s.Store.Campaigns().TransitionCampaign(ctx, id, CampaignTransition{
		From: []CampaignStatus{CampaignDraft, CampaignScheduled}, To: CampaignScheduled, SendAt: &when, BumpVersion: true})
	if err != nil {
		return nil, s.explain(ctx, id, err, "scheduled")
	}
	if err := s.audit(ctx, actor, "campaign_scheduled", id, when.Format(time.RFC3339)); err != nil {
		return nil, err
	}
	s.enqueue(ctx, c)
	return c, nil
}

// Pause stops the sending of a running or scheduled campaign; messages
// being sent when it is paused still go out (at most one claim's worth per
// worker), nothing after.
func (s *Campaigns) Pause(ctx context.Context, actor *Admin, id int64) (*Campaign, error) {
	c, err := s.Store.Campaigns().TransitionCampaign(ctx, id, CampaignTransition{
		From: []CampaignStatus{CampaignScheduled, CampaignRunning}, To: CampaignPaused})
	if err != nil {
		return nil, s.explain(ctx, id, err, "paused")
	}
	return c, s.audit(ctx, actor, "campaign_paused", id, "")
}

// Resume continues a paused campaign: at its send time if that is still
// ahead, else now.
func (s *Campaigns) Resume(ctx context.Context, actor *Admin, id int64) (*Campaign, error) {
	cur, err := s.Store.Campaigns().Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	to := CampaignRunning
	if cur.StartedAt == nil && cur.SendAt != nil && cur.SendAt.After(s.Now.Now()) {
		to = CampaignScheduled
	}
	c, err := s.Store.Campaigns().TransitionCampaign(ctx, id, CampaignTransition{
		From: []CampaignStatus{CampaignPaused}, To: to, BumpVersion: true})
	if err != nil {
		return nil, s.explain(ctx, id, err, "resumed")
	}
	if err := s.audit(ctx, actor, "campaign_resumed", id, ""); err != nil {
		return nil, err
	}
	s.enqueue(ctx, c)
	return c, nil
}

// Cancel stops a campaign for good; deliveries not yet sent never will be.
func (s *Campaigns) Cancel(ctx context.Context, actor *Admin, id int64) (*Campaign, error) {
	c, err := s.Store.Campaigns().TransitionCampaign(ctx, id, CampaignTransition{
		From: []CampaignStatus{CampaignDraft, CampaignScheduled, CampaignRunning, CampaignPaused}, To: CampaignCancelled})
	if err != nil {
		return nil, s.explain(ctx, id, err, "cancelled")
	}
	return c, s.audit(ctx, actor, "campaign_cancelled", id, "")
}

// RetryFailed sends the failed deliveries of a campaign again. A finished
// campaign runs again; a paused one keeps them for its resumption.
func (s *Campaigns) RetryFailed(ctx context.Context, actor *Admin, id int64) (int64, *Campaign, error) {
	n, err := s.Store.Campaigns().RetryFailedDeliveries(ctx, id)
	if err != nil {
		return 0, nil, s.explain(ctx, id, err, "retried")
	}
	c, err := s.Store.Campaigns().Campaign(ctx, id)
	if err != nil {
		return 0, nil, err
	}
	if err := s.audit(ctx, actor, "campaign_retry_failed", id, fmt.Sprintf("%d deliveries", n)); err != nil {
		return 0, nil, err
	}
	if n > 0 && c.Status == CampaignRunning {
		s.enqueue(ctx, c)
	}
	return n, c, nil
}
