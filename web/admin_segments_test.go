package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

// TestAdminSegmentsAndSendNow walks a marketer through the console: save
// a segment (and get the form back with its input on a mistake), choose it
// in a campaign, see the count on the campaign page and on the
// confirmation of "send now", which alone sends; take the scheduled
// campaign back to draft, duplicate it and save it as a template. No page
// shows a person's name or address.
func TestAdminSegmentsAndSendNow(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	sub, err := c.store.Subscriber(ctx, c.subID)
	if err != nil {
		t.Fatal(err)
	}
	sub.Locale = "ru"
	if err := c.store.UpdateSubscriber(ctx, sub); err != nil {
		t.Fatal(err)
	}
	for _, p := range []app.Purpose{app.PurposeProcessing, app.PurposeMarketing} {
		if err := c.store.SetConsent(ctx, sub.ID, p, true, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	m := c.login(t, app.RoleMarketer)
	personal := func(t *testing.T, page, body string) {
		t.Helper()
		if strings.Contains(body, "anna.petrova") || strings.Contains(body, "Anna Petrova") {
			t.Errorf("%s shows personal data", page)
		}
	}

	resp, body := c.post(t, m, "/admin/segments", url.Values{"name": {"Bad"}, "locale_ru": {"1"}, "from": {"01.02.2026"}})
	if resp.StatusCode != 422 || !strings.Contains(body, `value="Bad"`) || !strings.Contains(body, "YYYY-MM-DD") {
		t.Fatalf("a bad date: %d", resp.StatusCode)
	}
	resp, _ = c.post(t, m, "/admin/segments", url.Values{"name": {"Russian readers"}, "locale_ru": {"1"}, "until": {"2099-12-31"}})
	if resp.StatusCode != 303 {
		t.Fatalf("save segment: %d", resp.StatusCode)
	}
	_, body = c.get(t, m, "/admin/segments?lang=ru")
	personal(t, "segments", body)
	if !strings.Contains(body, "Russian readers") || !strings.Contains(body, "Сегменты") {
		t.Fatalf("segments page lacks the segment or its Russian title")
	}

	segs, err := (&app.Segments{Store: c.store}).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var segID int64
	for _, g := range segs {
		if g.Name == "Russian readers" {
			segID = g.ID
		}
	}
	resp, _ = c.post(t, m, "/admin/campaigns", url.Values{"name": {"Zima"}, "subject": {"News"}, "purpose": {"marketing"},
		"body_html": {"<p>Hi</p>"}, "segment_id": {strconv.FormatInt(segID, 10)}})
	if resp.StatusCode != 303 {
		t.Fatalf("create campaign: %d", resp.StatusCode)
	}
	camp := strings.Split(strings.TrimPrefix(resp.Header.Get("Location"), "/admin/campaigns/"), "?")[0]
	id, _ := strconv.ParseInt(camp, 10, 64)
	want, err := (&app.Campaigns{Store: c.store}).Audience(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	count := `id="audience-total">` + strconv.FormatInt(want.Total, 10) + "<"
	_, body = c.get(t, m, "/admin/campaigns/"+camp)
	personal(t, "campaign", body)
	if !strings.Contains(body, count) || !strings.Contains(body, "Russian readers") || !strings.Contains(body, `href="/admin/campaigns/`+camp+`/send"`) {
		t.Fatalf("campaign page lacks the count %q or the segment", count)
	}
	_, body = c.get(t, m, "/admin/campaigns/"+camp+"/send?lang=ru")
	personal(t, "send", body)
	if !strings.Contains(body, `id="confirm-send"`) || !strings.Contains(body, "Отправить сейчас?") {
		t.Fatalf("the confirmation page lacks its button or its language")
	}
	// Without the confirmation nothing is sent.
	if resp, _ = c.post(t, m, "/admin/campaigns/"+camp+"/send", url.Values{}); resp.StatusCode != 303 ||
		!strings.HasSuffix(resp.Header.Get("Location"), "/send") {
		t.Fatalf("unconfirmed: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got, _ := c.store.Campaign(ctx, id); got.Status != app.CampaignDraft {
		t.Fatalf("sent without confirmation: %s", got.Status)
	}
	// Scheduled for later, back to draft, then sent now once confirmed.
	resp, _ = c.post(t, m, "/admin/campaigns/"+camp+"/schedule", url.Values{"when": {"later"}, "send_at": {"2099-01-01T10:00"}})
	if resp.StatusCode != 303 {
		t.Fatalf("schedule: %d", resp.StatusCode)
	}
	if resp, _ = c.post(t, m, "/admin/campaigns/"+camp+"/unschedule", nil); resp.StatusCode != 303 {
		t.Fatalf("back to draft: %d", resp.StatusCode)
	}
	if got, _ := c.store.Campaign(ctx, id); got.Status != app.CampaignDraft || got.SendAt != nil {
		t.Fatalf("not a draft again: %+v", got)
	}
	if resp, _ = c.post(t, m, "/admin/campaigns/"+camp+"/send", url.Values{"confirm": {"yes"}}); resp.StatusCode != 303 ||
		!strings.Contains(resp.Header.Get("Location"), "admin.ok.sending") {
		t.Fatalf("send now: %d", resp.StatusCode)
	}
	if got, _ := c.store.Campaign(ctx, id); got.Status != app.CampaignScheduled {
		t.Fatalf("after send now: %s", got.Status)
	}
	// A duplicate and a template of it.
	resp, _ = c.post(t, m, "/admin/campaigns/"+camp+"/duplicate", url.Values{"template": {"yes"}})
	if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "admin.ok.template_saved") {
		t.Fatalf("save as template: %d", resp.StatusCode)
	}
	_, body = c.get(t, m, resp.Header.Get("Location"))
	if !strings.Contains(body, `id="template-badge"`) || strings.Contains(body, `id="send-now"`) {
		t.Fatal("a template's page offers sending, or does not say it is a template")
	}
	_, body = c.get(t, m, "/admin/campaigns?template=1")
	if !strings.Contains(body, "Zima") {
		t.Fatal("the templates list lacks the template")
	}
}
