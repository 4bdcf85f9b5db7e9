package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

// readCSV parses a download, telling whether it starts with a BOM.
func readCSV(t *testing.T, body string) (rows [][]string, bom bool) {
	t.Helper()
	body, bom = strings.CutPrefix(body, "\ufeff")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	return rows, bom
}

// auditAt writes an audit entry dated at.
func (c *console) auditAt(t *testing.T, at time.Time, actor, action, details string) {
	t.Helper()
	c.store.SetClock(func() time.Time { return at })
	defer c.store.SetClock(nil)
	if err := c.store.AddAudit(context.Background(), &app.AuditEntry{Actor: actor, Action: action, SubjectType: "subscriber",
		SubjectID: c.subID, Details: details}); err != nil {
		t.Fatal(err)
	}
}

// The audit log downloads as CSV with the page's date filters (both days
// included), staff named by address, actions in words in the console's
// language, with or without a BOM; a marketer gets none of it.
func TestAdminAuditCSV(t *testing.T) {
	c := newConsole(t)
	officer := app.Actor("admin:" + itoa(c.adminID(t, app.RolePrivacyOfficer)))
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	c.auditAt(t, day(9, 23), officer.String(), app.AuditSubscriberBlocked, "before")
	c.auditAt(t, day(10, 0), officer.String(), app.AuditSubscriberBlocked, "first day")
	c.auditAt(t, day(11, 23), "subscriber:"+itoa(c.subID), "profile_updated", "=HYPERLINK(\"x\")")
	c.auditAt(t, day(12, 0), "admin:999999", app.AuditSubscriberErased, "after")
	s := c.login(t, app.RolePrivacyOfficer)

	resp, body := c.get(t, s, "/admin/audit.csv?from=2026-03-10&to=2026-03-11")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv; charset=utf-8") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), `filename="audit-`) {
		t.Fatalf("audit CSV: %d %v", resp.StatusCode, resp.Header)
	}
	rows, bom := readCSV(t, body)
	if bom {
		t.Errorf("BOM without ?bom=1")
	}
	want := [][]string{
		{"Time", "Who", "Action", "action", "Subject", "#", "Details"},
		{"2026-03-11T23:00:00Z", "Subscriber #" + itoa(c.subID), "Profile updated", "profile_updated", "subscriber", itoa(c.subID), `'=HYPERLINK("x")`},
		{"2026-03-10T00:00:00Z", c.emails[app.RolePrivacyOfficer], "Subscriber's data blocked", "subscriber_blocked", "subscriber", itoa(c.subID), "first day"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows: %q", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, rows[i], want[i])
		}
	}

	_, body = c.get(t, s, "/admin/audit.csv?from=2026-03-12&bom=1&lang=ru")
	rows, bom = readCSV(t, body)
	found := false
	for _, r := range rows[1:] {
		found = found || r[1] == "Сотрудник № 999999 (удалён)" && r[2] == "Данные подписчика уничтожены" && r[6] == "after"
		if r[0] < "2026-03-12" {
			t.Errorf("entry before the from date: %q", r)
		}
	}
	if !bom || rows[0][1] != "Кто" || !found {
		t.Errorf("Russian CSV with BOM: %v %q", bom, rows)
	}

	if resp, _ := c.get(t, s, "/admin/audit.csv?from=10.03.2026"); resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad date: %d", resp.StatusCode)
	}

	_, page := c.get(t, s, "/admin/audit?from=2026-03-10&to=2026-03-10&lang=ru")
	if !strings.Contains(page, c.emails[app.RolePrivacyOfficer]) || !strings.Contains(page, "Данные подписчика заблокированы") ||
		strings.Contains(page, string(officer)+"<") || strings.Contains(page, "first day") == strings.Contains(page, "before") {
		t.Errorf("audit page filtered by date, in Russian:\n%s", page)
	}

	m := c.login(t, app.RoleMarketer)
	for _, p := range []string{"/admin/audit.csv", "/admin/requests.csv", "/admin/destructions.csv"} {
		if resp, body := c.get(t, m, p); resp.StatusCode == 200 || strings.Contains(body, c.emails[app.RolePrivacyOfficer]) {
			t.Errorf("marketer got %s: %d", p, resp.StatusCode)
		}
	}
}

// The request register downloads as CSV: kinds and states in words,
// Cyrillic intact, a BOM when asked.
func TestAdminRequestsCSV(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	officer, err := c.store.AdminByEmail(ctx, c.emails[app.RolePrivacyOfficer])
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.svc.RegisterRequest(ctx, officer, app.RegisterInput{SubscriberID: c.subID, Kind: app.KindAccess, Channel: app.ChannelPaper,
		Verification: "+паспорт проверен"})
	if err != nil {
		t.Fatal(err)
	}
	s := c.login(t, app.RoleOwner)
	resp, body := c.get(t, s, "/admin/requests.csv?bom=1&lang=ru")
	if resp.StatusCode != 200 {
		t.Fatalf("requests CSV: %d %s", resp.StatusCode, body)
	}
	rows, bom := readCSV(t, body)
	if !bom || len(rows) != 2 || rows[0][0] != "id" || rows[0][2] != "Вид" {
		t.Fatalf("requests CSV: %v %q", bom, rows)
	}
	row := rows[1]
	if row[0] != itoa(r.ID) || row[1] != itoa(c.subID) || row[8] != "'+паспорт проверен" || row[5] == "" || row[6] == "" {
		t.Errorf("request row: %q", row)
	}
	if _, body := c.get(t, s, "/admin/requests.csv?kind=data_update"); len(strings.Split(strings.TrimSpace(body), "\n")) != 1 {
		t.Errorf("kind filter: %s", body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A destruction record names who ordered it: the officer's address on the
// page and in the CSV, in the console's language, Cyrillic intact.
func TestAdminDestructionsByWhom(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	if err := c.store.CreateDestruction(ctx, &app.Destruction{SubscriberID: 424242, FullName: "Пётр Сидоров", Categories: "email address",
		System: "newsletter", Reason: "отзыв согласия", DestroyedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	s := c.login(t, app.RolePrivacyOfficer)
	path := "/admin/subscribers/" + itoa(c.subID) + "/erase"
	if resp, _ := c.post(t, s, path, url.Values{"reason": {"court order"}, "confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("erasure: %d", resp.StatusCode)
	}
	officer := c.emails[app.RolePrivacyOfficer]
	_, body := c.get(t, s, "/admin/destructions.csv?bom=1&lang=ru")
	rows, bom := readCSV(t, body)
	if !bom || len(rows) != 3 || rows[0][7] != "destroyed_by" {
		t.Fatalf("destructions CSV: %v %q", bom, rows)
	}
	if rows[1][2] != "Пётр Сидоров" || rows[1][7] != "Система" || rows[2][2] != "Anna Petrova" || rows[2][7] != officer {
		t.Errorf("destructions CSV rows: %q", rows)
	}
	_, page := c.get(t, s, "/admin/destructions?lang=en")
	if !strings.Contains(page, "Destroyed by") || !strings.Contains(page, "<td>"+officer+"</td>") || strings.Contains(page, "admin:") ||
		!strings.Contains(page, "ordered by the operator ("+officer+"): court order") {
		t.Errorf("destructions page:\n%s", page)
	}
}
