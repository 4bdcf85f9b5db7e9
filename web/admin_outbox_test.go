package web_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

// writeOutbox writes n messages to dir, a minute apart after the
// console's own: every tenth has a Russian subject (encoded as mail
// headers are), the others an English one.
func writeOutbox(t *testing.T, dir string, n int) {
	t.Helper()
	start := time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		subject := fmt.Sprintf("Weekly news %d", i)
		if i%10 == 0 {
			subject = "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("Привет, мир %d", i))) + "?="
		}
		eml := fmt.Sprintf("From: News <news@example.com>\r\nTo: user%03d@example.com\r\nSubject: %s\r\nDate: %s\r\n"+
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n", i, subject, at.Format(time.RFC1123Z))
		name := fmt.Sprintf("%s-%d@example.com.eml", at.Format("20060102T150405.000000000Z"), i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(eml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

var outboxRowMark = `<tr><td class="nowrap">`

// TestAdminOutboxPagesAndSearch lists 121 messages 50 a page, searches
// them by subject in any case and script and by recipient, keeps the
// query in the page links, and shows times in the operator's zone.
func TestAdminOutboxPagesAndSearch(t *testing.T) {
	zone, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	c := newConsole(t, func(s *setup) { s.Zone = zone })
	writeOutbox(t, c.outbox, 120)
	owner := c.login(t, app.RoleOwner)

	tests := []struct {
		path     string
		rows     int
		has, not []string
	}{
		{"/admin/outbox", 50, []string{"Page 1 of 3", `href="/admin/outbox?q=&amp;page=2"`, "user119@example.com", "2026-01-03 19:59 JST"},
			[]string{`id="prev"`, "user069@example.com"}},
		{"/admin/outbox?page=2", 50, []string{"Page 2 of 3", `href="/admin/outbox?q=&amp;page=1"`, `href="/admin/outbox?q=&amp;page=3"`, "user069@example.com"},
			[]string{"user119@example.com"}},
		// The last page holds the console's own message, written at 10:00
		// UTC on 2 January: 19:00 in Tokyo.
		{"/admin/outbox?page=3", 21, []string{"Page 3 of 3", "anna@example.com", "2026-01-02 19:00 JST"}, []string{`id="next"`}},
		{"/admin/outbox?page=99", 21, []string{"Page 3 of 3"}, nil},
		{"/admin/outbox?q=%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82", 12, // привет
			[]string{"Messages found: 12.", "Привет, мир 110", "Привет, мир 0<"}, []string{"Weekly news", `id="pages"`}},
		{"/admin/outbox?q=%D0%9C%D0%98%D0%A0+100", 1, []string{"Привет, мир 100"}, nil}, // МИР 100
		{"/admin/outbox?q=USER007%40", 1, []string{"user007@example.com", "Weekly news 7"}, nil},
		{"/admin/outbox?q=weekly", 50, []string{"Messages found: 108.", "Page 1 of 3", `href="/admin/outbox?q=weekly&amp;page=2"`}, []string{"Привет"}},
		{"/admin/outbox?q=weekly&page=3", 8, []string{"Page 3 of 3", `href="/admin/outbox?q=weekly&amp;page=2"`}, []string{`id="next"`}},
		{"/admin/outbox?q=nobody-here", 0, []string{"Messages found: 0.", `id="no-results"`}, nil},
		{"/admin/outbox?lang=ru", 50, []string{"Страница 1 из 3", "Следующая страница"}, nil},
		{"/admin/outbox?lang=ru&q=weekly&page=2", 50, []string{"Найдено писем: 108.", "Предыдущая страница", "Страница 2 из 3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := c.get(t, owner, tt.path)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := strings.Count(body, outboxRowMark); got != tt.rows {
				t.Errorf("%d rows, want %d", got, tt.rows)
			}
			for _, s := range tt.has {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(body, s) {
					t.Errorf("page shows %q", s)
				}
			}
		})
	}
}

// TestConsoleTimesInOperatorZone shows the console's lists in the
// operator's zone, not in UTC.
func TestConsoleTimesInOperatorZone(t *testing.T) {
	zone, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	c := newConsole(t, func(s *setup) { s.Zone = zone })
	owner := c.login(t, app.RoleOwner)
	for _, path := range []string{"/admin/subscribers", fmt.Sprintf("/admin/subscribers/%d", c.subID), fmt.Sprintf("/admin/campaigns/%d", c.campID), "/admin/audit", "/admin/users"} {
		t.Run(path, func(t *testing.T) {
			resp, body := c.get(t, owner, path)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if !strings.Contains(body, " JST<") {
				t.Errorf("no time in JST on the page")
			}
			if strings.Contains(body, " UTC<") {
				t.Errorf("a time still shows in UTC")
			}
		})
	}
}
