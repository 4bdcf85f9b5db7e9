package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

type privacyAPI struct {
	*apiServer
	st  *store.Store
	svc *testenv.UseCases
}

func newPrivacyAPI(t *testing.T) *privacyAPI {
	t.Helper()
	p := newAPIParts(t)
	f := &privacyAPI{apiServer: p.serve(p.deps()), st: p.st, svc: p.svc}
	return f
}

// json sends a request as role and decodes the JSON answer.
func (f *privacyAPI) json(t *testing.T, role app.Role, method, path, body string, want int) map[string]any {
	t.Helper()
	code, _, b := f.do(t, role, method, path, body)
	if code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, code, b, want)
	}
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %s", method, path, b)
		}
	}
	return out
}

// subscriber adds an active subscriber.
func (f *privacyAPI) subscriber(t *testing.T, email string) *app.Subscriber {
	t.Helper()
	ctx := context.Background()
	sub := &app.Subscriber{Email: email, EmailHash: f.svc.Signer.KeyedHash(email), Name: "Анна Петрова", Phone: "+79123456789",
		Locale: "ru", Status: app.StatusActive}
	if err := f.st.CreateSubscriber(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetConsent(ctx, sub.ID, app.PurposeProcessing, true, time.Now()); err != nil {
		t.Fatal(err)
	}
	return sub
}

// TestPrivacyAPIRoles: personal data and privacy actions are for privacy
// officers and owners; marketers get 403, requests without a token 401.
func TestPrivacyAPIRoles(t *testing.T) {
	f := newPrivacyAPI(t)
	sub := f.subscriber(t, "roles@example.com")
	id := fmt.Sprint(sub.ID)
	routes := []struct {
		method, path, body string
	}{
		{"GET", "/api/v1/subscribers", ""},
		{"GET", "/api/v1/subscribers/" + id, ""},
		{"GET", "/api/v1/subscribers/" + id + "/export", ""},
		{"GET", "/api/v1/subscribers/" + id + "/blocks", ""},
		{"POST", "/api/v1/subscribers/" + id + "/block", `{"reason":"verifying"}`},
		{"POST", "/api/v1/subscribers/" + id + "/unblock", `{}`},
		{"GET", "/api/v1/requests", ""},
		{"POST", "/api/v1/requests", `{"kind":"access"}`},
		{"GET", "/api/v1/destructions", ""},
		{"GET", "/api/v1/suppressions", ""},
		{"POST", "/api/v1/suppressions", `{"email":"x@example.com"}`},
		{"GET", "/api/v1/audit", ""},
		{"POST", "/api/v1/subscribers/" + id + "/erase", `{}`},
	}
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			if code, _, b := f.do(t, "", r.method, r.path, r.body); code != http.StatusUnauthorized {
				t.Errorf("without a token: %d %s", code, b)
			}
			if code, _, b := f.do(t, app.RoleMarketer, r.method, r.path, r.body); code != http.StatusForbidden {
				t.Errorf("as a marketer: %d %s", code, b)
			}
			if code, _, b := f.do(t, app.RolePrivacyOfficer, r.method, r.path, r.body); code >= 300 {
				t.Errorf("as a privacy officer: %d %s", code, b)
			}
		})
	}
	// Owners may do anything.
	f.json(t, app.RoleOwner, "GET", "/api/v1/audit", "", http.StatusOK)
	// The cross-border status holds no personal data: every role sees it.
	if out := f.json(t, app.RoleMarketer, "GET", "/api/v1/cross-border", "", http.StatusOK); out["consent_required"] != false {
		t.Errorf("cross-border %v", out)
	}
}

