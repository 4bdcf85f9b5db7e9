package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// CampaignPublishing is what a campaign shows beyond its recipients: the
// public archive and the aggregate counts of its links.
type CampaignPublishing struct {
	// Archive publishes the campaign at /archive once it is finished.
	Archive bool `json:"archive"`
	// TrackClicks counts how often each link of the body is followed, in
	// total (campaign_clicks.go).
	TrackClicks bool `json:"track_clicks"`
	// Links are the counted links and their clicks (Campaigns.Get).
	Links []CampaignLink `json:"links,omitempty"`
}

// applyPublishing writes the publishing fields of p that are set onto c.
func (p CampaignPatch) applyPublishing(c *Campaign) {
	if p.Archive != nil {
		c.Archive = *p.Archive
	}
	if p.TrackClicks != nil {
		c.TrackClicks = *p.TrackClicks
	}
}

// archiveOnly reports whether p changes the archive flag and nothing else:
// the one change a campaign takes after it left draft.
func (p CampaignPatch) archiveOnly() bool {
	return p.Archive != nil && p == CampaignPatch{Archive: p.Archive}
}

// setArchive publishes or withdraws a campaign that is no longer a draft.
func (s *Campaigns) setArchive(ctx context.Context, actor *Admin, c *Campaign, on bool) (*Campaign, error) {
	if err := s.Store.Campaigns().SetCampaignArchive(ctx, c.ID, on); err != nil {
		return nil, err
	}
	action := "campaign_archived"
	if !on {
		action = "campaign_unarchived"
	}
	if err := s.audit(ctx, actor, action, c.ID, ""); err != nil {
		return nil, err
	}
	c.Archive = on
	return c, nil
}

// withLinks adds the counted links of a campaign that tracks clicks.
func (s *Campaigns) withLinks(ctx context.Context, c *Campaign) error {
	if !c.TrackClicks {
		return nil
	}
	links, err := s.Store.Campaigns().CampaignLinks(ctx, c.ID)
	if err != nil {
		return err
	}
	c.Links = links
	return nil
}

// ArchivePageSize is how many campaigns a page of the archive lists.
const ArchivePageSize = 20

// ArchivedCampaign is a campaign as the public archive shows it: in one
// language, with neutral merge values and no personal link.
type ArchivedCampaign struct {
	ID        int64
	Language  string
	Languages []string
	Subject   string
	// HTML is the campaign's body (no layout, no footer), sanitized.
	HTML   string
	SentAt time.Time
}

// Archive is the public archive of finished campaigns published by their
// marketers. It renders each campaign once per language and keeps it.
type Archive struct {
	Store Store
	// PreferencesURL stands for the unsubscribe and preferences links of
	// the body: the public page that mails a person their own link.
	PreferencesURL string

	mu    sync.Mutex
	cache map[int64]archiveEntry
}

type archiveEntry struct {
	updated time.Time
	langs   map[string]ArchivedCampaign
}

// neutralNames stand for the recipient's name, by language.
var neutralNames = map[string]string{LocaleEN: "subscriber", LocaleRU: "подписчик"}

// published reports whether c is in the archive.
func published(c *Campaign) bool {
	return c.Archive && c.Status == CampaignFinished && c.FinishedAt != nil
}

// Campaign returns the archived campaign id in the visitor's language
// (its default when it is not written in that one); ENOTFOUND when it is
// not published.
func (a *Archive) Campaign(ctx context.Context, id int64, visitorLocale string) (*ArchivedCampaign, error) {
	c, err := a.Store.Campaigns().Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if !published(c) {
		return nil, Errorf(ENOTFOUND, "campaign not found")
	}
	return a.render(c, visitorLocale)
}

// List returns a page (from 0) of the archive, newest first, in the
// visitor's language, and whether more pages follow.
func (a *Archive) List(ctx context.Context, visitorLocale string, page int) ([]ArchivedCampaign, bool, error) {
	page = max(page, 0)
	list, err := a.Store.Campaigns().ArchivedCampaigns(ctx, page*ArchivePageSize, ArchivePageSize+1)
	if err != nil {
		return nil, false, err
	}
	more := len(list) > ArchivePageSize
	list = list[:min(len(list), ArchivePageSize)]
	out := make([]ArchivedCampaign, 0, len(list))
	for i := range list {
		ac, err := a.render(&list[i], visitorLocale)
		if err != nil {
			return nil, false, err
		}
		out = append(out, *ac)
	}
	return out, more, nil
}

// render is c in the language a visitor of visitorLocale reads.
func (a *Archive) render(c *Campaign, visitorLocale string) (*ArchivedCampaign, error) {
	lang := c.LanguageFor(visitorLocale)
	a.mu.Lock()
	e, ok := a.cache[c.ID]
	a.mu.Unlock()
	if !ok || !e.updated.Equal(c.UpdatedAt) {
		langs, err := a.renderAll(c)
		if err != nil {
			return nil, err
		}
		e = archiveEntry{updated: c.UpdatedAt, langs: langs}
		a.mu.Lock()
		if a.cache == nil || len(a.cache) >= 256 {
			a.cache = map[int64]archiveEntry{}
		}
		a.cache[c.ID] = e
		a.mu.Unlock()
	}
	ac := e.langs[lang]
	return &ac, nil
}

// renderAll renders every language of c with neutral merge values.
func (a *Archive) renderAll(c *Campaign) (map[string]ArchivedCampaign, error) {
	t, err := CompileCampaign(c, Operator{}, nil, Frame{})
	if err != nil {
		return nil, fmt.Errorf("archive campaign %d: %w", c.ID, err)
	}
	out := map[string]ArchivedCampaign{}
	for _, lang := range c.Languages() {
		o := t
		if l, ok := t.languages[lang]; ok {
			o = l
		}
		f := MergeFields{Name: neutralNames[lang], UnsubscribeURL: a.PreferencesURL, PreferencesURL: a.PreferencesURL}
		subject, err := o.renderSubject(f)
		if err != nil {
			return nil, fmt.Errorf("archive campaign %d: %w", c.ID, err)
		}
		var b strings.Builder
		if err := o.html.Execute(newRenderWriter(&b, MaxRenderedPart), f); err != nil {
			return nil, fmt.Errorf("archive campaign %d: %w", c.ID, err)
		}
		out[lang] = ArchivedCampaign{ID: c.ID, Language: lang, Languages: c.Languages(), Subject: subject,
			HTML: SanitizeArchiveHTML(b.String()), SentAt: *c.FinishedAt}
	}
	return out, nil
}
