package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

// uploadImport posts file to the console's import as a browser does
// (multipart/form-data) and returns the response.
func (c *console) uploadImport(t *testing.T, s *session, file string, dry bool, newsletters ...string) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	must(t, w.WriteField("_csrf", s.csrf))
	for _, id := range newsletters {
		must(t, w.WriteField("newsletters", id))
	}
	if dry {
		must(t, w.WriteField("dry_run", "1"))
	}
	if file != "" {
		part, err := w.CreateFormFile("file", "people.csv")
		must(t, err)
		_, err = part.Write([]byte(file))
		must(t, err)
	}
	must(t, w.Close())
	req := httptest.NewRequest("POST", "/admin/import", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.send(t, s, req)
}

// waitJob follows the job page until the import has ended and returns
// the page in loc.
func (c *console) waitJob(t *testing.T, s *session, path, loc string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, body := c.get(t, s, path+"?lang="+loc)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		if !strings.Contains(body, `http-equiv="refresh"`) {
			return body
		}
	}
	t.Fatalf("%s did not end", path)
	return ""
}

const consoleImportFile = "name,email,phone,consent_at,consent_source,marketing\n" +
	"Anna Test0,anna.test0@example.com,+7 912 000-00-01,2025-03-01 10:00:00,Spring fair,yes\n" + // 2
	"Call 88005553535,spam@example.com,,2025-03-01,Spring fair,no\n" + // 3
	"Boris,boris@example.com,,,Spring fair,no\n" + // 4
	"=cmd|' /C calc'!A0,formula@example.com,,2025-03-01,Spring fair,no\n" + // 5
	"Vera,vera@example.com,,2025-03-01,Spring fair,no\n" // 6

var (
	rejectionRow = regexp.MustCompile(`<tr><td>(\d+)</td><td>([^<]*)</td></tr>`)
	importedN    = regexp.MustCompile(`id="import-imported">(\d+)<`)
)

// TestAdminImport: a privacy officer uploads a file; the dry run reports
// what would happen by line number and reason (in English and Russian)
// and writes nothing; the import then writes the valid rows; a broken
// file writes nothing; both databases.
func TestAdminImport(t *testing.T) {
	for _, d := range testenv.Dialects {
		t.Run(string(d), func(t *testing.T) {
			c := newConsoleOn(t, d)
			ctx := context.Background()
			s := c.login(t, app.RolePrivacyOfficer)

			resp, body := c.uploadImport(t, s, "", true)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="import-error"`) {
				t.Fatalf("no file: %d %.300s", resp.StatusCode, body)
			}

			resp, _ = c.uploadImport(t, s, consoleImportFile, true)
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/import/") {
				t.Fatalf("dry run: %d %s", resp.StatusCode, loc)
			}
			body = c.waitJob(t, s, loc, "en")
			rows := rejectionRow.FindAllStringSubmatch(body, -1)
			if len(rows) != 3 || rows[0][1] != "3" || !strings.Contains(rows[0][2], "at most 4 digits") || rows[1][1] != "4" ||
				!strings.Contains(rows[1][2], "consent_at is empty") || rows[2][1] != "5" {
				t.Fatalf("rejections %q", rows)
			}
			if m := importedN.FindStringSubmatch(body); m == nil || m[1] != "2" || !strings.Contains(body, "Dry run: nothing was written") ||
				!strings.Contains(body, `<progress id="import-progress" max="100" value="100"`) {
				t.Fatalf("dry run page: %.2000s", body)
			}
			if strings.Contains(body, "anna.test0@example.com") || strings.Contains(body, "Anna Test0") {
				t.Error("the report shows personal data")
			}
			ru := c.waitJob(t, s, loc, "ru")
			if !strings.Contains(ru, "Имя может содержать не больше 4 цифр") || !strings.Contains(ru, "нет подтверждения согласия") {
				t.Errorf("Russian report: %.2000s", ru)
			}
			if _, err := c.store.SubscriberByEmail(ctx, "anna.test0@example.com"); !app.IsNotFound(err) {
				t.Fatalf("the dry run wrote: %v", err)
			}

			_, page := c.get(t, s, "/admin/import")
			info, err := c.store.DefaultNewsletter(ctx, app.CampaignInformational)
			must(t, err)
			if !strings.Contains(page, `name="newsletters" value="`+strconv.FormatInt(info.ID, 10)+`"`) {
				t.Fatalf("the form offers no newsletters: %.3000s", page)
			}
			resp, _ = c.uploadImport(t, s, consoleImportFile, false, strconv.FormatInt(info.ID, 10))
			body = c.waitJob(t, s, resp.Header.Get("Location"), "en")
			if m := importedN.FindStringSubmatch(body); m == nil || m[1] != "2" || !strings.Contains(body, "imported in one transaction") {
				t.Fatalf("import page: %.2000s", body)
			}
			sub, err := c.store.SubscriberByEmail(ctx, "anna.test0@example.com")
			must(t, err)
			if sub.Name != "Anna Test0" {
				t.Errorf("name %q", sub.Name)
			}
			// Marketing "yes", but only the informational newsletter was chosen.
			ms, err := c.store.Memberships(ctx, sub.ID)
			must(t, err)
			if len(ms) != 1 || ms[0].NewsletterID != info.ID {
				t.Errorf("memberships %+v, want only %d", ms, info.ID)
			}

			resp, _ = c.uploadImport(t, s, "email,consent_at,consent_source\nzoe@example.com,2025-03-01,fair\n\"broken,2025-03-01,x\n", false)
			body = c.waitJob(t, s, resp.Header.Get("Location"), "ru")
			if !strings.Contains(body, `id="import-failed"`) || !strings.Contains(body, "повреждённый CSV") {
				t.Fatalf("broken file page: %.2000s", body)
			}
			if _, err := c.store.SubscriberByEmail(ctx, "zoe@example.com"); !app.IsNotFound(err) {
				t.Fatalf("a broken file wrote: %v", err)
			}

			_, body = c.get(t, s, "/admin/import")
			if strings.Count(body, `<a href="/admin/import/`) != 3 {
				t.Errorf("recent imports: %.3000s", body)
			}
		})
	}
}

