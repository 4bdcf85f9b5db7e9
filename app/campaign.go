package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/mail"
	"strings"
	"sync"
	texttemplate "text/template"
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
	// Locale ("en" or "ru") is the language of the footer and of the
	// List-Unsubscribe mailto subject; empty means each recipient's own.
	Locale   string         `json:"locale"`
	BodyHTML string         `json:"body_html"`
	BodyText string         `json:"body_text"`
	Status   CampaignStatus `json:"status"`
	SendAt   *time.Time     `json:"send_at"`
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
	Name     string          `json:"name"`
	Subject  string          `json:"subject"`
	Purpose  CampaignPurpose `json:"purpose"`
	Locale   string          `json:"locale"`
	BodyHTML string          `json:"body_html"`
	BodyText string          `json:"body_text"`
}

// CampaignPatch changes some fields of a draft (PATCH); nil fields stay.
type CampaignPatch struct {
	Name     *string          `json:"name"`
	Subject  *string          `json:"subject"`
	Purpose  *CampaignPurpose `json:"purpose"`
	Locale   *string          `json:"locale"`
	BodyHTML *string          `json:"body_html"`
	BodyText *string          `json:"body_text"`
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
	if p.Purpose != nil {
		c.Purpose = *p.Purpose
	}
}

// Validate checks the fields a marketer writes, and that the bodies and
// subject are templates that render with the merge fields. It returns an
// *Error with code EINVALID and a message per field.
func (c *Campaign) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	c.Subject = strings.TrimSpace(c.Subject)
	c.Locale = strings.ToLower(strings.TrimSpace(c.Locale))
	fields := map[string]string{}
	switch {
	case c.Name == "":
		fields["name"] = "required"
	case utf8.RuneCountInString(c.Name) > campaignNameMax:
		fields["name"] = fmt.Sprintf("at most %d characters", campaignNameMax)
	}
	switch {
	case c.Subject == "":
		fields["subject"] = "required"
	case utf8.RuneCountInString(c.Subject) > campaignSubjectMax:
		fields["subject"] = fmt.Sprintf("at most %d characters", campaignSubjectMax)
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
	switch {
	case strings.TrimSpace(c.BodyHTML) == "":
		fields["body_html"] = "required"
	case len(c.BodyHTML) > campaignBodyMax:
		fields["body_html"] = fmt.Sprintf("at most %d bytes", campaignBodyMax)
	}
	if len(c.BodyText) > campaignBodyMax {
		fields["body_text"] = fmt.Sprintf("at most %d bytes", campaignBodyMax)
	}
	if len(fields) == 0 {
		if _, err := CompileCampaign(c, Operator{}, nil); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return e
			}
			return err
		}
		return nil
	}
	return &Error{Code: EINVALID, Message: "The campaign has errors.", Fields: fields}
}

// CampaignFilter narrows a campaign listing.
type CampaignFilter struct {
	Status   CampaignStatus
	BeforeID int64 // newest first: ids below this
	Limit    int
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
}

// CampaignStore is the persistence the campaign use cases need.
// TransitionCampaign returns ECONFLICT when the status is not one of From,
// ENOTFOUND when there is no such campaign.
type CampaignStore interface {
	CreateCampaign(ctx context.Context, c *Campaign) error
	Campaign(ctx context.Context, id int64) (*Campaign, error)
	ListCampaigns(ctx context.Context, f CampaignFilter) ([]Campaign, error)
	// UpdateCampaignDraft writes the editable fields of a draft; ECONFLICT
	// when the campaign is no longer a draft.
	UpdateCampaignDraft(ctx context.Context, c *Campaign) error
	TransitionCampaign(ctx context.Context, id int64, t CampaignTransition) (*Campaign, error)
	// RetryFailedDeliveries makes the failed deliveries of a campaign
	// pending again and reopens it; it returns how many.
	RetryFailedDeliveries(ctx context.Context, id int64) (int64, error)
	// FailedDeliveries lists the failed deliveries of a campaign in id
	// order, after afterID, at most limit.
	FailedDeliveries(ctx context.Context, campaignID, afterID int64, limit int) ([]FailedDelivery, error)
	AddAudit(ctx context.Context, e *AuditEntry) error
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
	Store  CampaignStore
	Queue  CampaignQueue
	Tester CampaignTester
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// EnqueueFailed, when set, hears of an enqueue that failed after a
	// change was committed (the reconciliation will enqueue it later).
	EnqueueFailed func(campaignID int64, err error)
}

