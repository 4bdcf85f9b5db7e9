package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// TestNewsletterMembership follows one person through consents, joins and
// leaves: the defaults follow the consents, an explicit choice is kept, a
// leave is recorded once with its evidence and campaign, and withdrawing
// advertising leaves every marketing newsletter.
func TestNewsletterMembership(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		defs := map[app.CampaignPurpose]int64{}
		all, err := s.ListNewsletters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range all {
			if n.Default {
				defs[n.Purpose] = n.ID
			}
		}
		if len(defs) != 2 || !all[0].Default || !all[1].Default {
			t.Fatalf("the migration made %+v, want a default newsletter per purpose first", all)
		}
		offers := offersNewsletter(t, s)
		current := func(id int64) []int64 {
			t.Helper()
			m, err := s.CurrentNewsletters(ctx, []int64{id})
			if err != nil {
				t.Fatal(err)
			}
			return m[id]
		}

		// Consents without a choice: the defaults.
		plain := addSubscriber(t, s, "plain@example.com", subscriberCase{name: "plain", status: app.StatusActive, consents: all2()})
		if got, want := current(plain.ID), sorted(defs[app.CampaignMarketing], defs[app.CampaignInformational]); !slices.Equal(got, want) {
			t.Fatalf("defaults: on %v, want %v", got, want)
		}

		// A choice made before the consent is kept: no default marketing.
		chose := &app.Subscriber{Email: "chose@example.com", EmailHash: "hash:chose", Locale: "en", Status: app.StatusActive}
		if err := s.CreateSubscriber(ctx, chose); err != nil {
			t.Fatal(err)
		}
		ev := app.Evidence{Channel: app.ChannelWeb, IP: "192.0.2.1", UserAgent: "UA", FormID: "home", At: time.Now()}
		if ids, err := s.JoinNewsletters(ctx, app.NewsletterChange{SubscriberID: chose.ID, NewsletterIDs: []int64{offers.ID}, Evidence: ev}); err != nil || len(ids) != 1 {
			t.Fatalf("join = %v, %v", ids, err)
		}
		for _, p := range []app.Purpose{app.PurposeProcessing, app.PurposeMarketing} {
			if err := s.SetConsent(ctx, chose.ID, p, true, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := current(chose.ID), sorted(defs[app.CampaignInformational], offers.ID); !slices.Equal(got, want) {
			t.Fatalf("chosen: on %v, want %v", got, want)
		}

		// Leaving from a campaign's message: once, with its campaign.
		leave := app.NewsletterChange{SubscriberID: chose.ID, NewsletterIDs: []int64{offers.ID}, CampaignID: 42,
			Evidence: app.Evidence{Channel: app.ChannelOneClick, IP: "192.0.2.2", At: time.Now()}}
		for i, want := range []int{1, 0} {
			ids, err := s.LeaveNewsletters(ctx, leave)
			if err != nil || len(ids) != want {
				t.Fatalf("leave %d: %v, %v", i, ids, err)
			}
		}
		evs, err := s.NewsletterEvents(ctx, chose.ID)
		if err != nil {
			t.Fatal(err)
		}
		var lefts []app.NewsletterEvent
		for _, e := range evs {
			if e.Action == app.NewsletterLeft {
				lefts = append(lefts, e)
			}
		}
		if len(lefts) != 1 || lefts[0].CampaignID == nil || *lefts[0].CampaignID != 42 || lefts[0].IP != "192.0.2.2" ||
			lefts[0].Channel != app.ChannelOneClick {
			t.Fatalf("leave events %+v", lefts)
		}
		ms, err := s.Memberships(ctx, chose.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.NewsletterID == offers.ID && m.Current() {
				t.Fatalf("still on %d after leaving: %+v", offers.ID, m)
			}
		}

		// Withdrawing advertising leaves the marketing newsletters and
		// keeps the informational one.
		if _, err := s.JoinNewsletters(ctx, app.NewsletterChange{SubscriberID: plain.ID, NewsletterIDs: []int64{offers.ID}, Evidence: ev}); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.WithdrawMarketing(ctx, plain.ID, 7, app.Evidence{Channel: app.ChannelEmail, At: time.Now()}); err != nil || !ok {
			t.Fatalf("withdraw = %v, %v", ok, err)
		}
		if got, want := current(plain.ID), []int64{defs[app.CampaignInformational]}; !slices.Equal(got, want) {
			t.Fatalf("after withdrawing advertising: on %v, want %v", got, want)
		}

		// Erasure destroys the evidence's personal data.
		if err := s.ErasePersonalData(ctx, chose.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		evs, err = s.NewsletterEvents(ctx, chose.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.IP != "" || e.UserAgent != "" {
				t.Fatalf("erased event keeps %+v", e)
			}
		}
	})
}

func all2() map[app.Purpose]bool {
	return map[app.Purpose]bool{app.PurposeProcessing: true, app.PurposeMarketing: true}
}

func sorted(ids ...int64) []int64 { return slices.Sorted(slices.Values(ids)) }

// TestCampaignNewsletters stores a campaign's newsletters, fills in the
// default for one written without them, and follows a purpose change.
func TestCampaignNewsletters(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		offers := offersNewsletter(t, s)
		def, err := s.DefaultNewsletter(ctx, app.CampaignMarketing)
		if err != nil {
			t.Fatal(err)
		}
		c := newCampaign(t, s, app.CampaignMarketing)
		got, err := s.Campaign(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.NewsletterIDs, []int64{def.ID}) {
			t.Fatalf("newsletters of a campaign without them = %v, want the default %d", got.NewsletterIDs, def.ID)
		}
		got.NewsletterIDs = []int64{offers.ID}
		if err := s.UpdateCampaignDraft(ctx, got); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListCampaigns(ctx, app.CampaignFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range list {
			if l.ID == c.ID && !slices.Equal(l.NewsletterIDs, []int64{offers.ID}) {
				t.Fatalf("listed newsletters = %v", l.NewsletterIDs)
			}
		}
	})
}
