package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"newsletter/app"
	"newsletter/app/store"
)

// TestArchivedCampaigns lists only finished campaigns with archive on,
// newest first, a page at a time; the flags round-trip.
func TestArchivedCampaigns(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mk := func(archive bool, finish bool) int64 {
			c := &app.Campaign{Name: "a", Subject: "News", Purpose: app.CampaignMarketing, BodyHTML: "<p>Hi</p>",
				CampaignPublishing: app.CampaignPublishing{Archive: archive, TrackClicks: true}}
			if err := s.CreateCampaign(ctx, c); err != nil {
				t.Fatal(err)
			}
			if finish {
				if _, err := s.TransitionCampaign(ctx, c.ID, app.CampaignTransition{
					From: []app.CampaignStatus{app.CampaignDraft}, To: app.CampaignFinished}); err != nil {
					t.Fatal(err)
				}
			}
			return c.ID
		}
		first := mk(true, true)
		mk(false, true) // archive off
		mk(true, false) // a draft
		second := mk(true, true)
		got, err := s.Campaign(ctx, first)
		if err != nil || !got.Archive || !got.TrackClicks {
			t.Fatalf("flags: %+v %v", got, err)
		}
		ids := func(offset, limit int) []int64 {
			list, err := s.ArchivedCampaigns(ctx, offset, limit)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, c := range list {
				out = append(out, c.ID)
			}
			return out
		}
		if got := ids(0, 10); !slices.Equal(got, []int64{second, first}) {
			t.Fatalf("archive = %v, want %v", got, []int64{second, first})
		}
		if got := ids(1, 1); !slices.Equal(got, []int64{first}) {
			t.Fatalf("second page = %v", got)
		}
		if err := s.SetCampaignArchive(ctx, second, false); err != nil {
			t.Fatal(err)
		}
		if got := ids(0, 10); !slices.Equal(got, []int64{first}) {
			t.Fatalf("after withdrawal = %v", got)
		}
		if err := s.SetCampaignArchive(ctx, 1<<40, true); !app.IsNotFound(err) {
			t.Fatalf("unknown campaign: %v", err)
		}
	})
}

// TestCampaignLinkCounts registers a campaign's links, counts clicks
// (also concurrently), keeps counts when the same links are registered
// again, and knows no link it was not given.
func TestCampaignLinkCounts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := newCampaign(t, s, app.CampaignMarketing)
		urls := []string{"https://example.com/a", "https://example.com/b?x=1&y=2"}
		if err := s.RegisterCampaignLinks(ctx, c.ID, urls); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if u, err := s.CountClick(ctx, c.ID, 1); err != nil || u != urls[1] {
					t.Errorf("count: %q %v", u, err)
				}
			})
		}
		wg.Wait()
		if _, err := s.CountClick(ctx, c.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.RegisterCampaignLinks(ctx, c.ID, urls); err != nil {
			t.Fatal(err)
		}
		links, err := s.CampaignLinks(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []app.CampaignLink{{Index: 0, URL: urls[0], Clicks: 1}, {Index: 1, URL: urls[1], Clicks: 8}}
		if !slices.Equal(links, want) {
			t.Fatalf("links = %+v, want %+v", links, want)
		}
		for _, tc := range []struct {
			campaign int64
			index    int
		}{{c.ID, 2}, {c.ID + 1000, 0}} {
			if _, err := s.CountClick(ctx, tc.campaign, tc.index); !app.IsNotFound(err) {
				t.Errorf("CountClick(%d, %d) = %v, want not found", tc.campaign, tc.index, err)
			}
			if _, err := s.CampaignLinkURL(ctx, tc.campaign, tc.index); !app.IsNotFound(err) {
				t.Errorf("CampaignLinkURL(%d, %d) = %v, want not found", tc.campaign, tc.index, err)
			}
		}
		if u, err := s.CampaignLinkURL(ctx, c.ID, 0); err != nil || u != urls[0] {
			t.Fatalf("url: %q %v", u, err)
		}
	})
}
