package main_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// adminToken creates an admin with role and returns an API token for it.
func adminToken(t *testing.T, env map[string]string, email, role string) string {
	t.Helper()
	if code, out, errOut := runCmd(t, env, "admin", "create", "--email", email, "--role", role); code != 0 {
		t.Fatalf("admin create: %d %s %s", code, out, errOut)
	}
	code, token, errOut := runCmd(t, env, "admin", "token", "--email", email)
	if code != 0 {
		t.Fatalf("admin token: %d %s", code, errOut)
	}
	return strings.TrimSpace(token)
}

// marketerAuth is the Authorization header of a new marketer's API token.
func marketerAuth(t *testing.T, env map[string]string) []string {
	t.Helper()
	return []string{"Authorization", "Bearer " + adminToken(t, env, "marketer@example.com", "marketer")}
}

// TestPrivacyOperationsEndToEnd runs the product (PostgreSQL, Redis) and
// drives the privacy officer's API: an imported person is found, blocked,
// erased; the register, the destruction records (CSV) and the audit log
// show it; a marketer is refused throughout.
func TestPrivacyOperationsEndToEnd(t *testing.T) {
	t.Parallel()
	env := productionEnv(t)
	officer := []string{"Authorization", "Bearer " + adminToken(t, env, "officer@example.com", "privacy_officer")}
	marketer := marketerAuth(t, env)
	file := writeFile(t, "people.csv", "name,email,phone,consent_at,consent_source\nMaria Ivanova,maria@example.com,+7 912 555-44-33,2025-05-01,shop\n")
	if code, out, errOut := runCmd(t, env, "import", file); code != 0 || !strings.Contains(out, "imported:            1") {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	p := start(t, env, "serve")
	sub := apiSubscriber(t, p, officer, "maria@example.com")
	base := p.base + "/api/v1/subscribers/" + jsonNumber(sub["id"].(float64))

	for _, r := range [][2]string{{"GET", p.base + "/api/v1/subscribers"}, {"POST", base + "/block"}, {"POST", base + "/erase"},
		{"GET", p.base + "/api/v1/requests"}, {"GET", p.base + "/api/v1/destructions"}, {"GET", p.base + "/api/v1/audit"}} {
		if code, body := do(t, r[0], r[1], "application/json", `{"reason":"x"}`, marketer...); code != 403 {
			t.Errorf("%s %s as a marketer: %d %s", r[0], r[1], code, body)
		}
	}
	// An access request, extended: the person gets the reasoned notice.
	code, body := do(t, "POST", p.base+"/api/v1/requests", "application/json",
		`{"kind":"access","channel":"email","subscriber_id":`+jsonNumber(sub["id"].(float64))+`}`, officer...)
	var access struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &access); (code != 200 && code != 201) || err != nil || access.ID == 0 {
		t.Fatalf("register access request: %d %s", code, body)
	}
	reqURL := p.base + "/api/v1/requests/" + jsonNumber(float64(access.ID))
	if code, body := do(t, "POST", reqURL+"/extend", "application/json", `{"reason":"the 2024 records are in the archive"}`, officer...); code != 200 ||
		!strings.Contains(body, `"extended_reason":"the 2024 records are in the archive"`) {
		t.Fatalf("extend: %d %s", code, body)
	}
	notice := waitOutboxMail(t, filepath.Join(env["NEWSLETTER_DATA_DIR"], "outbox"), "maria@example.com", "the 2024 records are in the archive")
	if !strings.Contains(notice, "Auto-Submitted: auto-generated") {
		t.Errorf("the notice is not marked automatic:\n%s", notice)
	}

	if code, body := do(t, "POST", base+"/block", "application/json", `{"reason":"verifying identity"}`, officer...); code != 200 ||
		!strings.Contains(body, `"status":"blocked"`) {
		t.Fatalf("block: %d %s", code, body)
	}
	if code, body := do(t, "POST", base+"/erase", "application/json", `{"reason":"written request"}`, officer...); code != 200 ||
		!strings.Contains(body, `"already_erased":false`) {
		t.Fatalf("erase: %d %s", code, body)
	}
	if d := apiSubscriberByID(t, base, officer); d["status"] != "erased" || d["email"] != "" || d["phone"] != "" || d["name"] != "" {
		t.Fatalf("after erasure: %v", d)
	}

	code, body = get(p.base+"/api/v1/requests?kind=consent_revocation", officer...)
	var reqs struct {
		Requests []map[string]any `json:"requests"`
	}
	if err := json.Unmarshal([]byte(body), &reqs); code != 200 || err != nil || len(reqs.Requests) != 1 {
		t.Fatalf("requests: %d %s", code, body)
	}
	if r := reqs.Requests[0]; r["status"] != "completed" || r["channel"] != "api" || r["due_at"] == nil || r["completed_at"] == nil {
		t.Errorf("revocation %v", r)
	}

	code, body = get(p.base+"/api/v1/destructions", append([]string{"Accept", "text/csv"}, officer...)...)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if code != 200 || err != nil || len(rows) != 2 || rows[1][2] != "Maria Ivanova" || !strings.Contains(rows[1][5], "written request") {
		t.Fatalf("destructions csv: %d %v %q", code, err, body)
	}

	code, body = get(p.base+"/api/v1/audit", officer...)
	for _, action := range []string{"subscribers_imported", "subscriber_blocked", "subscriber_erased", "destructions_exported"} {
		if code != 200 || !strings.Contains(body, `"action":"`+action+`"`) {
			t.Errorf("audit lacks %s: %d %s", action, code, body)
		}
	}
	if strings.Contains(body, "maria") || strings.Contains(body, "Maria") {
		t.Errorf("the audit log holds personal data: %s", body)
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func apiSubscriberByID(t *testing.T, url string, auth []string) map[string]any {
	t.Helper()
	code, body := get(url, auth...)
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); code != 200 || err != nil {
		t.Fatalf("subscriber: %d %s", code, body)
	}
	return d
}

// waitOutboxMail waits for a message in the embedded outbox addressed to
// to whose decoded text contains want, and returns it.
func waitOutboxMail(t *testing.T, outbox, to, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(outbox, outboxMessages))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil || !strings.Contains(m.Header.Get("To"), to) {
				continue
			}
			if strings.Contains(mailBody(t, raw), want) {
				return string(raw)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no message to %s saying %q in %s", to, want, outbox)
	return ""
}
