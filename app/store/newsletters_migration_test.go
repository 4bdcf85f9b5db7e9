package store_test

import (
	"context"
	"slices"
	"testing"

	"newsletter/app"
	"newsletter/internal/testenv"
)

// TestNewsletterMigrationKeepsEveryone: the migration that brings
// newsletters makes everyone who had a consent a member of its purpose's
// default newsletter, and every campaign a campaign of its purpose's
// default, so nobody receives less than before.
func TestNewsletterMigrationKeepsEveryone(t *testing.T) {
	for _, d := range testenv.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, _, exec := storeBefore(t, d, 18)
			// Before: one person with both consents, one with processing
			// only, one erased, and a marketing campaign.
			exec(`INSERT INTO subscribers (id, email, locale, status) VALUES (1, 'both@example.com', 'en', 'active'),
				(2, 'info@example.com', 'en', 'active'), (3, NULL, 'en', 'erased')`)
			exec(`INSERT INTO consents (subscriber_id, purpose, granted) VALUES (1, 'processing', true), (1, 'marketing', true),
				(2, 'processing', true), (2, 'marketing', false), (3, 'processing', true)`)
			exec(`INSERT INTO campaigns (id, name, subject, purpose, body_html) VALUES (1, 'Old', 'Old', 'marketing', '<p>x</p>')`)
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			defM, err := s.DefaultNewsletter(ctx, app.CampaignMarketing)
			if err != nil {
				t.Fatal(err)
			}
			defI, err := s.DefaultNewsletter(ctx, app.CampaignInformational)
			if err != nil {
				t.Fatal(err)
			}
			on, err := s.CurrentNewsletters(ctx, []int64{1, 2, 3})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(on[1], sorted(defM.ID, defI.ID)) || !slices.Equal(on[2], []int64{defI.ID}) || len(on[3]) != 0 {
				t.Fatalf("after the migration: %v (marketing default %d, informational %d)", on, defM.ID, defI.ID)
			}
			c, err := s.Campaign(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.NewsletterIDs, []int64{defM.ID}) {
				t.Fatalf("the old campaign went to %v, want the marketing default", c.NewsletterIDs)
			}
		})
	}
}
