package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"newsletter/app"
)

// TestWebhookAPI registers, lists, rotates and deletes an endpoint, and
// refuses bad input with 422 naming the field, writing nothing.
func TestWebhookAPI(t *testing.T) {
	p := newAPIParts(t)
	deps := p.deps()
	deps.EventHooks = &app.Webhooks{Store: p.st}
	a := p.serve(deps)
	owner := app.RoleOwner

	for _, tc := range []struct {
		name, body, field string
	}{
		{"PlainHTTP", `{"url":"http://hooks.example.com/in","events":["consent.withdrawn"]}`, "url"},
		{"NotAURL", `{"url":"hooks.example.com/in","events":["consent.withdrawn"]}`, "url"},
		{"OtherScheme", `{"url":"ftp://hooks.example.com/in","events":["consent.withdrawn"]}`, "url"},
		{"NoURL", `{"events":["consent.withdrawn"]}`, "url"},
		{"Loopback", `{"url":"https://127.0.0.1/in","events":["consent.withdrawn"]}`, "url"},
		{"Localhost", `{"url":"https://localhost:8443/in","events":["consent.withdrawn"]}`, "url"},
		{"Private", `{"url":"https://10.1.2.3/in","events":["consent.withdrawn"]}`, "url"},
		{"LinkLocal", `{"url":"https://169.254.169.254/latest","events":["consent.withdrawn"]}`, "url"},
		{"IPv6Loopback", `{"url":"https://[::1]/in","events":["consent.withdrawn"]}`, "url"},
		{"Credentials", `{"url":"https://user:pw@hooks.example.com/in","events":["consent.withdrawn"]}`, "url"},
		{"UnknownEvent", `{"url":"https://hooks.example.com/in","events":["consent.withdrawn","subscriber.deleted"]}`, "events"},
		{"NoEvents", `{"url":"https://hooks.example.com/in","events":[]}`, "events"},
		{"UnknownField", `{"url":"https://hooks.example.com/in","events":["consent.withdrawn"],"secret":"mine"}`, "secret"},
		{"EventsNotAList", `{"url":"https://hooks.example.com/in","events":"consent.withdrawn"}`, "events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := a.call(t, owner, "POST", "/api/v1/webhooks", tc.body)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("%d %v, want 422", code, out)
			}
			fields, _ := out["fields"].(map[string]any)
			if fields[tc.field] == nil {
				t.Errorf("no message for %s: %v", tc.field, out)
			}
		})
	}
	if code, out := a.call(t, owner, "GET", "/api/v1/webhooks", ""); code != 200 || len(out["webhooks"].([]any)) != 0 {
		t.Fatalf("after refusals: %d %v", code, out)
	}

	code, out := a.call(t, owner, "POST", "/api/v1/webhooks",
		`{"url":"https://hooks.example.com/in","events":["subscriber.erased","consent.withdrawn","subscriber.erased"]}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	secret, _ := out["secret"].(string)
	id := int64(out["id"].(float64))
	if !strings.HasPrefix(secret, "whsec_") || id == 0 || len(out["events"].([]any)) != 2 {
		t.Fatalf("created %v", out)
	}
	path := "/api/v1/webhooks/" + strconv.FormatInt(id, 10)

	// Listed without the secret.
	_, body := mustDo(t, a, "GET", "/api/v1/webhooks")
	if strings.Contains(body, secret) || !strings.Contains(body, "hooks.example.com") {
		t.Errorf("list: %s", body)
	}
	// Others may not see or change endpoints.
	for _, role := range []app.Role{app.RoleMarketer, app.RolePrivacyOfficer} {
		if code, _ := a.call(t, role, "GET", "/api/v1/webhooks", ""); code != http.StatusForbidden {
			t.Errorf("%s: %d", role, code)
		}
	}

	// Rotation: a new secret, the old one signs until the time given.
	code, out = a.call(t, owner, "POST", path+"/rotate-secret", "")
	if code != 200 || out["secret"] == secret || !strings.HasPrefix(out["secret"].(string), "whsec_") || out["previous_secret_until"] == nil {
		t.Fatalf("rotate: %d %v", code, out)
	}
	ep, err := p.st.WebhookEndpoint(context.Background(), id)
	must(t, err)
	if ep.PreviousSecret != secret || ep.Secret != out["secret"] {
		t.Errorf("after rotation: secret %q previous %q", ep.Secret[:10], ep.PreviousSecret[:10])
	}

	if code, out := a.call(t, owner, "GET", path+"/deliveries", ""); code != 200 || len(out["deliveries"].([]any)) != 0 {
		t.Errorf("deliveries: %d %v", code, out)
	}
	if code, _ := a.call(t, owner, "POST", "/api/v1/webhooks/deliveries/999/replay", ""); code != http.StatusNotFound {
		t.Errorf("replay of nothing: %d", code)
	}
	if code, _ := a.call(t, owner, "DELETE", path, ""); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	for _, r := range []struct{ method, path string }{{"DELETE", path}, {"POST", path + "/rotate-secret"}, {"GET", path + "/deliveries"}} {
		if code, _ := a.call(t, owner, r.method, r.path, ""); code != http.StatusNotFound {
			t.Errorf("%s %s after delete: %d", r.method, r.path, code)
		}
	}
}

// TestWebhookAPIOff: without event webhooks in the process the routes
// answer 503, as every API route of a part that is off.
func TestWebhookAPIOff(t *testing.T) {
	p := newAPIParts(t)
	a := p.serve(p.deps())
	if code, _ := a.call(t, app.RoleOwner, "GET", "/api/v1/webhooks", ""); code != http.StatusServiceUnavailable {
		t.Errorf("%d, want 503", code)
	}
}

func mustDo(t *testing.T, a *apiServer, method, path string) (int, string) {
	t.Helper()
	code, _, b := a.do(t, app.RoleOwner, method, path, "")
	if code != 200 {
		t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	return code, string(b)
}
