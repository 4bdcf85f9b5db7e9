package app_test

import (
	"context"
	"testing"

	"newsletter/app"
)

// TestDeliveriesShowTheSubjectAsSent: a person's campaign mail, on their
// page and in their export, shows the subject they received (their
// language's, their name merged), not the template.
func TestDeliveriesShowTheSubjectAsSent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		anna := e.activeSubscriber(t, "anna@example.com") // Anna Petrova, in Russian
		in := input("jane@example.com")
		in.Name, in.Locale = "Jane Reader", "en"
		must(t, e.svc.Subscribe(ctx, in, formEvidence, texts))
		jane, err := e.store.SubscriberByEmail(ctx, "jane@example.com")
		must(t, err)
		_, err = e.svc.Confirm(ctx, e.lastConfirmationToken(t, jane.ID), formEvidence)
		must(t, err)

		c := &app.Campaign{Name: "Spring", Subject: "Offers for {{.Name}}", Purpose: app.CampaignMarketing, BodyHTML: "<p>Hello</p>",
			Translations: map[string]app.CampaignTranslation{app.LocaleRU: {Subject: "Предложения для {{.Name}}", Body: "<p>Здравствуйте</p>"}}}
		must(t, e.store.CreateCampaign(ctx, c))
		if n := e.startMaterialized(t, c, app.AudienceOf(c, e.svc.Operator)); n != 2 {
			t.Fatalf("%d deliveries, want 2", n)
		}

		for _, tt := range []struct {
			id   int64
			want string
		}{{anna.ID, "Предложения для Anna Petrova"}, {jane.ID, "Offers for Jane Reader"}} {
			ds, err := e.store.SubscriberDeliveries(ctx, tt.id)
			must(t, err)
			if len(ds) != 1 || ds[0].Subject != tt.want || ds[0].Campaign != "Spring" {
				t.Errorf("deliveries of %d: %+v, want subject %q", tt.id, ds, tt.want)
			}
		}
		x, err := e.svc.ExportSubscriber(ctx, anna.ID)
		must(t, err)
		if len(x.Deliveries) != 1 || x.Deliveries[0].Subject != "Предложения для Anna Petrova" {
			t.Errorf("export deliveries %+v", x.Deliveries)
		}
	})
}

func TestSubjectAsSent(t *testing.T) {
	c := &app.Campaign{Subject: "Hi {{.Name}}", Translations: map[string]app.CampaignTranslation{app.LocaleRU: {Subject: "Привет, {{.Name}}"}}}
	tests := []struct {
		name           string
		c              *app.Campaign
		locale, person string
		want           string
	}{
		{"Default", c, "en", "Ann", "Hi Ann"},
		{"Translated", c, "ru", "Анна", "Привет, Анна"},
		{"UnknownLanguage", c, "de", "Ann", "Hi Ann"},
		{"NoName", c, "en", "", "Hi"}, // as the header carried it
		{"Plain", &app.Campaign{Subject: "News"}, "ru", "Анна", "News"},
		{"Broken", &app.Campaign{Subject: "Hi {{.Name"}, "en", "Ann", "Hi {{.Name"},
		{"UnknownField", &app.Campaign{Subject: "Hi {{.Nope}}"}, "en", "Ann", "Hi {{.Nope}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.SubjectAsSent(tt.locale, tt.person); got != tt.want {
				t.Errorf("SubjectAsSent(%q, %q) = %q, want %q", tt.locale, tt.person, got, tt.want)
			}
		})
	}
}
