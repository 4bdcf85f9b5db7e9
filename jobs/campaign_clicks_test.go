package jobs_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/internal/testenv"
	"newsletter/templates"
	"newsletter/web"
)

// TestCampaignClicksThroughMailpit sends a campaign that counts clicks to
// a real SMTP server: its mail carries counted /l/ links in both parts
// (the footer's own links stay personal and uncounted), and following one
// through the web server redirects to the original link and counts one
// click, which the campaign then shows.
func TestCampaignClicksThroughMailpit(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	mp := testenv.Mailpit(t)
	e.addSubscriber(t, "reader@example.com", app.StatusActive, app.PurposeProcessing, app.PurposeMarketing)
	e.startWorker(t, e.runner(t, smtpTransport(t, mp.SMTPURL(), nil), fastOptions))
	c, err := e.uc.Create(ctx, marketer, app.CampaignInput{Name: "Clicks", Subject: "News", Purpose: app.CampaignMarketing,
		BodyHTML:    `<p>Hello {{.Name}}, see <a href="https://shop.example.com/spring?a=1&amp;b=2">the shop</a>.</p>`,
		TrackClicks: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	msgs := mp.WaitForCount(t, 1, 10*time.Second)
	raw, err := mp.Raw(ctx, msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	text, html := parts(t, msg)
	clickRE := regexp.MustCompile(`https://news\.example\.com(/l/[A-Za-z0-9_-]+)`)
	m := clickRE.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no counted link in the HTML part:\n%s", html)
	}
	if strings.Contains(html, "shop.example.com") || !strings.Contains(text, m[0]) {
		t.Errorf("the original link is in the mail, or the text part lacks the counted one:\n%s\n%s", html, text)
	}
	if !strings.Contains(html, "https://news.example.com/u/") || strings.Count(html, "/l/") != 1 {
		t.Errorf("the footer's links were counted or lost:\n%s", html)
	}

	pages, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := web.New(web.Deps{Log: quietLog(), Pages: pages, Archive: &app.Archive{Store: e.st},
		Clicks: &app.Clicks{Store: e.st, Signer: e.signer}}, web.Options{BaseURL: e.links.Base})
	resp, err := srv.App().Test(httptest.NewRequest(http.MethodGet, m[1], nil), 10000)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://shop.example.com/spring?a=1&b=2" ||
		len(resp.Header.Values("Set-Cookie")) > 0 {
		t.Fatalf("click: %d %q cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Values("Set-Cookie"))
	}
	got, err := e.uc.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Links) != 1 || got.Links[0].Clicks != 1 || got.Links[0].URL != "https://shop.example.com/spring?a=1&b=2" {
		t.Fatalf("links %+v", got.Links)
	}
}
