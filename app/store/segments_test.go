package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// segmentPerson is one person of the segment fixtures: an eligibility
// case with a language, a confirmation time and where they came from.
type segmentPerson struct {
	c         subscriberCase
	locale    string
	confirmed *time.Time
	sources   []app.SubscriptionSource
}

var segT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(days int) *time.Time { t := segT0.AddDate(0, 0, days); return &t }

func segmentPeople() []segmentPerson {
	web := func(id string) app.SubscriptionSource {
		return app.SubscriptionSource{Channel: app.ChannelWeb, FormID: id}
	}
	imp := func(id string) app.SubscriptionSource {
		return app.SubscriptionSource{Channel: app.ChannelImport, FormID: id}
	}
	var out []segmentPerson
	locales := []string{"en", "ru"}
	times := []*time.Time{at(-10), at(0), at(5), at(30), nil}
	sources := [][]app.SubscriptionSource{{web("")}, {web("blog")}, {imp("fair")}, {imp("blog"), web("footer")}, nil}
	for i, c := range eligibilityCases {
		for j := range 3 {
			k := i*3 + j
			out = append(out, segmentPerson{c: c, locale: locales[k%2], confirmed: times[k%len(times)], sources: sources[(k/2)%len(sources)]})
		}
	}
	return out
}

func yes(b bool) *bool { return &b }

var segmentFilters = []app.SegmentFilter{
	{},
	{Locales: []string{"ru"}},
	{Locales: []string{"en", "ru"}},
	{SubscribedFrom: at(0)},
	{SubscribedUntil: at(5)},
	{SubscribedFrom: at(0), SubscribedUntil: at(30)},
	{Sources: []app.SegmentSource{{Kind: app.SourceForm, ID: "blog"}}},
	{Sources: []app.SegmentSource{{Kind: app.SourceImport, ID: "blog"}, {Kind: app.SourceForm, ID: ""}}},
	{Sources: []app.SegmentSource{{Kind: app.SourceImport, ID: "x'); DROP TABLE subscribers; --"}}},
	{CrossBorder: yes(true)},
	{CrossBorder: yes(false)},
	{Locales: []string{"en"}, SubscribedFrom: at(-1), Sources: []app.SegmentSource{{Kind: app.SourceImport, ID: "fair"}}, CrossBorder: yes(true)},
}

