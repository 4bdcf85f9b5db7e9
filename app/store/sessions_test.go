package store_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

func TestAdminSessions(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := &app.Admin{Email: "owner@example.com", Role: app.RoleOwner, PasswordHash: "x"}
		if err := s.CreateAdmin(ctx, a); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		for _, h := range []string{"h1", "h2", "h3"} {
			err := s.CreateAdminSession(ctx, &app.AdminSession{IDHash: h, AdminID: a.ID, CSRFToken: "csrf-" + h,
				CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.AdminSession(ctx, "h1")
		if err != nil || got.AdminID != a.ID || got.CSRFToken != "csrf-h1" || !got.ExpiresAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("session %+v %v", got, err)
		}
		if err := s.TouchAdminSession(ctx, "h1", now.Add(time.Minute), "ru"); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.AdminSession(ctx, "h1"); got.Locale != "ru" || !got.LastSeenAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("touched session %+v", got)
		}
		if n, err := s.DeleteAdminSessions(ctx, a.ID, "h1"); err != nil || n != 2 {
			t.Fatalf("delete others: %d %v", n, err)
		}
		if _, err := s.AdminSession(ctx, "h2"); !app.IsNotFound(err) {
			t.Fatalf("deleted session: %v", err)
		}
		if n, err := s.PurgeAdminSessions(ctx, now.Add(2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}

		// Sign-in records per account and source: failures in a row, a
		// wait, a success that clears them and is remembered.
		if r, err := s.LoginRecord(ctx, "acct", "src"); err != nil || r.Failures != 0 || r.BlockedUntil != nil {
			t.Fatalf("no record yet: %+v %v", r, err)
		}
		for i := 1; i <= 3; i++ {
			if n, err := s.AddLoginFailure(ctx, "acct", "src", now, now.Add(-time.Hour)); err != nil || n != i {
				t.Fatalf("failure %d: %d %v", i, n, err)
			}
		}
		if n, _ := s.AddLoginFailure(ctx, "acct", "other", now, now.Add(-time.Hour)); n != 1 {
			t.Fatalf("another source counts apart: %d", n)
		}
		if n, _ := s.AddLoginFailure(ctx, "acct", "src", now.Add(2*time.Hour), now.Add(time.Hour)); n != 1 {
			t.Fatalf("an old run starts afresh: %d", n)
		}
		until := now.Add(15 * time.Minute)
		if err := s.BlockLogin(ctx, "acct", "src", until); err != nil {
			t.Fatal(err)
		}
		if r, _ := s.LoginRecord(ctx, "acct", "src"); r.BlockedUntil == nil || !r.BlockedUntil.Equal(until) || r.Failures != 1 {
			t.Fatalf("blocked record %+v", r)
		}
		if got, err := s.LoginBlockedUntil(ctx, "acct"); err != nil || got == nil || !got.Equal(until) {
			t.Fatalf("account blocked until %v %v", got, err)
		}
		if err := s.LoginSucceeded(ctx, "acct", "src", now); err != nil {
			t.Fatal(err)
		}
		if r, _ := s.LoginRecord(ctx, "acct", "src"); r.BlockedUntil != nil || r.Failures != 0 || r.LastSuccessAt == nil {
			t.Fatalf("after a success %+v", r)
		}
		if err := s.BlockLogin(ctx, "acct", "other", until); err != nil {
			t.Fatal(err)
		}
		if err := s.ClearLoginBlocks(ctx, "acct"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.LoginBlockedUntil(ctx, "acct"); got != nil {
			t.Fatalf("cleared, still blocked until %v", got)
		}
		if n, err := s.PurgeLoginRecords(ctx, now.Add(3*time.Hour), now.Add(-time.Hour)); err != nil || n != 1 {
			t.Fatalf("purge: %d %v (the known source stays)", n, err)
		}
		if r, _ := s.LoginRecord(ctx, "acct", "src"); r.LastSuccessAt == nil {
			t.Fatal("the known source was purged")
		}
		if err := s.RecordLogin(ctx, a.ID, now); err != nil {
			t.Fatal(err)
		}
		accounts, err := s.ListAdmins(ctx)
		if err != nil || len(accounts) != 1 || accounts[0].ID != a.ID || accounts[0].Email != a.Email || accounts[0].Role != app.RoleOwner ||
			accounts[0].LastLoginAt == nil || accounts[0].PasswordHash != "" {
			t.Fatalf("accounts %+v %v", accounts, err)
		}

		if err := s.CreateAPIToken(ctx, a.ID, "crm", "hash1"); err != nil {
			t.Fatal(err)
		}
		tokens, err := s.APITokens(ctx)
		if err != nil || len(tokens) != 1 || tokens[0].AdminEmail != a.Email || tokens[0].Name != "crm" {
			t.Fatalf("tokens %+v %v", tokens, err)
		}
		if err := s.DeleteAPIToken(ctx, tokens[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAPIToken(ctx, tokens[0].ID); !app.IsNotFound(err) {
			t.Fatalf("second revoke: %v", err)
		}
		if err := s.SetAdminRole(ctx, a.ID, app.RoleMarketer); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAdmin(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AdminSession(ctx, "h1"); !app.IsNotFound(err) {
			t.Fatalf("session of a deleted admin: %v", err)
		}
	})
}

func TestConsoleCounts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day := time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC)
		for i, st := range []app.SubscriberStatus{app.StatusActive, app.StatusActive, app.StatusPending} {
			sub := &app.Subscriber{Email: string(rune('a'+i)) + "@example.com", Locale: "en", Status: st}
			if err := s.CreateSubscriber(ctx, sub); err != nil {
				t.Fatal(err)
			}
			for j, action := range []app.ConsentAction{app.ConsentGranted, app.ConsentWithdrawn} {
				e := &app.ConsentEvent{SubscriberID: sub.ID, Purpose: app.PurposeMarketing, Action: action,
					Evidence: app.Evidence{At: day.Add(time.Duration(j) * time.Hour), Channel: app.ChannelWeb}}
				if err := s.AddConsentEvent(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
		}
		counts, err := s.SubscriberCounts(ctx)
		if err != nil || counts[app.StatusActive] != 2 || counts[app.StatusPending] != 1 || counts[app.StatusErased] != 0 {
			t.Fatalf("counts %v %v", counts, err)
		}
		// Granted at 23:30 UTC on 10 March, withdrawn an hour later: two
		// days in UTC, and both on 11 March in Moscow (UTC+3).
		moscow, err := time.LoadLocation("Europe/Moscow")
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			loc  *time.Location
			want []app.ConsentDay
		}{
			{time.UTC, []app.ConsentDay{{Day: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), Granted: 3},
				{Day: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), Withdrawn: 3}}},
			{moscow, []app.ConsentDay{{Day: time.Date(2026, 3, 11, 0, 0, 0, 0, moscow), Granted: 3, Withdrawn: 3}}},
		}
		for _, tt := range tests {
			days, err := s.ConsentActivity(ctx, day.Add(-48*time.Hour), tt.loc)
			if err != nil || len(days) != len(tt.want) {
				t.Fatalf("activity in %s: %+v %v", tt.loc, days, err)
			}
			for i, d := range days {
				w := tt.want[i]
				if !d.Day.Equal(w.Day) || d.Day.Location() != tt.loc || d.Granted != w.Granted || d.Withdrawn != w.Withdrawn {
					t.Errorf("activity in %s, day %d: %+v, want %+v", tt.loc, i, d, w)
				}
			}
		}
	})
}