func (s *Campaigns) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func actorName(a *Admin) string {
	if a == nil {
		return "system"
	}
	return fmt.Sprintf("admin:%d", a.ID)
}

func (s *Campaigns) audit(ctx context.Context, actor *Admin, action string, id int64, details string) error {
	return s.Store.AddAudit(ctx, &AuditEntry{Actor: actorName(actor), Action: action, SubjectType: "campaign",
		SubjectID: id, Details: details})
}

func (s *Campaigns) enqueue(ctx context.Context, c *Campaign) {
	at := s.now()
	if c.SendAt != nil && c.SendAt.After(at) {
		at = *c.SendAt
	}
	if err := s.Queue.EnqueueDispatch(ctx, c.ID, c.Version, at); err != nil && s.EnqueueFailed != nil {
		s.EnqueueFailed(c.ID, err)
	}
}

// Create validates and stores a new draft.
func (s *Campaigns) Create(ctx context.Context, actor *Admin, in CampaignInput) (*Campaign, error) {
	c := &Campaign{Name: in.Name, Subject: in.Subject, Purpose: in.Purpose, Locale: in.Locale,
		BodyHTML: in.BodyHTML, BodyText: in.BodyText, Status: CampaignDraft}
	if actor != nil {
		c.CreatedBy = actor.ID
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := s.Store.CreateCampaign(ctx, c); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, actor, "campaign_created", c.ID, ""); err != nil {
		return nil, err
	}
	return c, nil
}

// Get returns one campaign with its counters.
func (s *Campaigns) Get(ctx context.Context, id int64) (*Campaign, error) {
	c, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	return c, s.withFeedback(ctx, c)
}

// List returns campaigns, newest first.
func (s *Campaigns) List(ctx context.Context, f CampaignFilter) ([]Campaign, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	list, err := s.Store.ListCampaigns(ctx, f)
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
	c, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != CampaignDraft {
		return nil, Errorf(ECONFLICT, "Only a draft can be edited; this campaign is %s.", c.Status)
	}
	p.apply(c)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateCampaignDraft(ctx, c); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, actor, "campaign_edited", c.ID, ""); err != nil {
		return nil, err
	}
	return c, nil
}

// Replace sets every editable field of a draft.
func (s *Campaigns) Replace(ctx context.Context, actor *Admin, id int64, in CampaignInput) (*Campaign, error) {
	return s.Update(ctx, actor, id, CampaignPatch{Name: &in.Name, Subject: &in.Subject, Purpose: &in.Purpose,
		Locale: &in.Locale, BodyHTML: &in.BodyHTML, BodyText: &in.BodyText})
}

