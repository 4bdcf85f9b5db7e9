package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

func TestCampaignValidate(t *testing.T) {
	valid := func() app.Campaign {
		return app.Campaign{Name: "Spring", Subject: "News", Purpose: app.CampaignMarketing, BodyHTML: "<p>Hi {{.Name}}</p>"}
	}
	tests := []struct {
		name   string
		change func(*app.Campaign)
		field  string // "" means valid
	}{
		{"Valid", func(*app.Campaign) {}, ""},
		{"ValidInformationalRussian", func(c *app.Campaign) { c.Purpose, c.Locale = app.CampaignInformational, "RU" }, ""},
		{"AllMergeFields", func(c *app.Campaign) {
			c.BodyHTML = `<a href="{{.UnsubscribeURL}}">x</a><a href="{{.PreferencesURL}}">{{.Name}}</a>`
			c.BodyText = "{{.Name}} {{.UnsubscribeURL}} {{.PreferencesURL}}"
			c.Subject = "Hi {{.Name}}"
		}, ""},
		{"NoName", func(c *app.Campaign) { c.Name = "  " }, "name"},
		{"LongName", func(c *app.Campaign) { c.Name = strings.Repeat("я", 201) }, "name"},
		{"NoSubject", func(c *app.Campaign) { c.Subject = "" }, "subject"},
		{"SubjectWithNewline", func(c *app.Campaign) { c.Subject = "a\r\nBcc: x@example.com" }, "subject"},
		{"SubjectBadTemplate", func(c *app.Campaign) { c.Subject = "Hi {{.Name" }, "subject"},
		{"SubjectUnknownField", func(c *app.Campaign) { c.Subject = "Hi {{.Email}}" }, "subject"},
		{"NoPurpose", func(c *app.Campaign) { c.Purpose = "" }, "purpose"},
		{"BadPurpose", func(c *app.Campaign) { c.Purpose = "transactional" }, "purpose"},
		{"BadLocale", func(c *app.Campaign) { c.Locale = "de" }, "locale"},
		{"NoBody", func(c *app.Campaign) { c.BodyHTML = " " }, "body_html"},
		{"HugeBody", func(c *app.Campaign) { c.BodyHTML = strings.Repeat("x", 600<<10) }, "body_html"},
		{"BodyUnclosedAction", func(c *app.Campaign) { c.BodyHTML = "<p>{{.Name</p>" }, "body_html"},
		{"BodyUnknownField", func(c *app.Campaign) { c.BodyHTML = "<p>{{.Phone}}</p>" }, "body_html"},
		{"TextUnknownField", func(c *app.Campaign) { c.BodyText = "{{.Address}}" }, "body_text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if app.ErrorCode(err) != app.EINVALID || app.ErrorFields(err)[tt.field] == "" {
				t.Fatalf("want a message for %s, got %v", tt.field, err)
			}
		})
	}
}

