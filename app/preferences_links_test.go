package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

// TestPreferencesLinksThatOpenNothing: the preferences link of bulk mail,
// and the long-lived links mailed before links were bound to an address,
// open no personal data and change nothing through any use case of the
// preference centre; they can only have a fresh link mailed to the
// address on file, with the same answer whoever they name.
func TestPreferencesLinksThatOpenNothing(t *testing.T) {
	e := newEnv(t, store.SQLite)
	ctx := context.Background()
	sub := e.activeSubscriber(t, "bulk@example.com")
	relayed(t, e)
	sign := func(tk app.Token) string { return e.svc.Signer.Sign(tk) }
	links := map[string]string{
		// What Links.PreferencesRequest puts in campaigns.
		"bulk": sign(app.Token{Purpose: app.TokenPreferences, SubscriberID: sub.ID, IssuedAt: e.now}),
		// A link mailed by an earlier version: 90 days, not bound.
		"old": sign(app.Token{Purpose: app.TokenPreferences, SubscriberID: sub.ID, IssuedAt: e.now.Add(-24 * time.Hour),
			ExpiresAt: e.now.Add(89 * 24 * time.Hour)}),
		// Bound, but without an expiry: never made, refused all the same.
		"bound forever": sign(app.Token{Purpose: app.TokenPreferences, SubscriberID: sub.ID, IssuedAt: e.now,
			AddressTag: e.svc.Signer.AddressTag(sub.Email)}),
	}
	for name, token := range links {
		t.Run(name, func(t *testing.T) {
			if _, err := e.svc.Preferences(ctx, token); !errors.Is(err, app.ErrPreferencesByMail) {
				t.Errorf("Preferences: %v, want ErrPreferencesByMail", err)
			}
			if _, err := e.svc.ExportForToken(ctx, token); !errors.Is(err, app.ErrPreferencesByMail) {
				t.Errorf("ExportForToken: %v", err)
			}
			if err := e.svc.UpdateProfile(ctx, token, app.ProfileInput{Name: "Someone Else", Marketing: false}, formEvidence); !errors.Is(err, app.ErrPreferencesByMail) {
				t.Errorf("UpdateProfile: %v", err)
			}
			if err := e.svc.ChangeEmail(ctx, token, "thief@example.net", formEvidence); !errors.Is(err, app.ErrPreferencesByMail) {
				t.Errorf("ChangeEmail: %v", err)
			}
			if err := e.svc.Revoke(ctx, token, formEvidence); !errors.Is(err, app.ErrPreferencesByMail) {
				t.Errorf("Revoke: %v", err)
			}
			if out := relayed(t, e); len(out) != 0 {
				t.Fatalf("a link that opens nothing queued %v", out)
			}
			got, err := e.store.Subscriber(ctx, sub.ID)
			must(t, err)
			if got.Status != app.StatusActive || got.Name != "Anna Petrova" || !marketingGranted(t, e, sub.ID) {
				t.Fatalf("a link that opens nothing changed the person: %+v", got)
			}
			// What it can do: mail a fresh link to the address on file.
			must(t, e.svc.MailPreferencesLink(ctx, token))
			if out := relayed(t, e); len(out[app.OutboxPreferences]) != 1 {
				t.Fatalf("MailPreferencesLink queued %v", out)
			}
		})
	}

	// The same answer, and no mail, for people who get none.
	pending := "pending@example.com"
	must(t, e.svc.Subscribe(ctx, input(pending), formEvidence, texts))
	p, err := e.store.SubscriberByEmail(ctx, pending)
	must(t, err)
	erased := e.activeSubscriber(t, "erased@example.com")
	_, err = e.svc.EraseByOperator(ctx, officer, app.ChannelAdmin, erased.ID, "asked")
	must(t, err)
	relayed(t, e)
	for name, id := range map[string]int64{"pending": p.ID, "erased": erased.ID, "unknown": 987654} {
		if err := e.svc.MailPreferencesLink(ctx, e.svc.Links.PreferencesRequestToken(id)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if out := relayed(t, e); len(out) != 0 {
		t.Fatalf("mail queued for people who get none: %v", out)
	}
	// A forged or expired link is refused.
	if err := e.svc.MailPreferencesLink(ctx, links["bulk"]+"x"); !errors.Is(err, app.ErrTokenInvalid) {
		t.Fatalf("altered link: %v", err)
	}
	expired := sign(app.Token{Purpose: app.TokenPreferences, SubscriberID: sub.ID, IssuedAt: e.now.Add(-2 * time.Hour),
		ExpiresAt: e.now.Add(-time.Hour)})
	if err := e.svc.MailPreferencesLink(ctx, expired); !errors.Is(err, app.ErrTokenExpired) {
		t.Fatalf("expired link: %v", err)
	}
}

// TestMailedPreferencesLinks: a mailed link opens the centre for
// PreferencesTTL only, and only while the address it was mailed to is on
// file.
func TestMailedPreferencesLinks(t *testing.T) {
	e := newEnv(t, store.SQLite)
	ctx := context.Background()
	e.svc.Links.PreferencesTTL = 3 * time.Hour
	sub := e.activeSubscriber(t, "mailed@example.com")
	token := e.svc.Links.PreferencesToken(sub)
	tk, err := e.svc.Signer.Verify(token, app.TokenPreferences, e.now)
	must(t, err)
	if want := e.now.Add(3 * time.Hour); !tk.ExpiresAt.Equal(want) || tk.AddressTag == "" {
		t.Fatalf("token %+v, want bound and expiring at %s", tk, want)
	}
	v, err := e.svc.Preferences(ctx, token)
	must(t, err)
	if v.Subscriber.ID != sub.ID {
		t.Fatalf("opened subscriber %d", v.Subscriber.ID)
	}

	// Past its time it is refused.
	e.now = e.now.Add(3*time.Hour + time.Second)
	if _, err := e.svc.Preferences(ctx, token); !errors.Is(err, app.ErrTokenExpired) {
		t.Fatalf("after its TTL: %v", err)
	}
	e.now = e.now.Add(-3*time.Hour - time.Second)

	// A change of address voids every link mailed to the old one.
	must(t, e.svc.ChangeEmail(ctx, token, "moved@example.com", formEvidence))
	if _, err := e.svc.Preferences(ctx, token); err != nil {
		t.Fatalf("before the new address is confirmed: %v", err)
	}
	_, err = e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
	must(t, err)
	moved, err := e.store.Subscriber(ctx, sub.ID)
	must(t, err)
	if moved.Email != "moved@example.com" {
		t.Fatalf("address %q", moved.Email)
	}
	for name, use := range map[string]func() error{
		"Preferences":    func() error { _, err := e.svc.Preferences(ctx, token); return err },
		"ExportForToken": func() error { _, err := e.svc.ExportForToken(ctx, token); return err },
		"Revoke":         func() error { return e.svc.Revoke(ctx, token, formEvidence) },
	} {
		if err := use(); !errors.Is(err, app.ErrTokenExpired) {
			t.Errorf("%s with a link to the old address: %v, want ErrTokenExpired", name, err)
		}
	}
	if _, err := e.svc.Preferences(ctx, e.svc.Links.PreferencesToken(moved)); err != nil {
		t.Fatalf("a link to the new address: %v", err)
	}
}
