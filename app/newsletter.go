package app

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Newsletters are the lists a person joins and leaves one by one. Each has
// a purpose, which names the consent its mail needs: marketing needs the
// consent to advertising (and to processing), informational the consent to
// processing. One default newsletter per purpose takes in everyone who
// consents without choosing, and receives the campaigns that name none.

// Newsletter is one list an owner defines.
type Newsletter struct {
	ID          int64                 `json:"id"`
	Name        string                `json:"name"`
	Description NewsletterDescription `json:"description"`
	Purpose     CampaignPurpose       `json:"purpose"`
	// Public newsletters are offered on the form and the preference
	// centre.
	Public bool `json:"public"`
	// Default is the newsletter of its purpose that takes in whoever
	// consents without choosing, and the campaigns that name none.
	Default   bool      `json:"default"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewsletterDescription says what a newsletter sends, in each language.
type NewsletterDescription struct {
	EN string `json:"en"`
	RU string `json:"ru"`
}

// In returns the description in locale (English when there is none in it).
func (d NewsletterDescription) In(locale string) string {
	if NormalizeLocale(locale) == "ru" && d.RU != "" {
		return d.RU
	}
	return d.EN
}

// NewsletterAction is what happened to a membership.
type NewsletterAction string

// Newsletter event actions.
const (
	NewsletterJoined NewsletterAction = "joined"
	NewsletterLeft   NewsletterAction = "left"
)

// Channels of newsletter joins and leaves that are not requests: the
// migration that made everyone a member of the defaults, and a consent
// granted or withdrawn (whose evidence is in the consent's history).
const (
	ChannelMigration Channel = "migration"
	ChannelConsent   Channel = "consent"
)

// NewsletterMembership is a person's place on one newsletter.
type NewsletterMembership struct {
	NewsletterID int64           `json:"newsletter_id"`
	Name         string          `json:"name"`
	Purpose      CampaignPurpose `json:"purpose"`
	Default      bool            `json:"default"`
	// Channel is how the person joined.
	Channel  Channel    `json:"channel"`
	JoinedAt time.Time  `json:"joined_at"`
	LeftAt   *time.Time `json:"left_at,omitempty"`
}

// Current reports whether the person is a member now.
func (m NewsletterMembership) Current() bool { return m.LeftAt == nil }

// OnNow returns the newsletters of the current memberships among ms, as
// Audience.Judge takes them.
func OnNow(ms []NewsletterMembership) []Newsletter {
	var out []Newsletter
	for _, m := range ms {
		if m.Current() {
			out = append(out, Newsletter{ID: m.NewsletterID, Name: m.Name, Purpose: m.Purpose, Default: m.Default})
		}
	}
	return out
}

// NewsletterEvent is one append-only entry of a person's joins and leaves,
// with its evidence, like a consent event.
type NewsletterEvent struct {
	ID           int64            `json:"id"`
	SubscriberID int64            `json:"subscriber_id"`
	NewsletterID int64            `json:"newsletter_id"`
	Action       NewsletterAction `json:"action"`
	Evidence
	RequestID *int64 `json:"request_id,omitempty"`
	// CampaignID is the campaign whose message the leave came from.
	CampaignID *int64 `json:"campaign_id,omitempty"`
}

// NewsletterChange is a join or leave of some newsletters by one person,
// with its evidence.
type NewsletterChange struct {
	SubscriberID  int64
	NewsletterIDs []int64
	Evidence      Evidence
	RequestID     *int64
	CampaignID    int64
}

// NewsletterStore keeps newsletters, who is on them, and the newsletters
// campaigns go to.
type NewsletterStore interface {
	// ListNewsletters returns every newsletter, defaults first, then by
	// id.
	ListNewsletters(ctx context.Context) ([]Newsletter, error)
	Newsletter(ctx context.Context, id int64) (*Newsletter, error)
	// DefaultNewsletter returns the default newsletter of a purpose.
	DefaultNewsletter(ctx context.Context, p CampaignPurpose) (*Newsletter, error)
	CreateNewsletter(ctx context.Context, n *Newsletter) error
	// UpdateNewsletter writes name, descriptions, purpose and public.
	UpdateNewsletter(ctx context.Context, n *Newsletter) error
	// Memberships lists a subscriber's newsletters, current and left.
	Memberships(ctx context.Context, subscriberID int64) ([]NewsletterMembership, error)
	// CurrentNewsletters returns, in one query, the ids of the newsletters
	// each of these subscribers is on now.
	CurrentNewsletters(ctx context.Context, subscriberIDs []int64) (map[int64][]int64, error)
	// JoinNewsletters makes c's subscriber a member of c's newsletters,
	// recording each join with its evidence (and newsletter.joined); the
	// ones they are on already are left as they are. It returns the ids
	// joined.
	JoinNewsletters(ctx context.Context, c NewsletterChange) ([]int64, error)
	// LeaveNewsletters ends c's subscriber's membership of c's
	// newsletters, recording each leave with its evidence (and
	// newsletter.left); it returns the ids left (a repeat leaves none).
	LeaveNewsletters(ctx context.Context, c NewsletterChange) ([]int64, error)
	// NewsletterEvents returns a subscriber's joins and leaves, oldest
	// first.
	NewsletterEvents(ctx context.Context, subscriberID int64) ([]NewsletterEvent, error)
}

// Limits of a newsletter's fields.
const (
	newsletterNameMax        = 100
	newsletterDescriptionMax = 500
)

// Validate checks and tidies the fields an owner writes; it returns an
// *Error with code EINVALID and a message per field.
func (n *Newsletter) Validate() error {
	n.Name = strings.TrimSpace(n.Name)
	n.Description.EN = strings.TrimSpace(n.Description.EN)
	n.Description.RU = strings.TrimSpace(n.Description.RU)
	fields := map[string]string{}
	var texts map[string]Text
	switch {
	case n.Name == "":
		fields["name"] = "required"
	case utf8.RuneCountInString(n.Name) > newsletterNameMax:
		fields["name"] = fieldf(&texts, "at most %d characters", newsletterNameMax)
	case strings.ContainsAny(n.Name, "\r\n"):
		fields["name"] = "must be one line"
	}
	for key, d := range map[string]string{"description.en": n.Description.EN, "description.ru": n.Description.RU} {
		if utf8.RuneCountInString(d) > newsletterDescriptionMax {
			fields[key] = fieldf(&texts, "at most %d characters", newsletterDescriptionMax)
		}
	}
	switch n.Purpose {
	case CampaignMarketing, CampaignInformational:
	case "":
		fields["purpose"] = "required: marketing or informational"
	default:
		fields["purpose"] = "must be marketing or informational"
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "The newsletter has errors.", Fields: fields, FieldTexts: texts}
	}
	return nil
}

// NewsletterInput is what an owner writes: a new newsletter (POST), or
// some fields of one (PATCH: nil fields stay).
type NewsletterInput struct {
	Name        *string                `json:"name"`
	Description *NewsletterDescription `json:"description"`
	Purpose     *CampaignPurpose       `json:"purpose"`
	Public      *bool                  `json:"public"`
}

func (in NewsletterInput) apply(n *Newsletter) {
	if in.Name != nil {
		n.Name = *in.Name
	}
	if in.Description != nil {
		n.Description = *in.Description
	}
	if in.Purpose != nil {
		n.Purpose = *in.Purpose
	}
	if in.Public != nil {
		n.Public = *in.Public
	}
}

// Newsletters holds the use cases of newsletters: owners list, create and
// change them; everyone who sends reads them.
type Newsletters struct {
	Store Store
}

// List returns every newsletter, defaults first.
func (s *Newsletters) List(ctx context.Context) ([]Newsletter, error) {
	return s.Store.Newsletters().ListNewsletters(ctx)
}

// Public returns the newsletters offered on the form and the preference
// centre.
func (s *Newsletters) Public(ctx context.Context) ([]Newsletter, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(n Newsletter) bool { return !n.Public }), nil
}

// Get returns one newsletter.
func (s *Newsletters) Get(ctx context.Context, id int64) (*Newsletter, error) {
	return s.Store.Newsletters().Newsletter(ctx, id)
}

func ownerOnly(actor *Admin) error {
	if actor != nil && actor.Role != RoleOwner {
		return Errorf(EFORBIDDEN, "Only an owner can change newsletters.")
	}
	return nil
}

// Create stores a new newsletter (owners only).
func (s *Newsletters) Create(ctx context.Context, actor *Admin, in NewsletterInput) (*Newsletter, error) {
	if err := ownerOnly(actor); err != nil {
		return nil, err
	}
	n := &Newsletter{}
	in.apply(n)
	if err := n.Validate(); err != nil {
		return nil, err
	}
	err := s.Store.Tx(ctx, func(tx Store) error {
		if err := tx.Newsletters().CreateNewsletter(ctx, n); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), AuditNewsletterCreated, "newsletter", n.ID, "")
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Update changes some fields of a newsletter (owners only). A default
// newsletter keeps its purpose: it is where that purpose's consent leads.
func (s *Newsletters) Update(ctx context.Context, actor *Admin, id int64, in NewsletterInput) (*Newsletter, error) {
	if err := ownerOnly(actor); err != nil {
		return nil, err
	}
	var n *Newsletter
	err := s.Store.Tx(ctx, func(tx Store) error {
		var err error
		if n, err = tx.Newsletters().Newsletter(ctx, id); err != nil {
			return err
		}
		before := n.Purpose
		in.apply(n)
		if err := n.Validate(); err != nil {
			return err
		}
		if n.Default && n.Purpose != before {
			return &Error{Code: EINVALID, Message: "The newsletter has errors.",
				Fields: map[string]string{"purpose": "a default newsletter keeps its purpose"}}
		}
		if err := tx.Newsletters().UpdateNewsletter(ctx, n); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), AuditNewsletterEdited, "newsletter", n.ID, "")
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Audit actions of newsletters.
const (
	AuditNewsletterCreated = "newsletter_created"
	AuditNewsletterEdited  = "newsletter_edited"
)

// CheckCampaignNewsletters checks that ids name newsletters of purpose p,
// without repeats; it returns them sorted, or the default newsletter of p
// when ids is empty.
func CheckCampaignNewsletters(ctx context.Context, st NewsletterStore, p CampaignPurpose, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		if p != CampaignMarketing && p != CampaignInformational {
			return nil, nil // Validate names the purpose's error
		}
		d, err := st.DefaultNewsletter(ctx, p)
		if err != nil {
			return nil, err
		}
		return []int64{d.ID}, nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	for _, id := range ids {
		n, err := st.Newsletter(ctx, id)
		if IsNotFound(err) {
			return nil, (&Error{Code: EINVALID, Message: "The campaign has errors."}).
				Fieldf("newsletter_ids", "there is no newsletter %d", id)
		}
		if err != nil {
			return nil, err
		}
		if n.Purpose != p {
			return nil, (&Error{Code: EINVALID, Message: "The campaign has errors."}).
				Fieldf("newsletter_ids", "newsletter %d is %s; this campaign is %s", id, n.Purpose, p)
		}
	}
	return ids, nil
}

// NewsletterPurposeOf returns the newsletter purpose a consent leads to:
// advertising to marketing, processing to informational ("" for others).
func NewsletterPurposeOf(p Purpose) CampaignPurpose {
	switch p {
	case PurposeMarketing:
		return CampaignMarketing
	case PurposeProcessing:
		return CampaignInformational
	}
	return ""
}
