package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/web"
)

// fakeDispatch records what the campaign use cases enqueue and test-send.
type fakeDispatch struct {
	mu     sync.Mutex
	rounds []int64
	tests  [][]string
}

func (f *fakeDispatch) EnqueueDispatch(_ context.Context, id, version int64, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rounds = append(f.rounds, version)
	return nil
}

func (f *fakeDispatch) SendTest(_ context.Context, _ *app.Campaign, to []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tests = append(f.tests, to)
	return nil
}

type campaignAPI struct {
	*apiServer
	st   *store.Store
	fake *fakeDispatch
}

func newCampaignAPI(t *testing.T) *campaignAPI {
	t.Helper()
	p := newAPIParts(t)
	f := &campaignAPI{st: p.st, fake: &fakeDispatch{}}
	uc := &app.Campaigns{Store: p.st, Queue: f.fake, Tester: f.fake, Signer: p.svc.Signer}
	f.apiServer = p.serve(web.Deps{Log: quietLog(), APITokens: p.admins, Campaigns: uc, Segments: &app.Segments{Store: p.st}})
	return f
}

const draftJSON = `{"name":"Spring","subject":"Hello {{.Name}}","purpose":"marketing","body_html":"<p>Hi {{.Name}}</p>","body_text":""}`

func TestCampaignAPIRoles(t *testing.T) {
	f := newCampaignAPI(t)
	tests := []struct {
		name string
		role app.Role
		want int
	}{
		{"NoToken", "", http.StatusUnauthorized},
		{"PrivacyOfficer", app.RolePrivacyOfficer, http.StatusForbidden},
		{"Marketer", app.RoleMarketer, http.StatusCreated},
		{"Owner", app.RoleOwner, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := f.call(t, tt.role, "POST", "/api/v1/campaigns", draftJSON); code != tt.want {
				t.Fatalf("status %d, want %d: %v", code, tt.want, body)
			}
			if code, _ := f.call(t, tt.role, "GET", "/api/v1/campaigns", ""); (code == http.StatusOK) != (tt.want == http.StatusCreated) {
				t.Fatalf("list: %d", code)
			}
		})
	}
}

func TestCampaignAPIValidation(t *testing.T) {
	f := newCampaignAPI(t)
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"MissingName", `{"subject":"s","purpose":"marketing","body_html":"<p>x</p>"}`, "name"},
		{"BadPurpose", `{"name":"n","subject":"s","purpose":"spam","body_html":"<p>x</p>"}`, "purpose"},
		{"TwoLineSubject", `{"name":"n","subject":"a\nb","purpose":"marketing","body_html":"<p>x</p>"}`, "subject"},
		{"NoBody", `{"name":"n","subject":"s","purpose":"marketing"}`, "body_html"},
		{"BrokenTemplate", `{"name":"n","subject":"s","purpose":"marketing","body_html":"<p>{{.Name</p>"}`, "body_html"},
		{"UnknownMergeField", `{"name":"n","subject":"s","purpose":"marketing","body_html":"<p>{{.Phone}}</p>"}`, "body_html"},
		{"BadLocale", `{"name":"n","subject":"s","purpose":"marketing","body_html":"<p>x</p>","locale":"de"}`, "locale"},
		{"WrongType", `{"name":1}`, "name"},
		{"UnknownField", `{"nmae":"x"}`, "nmae"},
		{"NotJSON", `{`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := f.call(t, app.RoleMarketer, "POST", "/api/v1/campaigns", tt.body)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %v", code, body)
			}
			if tt.field != "" {
				fields, _ := body["fields"].(map[string]any)
				if fields[tt.field] == nil {
					t.Fatalf("no message for %s: %v", tt.field, body)
				}
			}
		})
	}
}