func TestAudienceJudge(t *testing.T) {
	active := &app.Subscriber{Status: app.StatusActive, Email: "a@example.com"}
	cons := func(ps ...app.Purpose) []app.Consent {
		var out []app.Consent
		for _, p := range ps {
			out = append(out, app.Consent{Purpose: p, Granted: true})
		}
		return out
	}
	p, m, x := app.PurposeProcessing, app.PurposeMarketing, app.PurposeCrossBorder
	mk := app.Audience{Purpose: app.CampaignMarketing}
	info := app.Audience{Purpose: app.CampaignInformational}
	mkX := app.Audience{Purpose: app.CampaignMarketing, CrossBorder: true}
	defM := app.Newsletter{ID: 1, Purpose: app.CampaignMarketing, Default: true}
	defI := app.Newsletter{ID: 2, Purpose: app.CampaignInformational, Default: true}
	offers := app.Newsletter{ID: 3, Purpose: app.CampaignMarketing}
	mkOffers := app.Audience{Purpose: app.CampaignMarketing, Newsletters: []int64{3}}
	both := []app.Newsletter{defM, defI}
	tests := []struct {
		name       string
		a          app.Audience
		s          *app.Subscriber
		consents   []app.Consent
		on         []app.Newsletter
		suppressed bool
		want       app.DeliveryStatus
	}{
		{"DefaultNewsletterLeft", mk, active, cons(p, m), []app.Newsletter{defI}, false, app.DeliveryOptedOut},
		{"OnOtherNewsletterOnly", mk, active, cons(p, m), []app.Newsletter{offers}, false, app.DeliveryOptedOut},
		{"NamedNewsletterMember", mkOffers, active, cons(p, m), []app.Newsletter{offers}, false, app.DeliverySending},
		{"NamedNewsletterNotMember", mkOffers, active, cons(p, m), both, false, app.DeliveryOptedOut},
		{"NamedNewsletterWithoutConsent", mkOffers, active, cons(p), []app.Newsletter{offers}, false, app.DeliveryOptedOut},
		{"InformationalOnMarketingDefaultOnly", info, active, cons(p, m), []app.Newsletter{defM}, false, app.DeliveryOptedOut},
		{"MarketingEligible", mk, active, cons(p, m), both, false, app.DeliverySending},
		{"MarketingWithoutMarketingConsent", mk, active, cons(p), both, false, app.DeliveryOptedOut},
		{"MarketingWithdrawn", mk, active, append(cons(p), app.Consent{Purpose: m, Granted: false}), both, false, app.DeliveryOptedOut},
		{"MarketingWithoutProcessing", mk, active, cons(m), both, false, app.DeliveryOptedOut},
		{"InformationalWithProcessing", info, active, cons(p), both, false, app.DeliverySending},
		{"InformationalWithoutProcessing", info, active, cons(m), both, false, app.DeliveryOptedOut},
		{"CrossBorderRequiredMissing", mkX, active, cons(p, m), both, false, app.DeliverySkipped},
		{"CrossBorderRequiredGiven", mkX, active, cons(p, m, x), both, false, app.DeliverySending},
		{"Suppressed", mk, active, cons(p, m), both, true, app.DeliverySkipped},
		{"Blocked", mk, &app.Subscriber{Status: app.StatusBlocked, Email: "a@example.com"}, cons(p, m), both, false, app.DeliverySkipped},
		{"Erased", info, &app.Subscriber{Status: app.StatusErased}, cons(p), both, false, app.DeliverySkipped},
		{"Pending", info, &app.Subscriber{Status: app.StatusPending, Email: "a@example.com"}, cons(p), both, false, app.DeliverySkipped},
		{"Missing", info, nil, nil, both, false, app.DeliverySkipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Judge(tt.s, tt.consents, tt.on, tt.suppressed); got != tt.want {
				t.Fatalf("Judge = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAudienceOf(t *testing.T) {
	c := &app.Campaign{Purpose: app.CampaignMarketing}
	if a := app.AudienceOf(c, app.Operator{Country: "RU", SMTPCountry: "RU"}); a.CrossBorder {
		t.Fatal("domestic mail requires cross-border consent")
	}
	if a := app.AudienceOf(c, app.Operator{Country: "RU", SMTPCountry: "US"}); !a.CrossBorder {
		t.Fatal("mail through the US does not require cross-border consent")
	}
	got := app.Audience{Purpose: app.CampaignMarketing, CrossBorder: true}.RequiredConsents()
	if len(got) != 3 {
		t.Fatalf("required %v", got)
	}
}

// TestCampaignDerivedTextFollowsName: the text part made from the HTML
// takes a template's {{if .Name}} branch as each recipient's HTML does.
func TestCampaignDerivedTextFollowsName(t *testing.T) {
	c := &app.Campaign{Subject: "S", Purpose: app.CampaignMarketing,
		BodyHTML: `<p>{{if .Name}}Dear {{.Name}}{{else}}Hello there{{end}}</p>`}
	tpl, err := app.CompileCampaign(c, app.Operator{Name: "Op"}, func(h string) string { return h }, testFrame(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, want string }{{"Ann", "Dear Ann"}, {"", "Hello there"}} {
		got, err := tpl.Render("en", app.MergeFields{Name: tt.name, UnsubscribeURL: "https://x/u/t", PreferencesURL: "https://x/p/t"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got.Text, tt.want) || !strings.Contains(got.HTML, tt.want) {
			t.Errorf("name %q: text %q, html %q; want %q", tt.name, got.Text, got.HTML, tt.want)
		}
	}
}

func TestCampaignRender(t *testing.T) {
	op := app.Operator{Name: "Example Ltd", Address: "1 Main Street"}
	upper := strings.ToUpper
	f := app.MergeFields{Name: `Ann <b>&</b>`, UnsubscribeURL: "https://x.example/u/TOK", PreferencesURL: "https://x.example/p/PREF"}
	tests := []struct {
		name      string
		c         app.Campaign
		locale    string
		html      []string // substrings of the HTML
		text      []string // substrings of the text
		subject   string
		footerEnd bool // footer right before </body>
	}{
		{
			name:      "DerivedTextEnglish",
			c:         app.Campaign{Subject: "Hi {{.Name}}", Purpose: app.CampaignMarketing, BodyHTML: `<html><BODY><p>Dear {{.Name}}</p><a href="{{.PreferencesURL}}">prefs</a></BODY></html>`},
			locale:    "en",
			html:      []string{"Dear Ann &lt;b&gt;&amp;&lt;/b&gt;", `href="https://x.example/p/PREF"`, ">Unsubscribe</a>", `href="https://x.example/u/TOK"`, "Example Ltd, 1 Main Street", "https://x.example/privacy"},
			text:      []string{"Dear Ann <b>&</b>", "https://x.example/p/PREF", "https://x.example/u/TOK", "Example Ltd, 1 Main Street"},
			subject:   "Hi Ann <b>&</b>",
			footerEnd: true,
		},
		{
			name:    "RussianFooterByRecipient",
			c:       app.Campaign{Subject: "Новости", Purpose: app.CampaignInformational, BodyHTML: `<p>Привет</p>`},
			locale:  "ru",
			html:    []string{">Отписаться</a>", "пользуетесь услугами Example Ltd"},
			text:    []string{"Привет", "https://x.example/u/TOK"},
			subject: "Новости",
		},
		{
			name:   "CampaignLocaleWins",
			c:      app.Campaign{Subject: "S", Purpose: app.CampaignMarketing, Locale: "ru", BodyHTML: `<p>x</p>`},
			locale: "en",
			html:   []string{">Отписаться</a>"},
		},
		{
			name:   "GivenText",
			c:      app.Campaign{Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: `<p>x</p>`, BodyText: "Plain {{.Name}}"},
			locale: "en",
			text:   []string{"Plain Ann <b>&</b>", "Unsubscribe: https://x.example/u/TOK", "Manage your preferences: https://x.example/p/PREF"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := app.CompileCampaign(&tt.c, op, func(h string) string {
				// A stand-in for mail.HTMLToText: drop the tags.
				var b strings.Builder
				in := false
				for _, r := range h {
					switch {
					case r == '<':
						in = true
					case r == '>':
						in = false
					case !in:
						b.WriteRune(r)
					}
					if r == '"' && in {
						b.WriteRune(' ')
					}
				}
				return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(b.String()) + " " + h
			}, testFrame(t))
			if err != nil {
				t.Fatal(err)
			}
			tpl.SetPrivacyURL("https://x.example/privacy")
			got, err := tpl.Render(tt.locale, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.html {
				if !strings.Contains(got.HTML, s) {
					t.Errorf("HTML lacks %q:\n%s", s, got.HTML)
				}
			}
			for _, s := range tt.text {
				if !strings.Contains(got.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, got.Text)
				}
			}
			if strings.Contains(got.Text, "merge.invalid") || strings.Contains(got.Text, "NLmerge") {
				t.Errorf("a sentinel is left in the text:\n%s", got.Text)
			}
			if tt.subject != "" && got.Subject != tt.subject {
				t.Errorf("subject %q, want %q", got.Subject, tt.subject)
			}
			if tt.footerEnd && !strings.HasSuffix(upper(got.HTML), "</TABLE></BODY></HTML>") {
				t.Errorf("footer not before </body>:\n%s", got.HTML)
			}
		})
	}
}

// fakeQueue records dispatch rounds and test sends.
type fakeQueue struct {
	rounds []int64
	at     []time.Time
	tests  int
}

func (f *fakeQueue) EnqueueDispatch(_ context.Context, _, version int64, at time.Time) error {
	f.rounds = append(f.rounds, version)
	f.at = append(f.at, at)
	return nil
}

func (f *fakeQueue) SendTest(context.Context, *app.Campaign, []string) error { f.tests++; return nil }

func TestCampaignUseCases(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t, store.SQLite)
	q := &fakeQueue{}
	now := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	signer, _ := app.NewSigner([]byte("campaign-use-case-secret-0123456789"))
	uc := &app.Campaigns{Store: st, Queue: q, Tester: q, Signer: signer, Now: func() time.Time { return now }}
	me := &app.Admin{ID: 7, Role: app.RoleMarketer}
	c, err := uc.Create(ctx, me, app.CampaignInput{Name: "N", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: "<p>x</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != app.CampaignDraft || c.CreatedBy != 7 {
		t.Fatalf("created %+v", c)
	}
	name := "Renamed"
	if c, err = uc.Update(ctx, me, c.ID, app.CampaignPatch{Name: &name}); err != nil || c.Name != "Renamed" || c.Subject != "S" {
		t.Fatalf("update: %+v %v", c, err)
	}
	t.Run("PauseDraftRefused", func(t *testing.T) {
		if _, err := uc.Pause(ctx, me, c.ID); app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(app.ErrorMessage(err), "draft") {
			t.Fatalf("pause a draft: %v", err)
		}
	})
	later := now.Add(48 * time.Hour)
	sc, err := uc.Schedule(ctx, me, c.ID, &later)
	if err != nil || sc.Status != app.CampaignScheduled || !sc.SendAt.Equal(later) {
		t.Fatalf("schedule: %+v %v", sc, err)
	}
	if len(q.at) != 1 || !q.at[0].Equal(later) || q.rounds[0] != sc.Version {
		t.Fatalf("enqueued %v at %v", q.rounds, q.at)
	}
	past := now.Add(-time.Hour)
	if sc, err = uc.Schedule(ctx, me, c.ID, &past); err != nil || !sc.SendAt.Equal(now) {
		t.Fatalf("a past time means now: %+v %v", sc, err)
	}
	if _, err := uc.Pause(ctx, me, c.ID); err != nil {
		t.Fatal(err)
	}
	if rc, err := uc.Resume(ctx, me, c.ID); err != nil || rc.Status != app.CampaignRunning {
		t.Fatalf("resume after the send time: %+v %v", rc, err)
	}
	if err := uc.SendTest(ctx, me, c.ID, []string{"a@example.org"}); err != nil || q.tests != 1 {
		t.Fatalf("test: %v", err)
	}
	tooMany := make([]string, app.CampaignTestMax+1)
	for i := range tooMany {
		tooMany[i] = strings.Repeat("a", i+1) + "@example.org"
	}
	if err := uc.SendTest(ctx, me, c.ID, tooMany); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("too many test addresses: %v", err)
	}
	if _, err := uc.Cancel(ctx, me, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := uc.RetryFailed(ctx, me, c.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("retry a cancelled campaign: %v", err)
	}
	list, err := uc.List(ctx, app.CampaignFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
}
