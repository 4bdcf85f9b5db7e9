package app_test

import (
	"context"
	"testing"

	"newsletter/app"
	"newsletter/app/store"
)

// BenchmarkSignInPaths shows the time of each sign-in path: they all do
// one argon2id check, so an address without an account, a wrong password
// and a throttled source take the same time, and only a success (which
// opens a session) costs a little more. Run with
// go test -run '^$' -bench SignInPaths ./app
func BenchmarkSignInPaths(b *testing.B) {
	ctx := context.Background()
	st := openBenchStore(b, store.SQLite)
	admins := &app.Admins{Store: st}
	if _, err := admins.CreateWithPassword(ctx, "owner@example.com", app.RoleOwner, "correct horse battery"); err != nil {
		b.Fatal(err)
	}
	auth := &app.AdminAuth{Store: st, Admins: admins, MaxFailures: 3}
	for i := 0; i < 3; i++ { // the address "throttled" uses must wait
		_, _ = auth.Login(ctx, app.LoginAttempt{Email: "owner@example.com", Password: "guess", Address: "192.0.2.9"})
	}
	paths := []struct {
		name string
		at   app.LoginAttempt
	}{
		{"NoSuchAccount", app.LoginAttempt{Email: "nobody@example.com", Password: "guess", Address: "192.0.2.1"}},
		{"WrongPassword", app.LoginAttempt{Email: "owner@example.com", Password: "guess", Address: "192.0.2.2"}},
		{"Throttled", app.LoginAttempt{Email: "owner@example.com", Password: "correct horse battery", Address: "192.0.2.9"}},
		{"Success", app.LoginAttempt{Email: "owner@example.com", Password: "correct horse battery", Address: "192.0.2.3"}},
	}
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = auth.Login(ctx, p.at)
			}
		})
	}
}