// Schedule plans a draft (or re-plans a scheduled campaign) for at; a nil
// or past at means now.
func (s *Campaigns) Schedule(ctx context.Context, actor *Admin, id int64, at *time.Time) (*Campaign, error) {
	now := s.now()
	when := now
	if at != nil && at.After(now) {
		when = at.UTC()
	}
	c, err := s.Store.TransitionCampaign(ctx, id, CampaignTransition{
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
	c, err := s.Store.TransitionCampaign(ctx, id, CampaignTransition{
		From: []CampaignStatus{CampaignScheduled, CampaignRunning}, To: CampaignPaused})
	if err != nil {
		return nil, s.explain(ctx, id, err, "paused")
	}
	return c, s.audit(ctx, actor, "campaign_paused", id, "")
}

// Resume continues a paused campaign: at its send time if that is still
// ahead, else now.
func (s *Campaigns) Resume(ctx context.Context, actor *Admin, id int64) (*Campaign, error) {
	cur, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	to := CampaignRunning
	if cur.StartedAt == nil && cur.SendAt != nil && cur.SendAt.After(s.now()) {
		to = CampaignScheduled
	}
	c, err := s.Store.TransitionCampaign(ctx, id, CampaignTransition{
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
	c, err := s.Store.TransitionCampaign(ctx, id, CampaignTransition{
		From: []CampaignStatus{CampaignDraft, CampaignScheduled, CampaignRunning, CampaignPaused}, To: CampaignCancelled})
	if err != nil {
		return nil, s.explain(ctx, id, err, "cancelled")
	}
	return c, s.audit(ctx, actor, "campaign_cancelled", id, "")
}

// RetryFailed sends the failed deliveries of a campaign again. A finished
// campaign runs again; a paused one keeps them for its resumption.
func (s *Campaigns) RetryFailed(ctx context.Context, actor *Admin, id int64) (int64, *Campaign, error) {
	n, err := s.Store.RetryFailedDeliveries(ctx, id)
	if err != nil {
		return 0, nil, s.explain(ctx, id, err, "retried")
	}
	c, err := s.Store.Campaign(ctx, id)
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

// FailedDeliveries lists a campaign's failed deliveries, for the retry
// decision of a marketer.
func (s *Campaigns) FailedDeliveries(ctx context.Context, id, afterID int64, limit int) ([]FailedDelivery, error) {
	if _, err := s.Store.Campaign(ctx, id); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.Store.FailedDeliveries(ctx, id, afterID, limit)
}

// SendTest sends the campaign as it would reach a recipient named "Test"
// to up to CampaignTestMax addresses, at once. Its links carry no
// subscriber.
func (s *Campaigns) SendTest(ctx context.Context, actor *Admin, id int64, to []string) error {
	fields := map[string]string{}
	var addrs []string
	seen := map[string]bool{}
	for _, a := range to {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		p, err := mail.ParseAddress(a)
		if err != nil || p.Name != "" || strings.ContainsAny(p.Address, "\r\n") {
			fields["to"] = "each address must be a bare email address"
			break
		}
		if addr := strings.ToLower(p.Address); !seen[addr] {
			seen[addr] = true
			addrs = append(addrs, p.Address)
		}
	}
	switch {
	case len(fields) > 0:
	case len(addrs) == 0:
		fields["to"] = "at least one address"
	case len(addrs) > CampaignTestMax:
		fields["to"] = fmt.Sprintf("at most %d addresses", CampaignTestMax)
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "Check the test addresses.", Fields: fields}
	}
	c, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return err
	}
	if err := s.audit(ctx, actor, "campaign_test_sent", id, fmt.Sprintf("%d addresses", len(addrs))); err != nil {
		return err
	}
	return s.Tester.SendTest(ctx, c, addrs)
}

// explain turns a refused transition into a message naming the status.
func (s *Campaigns) explain(ctx context.Context, id int64, err error, verb string) error {
	if ErrorCode(err) != ECONFLICT {
		return err
	}
	c, gerr := s.Store.Campaign(ctx, id)
	if gerr != nil {
		return err
	}
	return Errorf(ECONFLICT, "A %s campaign cannot be %s.", c.Status, verb)
}

// Audience is the rule that decides who receives a campaign.
type Audience struct {
	Purpose CampaignPurpose
	// CrossBorder requires the cross-border consent: the mail goes through
	// a country without adequate protection.
	CrossBorder bool
}

// AudienceOf returns the audience rule of c under op.
func AudienceOf(c *Campaign, op Operator) Audience {
	return Audience{Purpose: c.Purpose, CrossBorder: op.CrossBorderRequired()}
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

// Judge decides, at send time, what becomes of a delivery to s:
// DeliverySending when the message may go, DeliveryOptedOut when the
// person withdrew a consent the campaign needs, DeliverySkipped when they
// are no longer active (blocked, erased), lack the cross-border consent or
// are on the suppression list. The database applies the same rule in SQL;
// this is its reference.
func (a Audience) Judge(s *Subscriber, consents []Consent, suppressed bool) DeliveryStatus {
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

// MergeFields are the values a campaign's templates may use:
// {{.Name}}, {{.UnsubscribeURL}} and {{.PreferencesURL}}.
type MergeFields struct {
	Name           string
	UnsubscribeURL string
	PreferencesURL string
}

// RenderedMail is one recipient's message content.
type RenderedMail struct {
	Subject string
	HTML    string
	Text    string
}

// footerData is what the footer templates receive.
type footerData struct {
	MergeFields
	Marketing       bool
	OperatorName    string
	OperatorAddress string
	PrivacyURL      string
}

// Footers of campaign mail, by language: why the person receives it, a
// visible unsubscribe link, the preference centre, the policy, and who the
// operator is. Tables and inline styles only, for mail clients.
const (
	footerHTMLEN = `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin-top:24px;border-top:1px solid #dddddd">
<tr><td style="padding:16px 8px;font-family:Arial,Helvetica,sans-serif;font-size:12px;line-height:18px;color:#666666">
{{if .Marketing}}You receive this email because you subscribed to news and offers from {{.OperatorName}}.{{else}}You receive this email because you use the services of {{.OperatorName}}.{{end}}<br>
<a href="{{.UnsubscribeURL}}" style="color:#444444;text-decoration:underline">Unsubscribe</a> &middot;
<a href="{{.PreferencesURL}}" style="color:#444444;text-decoration:underline">Manage your preferences</a> &middot;
<a href="{{.PrivacyURL}}" style="color:#444444;text-decoration:underline">Privacy policy</a><br>
{{.OperatorName}}{{with .OperatorAddress}}, {{.}}{{end}}
</td></tr></table>`
	footerHTMLRU = `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin-top:24px;border-top:1px solid #dddddd">
<tr><td style="padding:16px 8px;font-family:Arial,Helvetica,sans-serif;font-size:12px;line-height:18px;color:#666666">
{{if .Marketing}}Вы получили это письмо, потому что подписались на новости и предложения {{.OperatorName}}.{{else}}Вы получили это письмо, потому что пользуетесь услугами {{.OperatorName}}.{{end}}<br>
<a href="{{.UnsubscribeURL}}" style="color:#444444;text-decoration:underline">Отписаться</a> &middot;
<a href="{{.PreferencesURL}}" style="color:#444444;text-decoration:underline">Настройки подписки</a> &middot;
<a href="{{.PrivacyURL}}" style="color:#444444;text-decoration:underline">Политика обработки персональных данных</a><br>
{{.OperatorName}}{{with .OperatorAddress}}, {{.}}{{end}}
</td></tr></table>`
	footerTextEN = `
--
{{if .Marketing}}You receive this email because you subscribed to news and offers from {{.OperatorName}}.{{else}}You receive this email because you use the services of {{.OperatorName}}.{{end}}
Unsubscribe: {{.UnsubscribeURL}}
Manage your preferences: {{.PreferencesURL}}
Privacy policy: {{.PrivacyURL}}
{{.OperatorName}}{{with .OperatorAddress}}, {{.}}{{end}}
`
	footerTextRU = `
--
{{if .Marketing}}Вы получили это письмо, потому что подписались на новости и предложения {{.OperatorName}}.{{else}}Вы получили это письмо, потому что пользуетесь услугами {{.OperatorName}}.{{end}}
Отписаться: {{.UnsubscribeURL}}
Настройки подписки: {{.PreferencesURL}}
Политика обработки персональных данных: {{.PrivacyURL}}
{{.OperatorName}}{{with .OperatorAddress}}, {{.}}{{end}}
`
)

// Sentinels stand for the merge fields when the text part is derived from
// the HTML once per campaign; each recipient's values replace them. They
// pass html/template's escaping unchanged in every context.
const (
	sentinelName        = "NLmergeNAME7q4x"
	sentinelUnsubscribe = "https://merge.invalid/nl-unsubscribe-7q4x"
	sentinelPreferences = "https://merge.invalid/nl-preferences-7q4x"
)

// CampaignTemplate is a campaign compiled for sending: its templates are
// parsed once and executed per recipient. It is safe for concurrent use.
type CampaignTemplate struct {
	campaign    *Campaign
	op          Operator
	privacyURL  string
	subject     *texttemplate.Template // nil: the subject has no merge fields
	html        *template.Template
	text        *texttemplate.Template // nil: derived from the HTML
	footerHTML  map[string]*template.Template
	footerText  map[string]*texttemplate.Template
	derivedText map[string]textSegments // by locale and whether named
	// buffers are reused across renders: a campaign's HTML is rendered
	// thousands of times a second.
	buffers      sync.Pool
	textFromHTML func(string) string
}

// CompileCampaign parses c's subject and bodies with the merge fields and
// the footer of each language. textFromHTML, when not nil, derives the
// text part from the HTML when c has none (once per language, not per
// recipient); with nil, Render leaves Text empty for such campaigns. A
// template that does not parse or execute gives an EINVALID *Error naming
// the field.
func CompileCampaign(c *Campaign, op Operator, textFromHTML func(string) string) (*CampaignTemplate, error) {
	t := &CampaignTemplate{campaign: c, op: op, textFromHTML: textFromHTML, footerHTML: map[string]*template.Template{},
		footerText: map[string]*texttemplate.Template{}, derivedText: map[string]textSegments{}}
	fields := map[string]string{}
	if strings.Contains(c.Subject, "{{") {
		st, err := texttemplate.New("subject").Option("missingkey=error").Parse(c.Subject)
		if err != nil {
			fields["subject"] = templateError(err)
		}
		t.subject = st
	}
	ht, err := template.New("body_html").Option("missingkey=error").Parse(c.BodyHTML)
	if err != nil {
		fields["body_html"] = templateError(err)
	}
	t.html = ht
	if strings.TrimSpace(c.BodyText) != "" {
		tt, err := texttemplate.New("body_text").Option("missingkey=error").Parse(c.BodyText)
		if err != nil {
			fields["body_text"] = templateError(err)
		}
		t.text = tt
	}
	if len(fields) > 0 {
		return nil, &Error{Code: EINVALID, Message: "The campaign's templates have errors.", Fields: fields}
	}
	for _, loc := range []string{"en", "ru"} {
		fh, ft := footerHTMLEN, footerTextEN
		if loc == "ru" {
			fh, ft = footerHTMLRU, footerTextRU
		}
		t.footerHTML[loc] = template.Must(template.New("footer").Parse(fh))
		t.footerText[loc] = texttemplate.Must(texttemplate.New("footer").Parse(ft))
	}
	// Execute once with sample values: unknown fields and runtime errors
	// show up now, in the editor, not in the workers.
	sample := MergeFields{Name: "Test", UnsubscribeURL: "https://example.com/u/x", PreferencesURL: "https://example.com/p/x"}
	if t.subject != nil {
		if err := t.subject.Execute(io.Discard, sample); err != nil {
			fields["subject"] = templateError(err)
		}
	}
	if err := t.html.Execute(io.Discard, sample); err != nil {
		fields["body_html"] = templateError(err)
	}
	if t.text != nil {
		if err := t.text.Execute(io.Discard, sample); err != nil {
			fields["body_text"] = templateError(err)
		}
	}
	if len(fields) > 0 {
		return nil, &Error{Code: EINVALID, Message: "The campaign's templates have errors.", Fields: fields}
	}
	if err := t.derive(); err != nil {
		return nil, err
	}
	return t, nil
}

// derive makes the text part of each language from the HTML, with
// sentinels in place of the merge fields, split at the sentinels. It is
// made twice per language, for recipients with and without a name, so
// that a template's {{if .Name}} works in the text part too.
func (t *CampaignTemplate) derive() error {
	if t.text != nil || t.textFromHTML == nil {
		return nil
	}
	for _, loc := range []string{"en", "ru"} {
		for _, named := range []bool{false, true} {
			f := MergeFields{UnsubscribeURL: sentinelUnsubscribe, PreferencesURL: sentinelPreferences}
			if named {
				f.Name = sentinelName
			}
			html, err := t.renderHTML(loc, f)
			if err != nil {
				return err
			}
			t.derivedText[derivedKey(loc, named)] = splitSentinels(t.textFromHTML(html))
		}
	}
	return nil
}

func derivedKey(loc string, named bool) string {
	if named {
		return loc + "/named"
	}
	return loc
}

// textSegments is a text with merge fields: parts[0] field[0] parts[1] ...
type textSegments struct {
	parts  []string
	fields []int // 0 name, 1 unsubscribe URL, 2 preferences URL
	size   int
}

// splitSentinels cuts s at every sentinel.
func splitSentinels(s string) textSegments {
	sentinels := [...]string{sentinelName, sentinelUnsubscribe, sentinelPreferences}
	var ts textSegments
	for {
		at, which := -1, -1
		for i, sen := range sentinels {
			if j := strings.Index(s, sen); j >= 0 && (at < 0 || j < at) {
				at, which = j, i
			}
		}
		if at < 0 {
			ts.parts = append(ts.parts, s)
			ts.size += len(s)
			return ts
		}
		ts.parts = append(ts.parts, s[:at])
		ts.size += at
		ts.fields = append(ts.fields, which)
		s = s[at+len(sentinels[which]):]
	}
}

// fill puts the merge fields in.
func (ts textSegments) fill(f MergeFields) string {
	vals := [...]string{f.Name, f.UnsubscribeURL, f.PreferencesURL}
	n := ts.size
	for _, i := range ts.fields {
		n += len(vals[i])
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range ts.parts {
		b.WriteString(p)
		if i < len(ts.fields) {
			b.WriteString(vals[ts.fields[i]])
		}
	}
	return b.String()
}

// SetPrivacyURL sets the link to the privacy policy shown in the footer.
// Call it before the template is used.
func (t *CampaignTemplate) SetPrivacyURL(u string) {
	t.privacyURL = u
	_ = t.derive() // rendered once already in CompileCampaign: cannot fail now
}

// templateError is a template error without the template's name prefix.
func templateError(err error) string {
	msg := err.Error()
	for _, p := range []string{"template: subject:", "template: body_html:", "template: body_text:"} {
		msg = strings.TrimPrefix(msg, p)
	}
	return "template error at line " + strings.TrimSpace(msg)
}

// locale picks the language of a recipient's footer.
func (t *CampaignTemplate) locale(recipientLocale string) string {
	loc := t.campaign.Locale
	if loc == "" {
		loc = recipientLocale
	}
	if loc != "ru" {
		loc = "en"
	}
	return loc
}

// Locale returns the language of the footer and mailto subject for a
// recipient whose own language is recipientLocale.
func (t *CampaignTemplate) Locale(recipientLocale string) string { return t.locale(recipientLocale) }

func (t *CampaignTemplate) footer(f MergeFields) footerData {
	return footerData{MergeFields: f, Marketing: t.campaign.Purpose == CampaignMarketing,
		OperatorName: t.op.Name, OperatorAddress: t.op.Address, PrivacyURL: t.privacyURL}
}

// renderHTML executes the body and inserts the footer before </body> (or
// appends it).
func (t *CampaignTemplate) renderHTML(loc string, f MergeFields) (string, error) {
	buf, _ := t.buffers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer t.buffers.Put(buf)
	buf.Reset()
	buf.Grow(len(t.campaign.BodyHTML) + 4096)
	if err := t.html.Execute(buf, f); err != nil {
		return "", fmt.Errorf("render campaign %d html: %w", t.campaign.ID, err)
	}
	bodyLen := buf.Len()
	if err := t.footerHTML[loc].Execute(buf, t.footer(f)); err != nil {
		return "", fmt.Errorf("render campaign %d footer: %w", t.campaign.ID, err)
	}
	b := buf.Bytes()
	i := lastIndexFold(b[:bodyLen], "</body>")
	if i < 0 {
		return string(b), nil
	}
	// body[:i] + footer + body[i:]
	var out strings.Builder
	out.Grow(len(b))
	out.Write(b[:i])
	out.Write(b[bodyLen:])
	out.Write(b[i:bodyLen])
	return out.String(), nil
}

// lastIndexFold finds the last ASCII case-insensitive occurrence of tag.
func lastIndexFold(b []byte, tag string) int {
	for i := len(b) - len(tag); i >= 0; i-- {
		if b[i] == '<' && strings.EqualFold(string(b[i:i+len(tag)]), tag) {
			return i
		}
	}
	return -1
}

// Render returns the subject, HTML and text of the message for one
// recipient whose own language is recipientLocale.
func (t *CampaignTemplate) Render(recipientLocale string, f MergeFields) (RenderedMail, error) {
	loc := t.locale(recipientLocale)
	var out RenderedMail
	out.Subject = t.campaign.Subject
	if t.subject != nil {
		var b strings.Builder
		if err := t.subject.Execute(&b, f); err != nil {
			return out, fmt.Errorf("render campaign %d subject: %w", t.campaign.ID, err)
		}
		out.Subject = strings.Join(strings.Fields(b.String()), " ")
	}
	html, err := t.renderHTML(loc, f)
	if err != nil {
		return out, err
	}
	out.HTML = html
	switch {
	case t.text != nil:
		var b strings.Builder
		b.Grow(len(t.campaign.BodyText) + 512)
		if err := t.text.Execute(&b, f); err != nil {
			return out, fmt.Errorf("render campaign %d text: %w", t.campaign.ID, err)
		}
		if err := t.footerText[loc].Execute(&b, t.footer(f)); err != nil {
			return out, fmt.Errorf("render campaign %d text footer: %w", t.campaign.ID, err)
		}
		out.Text = b.String()
	case t.textFromHTML != nil:
		out.Text = t.derivedText[derivedKey(loc, f.Name != "")].fill(f)
	}
	return out, nil
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
