package store_test

import (
	"context"
	"reflect"
	"testing"

	"newsletter/app"
	"newsletter/app/store"
)

// TestCampaignContentRoundTrip stores a campaign's format, body and
// translations, and reads them back, on create, on edit and in the list.
func TestCampaignContentRoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tr := map[string]app.CampaignTranslation{"ru": {Subject: "Новости", Body: "Привет, {{.Name}}!"}}
		cases := []struct {
			name string
			in   app.Campaign
		}{
			{"HTML", app.Campaign{Name: "h", Subject: "News", Purpose: app.CampaignMarketing, BodyHTML: "<p>Hi</p>"}},
			{"Markdown", app.Campaign{Name: "m", Subject: "News", Purpose: app.CampaignMarketing, Locale: "en",
				Format: app.FormatMarkdown, Body: "# Hi {{.Name}}", Translations: tr}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := tc.in
				if err := s.CreateCampaign(ctx, &c); err != nil {
					t.Fatal(err)
				}
				check := func(stage string, got *app.Campaign, want app.Campaign) {
					t.Helper()
					wantFormat := want.Format
					if wantFormat == "" {
						wantFormat = app.FormatHTML
					}
					if got.Format != wantFormat || got.Body != want.Body || got.BodyHTML != want.BodyHTML ||
						!reflect.DeepEqual(got.Translations, want.Translations) {
						t.Fatalf("%s: got format %q body %q html %q translations %v", stage, got.Format, got.Body, got.BodyHTML, got.Translations)
					}
				}
				got, err := s.Campaign(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				check("created", got, tc.in)
				edited := *got
				edited.Translations = nil
				if err := s.UpdateCampaignDraft(ctx, &edited); err != nil {
					t.Fatal(err)
				}
				got, err = s.Campaign(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.in
				want.Translations = nil
				check("edited", got, want)
				list, err := s.ListCampaigns(ctx, app.CampaignFilter{Limit: 10})
				if err != nil || len(list) == 0 {
					t.Fatalf("list: %v %v", list, err)
				}
				check("listed", &list[0], want)
			})
		}
	})
}
