package app

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// MailLayout is the owner's settings of the layout every HTML message is
// written in, for one language: a logo, two colours and a line of footer
// text. The zero value of a field means the product's default.
type MailLayout struct {
	Locale string
	// LogoURL is an https address of an image shown above the content;
	// empty: no logo.
	LogoURL string
	// BrandColor colours the band above the content, buttons and links
	// (#rrggbb).
	BrandColor string
	// BackgroundColor is the colour around the content (#rrggbb).
	BackgroundColor string
	// FooterText is a line of plain text the footer shows under the
	// mandatory part (at most MaxLayoutFooterRunes characters).
	FooterText string
	UpdatedAt  time.Time
}

// Defaults of the layout and its limits.
const (
	DefaultBrandColor      = "#1f5fbf"
	DefaultBackgroundColor = "#f3f4f6"
	MaxLayoutFooterRunes   = 500
	maxLogoURL             = 2000
)

// AuditMailLayoutChanged is the audit action of a change of the mail
// layout.
const AuditMailLayoutChanged = "mail_layout_changed"

// WithDefaults fills the empty fields with the product's defaults.
func (l MailLayout) WithDefaults() MailLayout {
	if l.BrandColor == "" {
		l.BrandColor = DefaultBrandColor
	}
	if l.BackgroundColor == "" {
		l.BackgroundColor = DefaultBackgroundColor
	}
	l.Locale = NormalizeLocale(l.Locale)
	return l
}

var hexColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// normalizeColor accepts #rgb and #rrggbb (any case) and gives #rrggbb in
// lower case; empty stays empty (the default).
func normalizeColor(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", true
	}
	if len(s) == 4 && s[0] == '#' {
		s = "#" + strings.Repeat(s[1:2], 2) + strings.Repeat(s[2:3], 2) + strings.Repeat(s[3:4], 2)
	}
	return s, hexColor.MatchString(s)
}

// ValidateMailLayout checks and normalizes a layout: colours are hex
// (#rgb or #rrggbb), the logo an https address without credentials, the
// footer text plain text of one paragraph. Bad input is an EINVALID error
// naming each field.
func ValidateMailLayout(l MailLayout) (MailLayout, error) {
	fields := map[string]string{}
	l.Locale = NormalizeLocale(l.Locale)
	var ok bool
	if l.BrandColor, ok = normalizeColor(l.BrandColor); !ok {
		fields["brand_color"] = "a colour is written #rrggbb, for example #1f5fbf"
	}
	if l.BackgroundColor, ok = normalizeColor(l.BackgroundColor); !ok {
		fields["background_color"] = "a colour is written #rrggbb, for example #f3f4f6"
	}
	l.LogoURL = strings.TrimSpace(l.LogoURL)
	if l.LogoURL != "" {
		u, err := url.Parse(l.LogoURL)
		switch {
		case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "":
			fields["logo_url"] = "the logo must be an https address, for example https://example.com/logo.png"
		case len(l.LogoURL) > maxLogoURL:
			fields["logo_url"] = "the address is too long"
		case strings.ContainsAny(l.LogoURL, "\"'<> \t\r\n\\"):
			fields["logo_url"] = "the address has characters an address cannot have"
		}
	}
	l.FooterText = strings.Join(strings.Fields(l.FooterText), " ")
	switch {
	case !utf8.ValidString(l.FooterText):
		fields["footer_text"] = "the text is not valid UTF-8"
	case utf8.RuneCountInString(l.FooterText) > MaxLayoutFooterRunes:
		fields["footer_text"] = "the text is longer than 500 characters"
	}
	if len(fields) > 0 {
		return l, &Error{Code: EINVALID, Message: "The layout has errors.", Fields: fields}
	}
	return l, nil
}

// LayoutContent is what a message puts in the layout.
type LayoutContent struct {
	// Lang and Dir are the message's language and direction (Lang empty:
	// the locale of the layout).
	Lang, Dir string
	// Title is the document title (the subject); Preheader the hidden
	// line inbox lists show after the subject (empty: none).
	Title, Preheader string
	// Head is trusted HTML for <head> (a campaign's own style sheets).
	Head string
	// Body is the trusted, balanced HTML of the content.
	Body string
	// Text is the content's text part; the layout adds its text footer.
	Text string
	// Note is the trusted HTML of a message's own footer note
	// (transactional mail); NoteText its text.
	Note, NoteText string
	// Campaign says the footer is a campaign's: why the person gets it,
	// unsubscribe and preference links, the policy, the operator.
	Campaign bool
	// Armour gives the footer and its ancestors inline !important styles
	// that no style sheet of the content can override (the content has
	// style sheets of its own).
	Armour bool
	// FooterID, when set, is the id of the footer's table (a check that
	// the content cannot hold the footer).
	FooterID string
	Footer   LayoutFooter
}

// LayoutFooter is what the mandatory footer of campaign mail shows.
type LayoutFooter struct {
	Marketing       bool
	OperatorName    string
	OperatorAddress string
	UnsubscribeURL  string
	PreferencesURL  string
	PrivacyURL      string
}

// LayoutRenderer writes content out in the layout of a language: the
// whole HTML document and the text part (the content's text and the
// footer's). It is the templates package's Renderer.
type LayoutRenderer interface {
	RenderLayout(l MailLayout, locale string, c LayoutContent) (html, text string, err error)
}

// MailLayouts are the layouts of every language, by locale.
type MailLayouts map[string]MailLayout

// Of returns the layout of locale, with defaults.
func (m MailLayouts) Of(locale string) MailLayout {
	loc := NormalizeLocale(locale)
	l := m[loc]
	l.Locale = loc
	return l.WithDefaults()
}

// MailLayoutStore keeps the owner's mail layout of each language.
type MailLayoutStore interface {
	// ListMailLayouts returns the saved layouts (a language never saved is
	// missing).
	ListMailLayouts(ctx context.Context) ([]MailLayout, error)
	// PutMailLayout saves the layout of l.Locale.
	PutMailLayout(ctx context.Context, l MailLayout) error
}

// Layouts are the owner's mail layout of each language: read by every
// message sent, changed by the owner in the console.
type Layouts struct {
	*Core
}

// MailLayouts returns the layout of every language, with defaults where
// none was saved.
func (s *Layouts) MailLayouts(ctx context.Context) (MailLayouts, error) {
	rows, err := s.Store.MailLayouts().ListMailLayouts(ctx)
	if err != nil {
		return nil, err
	}
	out := MailLayouts{}
	for _, l := range rows {
		out[NormalizeLocale(l.Locale)] = l
	}
	return out, nil
}

// SaveMailLayout validates and saves the layout of one language, and
// records the change in the audit log (the fields changed, not their
// values' history). Only the owner may change it.
func (s *Layouts) SaveMailLayout(ctx context.Context, actor *Admin, l MailLayout) (MailLayout, error) {
	if actor == nil || actor.Role != RoleOwner {
		return l, Errorf(EFORBIDDEN, "Only the owner can change the mail layout.")
	}
	l, err := ValidateMailLayout(l)
	if err != nil {
		return l, err
	}
	l.UpdatedAt = s.Now.Now().UTC()
	err = s.Store.Tx(ctx, func(tx Store) error {
		if err := tx.MailLayouts().PutMailLayout(ctx, l); err != nil {
			return err
		}
		return audit(ctx, tx.Audit(), AdminActor(actor), AuditMailLayoutChanged, "mail_layout", 0, l.Locale)
	})
	return l, err
}
