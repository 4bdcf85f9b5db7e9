package web_test

import (
	"context"
	"net/http"
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
