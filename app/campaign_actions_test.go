package app_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

// TestSegmentValidate: the filter is checked and put in canonical form.
func TestSegmentValidate(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("MSK", 3*3600))
	tests := []struct {
		name  string
		g     app.Segment
		field string
	}{
		{"Everyone", app.Segment{Name: "All"}, ""},
		{"Full", app.Segment{Name: "Russian", Filter: app.SegmentFilter{Locales: []string{"RU", "ru", "en"}, SubscribedFrom: &from,
			SubscribedUntil: ptr(from.AddDate(0, 1, 0)), Sources: []app.SegmentSource{{Kind: app.SourceImport, ID: " fair "}},
			CrossBorder: ptr(true)}}, ""},
		{"NoName", app.Segment{Name: " "}, "name"},
		{"BadLocale", app.Segment{Name: "x", Filter: app.SegmentFilter{Locales: []string{"de"}}}, "filter.locales"},
		{"EmptyPeriod", app.Segment{Name: "x", Filter: app.SegmentFilter{SubscribedFrom: &from, SubscribedUntil: &from}}, "filter.subscribed_until"},
		{"BadSourceKind", app.Segment{Name: "x", Filter: app.SegmentFilter{Sources: []app.SegmentSource{{Kind: "sql", ID: "1=1"}}}}, "filter.sources"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if app.ErrorCode(err) != app.EINVALID || app.ErrorFields(err)[tt.field] == "" {
				t.Fatalf("want a message for %s, got %v", tt.field, err)
			}
		})
	}
	g := tests[1].g
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(g.Filter.Locales) != 2 || g.Filter.Locales[0] != "en" || g.Filter.SubscribedFrom.Location() != time.UTC ||
		g.Filter.Sources[0].ID != "fair" {
		t.Fatalf("not canonical: %+v", g.Filter)
	}
}

// TestSegmentMatch is the reference rule on its own.
func TestSegmentMatch(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ru := &app.Subscriber{Locale: "ru", ConfirmedAt: &t0}
	fair := []app.SubscriptionSource{{Channel: app.ChannelImport, FormID: "fair"}}
	cross := []app.Consent{{Purpose: app.PurposeCrossBorder, Granted: true}}
	tests := []struct {
		name string
		f    app.SegmentFilter
		want bool
	}{
		{"Everyone", app.SegmentFilter{}, true},
		{"Locale", app.SegmentFilter{Locales: []string{"ru"}}, true},
		{"OtherLocale", app.SegmentFilter{Locales: []string{"en"}}, false},
		{"FromIncluded", app.SegmentFilter{SubscribedFrom: &t0}, true},
		{"UntilExcluded", app.SegmentFilter{SubscribedUntil: &t0}, false},
		{"Import", app.SegmentFilter{Sources: []app.SegmentSource{{Kind: app.SourceImport, ID: "fair"}}}, true},
		{"FormOfTheSameName", app.SegmentFilter{Sources: []app.SegmentSource{{Kind: app.SourceForm, ID: "fair"}}}, false},
		{"CrossBorder", app.SegmentFilter{CrossBorder: ptr(true)}, true},
		{"WithoutCrossBorder", app.SegmentFilter{CrossBorder: ptr(false)}, false},
	}
	for _, tt := range tests {
		if got := tt.f.Match(ru, cross, fair); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCampaignBackToDraftDuplicateTemplate: a scheduled campaign goes back
// to draft with a new version (the old schedule's dispatch finds its round
// outdated), is edited and scheduled again; duplicates and templates carry
// the content and segment; a template is never scheduled.
func TestCampaignBackToDraftDuplicateTemplate(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t, store.SQLite)
	q := &fakeQueue{}
	now := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	uc := &app.Campaigns{Store: st, Queue: q, Tester: q, Now: func() time.Time { return now }}
	segs := &app.Segments{Store: st}
	me := &app.Admin{ID: 7, Role: app.RoleMarketer}
	g, err := segs.Create(ctx, me, app.SegmentInput{Name: ptr("Russian"), Filter: &app.SegmentFilter{Locales: []string{"ru"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Create(ctx, me, app.CampaignInput{Name: "N", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: "<p>x</p>",
		SegmentID: ptr(int64(4242))}); app.ErrorFields(err)["segment_id"] == "" {
		t.Fatalf("unknown segment: %v", err)
	}
	c, err := uc.Create(ctx, me, app.CampaignInput{Name: "N", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: "<p>x</p>",
		SegmentID: &g.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Unschedule(ctx, me, c.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a draft back to draft: %v", err)
	}
	later := now.Add(time.Hour)
	sc, err := uc.Schedule(ctx, me, c.ID, &later)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := segs.Update(ctx, me, g.ID, app.SegmentInput{Filter: &app.SegmentFilter{}}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a segment in use changed: %v", err)
	}
	back, err := uc.Unschedule(ctx, me, c.ID)
	if err != nil || back.Status != app.CampaignDraft || back.SendAt != nil || back.Version <= sc.Version {
		t.Fatalf("back to draft: %+v %v", back, err)
	}
	if ok, err := st.StartCampaign(ctx, c.ID, sc.Version, later); err != nil || ok {
		t.Fatalf("the old schedule's round started the campaign: %v %v", ok, err)
	}
	subject := "Edited"
	if _, err := uc.Update(ctx, me, c.ID, app.CampaignPatch{Subject: &subject}); err != nil {
		t.Fatal(err)
	}
	if again, err := uc.Schedule(ctx, me, c.ID, &later); err != nil || again.Version <= back.Version || q.rounds[len(q.rounds)-1] != again.Version {
		t.Fatalf("rescheduled: %+v %v (rounds %v)", again, err, q.rounds)
	}

	tpl, err := uc.Duplicate(ctx, me, c.ID, true)
	if err != nil || !tpl.Template || tpl.Status != app.CampaignDraft || tpl.Subject != "Edited" || tpl.SegmentID == nil ||
		*tpl.SegmentID != g.ID || tpl.SendAt != nil || tpl.ID == c.ID {
		t.Fatalf("template: %+v %v", tpl, err)
	}
	if _, err := uc.Schedule(ctx, me, tpl.ID, nil); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a template scheduled: %v", err)
	}
	fresh, err := uc.Duplicate(ctx, me, tpl.ID, false)
	if err != nil || fresh.Template || fresh.Subject != "Edited" || fresh.CreatedBy != 7 {
		t.Fatalf("from the template: %+v %v", fresh, err)
	}
	templates, err := uc.List(ctx, app.CampaignFilter{Templates: true})
	if err != nil || len(templates) != 1 || templates[0].ID != tpl.ID {
		t.Fatalf("templates %v %v", templates, err)
	}
	campaigns, err := uc.List(ctx, app.CampaignFilter{})
	if err != nil || len(campaigns) != 2 {
		t.Fatalf("campaigns %v %v", campaigns, err)
	}
	if err := segs.Delete(ctx, me, g.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a used segment deleted: %v", err)
	}
	n, err := uc.Audience(ctx, c.ID)
	if err != nil || n.Total != 0 || len(n.ByNewsletter) != 1 {
		t.Fatalf("audience %+v %v", n, err)
	}
}
