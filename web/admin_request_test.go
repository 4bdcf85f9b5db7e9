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

// TestAdminRequestThread: a request's page shows its thread; a note added
// there and the note of completing it join the thread under their
// authors' addresses, and the note written at registration stays.
func TestAdminRequestThread(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	registrar := &app.Admin{ID: 99, Email: "registrar@example.com", Role: app.RolePrivacyOfficer}
	r, err := c.svc.RegisterRequest(ctx, registrar, app.RegisterInput{SubscriberID: c.subID, Kind: app.KindAccess,
		Channel: app.ChannelAdmin, Note: "letter no. 12"})
	if err != nil {
		t.Fatal(err)
	}
	s := c.login(t, app.RolePrivacyOfficer)
	page := "/admin/requests/" + strconv.FormatInt(r.ID, 10)
	if resp, body := c.post(t, s, page+"/notes", url.Values{"note": {""}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `role="alert"`) {
		t.Fatalf("an empty note: %d", resp.StatusCode)
	}
	if resp, _ := c.post(t, s, page+"/notes", url.Values{"note": {"called back"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add a note: %d", resp.StatusCode)
	}
	if resp, _ := c.post(t, s, page+"/close", url.Values{"note": {"answered by post"}, "reject": {"0"}}); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != page+"?ok=admin.ok.request_closed" {
		t.Fatalf("complete: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, loc := range []string{"en", "ru"} {
		resp, body := c.get(t, s, page+"?lang="+loc)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: request page %d", loc, resp.StatusCode)
		}
		thread := body[strings.Index(body, `id="notes"`):]
		last := -1
		for _, want := range []string{"registrar@example.com", "letter no. 12", c.emails[app.RolePrivacyOfficer], "called back", "answered by post"} {
			i := strings.Index(thread, want)
			if i < 0 || i < last {
				t.Errorf("%s: %q missing or out of order in the thread", loc, want)
			}
			last = i
		}
	}
	got, err := c.svc.Request(ctx, r.ID)
	if err != nil || got.Note != "letter no. 12" || got.Status != app.RequestCompleted {
		t.Fatalf("after completing: %+v %v", got, err)
	}
}
