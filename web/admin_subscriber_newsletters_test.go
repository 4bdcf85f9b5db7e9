package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

// TestAdminSubscriberNewsletters: the subscriber page lists the person's
// newsletters, current and left, with the dates and channels of joining
// and leaving and each join and leave as recorded, in the console's
// language, to owners and privacy officers; a marketer never opens it.
func TestAdminSubscriberNewsletters(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	news, err := c.store.DefaultNewsletter(ctx, app.CampaignMarketing)
	must(t, err)
	name := "Weekly digest"
	purpose := app.CampaignInformational
	desc := app.NewsletterDescription{EN: "The week in brief.", RU: "Неделя вкратце."}
	digest, err := (&app.Newsletters{Store: c.store}).Create(ctx, &app.Admin{Role: app.RoleOwner},
		app.NewsletterInput{Name: &name, Purpose: &purpose, Description: &desc})
	must(t, err)
	joined := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	_, err = c.store.JoinNewsletters(ctx, app.NewsletterChange{SubscriberID: c.subID, NewsletterIDs: []int64{news.ID, digest.ID},
		Evidence: app.Evidence{At: joined, Channel: app.ChannelWeb, FormID: "blog"}})
	must(t, err)
	_, err = c.store.LeaveNewsletters(ctx, app.NewsletterChange{SubscriberID: c.subID, NewsletterIDs: []int64{digest.ID},
		Evidence: app.Evidence{At: joined.Add(48 * time.Hour), Channel: app.ChannelOneClick}, CampaignID: c.campID})
	must(t, err)

	path := "/admin/subscribers/" + strconv.FormatInt(c.subID, 10)
	for _, role := range []app.Role{app.RoleOwner, app.RolePrivacyOfficer} {
		s := c.login(t, role)
		for lang, want := range map[string][]string{
			"en": {"Newsletters", "News and offers", "Our news, offers and promotions.", "Weekly digest", "The week in brief.",
				"member", ">left<", "Marketing", "Informational", "web", "one-click", "Joins and leaves",
				"from campaign #" + strconv.FormatInt(c.campID, 10), "2026-03-02", "2026-03-04"},
			"ru": {"Списки рассылки", "News and offers", "Наши новости, предложения и акции.", "Неделя вкратце.",
				"подписан", "отписан", "Реклама", "Информационная", "сайт", "в один клик", "Подписки и отписки",
				"из рассылки № " + strconv.FormatInt(c.campID, 10), "2026-03-02", "2026-03-04"},
		} {
			resp, body := c.get(t, s, path+"?lang="+lang)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: %d", role, lang, resp.StatusCode)
			}
			section := body[strings.Index(body, `id="subscriber-newsletters"`):]
			section = section[:strings.Index(section, "</section>")]
			for _, w := range want {
				if !strings.Contains(section, w) {
					t.Errorf("%s %s: the newsletters lack %q", role, lang, w)
				}
			}
			if got := strings.Count(section, "<tr data-newsletter="); got != 2 {
				t.Errorf("%s %s: %d newsletters listed, want 2", role, lang, got)
			}
			if lang == "ru" && strings.Contains(section, "The week in brief.") {
				t.Errorf("the Russian page shows the English description")
			}
		}
	}
	m := c.login(t, app.RoleMarketer)
	resp, body := c.get(t, m, path)
	if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "anna.petrova@example.com") || strings.Contains(body, "Weekly digest") {
		t.Errorf("marketer: %d", resp.StatusCode)
	}
}
