package app_test

import (
	"context"
	"slices"
	"testing"

	"newsletter/app"
)

func TestNewsletterValidate(t *testing.T) {
	long := make([]byte, 600)
	for i := range long {
		long[i] = 'a'
	}
	mk := app.CampaignMarketing
	cases := []struct {
		name  string
		n     app.Newsletter
		field string
	}{
		{"NoName", app.Newsletter{Purpose: mk}, "name"},
		{"TwoLines", app.Newsletter{Name: "a\nb", Purpose: mk}, "name"},
		{"NoPurpose", app.Newsletter{Name: "Offers"}, "purpose"},
		{"BadPurpose", app.Newsletter{Name: "Offers", Purpose: "spam"}, "purpose"},
		{"LongDescription", app.Newsletter{Name: "Offers", Purpose: mk, Description: app.NewsletterDescription{RU: string(long)}}, "description.ru"},
		{"Valid", app.Newsletter{Name: " Offers ", Purpose: mk}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.n.Validate()
			if c.field == "" {
				if err != nil || c.n.Name != "Offers" {
					t.Fatalf("valid newsletter: %v, name %q", err, c.n.Name)
				}
				return
			}
			if app.ErrorFields(err)[c.field] == "" {
				t.Fatalf("want a message for %s, got %v", c.field, err)
			}
		})
	}
}

// TestNewsletterChoiceAndLeaving: an owner makes a newsletter, a person
// chooses it on the form, a campaign to it reaches only its members, and
// the one-click of its message leaves that newsletter alone.
func TestNewsletterChoiceAndLeaving(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		nl := &app.Newsletters{Store: e.store}
		owner := &app.Admin{ID: 1, Role: app.RoleOwner}
		name, purpose, public := "Offers", app.CampaignMarketing, true
		in := app.NewsletterInput{Name: &name, Purpose: &purpose, Public: &public}
		if _, err := nl.Create(ctx, &app.Admin{ID: 2, Role: app.RoleMarketer}, in); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Fatalf("a marketer made a newsletter: %v", err)
		}
		offers, err := nl.Create(ctx, owner, in)
		must(t, err)
		defM, err := e.store.DefaultNewsletter(ctx, app.CampaignMarketing)
		must(t, err)
		defI, err := e.store.DefaultNewsletter(ctx, app.CampaignInformational)
		must(t, err)
		if _, err := nl.Update(ctx, owner, defM.ID, app.NewsletterInput{Purpose: ptr(app.CampaignInformational)}); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("a default newsletter changed purpose: %v", err)
		}

		// A marketing newsletter needs the consent to advertising.
		noAds := input("noads@example.com")
		noAds.ConsentMarketing, noAds.Newsletters = false, []int64{offers.ID}
		if err := e.svc.Subscribe(ctx, noAds, formEvidence, texts); app.ErrorFields(err)[app.FieldNewsletters] == "" {
			t.Fatalf("marketing newsletter without consent: %v", err)
		}
		unknown := input("unknown@example.com")
		unknown.Newsletters = []int64{defI.ID} // not public
		if err := e.svc.Subscribe(ctx, unknown, formEvidence, texts); app.ErrorFields(err)[app.FieldNewsletters] == "" {
			t.Fatalf("a newsletter not offered was accepted: %v", err)
		}

		chose := input("chose@example.com")
		chose.Newsletters = []int64{offers.ID}
		must(t, e.svc.Subscribe(ctx, chose, formEvidence, texts))
		sub, err := e.store.SubscriberByEmail(ctx, "chose@example.com")
		must(t, err)
		_, err = e.svc.Confirm(ctx, e.lastConfirmationToken(t, sub.ID), formEvidence)
		must(t, err)
		plain := e.activeSubscriber(t, "plain@example.com")
		on := func(id int64) []int64 {
			m, err := e.store.CurrentNewsletters(ctx, []int64{id})
			must(t, err)
			return m[id]
		}
		if got, want := on(sub.ID), []int64{defI.ID, offers.ID}; !slices.Equal(got, want) {
			t.Fatalf("chose Offers: on %v, want %v", got, want)
		}
		if got, want := on(plain.ID), []int64{defM.ID, defI.ID}; !slices.Equal(got, want) {
			t.Fatalf("chose nothing: on %v, want the defaults %v", got, want)
		}
		evs, err := e.store.NewsletterEvents(ctx, sub.ID)
		must(t, err)
		if len(evs) == 0 || evs[0].NewsletterID != offers.ID || evs[0].FormID != "footer" || evs[0].IP != formEvidence.IP {
			t.Fatalf("join evidence %+v", evs)
		}

		// A campaign to Offers; its one-click leaves Offers only.
		c := &app.Campaign{Name: "Sale", Subject: "Sale", Purpose: app.CampaignMarketing, BodyHTML: "<p>Hi</p>",
			Status: app.CampaignDraft, NewsletterIDs: []int64{offers.ID}}
		must(t, e.store.CreateCampaign(ctx, c))
		token := e.svc.Links.UnsubscribeToken(sub.ID, c.ID)
		st, err := e.svc.UnsubscribeState(ctx, token)
		must(t, err)
		if len(st.Newsletters) != 1 || st.Newsletters[0].ID != offers.ID {
			t.Fatalf("page offers to leave %+v", st.Newsletters)
		}
		for range 2 {
			must(t, e.svc.OneClickUnsubscribe(ctx, token, app.Evidence{IP: "192.0.2.9"}))
		}
		if got, want := on(sub.ID), []int64{defI.ID}; !slices.Equal(got, want) {
			t.Fatalf("after one-click: on %v, want %v", got, want)
		}
		if !marketingGranted(t, e, sub.ID) {
			t.Fatal("leaving one newsletter withdrew the consent to advertising")
		}
		evs, err = e.store.NewsletterEvents(ctx, sub.ID)
		must(t, err)
		last := evs[len(evs)-1]
		if last.Action != app.NewsletterLeft || last.Channel != app.ChannelOneClick || last.CampaignID == nil || *last.CampaignID != c.ID {
			t.Fatalf("leave event %+v", last)
		}
		fb, err := e.store.CampaignFeedback(ctx, []int64{c.ID})
		must(t, err)
		if fb[c.ID].Unsubscribed != 1 {
			t.Fatalf("unsubscribed = %d, want 1", fb[c.ID].Unsubscribed)
		}
	})
}

func ptr[T any](v T) *T { return &v }