func TestPrivacyAPIBlockEraseAndRequests(t *testing.T) {
	f := newPrivacyAPI(t)
	sub := f.subscriber(t, "flow@example.com")
	base := fmt.Sprintf("/api/v1/subscribers/%d", sub.ID)
	if out := f.json(t, app.RolePrivacyOfficer, "POST", base+"/block", `{}`, http.StatusUnprocessableEntity); out["fields"] == nil {
		t.Errorf("block without a reason: %v", out)
	}
	if out := f.json(t, app.RolePrivacyOfficer, "POST", base+"/block", `{"reason":"data disputed"}`, http.StatusOK); out["status"] != "blocked" {
		t.Errorf("block: %v", out)
	}
	if out := f.json(t, app.RolePrivacyOfficer, "POST", base+"/unblock", "", http.StatusOK); out["status"] != "active" {
		t.Errorf("unblock: %v", out)
	}
	reg := f.json(t, app.RolePrivacyOfficer, "POST", "/api/v1/requests",
		fmt.Sprintf(`{"kind":"access","subscriber_id":%d,"channel":"admin"}`, sub.ID), http.StatusCreated)
	reqID := int64(reg["id"].(float64))
	ext := f.json(t, app.RolePrivacyOfficer, "POST", fmt.Sprintf("/api/v1/requests/%d/extend", reqID),
		`{"reason":"archive retrieval"}`, http.StatusOK)
	if ext["extended_reason"] != "archive retrieval" || ext["due_at"] == reg["due_at"] {
		t.Errorf("extended %v (registered %v)", ext, reg)
	}
	f.json(t, app.RolePrivacyOfficer, "POST", fmt.Sprintf("/api/v1/requests/%d/extend", reqID), `{"reason":"again"}`, http.StatusConflict)

	erased := f.json(t, app.RolePrivacyOfficer, "POST", base+"/erase", `{"reason":"court order"}`, http.StatusOK)
	if erased["already_erased"] != false || erased["subscriber"].(map[string]any)["status"] != "erased" {
		t.Fatalf("erase: %v", erased)
	}
	if again := f.json(t, app.RolePrivacyOfficer, "POST", base+"/erase", "", http.StatusOK); again["already_erased"] != true {
		t.Fatalf("second erase: %v", again)
	}

	// The register with the SPEC's fields; a request without a subscriber
	// has subscriber_id null.
	f.json(t, app.RolePrivacyOfficer, "POST", "/api/v1/requests", `{"kind":"unknown","channel":"email"}`, http.StatusCreated)
	list := f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/requests", "", http.StatusOK)["requests"].([]any)
	if len(list) != 3 {
		t.Fatalf("%d requests, want 3", len(list))
	}
	for _, item := range list {
		r := item.(map[string]any)
		for _, field := range []string{"id", "subscriber_id", "kind", "channel", "status", "received_at", "due_at", "completed_at", "verification", "deadline"} {
			if _, ok := r[field]; !ok {
				t.Errorf("request %v lacks %s", r["id"], field)
			}
		}
	}
	if last := list[2].(map[string]any); last["subscriber_id"] != nil || last["kind"] != "unknown" {
		t.Errorf("request without a subscriber: %v", last)
	}
	filtered := f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/requests?kind=consent_revocation&status=completed", "", http.StatusOK)
	if n := len(filtered["requests"].([]any)); n != 1 {
		t.Errorf("%d completed revocations, want 1", n)
	}
	if n := len(f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/requests?overdue=true&due_before=2000-01-01", "", http.StatusOK)["requests"].([]any)); n != 0 {
		t.Errorf("%d overdue", n)
	}
	for _, bad := range []string{"?status=lost", "?kind=other", "?overdue=maybe", "?due_before=tomorrow"} {
		f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/requests"+bad, "", http.StatusUnprocessableEntity)
	}

	audit := f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/audit?subject_type=subscriber&subject_id="+fmt.Sprint(sub.ID), "", http.StatusOK)
	var actions []string
	for _, e := range audit["entries"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	if strings.Join(actions, ",") != "subscriber_erased,subscriber_unblocked,subscriber_blocked" {
		t.Errorf("audit %v", actions)
	}
}

func TestPrivacyAPIDestructionsCSV(t *testing.T) {
	f := newPrivacyAPI(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	records := []app.Destruction{
		{SubscriberID: 1, FullName: "Анна Петрова", Categories: "full name, email address", System: "newsletter", Reason: `said "stop", twice`, DestroyedAt: at},
		{SubscriberID: 2, FullName: "O'Brien-Smith", Categories: "email address", System: "newsletter", Reason: "=HYPERLINK(\"x\")\nsecond line", DestroyedAt: at},
	}
	for i := range records {
		if err := f.st.CreateDestruction(ctx, &records[i]); err != nil {
			t.Fatal(err)
		}
	}
	code, h, body := f.do(t, app.RolePrivacyOfficer, "GET", "/api/v1/destructions", "", "Accept", "text/csv")
	if code != http.StatusOK || h.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(h.Get("Content-Disposition"), ".csv") {
		t.Fatalf("csv: %d %v", code, h)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("the export is not valid CSV: %v\n%s", err, body)
	}
	want := [][]string{
		{"id", "subscriber_id", "full_name", "categories", "system", "reason", "destroyed_at", "destroyed_by"},
		{"1", "1", "Анна Петрова", "full name, email address", "newsletter", `said "stop", twice`, "2026-03-01T12:00:00Z", "System"},
		{"2", "2", "O'Brien-Smith", "email address", "newsletter", "'=HYPERLINK(\"x\")\nsecond line", "2026-03-01T12:00:00Z", "System"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("csv rows\n%q\nwant\n%q", rows, want)
	}
	if _, _, bom := f.do(t, app.RoleOwner, "GET", "/api/v1/destructions?format=csv&bom=1", ""); !strings.HasPrefix(string(bom), "\ufeffid,") {
		t.Errorf("bom=1: %q", bom[:10])
	}
	js := f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/destructions?after=1", "", http.StatusOK)
	if ds := js["destructions"].([]any); len(ds) != 1 || ds[0].(map[string]any)["full_name"] != "O'Brien-Smith" {
		t.Fatalf("json page %v", js)
	}
	audit := f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/audit?action=destructions_exported", "", http.StatusOK)
	if n := len(audit["entries"].([]any)); n != 3 {
		t.Fatalf("%d export audit entries, want 3", n)
	}
}

func TestPrivacyAPISuppressions(t *testing.T) {
	f := newPrivacyAPI(t)
	added := f.json(t, app.RolePrivacyOfficer, "POST", "/api/v1/suppressions", `{"email":"Stop@Example.com","note":"asked by phone"}`, http.StatusCreated)
	hash, _ := added["email_hash"].(string)
	if hash != f.svc.Signer.KeyedHash("stop@example.com") {
		t.Fatalf("added %v", added)
	}
	f.json(t, app.RolePrivacyOfficer, "POST", "/api/v1/suppressions", `{"email":"not an address"}`, http.StatusUnprocessableEntity)
	counts := f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/suppressions?reason=manual", "", http.StatusOK)
	if counts["total"] != 1.0 || counts["counts"].(map[string]any)["manual"] != 1.0 || len(counts["suppressions"].([]any)) != 1 {
		t.Fatalf("counts %v", counts)
	}
	if b, _ := json.Marshal(counts); strings.Contains(string(b), "stop@") {
		t.Fatal("the list shows the address")
	}
	f.json(t, app.RolePrivacyOfficer, "DELETE", "/api/v1/suppressions", `{"email":"stop@example.com"}`, http.StatusNoContent)
	f.json(t, app.RolePrivacyOfficer, "DELETE", "/api/v1/suppressions/"+hash, "", http.StatusNotFound)
	if err := f.st.Suppress(context.Background(), hash, app.SuppressErased, ""); err != nil {
		t.Fatal(err)
	}
	f.json(t, app.RolePrivacyOfficer, "DELETE", "/api/v1/suppressions/"+hash, "", http.StatusConflict)
}

// TestPrivacyAPIExportIsAudited: an operator's export of a person's data
// is in the audit log, by ids.
func TestPrivacyAPIExportIsAudited(t *testing.T) {
	f := newPrivacyAPI(t)
	sub := f.subscriber(t, "exported@example.com")
	x := f.json(t, app.RolePrivacyOfficer, "GET", fmt.Sprintf("/api/v1/subscribers/%d/export", sub.ID), "", 200)
	if x["subscriber"] == nil {
		t.Fatalf("export %v", x)
	}
	officer, err := f.st.AdminByEmail(context.Background(), "privacy_officer@example.com")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := f.svc.Audit(context.Background(), app.AuditQuery{Action: app.AuditSubscriberExported})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].SubjectType != "subscriber" || entries[0].SubjectID != sub.ID ||
		entries[0].Actor != app.AdminActor(officer).String() {
		t.Fatalf("audit %+v", entries)
	}
}

// TestPrivacyAPIBodies: the privacy API reads its bodies by the one JSON
// rule: a misspelt field is refused by name, not silently dropped (a
// block without its reason, a lift without the officer's reason), and
// nothing changes.
func TestPrivacyAPIBodies(t *testing.T) {
	f := newPrivacyAPI(t)
	sub := f.subscriber(t, "bodies@example.com")
	base := fmt.Sprintf("/api/v1/subscribers/%d", sub.ID)
	tests := []struct{ method, path, body, field string }{
		{"POST", base + "/block", `{"reason":"disputed","request":7}`, "request"},
		{"POST", base + "/erase", `{"reasn":"court order"}`, "reasn"},
		{"POST", "/api/v1/requests", `{"kind":"access","subscriber":1}`, "subscriber"},
		{"POST", "/api/v1/suppressions", `{"email":"x@example.com","reason":"asked"}`, "reason"},
		{"POST", "/api/v1/requests/1/assign", `{"kind":"access","note":"x"}`, "note"},
		{"POST", "/api/v1/policies", `{"version":"v9","body_en":"a","body_ru":"b","body_de":"c"}`, "body_de"},
		{"POST", base + "/block", `{"reason":7}`, "reason"},
	}
	for _, tt := range tests {
		out := f.json(t, app.RolePrivacyOfficer, tt.method, tt.path, tt.body, http.StatusUnprocessableEntity)
		if fields, _ := out["fields"].(map[string]any); fields[tt.field] == nil {
			t.Errorf("%s %s %s: %v does not name %q", tt.method, tt.path, tt.body, out, tt.field)
		}
	}
	got, err := f.st.Subscriber(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.StatusActive {
		t.Errorf("a refused body changed the subscriber: %s", got.Status)
	}
	if list := f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/requests", "", http.StatusOK)["requests"].([]any); len(list) != 0 {
		t.Errorf("a refused body registered %d requests", len(list))
	}
}