func TestCampaignAPILifecycle(t *testing.T) {
	f := newCampaignAPI(t)
	m := app.RoleMarketer
	code, c := f.call(t, m, "POST", "/api/v1/campaigns", draftJSON)
	if code != http.StatusCreated || c["status"] != "draft" {
		t.Fatalf("create: %d %v", code, c)
	}
	id := "/api/v1/campaigns/" + jsonID(c)

	if code, c = f.call(t, m, "PATCH", id, `{"subject":"New subject"}`); code != 200 || c["subject"] != "New subject" || c["name"] != "Spring" {
		t.Fatalf("patch: %d %v", code, c)
	}
	if code, c = f.call(t, m, "PUT", id, `{"name":"Summer","subject":"S","purpose":"informational","body_html":"<p>x</p>"}`); code != 200 || c["purpose"] != "informational" {
		t.Fatalf("put: %d %v", code, c)
	}
	if code, c = f.call(t, m, "POST", id+"/test", `{"to":["a@example.org","b@example.org"]}`); code != 200 {
		t.Fatalf("test: %d %v", code, c)
	}
	if code, _ = f.call(t, m, "POST", id+"/test", `{"to":[]}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("test to nobody: %d", code)
	}
	if code, _ = f.call(t, m, "POST", id+"/schedule", `{"send_at":"tomorrow"}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("bad send_at: %d", code)
	}
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	code, c = f.call(t, m, "POST", id+"/schedule", `{"send_at":"`+at.Format(time.RFC3339)+`"}`)
	if code != 200 || c["status"] != "scheduled" || c["send_at"] != at.Format(time.RFC3339) {
		t.Fatalf("schedule: %d %v", code, c)
	}
	if code, c = f.call(t, m, "PATCH", id, `{"subject":"Too late"}`); code != http.StatusConflict {
		t.Fatalf("edit a scheduled campaign: %d %v", code, c)
	}
	if code, c = f.call(t, m, "POST", id+"/pause", ""); code != 200 || c["status"] != "paused" {
		t.Fatalf("pause: %d %v", code, c)
	}
	if code, c = f.call(t, m, "POST", id+"/resume", ""); code != 200 || c["status"] != "scheduled" {
		t.Fatalf("resume before the send time: %d %v", code, c)
	}
	if code, c = f.call(t, m, "POST", id+"/schedule", ""); code != 200 || c["status"] != "scheduled" {
		t.Fatalf("schedule now: %d %v", code, c)
	}
	if code, c = f.call(t, m, "GET", id, ""); code != 200 {
		t.Fatalf("get: %d %v", code, c)
	}
	for _, k := range []string{"id", "status", "recipients", "sent", "failed", "skipped", "opted_out", "unsubscribed", "bounced",
		"bounced_hard", "bounced_soft", "complaints", "skipped_reasons"} {
		if _, ok := c[k]; !ok {
			t.Errorf("GET lacks %s: %v", k, c)
		}
	}
	if code, c = f.call(t, m, "GET", id+"/failed", ""); code != 200 || c["failed"] == nil {
		t.Fatalf("failed deliveries: %d %v", code, c)
	}
	if code, _ = f.call(t, m, "GET", "/api/v1/campaigns/424242/failed", ""); code != http.StatusNotFound {
		t.Fatalf("failed deliveries of a missing campaign: %d", code)
	}
	if code, c = f.call(t, m, "POST", id+"/retry-failed", ""); code != http.StatusConflict {
		t.Fatalf("retry a scheduled campaign: %d %v", code, c)
	}
	if code, c = f.call(t, m, "POST", id+"/cancel", ""); code != 200 || c["status"] != "cancelled" {
		t.Fatalf("cancel: %d %v", code, c)
	}
	if code, c = f.call(t, m, "POST", id+"/resume", ""); code != http.StatusConflict {
		t.Fatalf("resume a cancelled campaign: %d %v", code, c)
	}
	if code, _ = f.call(t, m, "GET", "/api/v1/campaigns/424242", ""); code != http.StatusNotFound {
		t.Fatalf("missing campaign: %d", code)
	}
	code, c = f.call(t, m, "GET", "/api/v1/campaigns?status=cancelled", "")
	if list, _ := c["campaigns"].([]any); code != 200 || len(list) != 1 {
		t.Fatalf("list: %d %v", code, c)
	}
	f.fake.mu.Lock()
	defer f.fake.mu.Unlock()
	if len(f.fake.tests) != 1 || len(f.fake.rounds) != 3 {
		t.Fatalf("tests %v, dispatch rounds %v", f.fake.tests, f.fake.rounds)
	}
}

func jsonID(m map[string]any) string {
	b, _ := json.Marshal(m["id"])
	return string(b)
}
