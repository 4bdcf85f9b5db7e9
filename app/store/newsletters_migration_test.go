package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"newsletter/app"
	"newsletter/app/store"
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
			var (
				s   *store.Store
				err error
			)
			if d == store.Postgres {
				s, err = store.Open(ctx, testenv.Postgres(t), "")
			} else {
				s, err = store.Open(ctx, "", filepath.Join(t.TempDir(), "m.db"))
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			db, err := s.DB()
			if err != nil {
				t.Fatal(err)
			}
			ms, err := store.Migrations(d)
			if err != nil {
				t.Fatal(err)
			}
			exec := func(q string) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%v\n%s", err, q)
				}
			}
			exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
				applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`)
			for _, m := range ms {
				if m.Version >= 18 {
					break
				}
				exec(m.SQL)
				exec(`INSERT INTO schema_migrations (version, name) VALUES (` + strconv.Itoa(m.Version) + `, '` + m.Name + `')`)
			}
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
