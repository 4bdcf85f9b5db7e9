package web_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"newsletter/app"
)

// publishCampaign stores a finished campaign with archive and track_clicks
// as given, in English and Russian.
func publishCampaign(t *testing.T, f *fixture, archive bool, finish bool) *app.Campaign {
	t.Helper()
	ctx := context.Background()
	c := &app.Campaign{Name: "Spring", Subject: "Hello {{.Name}}", Purpose: app.CampaignMarketing, Locale: "en",
		Format:   app.FormatHTML,
		BodyHTML: `<p style="color:#123456">Dear {{.Name}}, see <a href="https://shop.example.com/spring">the shop</a>.</p><p><a href="{{.UnsubscribeURL}}">Unsubscribe</a></p><script>alert(1)</script>`,
		Translations: map[string]app.CampaignTranslation{"ru": {Subject: "Привет, {{.Name}}",
			Body: `<p>Дорогой {{.Name}}, загляните в <a href="https://shop.example.com/spring">магазин</a>.</p>`}},
		CampaignPublishing: app.CampaignPublishing{Archive: archive, TrackClicks: true}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if finish {
		var err error
		if c, err = f.store.TransitionCampaign(ctx, c.ID, app.CampaignTransition{
			From: []app.CampaignStatus{app.CampaignDraft}, To: app.CampaignFinished}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func get(t *testing.T, f *fixture, path, acceptLanguage string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	return f.do(t, req)
}

// TestArchivePages: only finished campaigns with archive on are listed
// and shown, in the visitor's language, with neutral values, without the
// personal links or scripts, cacheable and without cookies.
func TestArchivePages(t *testing.T) {
	f := newFixture(t)
	pub := publishCampaign(t, f, true, true)
	off := publishCampaign(t, f, false, true)
	draft := publishCampaign(t, f, true, false)
	id := strconv.FormatInt(pub.ID, 10)

	cases := []struct {
		name, path, lang string
		status           int
		want, not        []string
	}{
		{"list en", "/archive", "en-US", 200, []string{"Hello subscriber", `href="/archive/` + id + `?lang=en"`, "archive.atom"},
			[]string{"/archive/" + strconv.FormatInt(off.ID, 10), "/archive/" + strconv.FormatInt(draft.ID, 10)}},
		{"list ru", "/archive", "ru-RU,ru;q=0.9", 200, []string{"Привет, подписчик", "Архив рассылки"}, nil},
		{"list ?lang", "/archive?lang=ru", "en", 200, []string{"Привет, подписчик"}, nil},
		{"page", "/archive/" + id, "en", 200, []string{"Hello subscriber", `src="/archive/` + id + `/content?lang=en"`, "sandbox="}, nil},
		{"content en", "/archive/" + id + "/content", "en", 200,
			[]string{"Dear subscriber", `href="https://shop.example.com/spring"`, `style="color:#123456"`, "/preferences"},
			[]string{"<script", "alert", "/l/", "/u/"}},
		{"content ru", "/archive/" + id + "/content?lang=ru", "", 200, []string{"Дорогой подписчик", `lang="ru"`}, nil},
		{"archive off", "/archive/" + strconv.FormatInt(off.ID, 10), "en", 404, []string{"not in the archive"}, nil},
		{"draft", "/archive/" + strconv.FormatInt(draft.ID, 10), "en", 404, nil, nil},
		{"draft content", "/archive/" + strconv.FormatInt(draft.ID, 10) + "/content", "en", 404, nil, []string{"Dear"}},
		{"unknown", "/archive/999999", "ru", 404, []string{"Этого выпуска нет в архиве"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, f, tc.path, tc.lang)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
				t.Errorf("Set-Cookie %v", c)
			}
			if tc.status == 200 && !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=") {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(body, n) {
					t.Errorf("body has %q", n)
				}
			}
		})
	}
	resp, _ := get(t, f, "/archive/"+id+"/content", "en")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("content CSP %q", csp)
	}
}

// TestArchiveFeed parses the Atom feed: feed id, updated, title, author,
// a link rel=alternate, and one entry per published campaign with its
// content as HTML.
func TestArchiveFeed(t *testing.T) {
	f := newFixture(t)
	pub := publishCampaign(t, f, true, true)
	publishCampaign(t, f, false, true)
	resp, body := get(t, f, "/archive.atom?lang=ru", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("Set-Cookie %v", c)
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Author  string   `xml:"author>name"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Link    struct {
				Rel  string `xml:"rel,attr"`
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Content struct {
				Type string `xml:"type,attr"`
				Body string `xml:",chardata"`
			} `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, body)
	}
	if feed.ID == "" || feed.Updated == "" || feed.Title == "" || feed.Author == "" {
		t.Fatalf("feed elements: %+v", feed)
	}
	alt := false
	for _, l := range feed.Links {
		alt = alt || l.Rel == "alternate" && strings.HasSuffix(l.Href, "/archive?lang=ru")
	}
	if !alt {
		t.Errorf("no alternate link: %+v", feed.Links)
	}
	if len(feed.Entries) != 1 {
		t.Fatalf("entries: %d", len(feed.Entries))
	}
	e := feed.Entries[0]
	if !strings.HasSuffix(e.ID, "/archive/"+strconv.FormatInt(pub.ID, 10)) || e.Title != "Привет, подписчик" ||
		e.Updated != pub.FinishedAt.UTC().Format("2006-01-02T15:04:05Z07:00") || e.Link.Rel != "alternate" ||
		e.Content.Type != "html" || !strings.Contains(e.Content.Body, "Дорогой подписчик") || strings.Contains(e.Content.Body, "<script") {
		t.Errorf("entry: %+v", e)
	}
}

// TestClickLink: a counted link redirects to its URL and counts one click
// without a cookie; a forged or unknown id is a 404 page.
func TestClickLink(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := publishCampaign(t, f, false, true)
	if err := f.store.RegisterCampaignLinks(ctx, c.ID, []string{"https://shop.example.com/spring"}); err != nil {
		t.Fatal(err)
	}
	id := f.svc.Signer.ClickID(c.ID, 0)
	for range 2 {
		resp, _ := get(t, f, "/l/"+id, "")
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://shop.example.com/spring" {
			t.Fatalf("status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if v := resp.Header.Values("Set-Cookie"); len(v) > 0 {
			t.Errorf("Set-Cookie %v", v)
		}
	}
	links, err := f.store.CampaignLinks(ctx, c.ID)
	if err != nil || len(links) != 1 || links[0].Clicks != 2 {
		t.Fatalf("links %+v %v", links, err)
	}
	for name, bad := range map[string]string{
		"forged":        id[:len(id)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(id, "A")],
		"unknown index": f.svc.Signer.ClickID(c.ID, 5),
		"garbage":       "not-a-link",
	} {
		resp, body := get(t, f, "/l/"+bad, "en")
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "This link is unknown") {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}
	if links, _ := f.store.CampaignLinks(ctx, c.ID); links[0].Clicks != 2 {
		t.Errorf("a refused link counted: %+v", links)
	}
}