// addSegmentPeople stores the people and returns them by subscriber id.
func addSegmentPeople(t *testing.T, s *store.Store) map[int64]segmentPerson {
	t.Helper()
	ctx := context.Background()
	out := map[int64]segmentPerson{}
	for i, p := range segmentPeople() {
		sub := addSubscriber(t, s, fmt.Sprintf("seg%d@example.com", i), p.c)
		sub.Locale, sub.ConfirmedAt = p.locale, p.confirmed
		if err := s.UpdateSubscriber(ctx, sub); err != nil {
			t.Fatal(err)
		}
		for _, src := range p.sources {
			ev := &app.ConsentEvent{SubscriberID: sub.ID, Purpose: app.PurposeProcessing, Action: app.ConsentGranted,
				Evidence: app.Evidence{At: segT0, Channel: src.Channel, FormID: src.FormID}}
			if err := s.AddConsentEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		// A marketing grant from another form does not make a source.
		if err := s.AddConsentEvent(ctx, &app.ConsentEvent{SubscriberID: sub.ID, Purpose: app.PurposeMarketing,
			Action: app.ConsentGranted, Evidence: app.Evidence{At: segT0, Channel: app.ChannelWeb, FormID: "promo"}}); err != nil {
			t.Fatal(err)
		}
		out[sub.ID] = p
	}
	return out
}

// judge is the Go reference of one person: the verdict of Audience.Judge
// and whether the segment matches.
func judge(a app.Audience, p segmentPerson, on []app.Newsletter) (app.DeliveryStatus, bool) {
	sub := &app.Subscriber{Status: p.c.status, Email: "x@example.com", Locale: p.locale, ConfirmedAt: p.confirmed}
	if p.c.erased {
		sub.Email = ""
	}
	return a.Judge(sub, consentsOf(p.c), on, p.c.suppressed), a.Segment.Match(sub, consentsOf(p.c), p.sources)
}

// TestSegmentSQLAgreesWithMatch materializes a campaign and counts its
// audience for every filter, purpose and cross-border setting, and checks
// both against Judge and Match.
func TestSegmentSQLAgreesWithMatch(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		people := addSegmentPeople(t, s)
		// The count reads the copy of consents and suppression on the
		// subscriber's row (migration 0024): it must be the truth.
		if ids, err := s.AudienceFlagsDrift(ctx); err != nil || len(ids) > 0 {
			t.Fatalf("audience flags differ for %v (%v)", ids, err)
		}
		offers := offersNewsletter(t, s)
		// Some are on both marketing newsletters: counted once in the
		// total, once on each.
		joined := 0
		for _, id := range slices.Sorted(maps.Keys(people)) {
			if people[id].c.name == "AllConsents" && joined < 2 {
				if _, err := s.JoinNewsletters(ctx, app.NewsletterChange{SubscriberID: id, NewsletterIDs: []int64{offers.ID},
					Evidence: app.Evidence{Channel: app.ChannelWeb}}); err != nil {
					t.Fatal(err)
				}
				joined++
			}
		}
		on := map[int64][]app.Newsletter{}
		for id := range people {
			on[id] = onNow(t, s, id)
		}
		def, err := s.DefaultNewsletter(ctx, app.CampaignMarketing)
		if err != nil {
			t.Fatal(err)
		}
		for fi, f := range segmentFilters {
			for _, purpose := range []app.CampaignPurpose{app.CampaignMarketing, app.CampaignInformational} {
				for _, cross := range []bool{false, true} {
					a := app.Audience{Purpose: purpose, CrossBorder: cross, Segment: f}
					if purpose == app.CampaignMarketing && cross {
						a.Newsletters = []int64{offers.ID, def.ID}
					}
					c := newCampaign(t, s, purpose)
					run(t, s, c, a, 7)
					got := deliveries(t, s, c.ID)
					var want app.AudienceCount
					wantPer := map[string]int64{}
					for id, p := range people {
						verdict, in := judge(a, p, on[id])
						if verdict == app.DeliverySending && in {
							for _, nl := range on[id] {
								if len(a.Newsletters) == 0 && (app.Audience{Purpose: purpose}).Member([]app.Newsletter{nl}) ||
									slices.Contains(a.Newsletters, nl.ID) {
									wantPer[strconv.FormatInt(nl.ID, 10)]++
								}
							}
						}
						if _, ok := got[id]; ok != (verdict == app.DeliverySending && in) {
							t.Errorf("filter %d %s cross=%v: %s/%s: materialized=%v", fi, purpose, cross, p.c.name, p.locale, ok)
						}
						if !in || p.c.status == app.StatusPending || p.c.status == app.StatusErased || !a.Member(on[id]) {
							continue
						}
						switch {
						case verdict == app.DeliverySending:
							want.Total++
						case p.c.status == app.StatusBlocked:
							want.Excluded.Blocked++
						case verdict == app.DeliveryOptedOut:
							want.Excluded.NoConsent++
						case cross && !p.c.consents[app.PurposeCrossBorder]:
							want.Excluded.NoCrossBorder++
						default:
							want.Excluded.Suppressed++
						}
					}
					n, err := s.CountAudience(ctx, a)
					if err != nil {
						t.Fatal(err)
					}
					var per int64
					for id, k := range n.ByNewsletter {
						per += k
						if k != wantPer[id] {
							t.Errorf("filter %d %s cross=%v: newsletter %s counts %d, want %d", fi, purpose, cross, id, k, wantPer[id])
						}
					}
					if len(n.ByNewsletter) != max(1, len(a.Newsletters)) {
						t.Errorf("filter %d %s cross=%v: by newsletter %v", fi, purpose, cross, n.ByNewsletter)
					}
					if n.Total != int64(len(got)) || n.Total != want.Total || n.Excluded != want.Excluded || per < n.Total {
						t.Errorf("filter %d %s cross=%v: count %+v, want %+v (materialized %d)", fi, purpose, cross, *n, want, len(got))
					}
				}
			}
		}
	})
}

