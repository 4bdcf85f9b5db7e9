package store_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// TestMigrationStripsConsentPages runs migration 0009 over rows written
// before it: the pages kept with consent evidence and pending
// confirmations lose their query and fragment, and nothing else changes.
func TestMigrationStripsConsentPages(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		sub := &app.Subscriber{Email: "page@example.com", EmailHash: "h", Name: "Page", Locale: "en", Status: app.StatusActive, CreatedAt: now}
		must(t, s.CreateSubscriber(ctx, sub))
		pages := map[string]string{
			"https://example.com/join?email=page%40example.com&phone=%2B79123456789": "https://example.com/join",
			"https://example.com/a#name=Page":                                        "https://example.com/a",
			"https://example.com/b#x?email=page@example.com":                         "https://example.com/b",
			"https://example.com/plain":                                              "https://example.com/plain",
			"":                                                                       "",
		}
		for page := range pages {
			must(t, s.AddConsentEvent(ctx, &app.ConsentEvent{SubscriberID: sub.ID, Purpose: app.PurposeProcessing,
				Action: app.ConsentGranted, Evidence: app.Evidence{At: now, Channel: app.ChannelWeb, Page: page}}))
		}
		c := &app.Confirmation{SubscriberID: sub.ID, Kind: app.ConfirmSubscribe, Email: sub.Email, Locale: "en",
			Evidence: app.Evidence{At: now, Page: "https://example.com/join?email=page%40example.com"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		must(t, s.CreateConfirmation(ctx, c))

		// As if the database were one version older.
		db, err := s.DB()
		must(t, err)
		for _, q := range []string{`DELETE FROM schema_migrations WHERE version = 9`, `DROP TABLE erasure_scrub`} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if n, err := s.Migrate(ctx); err != nil || n != 1 {
			t.Fatalf("migrate: %d %v", n, err)
		}
		evs, err := s.ConsentEvents(ctx, sub.ID)
		must(t, err)
		got := map[string]int{}
		for _, ev := range evs {
			got[ev.Page]++
		}
		want := map[string]int{}
		for _, p := range pages {
			want[p]++
		}
		if len(got) != len(want) {
			t.Fatalf("pages after the migration %v, want %v", got, want)
		}
		for p, n := range want {
			if got[p] != n {
				t.Fatalf("pages after the migration %v, want %v", got, want)
			}
		}
		conf, err := s.Confirmation(ctx, c.ID)
		must(t, err)
		if conf.Evidence.Page != "https://example.com/join" {
			t.Fatalf("confirmation page %q", conf.Evidence.Page)
		}
		if mark, err := s.ScrubMark(ctx); err != nil || mark != 0 {
			t.Fatalf("scrub mark after the migration: %d %v", mark, err)
		}
	})
}

// TestScrub: the scrub runs outside transactions only, and its mark never
// goes back.
func TestScrub(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now()
		must(t, s.Scrub(ctx, 5, now))
		must(t, s.Scrub(ctx, 3, now))
		if mark, err := s.ScrubMark(ctx); err != nil || mark != 5 {
			t.Fatalf("mark %d %v, want 5", mark, err)
		}
		must(t, s.CheckpointErasure(ctx))
		err := s.Tx(ctx, func(tx app.Store) error { return tx.Retention().Scrub(ctx, 9, now) })
		if err == nil {
			t.Fatal("a scrub inside a transaction ran")
		}
		if mark, _ := s.ScrubMark(ctx); mark != 5 {
			t.Fatalf("mark %d after the refused scrub", mark)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
