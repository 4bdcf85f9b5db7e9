package web_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"newsletter/app"
	"newsletter/templates"
)

var (
	menuNav  = regexp.MustCompile(`(?s)<nav aria-label="[^"]*" class="admin-nav">(.*?)</nav>`)
	menuLink = regexp.MustCompile(`<a href="([^"]+)"[^>]*>([^<]+)</a>`)
	pageName = regexp.MustCompile(`<title>([^<]*) · `)
)

// TestAdminMenuByRole: the console's menu offers each role exactly the
// sections it may open in this process, in the page's language, and each
// of them opens with the menu's name as its title. A part the process
// runs without leaves the menu, and its pages are gone.
func TestAdminMenuByRole(t *testing.T) {
	all := []string{"/admin", "/admin/campaigns", "/admin/newsletters", "/admin/segments", "/admin/subscribers", "/admin/requests", "/admin/review", "/admin/destructions",
		"/admin/suppressions", "/admin/import", "/admin/inbound", "/admin/policies", "/admin/audit", "/admin/outbox", "/admin/users", "/admin/tokens", "/admin/webhooks", "/admin/layout"}
	officer := []string{"/admin", "/admin/subscribers", "/admin/requests", "/admin/review", "/admin/destructions",
		"/admin/suppressions", "/admin/import", "/admin/inbound", "/admin/policies", "/admin/audit"}
	tests := []struct {
		name string
		plug func(*setup)
		want map[app.Role][]string
	}{
		{"Everything", nil, map[app.Role][]string{
			app.RoleOwner: all, app.RoleMarketer: {"/admin", "/admin/campaigns", "/admin/segments"}, app.RolePrivacyOfficer: officer}},
		{"NoPrivacyOperations", func(s *setup) { s.Privacy = nil }, map[app.Role][]string{
			app.RoleOwner:          {"/admin", "/admin/campaigns", "/admin/newsletters", "/admin/segments", "/admin/subscribers", "/admin/import", "/admin/policies", "/admin/outbox", "/admin/users", "/admin/tokens", "/admin/webhooks", "/admin/layout"},
			app.RolePrivacyOfficer: {"/admin", "/admin/subscribers", "/admin/import", "/admin/policies"}}},
		{"NoCampaignsNoOutbox", func(s *setup) { s.Campaigns, s.OutboxDir = nil, "" }, map[app.Role][]string{
			app.RoleOwner: {"/admin", "/admin/newsletters", "/admin/subscribers", "/admin/requests", "/admin/review", "/admin/destructions",
				"/admin/suppressions", "/admin/import", "/admin/inbound", "/admin/policies", "/admin/audit", "/admin/users", "/admin/tokens", "/admin/webhooks", "/admin/layout"},
			app.RoleMarketer: {"/admin"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plug []func(*setup)
			if tt.plug != nil {
				plug = append(plug, tt.plug)
			}
			c := newConsole(t, plug...)
			for role, want := range tt.want {
				s := c.login(t, role)
				for _, loc := range []string{"en", "ru"} {
					resp, body := c.get(t, s, "/admin?lang="+loc)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("%s %s: /admin %d", role, loc, resp.StatusCode)
					}
					nav := menuNav.FindStringSubmatch(body)
					if nav == nil {
						t.Fatalf("%s %s: no menu", role, loc)
					}
					var got []string
					labels := map[string]string{}
					for _, m := range menuLink.FindAllStringSubmatch(nav[1], -1) {
						got = append(got, m[1])
						labels[m[1]] = html.UnescapeString(m[2])
					}
					if !slices.Equal(got, want) {
						t.Errorf("%s %s: menu %v, want %v", role, loc, got, want)
					}
					for _, href := range want {
						key := "admin.nav." + strings.TrimPrefix(strings.TrimPrefix(href, "/admin"), "/")
						if href == "/admin" {
							key = "admin.nav.dashboard"
						}
						if labels[href] != templates.T(loc, key) {
							t.Errorf("%s %s: %s is named %q, want %q", role, loc, href, labels[href], templates.T(loc, key))
						}
						resp, page := c.get(t, s, href)
						title := pageName.FindStringSubmatch(page)
						if resp.StatusCode != http.StatusOK || title == nil || html.UnescapeString(title[1]) != labels[href] {
							t.Errorf("%s %s: %s answers %d titled %v, want %q", role, loc, href, resp.StatusCode, title, labels[href])
						}
					}
				}
			}
			// The pages of a part that is off are not there for anyone.
			owner := c.login(t, app.RoleOwner)
			for _, href := range all {
				if !slices.Contains(tt.want[app.RoleOwner], href) && tt.want[app.RoleOwner] != nil {
					if resp, _ := c.get(t, owner, href); resp.StatusCode != http.StatusNotFound {
						t.Errorf("%s is off but answers %d", href, resp.StatusCode)
					}
				}
			}
		})
	}
}

// TestAdminNotFound: a mistyped console address answers the console's own
// "not found" page, in its frame (the menu) and in the admin's language,
// never the router's "Cannot GET ..."; the menu comes in titled groups.
func TestAdminNotFound(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RolePrivacyOfficer)
	for _, tc := range []struct{ loc, heading, text, group string }{
		{"en", "Page not found", "The console has no such page.", "Personal data"},
		{"ru", "Страница не найдена", "В консоли нет такой страницы.", "Персональные данные"},
	} {
		resp, body := c.get(t, s, "/admin/policy?lang="+tc.loc)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: /admin/policy answers %d", tc.loc, resp.StatusCode)
		}
		if strings.Contains(body, "Cannot GET") || !strings.Contains(body, tc.heading) || !strings.Contains(body, tc.text) {
			t.Errorf("%s: not the console's 404 page:\n%s", tc.loc, body)
		}
		if nav := menuNav.FindStringSubmatch(body); nav == nil || !strings.Contains(nav[1], tc.group) {
			t.Errorf("%s: the 404 page has no grouped menu", tc.loc)
		}
	}
	// Someone not signed in is sent to the sign-in page, learning nothing.
	resp, err := c.srv.App().Test(httptest.NewRequest("GET", "/admin/policy", nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
		t.Errorf("signed out: /admin/policy answers %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
