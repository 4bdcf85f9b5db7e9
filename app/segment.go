package app

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Segments: saved filters a campaign targets within its audience. A filter
// is typed data (languages, a period of subscription, sources, the
// cross-border consent), never SQL: the store compiles it to a
// parameterized condition (app/store/segments.go), and Match is the
// reference that condition is tested against. Only what the product
// already holds about a person is filtered on; nothing needs tracking.

// SourceKind says where a subscription came from.
type SourceKind string

// Source kinds.
const (
	// SourceForm is a subscription form (the product's own or an embedded
	// one), named by its form id ("" is the product's own form).
	SourceForm SourceKind = "form"
	// SourceImport is an import, named by the source column of its file.
	SourceImport SourceKind = "import"
)

// SegmentSource is one form or import a subscription came from: the form
// id (or import source) recorded with the grant of the processing consent.
type SegmentSource struct {
	Kind SourceKind `json:"kind"`
	ID   string     `json:"id"`
}

// SegmentFilter selects subscribers by what the product holds about them.
// Every field set narrows the segment; the zero filter selects everyone.
type SegmentFilter struct {
	// Locales are the languages ("en", "ru") of the people selected; empty
	// means any.
	Locales []string `json:"locales"`
	// SubscribedFrom and SubscribedUntil bound the time the subscription
	// was confirmed: from included, until excluded.
	SubscribedFrom  *time.Time `json:"subscribed_from"`
	SubscribedUntil *time.Time `json:"subscribed_until"`
	// Sources are the forms and imports a subscription came from (any of
	// them); empty means any.
	Sources []SegmentSource `json:"sources"`
	// CrossBorder, when set, selects the people who granted (true) or did
	// not grant (false) the cross-border transfer consent.
	CrossBorder *bool `json:"cross_border"`
}

