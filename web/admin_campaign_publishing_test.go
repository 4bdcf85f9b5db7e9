package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"newsletter/app"
)

// TestAdminCampaignPublishing: the form's archive and click-count
// checkboxes save, and the campaign page shows the clicks per link.
func TestAdminCampaignPublishing(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleMarketer)
	_, page := c.get(t, s, "/admin/campaigns/new")
	for _, want := range []string{`name="archive"`, `name="track_clicks"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	form := editorForm("# Привет, {{.Name}}! [Магазин](https://shop.example.com/)")
	form.Set("archive", "1")
	form.Set("track_clicks", "1")
	resp, _ := c.post(t, s, "/admin/campaigns", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(resp.Header.Get("Location"), "?")[0], "/admin/campaigns/"), 10, 64)
	ctx := context.Background()
	camp, err := c.store.Campaign(ctx, id)
	if err != nil || !camp.Archive || !camp.TrackClicks {
		t.Fatalf("stored: %+v %v", camp.CampaignPublishing, err)
	}
	path := "/admin/campaigns/" + strconv.FormatInt(id, 10)
	for lang, want := range map[string]string{"en": "No link of the body has been counted yet.", "ru": "По ссылкам из письма пока не переходили."} {
		if _, body := c.get(t, s, path+"?lang="+lang); !strings.Contains(body, want) {
			t.Errorf("%s: the page lacks %q", lang, want)
		}
	}
	if err := c.store.RegisterCampaignLinks(ctx, id, []string{"https://shop.example.com/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.store.CountClick(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	_, body := c.get(t, s, path)
	if !strings.Contains(body, `<td class="url">https://shop.example.com/</td><td data-clicks="0">1</td>`) {
		t.Errorf("the page lacks the clicks per link")
	}
}

// TestAdminCampaignArchiveToggle: a marketer publishes a sent campaign in
// the archive from its page with a plain form (no script), sees a flash
// in the console's language, the archive shows it, the audit names the
// marketer, and withdrawing takes it off again. A draft is refused, a
// privacy officer is refused, and a post without the session's token too.
func TestAdminCampaignArchiveToggle(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	camp := publishCampaign(t, c.fixture, false, true)
	path := "/admin/campaigns/" + strconv.FormatInt(camp.ID, 10)
	m := c.login(t, app.RoleMarketer)
	for lang, want := range map[string]string{"en": "Publish in the archive", "ru": "Опубликовать в архиве"} {
		_, page := c.get(t, m, path+"?lang="+lang)
		if !strings.Contains(page, `action="`+path+`/archive"`) || !strings.Contains(page, `name="archive" value="1"`) ||
			!strings.Contains(page, want) {
			t.Fatalf("%s: the page of a sent campaign offers no publishing form with %q", lang, want)
		}
	}
	if resp, _ := get(t, c.fixture, "/archive/"+strconv.FormatInt(camp.ID, 10), ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unpublished campaign in the archive: %d", resp.StatusCode)
	}

	// Without the session's CSRF token: refused, nothing changes.
	resp, _ := c.send(t, m, formPost(path+"/archive", url.Values{"archive": {"1"}}))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("post without a CSRF token: %d", resp.StatusCode)
	}
	// A privacy officer may not publish campaigns.
	p := c.login(t, app.RolePrivacyOfficer)
	if resp, _ := c.post(t, p, path+"/archive", url.Values{"archive": {"1"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("privacy officer: %d", resp.StatusCode)
	}
	if got, _ := c.store.Campaign(ctx, camp.ID); got.Archive {
		t.Fatal("a refused post published the campaign")
	}

	resp, _ = c.post(t, m, path+"/archive?lang=ru", url.Values{"archive": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path+"?ok=admin.ok.archived" {
		t.Fatalf("publish: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got, _ := c.store.Campaign(ctx, camp.ID); !got.Archive {
		t.Fatal("not stored as published")
	}
	_, page := c.get(t, m, path+"?ok=admin.ok.archived&lang=ru")
	for _, want := range []string{"Рассылка опубликована в архиве.", `href="/archive/` + strconv.FormatInt(camp.ID, 10) + `"`,
		`name="archive" value="0"`, "Снять с публикации"} {
		if !strings.Contains(page, want) {
			t.Errorf("after publishing the page lacks %q", want)
		}
	}
	if resp, _ := get(t, c.fixture, "/archive/"+strconv.FormatInt(camp.ID, 10), ""); resp.StatusCode != http.StatusOK {
		t.Errorf("published campaign not in the archive: %d", resp.StatusCode)
	}
	entries, err := c.store.ListAudit(ctx, app.AuditQuery{Action: "campaign_archived", Limit: 10})
	must(t, err)
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Actor, "admin:") || entries[0].SubjectID != camp.ID {
		t.Errorf("audit of publishing: %+v", entries)
	}
	owner := c.login(t, app.RoleOwner)
	if _, body := c.get(t, owner, "/admin/audit?lang=ru"); !strings.Contains(body, "Рассылка опубликована в архиве") {
		t.Error("the audit page lacks the Russian label of publishing")
	}

	resp, _ = c.post(t, m, path+"/archive", url.Values{"archive": {"0"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path+"?ok=admin.ok.unarchived" {
		t.Fatalf("withdraw: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := c.get(t, m, path+"?ok=admin.ok.unarchived&lang=en"); !strings.Contains(page, "The campaign is withdrawn from the archive.") {
		t.Error("no flash after withdrawing")
	}
	if resp, _ := get(t, c.fixture, "/archive/"+strconv.FormatInt(camp.ID, 10), ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("withdrawn campaign still in the archive: %d", resp.StatusCode)
	}
	if entries, _ := c.store.ListAudit(ctx, app.AuditQuery{Action: "campaign_unarchived", Limit: 10}); len(entries) != 1 {
		t.Errorf("audit of withdrawing: %+v", entries)
	}

	// A draft publishes by its form's checkbox, not here.
	draft := "/admin/campaigns/" + strconv.FormatInt(c.campID, 10)
	if _, page := c.get(t, m, draft); strings.Contains(page, `id="archive-form"`) {
		t.Error("a draft's page offers the publishing form")
	}
	resp, body := c.post(t, m, draft+"/archive?lang=ru", url.Values{"archive": {"1"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Черновик публикуется флажком") {
		t.Errorf("draft: %d", resp.StatusCode)
	}
	if got, _ := c.store.Campaign(ctx, c.campID); got.Archive {
		t.Error("a draft was published")
	}
}
