package app_test

import (
	"context"
	"strings"
	"testing"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

func TestValidateMailLayout(t *testing.T) {
	tests := []struct {
		name   string
		in     app.MailLayout
		fields []string
		want   app.MailLayout
	}{
		{"Empty", app.MailLayout{Locale: "ru"}, nil, app.MailLayout{Locale: "ru"}},
		{"ShortColours", app.MailLayout{BrandColor: "#ABC", BackgroundColor: " #f3f4F6 "}, nil,
			app.MailLayout{Locale: "en", BrandColor: "#aabbcc", BackgroundColor: "#f3f4f6"}},
		{"Footer", app.MailLayout{FooterText: "  Example   Ltd\n1 Main St  "}, nil, app.MailLayout{Locale: "en", FooterText: "Example Ltd 1 Main St"}},
		{"Logo", app.MailLayout{LogoURL: "https://cdn.example.com/logo.png?v=2"}, nil, app.MailLayout{Locale: "en", LogoURL: "https://cdn.example.com/logo.png?v=2"}},
		{"NamedColour", app.MailLayout{BrandColor: "red"}, []string{"brand_color"}, app.MailLayout{}},
		{"CSSInjection", app.MailLayout{BackgroundColor: "#fff;background:url(https://x.example/t)"}, []string{"background_color"}, app.MailLayout{}},
		{"HTTPLogo", app.MailLayout{LogoURL: "http://example.com/logo.png"}, []string{"logo_url"}, app.MailLayout{}},
		{"ScriptLogo", app.MailLayout{LogoURL: "javascript:alert(1)"}, []string{"logo_url"}, app.MailLayout{}},
		{"QuotedLogo", app.MailLayout{LogoURL: `https://example.com/a"onerror="x`}, []string{"logo_url"}, app.MailLayout{}},
		{"CredentialsLogo", app.MailLayout{LogoURL: "https://user:pw@example.com/a.png"}, []string{"logo_url"}, app.MailLayout{}},
		{"LongFooter", app.MailLayout{FooterText: strings.Repeat("я", 501)}, []string{"footer_text"}, app.MailLayout{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app.ValidateMailLayout(tt.in)
			if len(tt.fields) > 0 {
				for _, f := range tt.fields {
					if app.ErrorCode(err) != app.EINVALID || app.ErrorFields(err)[f] == "" {
						t.Fatalf("want %s refused, got %v", f, err)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestSaveMailLayout: the owner saves the layout of each language; it is
// read back, replaced by a later save, and recorded in the audit log; a
// marketer may not change it, and a refused layout changes nothing.
func TestSaveMailLayout(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := &app.Layouts{Core: &app.Core{Store: st}}
		owner := &app.Admin{ID: 1, Email: "owner@example.com", Role: app.RoleOwner}
		if _, err := svc.SaveMailLayout(ctx, &app.Admin{ID: 2, Role: app.RoleMarketer}, app.MailLayout{Locale: "en"}); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Fatalf("a marketer saves the layout: %v", err)
		}
		if _, err := svc.SaveMailLayout(ctx, owner, app.MailLayout{Locale: "en", BrandColor: "blue"}); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("a bad colour: %v", err)
		}
		for _, l := range []app.MailLayout{
			{Locale: "en", BrandColor: "#123456", FooterText: "first"},
			{Locale: "ru", LogoURL: "https://example.com/logo.png", BackgroundColor: "#fff"},
			{Locale: "en", BrandColor: "#654321", FooterText: "second"},
		} {
			if _, err := svc.SaveMailLayout(ctx, owner, l); err != nil {
				t.Fatal(err)
			}
		}
		ls, err := svc.MailLayouts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		en, ru := ls.Of("en"), ls.Of("ru")
		if en.BrandColor != "#654321" || en.FooterText != "second" || en.BackgroundColor != app.DefaultBackgroundColor || en.UpdatedAt.IsZero() {
			t.Errorf("en: %+v", en)
		}
		if ru.LogoURL != "https://example.com/logo.png" || ru.BackgroundColor != "#ffffff" || ru.BrandColor != app.DefaultBrandColor {
			t.Errorf("ru: %+v", ru)
		}
		entries, err := st.ListAudit(ctx, app.AuditQuery{Action: app.AuditMailLayoutChanged})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 3 {
			t.Errorf("%d audit entries, want 3", len(entries))
		}
	})
}