// Segment is a saved filter.
type Segment struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name"`
	Filter    SegmentFilter `json:"filter"`
	CreatedBy int64         `json:"created_by"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// SegmentInput is what a marketer writes: a new segment, or all fields of
// one (PATCH fields left out keep their value).
type SegmentInput struct {
	Name   *string        `json:"name"`
	Filter *SegmentFilter `json:"filter"`
}

// Limits of a segment.
const (
	segmentNameMax    = 200
	segmentSourcesMax = 50
)

// SubscriptionSource is where one grant of a person's processing consent
// came from: its channel and form id (for Match).
type SubscriptionSource struct {
	Channel Channel
	FormID  string
}

// kind is the source kind of a grant: imports are SourceImport, every
// other channel a form.
func (s SubscriptionSource) kind() SourceKind {
	if s.Channel == ChannelImport {
		return SourceImport
	}
	return SourceForm
}

// Match is the segment rule in Go, the reference of the store's SQL: s is
// in the segment when every field set holds. sources are the grants of
// the processing consent (SubscriberStore gives them as consent events).
func (f SegmentFilter) Match(s *Subscriber, consents []Consent, sources []SubscriptionSource) bool {
	if s == nil {
		return false
	}
	if len(f.Locales) > 0 && !slices.Contains(f.Locales, s.Locale) {
		return false
	}
	if f.SubscribedFrom != nil && (s.ConfirmedAt == nil || s.ConfirmedAt.Before(*f.SubscribedFrom)) {
		return false
	}
	if f.SubscribedUntil != nil && (s.ConfirmedAt == nil || !s.ConfirmedAt.Before(*f.SubscribedUntil)) {
		return false
	}
	if len(f.Sources) > 0 && !slices.ContainsFunc(sources, func(g SubscriptionSource) bool {
		return slices.Contains(f.Sources, SegmentSource{Kind: g.kind(), ID: g.FormID})
	}) {
		return false
	}
	if f.CrossBorder != nil {
		granted := slices.ContainsFunc(consents, func(c Consent) bool { return c.Purpose == PurposeCrossBorder && c.Granted })
		if granted != *f.CrossBorder {
			return false
		}
	}
	return true
}

// IsZero reports whether the filter selects everyone.
func (f SegmentFilter) IsZero() bool {
	return len(f.Locales) == 0 && f.SubscribedFrom == nil && f.SubscribedUntil == nil && len(f.Sources) == 0 &&
		f.CrossBorder == nil
}

// normalize validates the filter and puts it in its canonical form
// (sorted, without repeats, times in UTC). It adds a message per field to
// fields.
func (f *SegmentFilter) normalize(fields map[string]string, texts *map[string]Text) {
	locs := make([]string, 0, len(f.Locales))
	for _, l := range f.Locales {
		l = strings.ToLower(strings.TrimSpace(l))
		if l != "en" && l != "ru" {
			fields["filter.locales"] = "each language must be en or ru"
			continue
		}
		locs = append(locs, l)
	}
	slices.Sort(locs)
	f.Locales = slices.Compact(locs)
	for _, t := range []**time.Time{&f.SubscribedFrom, &f.SubscribedUntil} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	if f.SubscribedFrom != nil && f.SubscribedUntil != nil && !f.SubscribedFrom.Before(*f.SubscribedUntil) {
		fields["filter.subscribed_until"] = "must be after subscribed_from"
	}
	srcs := make([]SegmentSource, 0, len(f.Sources))
	for _, s := range f.Sources {
		s.ID = strings.TrimSpace(s.ID)
		switch {
		case s.Kind != SourceForm && s.Kind != SourceImport:
			fields["filter.sources"] = "each source's kind must be form or import"
		case utf8.RuneCountInString(s.ID) > 200:
			fields["filter.sources"] = "a source id has at most 200 characters"
		default:
			srcs = append(srcs, s)
		}
	}
	if len(srcs) > segmentSourcesMax {
		fields["filter.sources"] = fieldf(texts, "at most %d sources", segmentSourcesMax)
	}
	slices.SortFunc(srcs, func(a, b SegmentSource) int {
		return strings.Compare(string(a.Kind)+"\x00"+a.ID, string(b.Kind)+"\x00"+b.ID)
	})
	f.Sources = slices.Compact(srcs)
}

// Validate checks a segment's name and filter; it returns an *Error with
// code EINVALID and a message per field.
func (g *Segment) Validate() error {
	g.Name = strings.TrimSpace(g.Name)
	fields := map[string]string{}
	var texts map[string]Text
	switch {
	case g.Name == "":
		fields["name"] = "required"
	case utf8.RuneCountInString(g.Name) > segmentNameMax:
		fields["name"] = fieldf(&texts, "at most %d characters", segmentNameMax)
	}
	g.Filter.normalize(fields, &texts)
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "The segment has errors.", Fields: fields, FieldTexts: texts}
	}
	return nil
}

// SegmentStore keeps the segments.
type SegmentStore interface {
	CreateSegment(ctx context.Context, g *Segment) error
	Segment(ctx context.Context, id int64) (*Segment, error)
	ListSegments(ctx context.Context) ([]Segment, error)
	// UpdateSegment writes name and filter; ECONFLICT when a campaign
	// being sent (scheduled, running, paused) uses the segment.
	UpdateSegment(ctx context.Context, g *Segment) error
	// DeleteSegment deletes a segment no campaign uses (ECONFLICT else).
	DeleteSegment(ctx context.Context, id int64) error
	// CountAudience counts who a campaign with this audience would reach
	// now, and who it would not, by reason.
	CountAudience(ctx context.Context, a Audience) (*AudienceCount, error)
}

// Segments holds the use cases of segments.
type Segments struct {
	Store Store
}

// Create validates and stores a new segment.
func (s *Segments) Create(ctx context.Context, actor *Admin, in SegmentInput) (*Segment, error) {
	g := &Segment{}
	if in.Name != nil {
		g.Name = *in.Name
	}
	if in.Filter != nil {
		g.Filter = *in.Filter
	}
	if actor != nil {
		g.CreatedBy = actor.ID
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	err := s.Store.Tx(ctx, func(tx Store) error {
		if err := tx.Segments().CreateSegment(ctx, g); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), "segment_created", "segment", g.ID, "")
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Get returns one segment.
func (s *Segments) Get(ctx context.Context, id int64) (*Segment, error) {
	return s.Store.Segments().Segment(ctx, id)
}

// List returns every segment by name.
func (s *Segments) List(ctx context.Context) ([]Segment, error) {
	return s.Store.Segments().ListSegments(ctx)
}

// Update changes the fields of a segment that in sets. A segment that a
// campaign being sent uses cannot change: its deliveries are judged by it.
func (s *Segments) Update(ctx context.Context, actor *Admin, id int64, in SegmentInput) (*Segment, error) {
	var g *Segment
	err := s.Store.Tx(ctx, func(tx Store) error {
		var err error
		if g, err = tx.Segments().Segment(ctx, id); err != nil {
			return err
		}
		if in.Name != nil {
			g.Name = *in.Name
		}
		if in.Filter != nil {
			g.Filter = *in.Filter
		}
		if err := g.Validate(); err != nil {
			return err
		}
		if err := tx.Segments().UpdateSegment(ctx, g); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), "segment_edited", "segment", id, "")
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Delete deletes a segment that no campaign uses.
func (s *Segments) Delete(ctx context.Context, actor *Admin, id int64) error {
	return s.Store.Tx(ctx, func(tx Store) error {
		if err := tx.Segments().DeleteSegment(ctx, id); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), "segment_deleted", "segment", id, "")
	})
}
