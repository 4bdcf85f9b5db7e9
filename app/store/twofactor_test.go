package store_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// TestTwoFactorStore: an enrolment is confirmed once, a time step and a
// recovery code are taken once, settings are kept, and pending sign-ins
// are counted and purged, on both dialects.
func TestTwoFactorStore(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := &app.Admin{Email: "owner@example.com", Role: app.RoleOwner, PasswordHash: "x"}
		if err := s.CreateAdmin(ctx, a); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		if _, err := s.TwoFactorSecret(ctx, a.ID); !app.IsNotFound(err) {
			t.Fatalf("no enrolment yet: %v", err)
		}
		if err := s.StartTwoFactor(ctx, a.ID, "sealed-1", now); err != nil {
			t.Fatal(err)
		}
		if err := s.StartTwoFactor(ctx, a.ID, "sealed-2", now); err != nil {
			t.Fatalf("an unconfirmed enrolment is replaced: %v", err)
		}
		if ok, _ := s.TakeTwoFactorStep(ctx, a.ID, 5); ok {
			t.Fatal("a step was taken on an unconfirmed enrolment")
		}
		if err := s.ConfirmTwoFactor(ctx, a.ID, 10, []string{"h1", "h2"}, now); err != nil {
			t.Fatal(err)
		}
		if err := s.ConfirmTwoFactor(ctx, a.ID, 11, []string{"h3"}, now); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("confirmed twice: %v", err)
		}
		if err := s.StartTwoFactor(ctx, a.ID, "sealed-3", now); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("a confirmed enrolment was replaced: %v", err)
		}
		sec, err := s.TwoFactorSecret(ctx, a.ID)
		if err != nil || sec.Sealed != "sealed-2" || sec.ConfirmedAt == nil || sec.LastStep != 10 {
			t.Fatalf("enrolment %+v %v", sec, err)
		}
		for _, c := range []struct {
			step int64
			want bool
		}{{10, false}, {9, false}, {11, true}, {11, false}, {13, true}} {
			if ok, err := s.TakeTwoFactorStep(ctx, a.ID, c.step); err != nil || ok != c.want {
				t.Errorf("take step %d: %v %v, want %v", c.step, ok, err, c.want)
			}
		}
		if ok, _ := s.UseRecoveryCode(ctx, a.ID, "h1", now); !ok {
			t.Error("recovery code refused")
		}
		if ok, _ := s.UseRecoveryCode(ctx, a.ID, "h1", now); ok {
			t.Error("recovery code taken twice")
		}
		if ok, _ := s.UseRecoveryCode(ctx, a.ID, "nope", now); ok {
			t.Error("unknown recovery code taken")
		}
		if n, err := s.RecoveryCodesLeft(ctx, a.ID); err != nil || n != 1 {
			t.Errorf("codes left %d %v", n, err)
		}
		if ids, err := s.TwoFactorAdmins(ctx); err != nil || !ids[a.ID] || len(ids) != 1 {
			t.Errorf("two-factor admins %v %v", ids, err)
		}

		if v, err := s.ConsoleSetting(ctx, "twofactor_required"); err != nil || v != "" {
			t.Fatalf("unset setting %q %v", v, err)
		}
		for _, v := range []string{"true", "false"} {
			if err := s.SetConsoleSetting(ctx, "twofactor_required", v, now); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.ConsoleSetting(ctx, "twofactor_required"); got != v {
				t.Errorf("setting %q, want %q", got, v)
			}
		}

		p := &app.PendingLogin{IDHash: "p1", AdminID: a.ID, Stage: app.StageVerify, UserAgentHash: "ua", Device: "dev", ExpiresAt: now.Add(time.Minute)}
		if err := s.CreatePendingLogin(ctx, p); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 2; i++ {
			if n, err := s.AddPendingFailure(ctx, "p1"); err != nil || n != i {
				t.Fatalf("failure %d: %d %v", i, n, err)
			}
		}
		if got, err := s.PendingLogin(ctx, "p1"); err != nil || got.Failures != 2 || got.Device != "dev" || !got.ExpiresAt.Equal(p.ExpiresAt) {
			t.Fatalf("pending %+v %v", got, err)
		}
		if err := s.PurgePendingLogins(ctx, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PendingLogin(ctx, "p1"); !app.IsNotFound(err) {
			t.Fatalf("purged pending sign-in: %v", err)
		}

		if had, err := s.DeleteTwoFactor(ctx, a.ID); err != nil || !had {
			t.Fatalf("delete: %v %v", had, err)
		}
		if n, _ := s.RecoveryCodesLeft(ctx, a.ID); n != 0 {
			t.Errorf("%d recovery codes left after the reset", n)
		}
		if had, _ := s.DeleteTwoFactor(ctx, a.ID); had {
			t.Error("deleted twice")
		}
	})
}