// TestAdminImportRoles: a marketer is refused the import, its jobs and
// the export, and no menu entry leads there.
func TestAdminImportRoles(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleMarketer)
	for _, path := range []string{"/admin/import", "/admin/import/1", "/admin/subscribers.csv"} {
		if resp, body := c.get(t, s, path); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "anna.petrova@example.com") {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	if resp, _ := c.uploadImport(t, s, consoleImportFile, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload: %d", resp.StatusCode)
	}
	if _, err := c.store.SubscriberByEmail(context.Background(), "vera@example.com"); !app.IsNotFound(err) {
		t.Fatalf("a marketer imported: %v", err)
	}
	if _, body := c.get(t, s, "/admin"); strings.Contains(body, `href="/admin/import"`) {
		t.Error("the marketer's menu offers the import")
	}
}

// TestAdminSubscribersCSV: the export lists every subscriber with their
// consents, UTF-8 with a byte order mark when asked, formula-like cells
// defused, and is audited.
func TestAdminSubscribersCSV(t *testing.T) {
	c := newConsoleOn(t, store.SQLite)
	ctx := context.Background()
	ivanSub := &app.Subscriber{Email: "ivan@example.com", Name: "Иван Петров", Phone: "+79120000001", Locale: "ru", Status: app.StatusActive}
	must(t, c.store.CreateSubscriber(ctx, ivanSub))
	news, err := c.store.DefaultNewsletter(ctx, app.CampaignMarketing)
	must(t, err)
	_, err = c.store.JoinNewsletters(ctx, app.NewsletterChange{SubscriberID: ivanSub.ID, NewsletterIDs: []int64{news.ID},
		Evidence: app.Evidence{Channel: app.ChannelAdmin}})
	must(t, err)
	s := c.login(t, app.RoleOwner)
	resp, body := c.get(t, s, "/admin/subscribers.csv?bom=1")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "subscribers-") {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Error("no byte order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	must(t, err)
	if len(recs) != 3 || strings.Join(recs[0], ",") != "id,email,name,phone,locale,status,created_at,confirmed_at,processing,marketing,cross_border,newsletters" {
		t.Fatalf("export %q", recs)
	}
	ivan := recs[2]
	if ivan[1] != "ivan@example.com" || ivan[2] != "Иван Петров" || ivan[3] != "'+79120000001" || ivan[5] != "active" || ivan[9] != "no" ||
		ivan[11] != news.Name {
		t.Errorf("row %q", ivan)
	}
	_, plain := c.get(t, s, "/admin/subscribers.csv")
	if strings.HasPrefix(plain, "\ufeff") || !strings.HasPrefix(plain, "id,email") {
		t.Errorf("without bom: %.100q", plain)
	}
	entries, err := c.store.ListAudit(ctx, app.AuditQuery{Action: app.AuditSubscribersExported, Limit: 10})
	must(t, err)
	if len(entries) != 2 {
		t.Errorf("audit entries %d, want 2", len(entries))
	}
}

// announceBody sends the headers of a POST to the console's import that
// announces a body of n bytes, sends none of it, and returns the answer:
// only a request refused from its announced length is answered at once.
func announceBody(t *testing.T, base string, n int, cookie, agent string) (*http.Response, string) {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	conn, err := net.Dial("tcp", host)
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	must(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	head := fmt.Sprintf("POST /admin/import HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=x\r\n"+
		"Content-Length: %d\r\nUser-Agent: %s\r\nAccept: text/html\r\n", host, n, agent)
	if cookie != "" {
		head += "Cookie: " + cookie + "\r\n"
	}
	_, err = conn.Write([]byte(head + "\r\n"))
	must(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(page)
}

// TestAdminImportLimitNeedsSession: the import's larger body limit is
// only for a live session of an owner or a privacy officer; a caller
// without one, or a marketer, keeps the server's limit (256 KB), so
// nobody can make the server take in an upload without signing in.
func TestAdminImportLimitNeedsSession(t *testing.T) {
	c := newConsole(t, func(s *setup) { s.ImportBodyLimit = 1 << 20 })
	owner := c.login(t, app.RoleOwner)
	mkt := c.login(t, app.RoleMarketer)
	base := c.listen(t)
	for _, tc := range []struct{ name, cookie, agent string }{
		{"NoSession", "", "Mozilla/5.0"},
		{"ForgedSession", "nl_admin=forged", "Mozilla/5.0"},
		{"Marketer", mkt.cookie.String(), mkt.agent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp, page := announceBody(t, base, 512<<10, tc.cookie, tc.agent); resp.StatusCode != http.StatusRequestEntityTooLarge ||
				strings.Contains(page, "larger than 1 MB") {
				t.Fatalf("%d %.300s", resp.StatusCode, page)
			}
		})
	}
	// The owner's upload of the same size is taken in and read.
	file := "email,consent_at,consent_source\n" + strings.Repeat("x@example.com,2025-03-01,fair\n", 512<<10/30)
	if resp, page := c.uploadImport(t, owner, file, true); resp.StatusCode == http.StatusRequestEntityTooLarge || resp.StatusCode >= 500 {
		t.Fatalf("owner's upload of %d bytes: %d %.300s", len(file), resp.StatusCode, page)
	}
}

// TestAdminImportTooLarge: a file over the import's cap is refused while
// it arrives, from its announced length, before any of it is read, with
// the cap in the console's words, and nothing starts. (The request is
// written by hand: the server answers before the body, and a client still
// writing would have its connection reset under the answer.)
func TestAdminImportTooLarge(t *testing.T) {
	c := newConsole(t, func(s *setup) { s.ImportBodyLimit = 1 << 20 })
	s := c.login(t, app.RoleOwner)
	base := c.listen(t)
	resp, page := announceBody(t, base, 2<<20, s.cookie.String(), s.agent)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(page, "larger than 1 MB") {
		t.Fatalf("%d %.500s", resp.StatusCode, page)
	}
	if _, body := c.get(t, s, "/admin/import"); strings.Contains(body, `<a href="/admin/import/`) {
		t.Error("an import started")
	}
}