// TestClaimJudgesSegment: a person who left the segment after
// materialization (another language) is skipped at the claim.
func TestClaimJudgesSegment(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := app.Audience{Purpose: app.CampaignMarketing, Segment: app.SegmentFilter{Locales: []string{"ru"}}}
		var subs []*app.Subscriber
		for i := range 3 {
			sub := addSubscriber(t, s, fmt.Sprintf("c%d@example.com", i), subscriberCase{name: "ok", status: app.StatusActive, consents: all})
			sub.Locale = "ru"
			if err := s.UpdateSubscriber(ctx, sub); err != nil {
				t.Fatal(err)
			}
			subs = append(subs, sub)
		}
		c := newCampaign(t, s, app.CampaignMarketing)
		run(t, s, c, a, 100)
		subs[1].Locale = "en"
		if err := s.UpdateSubscriber(ctx, subs[1]); err != nil {
			t.Fatal(err)
		}
		claim, err := s.CreateDeliveryClaim(ctx, c.ID, "test", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := s.ClaimDeliveries(ctx, app.ClaimRequest{CampaignID: c.ID, ClaimID: claim, Lo: 0, Hi: 1 << 40, Limit: 100, Audience: a})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 || rs[0].SubscriberID != subs[0].ID || rs[1].SubscriberID != subs[2].ID {
			t.Fatalf("claimed %+v", rs)
		}
		fb, err := s.CampaignFeedback(ctx, []int64{c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if fb[c.ID].SkippedReasons[app.SkipSegment] != 1 {
			t.Fatalf("skipped %v", fb[c.ID].SkippedReasons)
		}
	})
}

// TestSegmentStore: a segment round-trips, and one used by a campaign
// being sent cannot change, nor one used at all be deleted.
func TestSegmentStore(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		g := &app.Segment{Name: "Russian readers", Filter: segmentFilters[len(segmentFilters)-1]}
		if err := s.CreateSegment(ctx, g); err != nil {
			t.Fatal(err)
		}
		got, err := s.Segment(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", got.Filter) == "" || got.Name != g.Name || !got.Filter.SubscribedFrom.Equal(*g.Filter.SubscribedFrom) ||
			*got.Filter.CrossBorder != true || len(got.Filter.Sources) != 1 {
			t.Fatalf("read %+v", got)
		}
		c := newCampaign(t, s, app.CampaignMarketing)
		c.SegmentID = &g.ID
		if err := s.UpdateCampaignDraft(ctx, c); err != nil {
			t.Fatal(err)
		}
		cur, err := s.Campaign(ctx, c.ID)
		if err != nil || cur.Segment == nil || cur.Segment.Locales[0] != "en" {
			t.Fatalf("campaign's segment: %+v %v", cur, err)
		}
		g.Name = "Renamed"
		if err := s.UpdateSegment(ctx, g); err != nil {
			t.Fatalf("a draft's segment changes: %v", err)
		}
		if err := s.DeleteSegment(ctx, g.ID); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("delete used: %v", err)
		}
		if _, err := s.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft},
			To: app.CampaignScheduled, SendAt: at(400), BumpVersion: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateSegment(ctx, g); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("update used by a scheduled campaign: %v", err)
		}
		back, err := s.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignScheduled},
			To: app.CampaignDraft, BumpVersion: true, ClearSendAt: true})
		if err != nil || back.SendAt != nil || back.Version != cur.Version+2 {
			t.Fatalf("back to draft: %+v %v", back, err)
		}
		c.SegmentID = nil
		if err := s.UpdateCampaignDraft(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSegment(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if list, err := s.ListSegments(ctx); err != nil || len(list) != 0 {
			t.Fatalf("list %v %v", list, err)
		}
	})
}
