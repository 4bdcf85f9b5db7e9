package store_test

import (
	"context"
	"slices"
	"testing"

	"newsletter/app"
	"newsletter/app/store"
)

// TestSearchFoldsCaseInEveryLanguage: a search finds a subscriber by part
// of the name or address in any case and language, in both databases
// (SQLite's lower() and LIKE fold ASCII only); wildcards match themselves.
func TestSearchFoldsCaseInEveryLanguage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ids := map[string]int64{}
		for _, p := range []struct{ email, name string }{
			{"boris@example.com", "Борис Петров"},
			{"fedor@example.com", "Фёдор Ёлкин"},
			{"zoe@example.com", "ZOË Ärger"},
			{"under_score@example.com", "Percent 100% Anna"},
		} {
			sub := &app.Subscriber{Email: p.email, Name: p.name, Locale: "ru", Status: app.StatusActive}
			if err := s.CreateSubscriber(ctx, sub); err != nil {
				t.Fatal(err)
			}
			ids[p.email] = sub.ID
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"Борис", []string{"boris@example.com"}},
			{"борис", []string{"boris@example.com"}},
			{"ПЕТРОВ", []string{"boris@example.com"}},
			{"петр", []string{"boris@example.com"}},
			{"boris", []string{"boris@example.com"}},
			{"BORIS@EXAMPLE", []string{"boris@example.com"}},
			{"фёдор", []string{"fedor@example.com"}},
			{"федор", []string{"fedor@example.com"}},
			{"ЁЛКИН", []string{"fedor@example.com"}},
			{"zoë ärger", []string{"zoe@example.com"}},
			{"100%", []string{"under_score@example.com"}},
			{"t_1", nil}, // "_" is no wildcard: "t 1" does not match
			{"иван", nil},
		} {
			subs, err := s.ListSubscribers(ctx, app.SubscriberFilter{Query: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, sub := range subs {
				got = append(got, sub.Email)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("search %q found %v, want %v", tc.q, got, tc.want)
			}
		}
	})
}
