package web_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/internal/testenv"
	"newsletter/web"
)

// TestOpenAPIAnswers sends real requests to every /api/v1 route, on
// PostgreSQL and on the embedded database, and validates each request that
// should succeed and every answer (status, content type, body) by
// web/openapi.json: a success of each route; 401 without a token and 403
// with a role without the right on each; 404, 409, 422 and 503 among the
// campaigns, subscribers, requests, suppressions and policies.
func TestOpenAPIAnswers(t *testing.T) {
	for _, db := range []struct{ name, dsn string }{{"SQLite", ""}, {"PostgreSQL", "postgres"}} {
		t.Run(db.name, func(t *testing.T) {
			dsn := ""
			if db.dsn != "" {
				dsn = testenv.Postgres(t)
			}
			p := newAPIPartsOn(t, dsn, filepath.Join(t.TempDir(), "api.db"))
			fake := &fakeDispatch{}
			uc := &app.Campaigns{Store: p.st, Queue: fake, Tester: fake, Signer: p.svc.Signer}
			deps := p.deps()
			deps.Campaigns, deps.Feedback = uc, p.svc
			deps.EventHooks = &app.Webhooks{Store: p.st}
			api := p.serve(deps)
			r := &specRun{spec: loadAPISpec(t, api.srv), api: api, seen: map[string]map[int]bool{}}
			exerciseAPI(t, r, p, uc)
			// A process without the campaigns and the privacy operations.
			bare := &specRun{spec: r.spec, api: p.serve(web.Deps{Log: quietLog(), APITokens: p.admins}), seen: r.seen}
			bare.call(t, app.RoleMarketer, "GET", "/api/v1/campaigns", "", 503)
			bare.call(t, app.RoleOwner, "GET", "/api/v1/cross-border", "", 503)
			bare.call(t, app.RoleOwner, "GET", "/api/v1/newsletters", "", 503)
			for _, row := range apiRows(api.srv) {
				key, seen := row.Method+" "+specPath(row.Path), false
				for code := range r.seen[key] {
					seen = seen || code < 300
				}
				if !seen {
					t.Errorf("%s was not called with success: add a call to exerciseAPI (web/openapi_routes_test.go)", key)
				}
			}
		})
	}
}

// exerciseAPI calls every route of the API on the parts p.
func exerciseAPI(t *testing.T, r *specRun, p *apiParts, uc *app.Campaigns) {
	ctx := context.Background()
	o, m, pr := app.RoleOwner, app.RoleMarketer, app.RolePrivacyOfficer
	person := func(email string) string {
		s := &app.Subscriber{Email: email, EmailHash: p.svc.Signer.KeyedHash(email), Name: "Name of " + email, Phone: "+79123456789",
			Locale: "en", Status: app.StatusActive}
		must(t, p.st.CreateSubscriber(ctx, s))
		for _, purpose := range []app.Purpose{app.PurposeProcessing, app.PurposeMarketing} {
			must(t, p.st.SetConsent(ctx, s.ID, purpose, true, time.Now()))
		}
		return fmt.Sprint(s.ID)
	}
	anna, boris := person("anna@example.com"), person("boris@example.com")
	_ = person("cora@example.com")
	camp, refs := sendToAll(t, p.st, uc, p.svc.Signer)
	cora, err := p.st.SubscriberByEmail(ctx, "cora@example.com")
	must(t, err)
	_, err = p.svc.RecordWebhook(ctx, "r1", []app.FeedbackEvent{{Key: "1", Source: app.FeedbackFromSendGrid, Kind: app.FeedbackComplaint,
		RefHints: []string{refs[cora.ID]}, Recipient: cora.Email}})
	must(t, err)
	review := func(n int) string {
		raw := fmt.Sprintf("Message-ID: <review-%d@example.net>\r\nFrom: anna@example.com\r\nSubject: x\r\n\r\nx\r\n", n)
		id, _, err := p.svc.ReceiveInbound(ctx, []byte(raw), app.InboundSource{Source: app.InboundWebhook})
		must(t, err)
		msg, err := p.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: id, Disposition: app.EmailIsRequest, From: "anna@example.com",
			Kind: app.KindUnknown, Lang: "en", Summary: &app.MessageSummary{From: "anna@example.com", Subject: "x", Text: "x"}})
		must(t, err)
		must(t, p.svc.FinishEmail(ctx, msg.ID, msg.Round, false))
		return fmt.Sprint(*msg.RequestID)
	}
	rev1, rev2 := review(1), review(2)
	raw := []byte("From: MAILER-DAEMON@example.net\r\nSubject: Undelivered Mail\r\nMessage-ID: <report@example.net>\r\n\r\n550 5.1.1 x@example.com\r\n")
	id, _, err := p.svc.ReceiveInbound(ctx, raw, app.InboundSource{Source: app.InboundWebhook})
	must(t, err)
	_, err = p.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: id, Disposition: app.EmailIsBounce,
		Feedback: []app.FeedbackEvent{{Source: app.FeedbackFromReport, Kind: app.FeedbackHardBounce, Recipient: "x@example.com"}},
		Summary:  &app.MessageSummary{From: "MAILER-DAEMON@example.net", Subject: "Undelivered Mail"}})
	must(t, err)

	// Every route without a token, and with a role without the right.
	for _, row := range apiRows(r.api.srv) {
		target := strings.NewReplacer(":id<int>", "1", ":list", "bounced", ":hash", "abc").Replace(row.Path)
		if row.Access != "api" {
			continue
		}
		r.call(t, "", row.Method, target, "", 401)
		roles := rolesOf(row)
		for _, role := range []app.Role{m, pr} {
			if !slices.Contains(roles, string(role)) {
				r.call(t, role, row.Method, target, "", 403)
				break
			}
		}
	}

	// The description itself, and who calls.
	r.call(t, "", "GET", "/api/v1/openapi.json", "", 200)
	r.call(t, m, "GET", "/api/v1/me", "", 200)
	r.call(t, "", "GET", "/api/v1/me", "", 401, "Authorization", "Bearer not-a-token")
	r.call(t, m, "GET", "/api/v1/policies", "", 200)
	r.call(t, pr, "POST", "/api/v1/policies", `{"version":"v2","body_en":"New.","body_ru":"Новая."}`, 201)
	r.call(t, pr, "POST", "/api/v1/policies", `{"version":"v2","body_en":"Again.","body_ru":"Снова."}`, 409)
	r.call(t, pr, "POST", "/api/v1/policies", `{"version":""}`, 422)
	r.call(t, m, "GET", "/api/v1/cross-border", "", 200)

	// Subscribers.
	r.call(t, pr, "GET", "/api/v1/subscribers?status=active&q=example&limit=10", "", 200)
	r.call(t, pr, "GET", "/api/v1/subscribers?status=gone", "", 422)
	r.call(t, o, "GET", "/api/v1/subscribers/"+anna, "", 200)
	r.call(t, pr, "GET", "/api/v1/subscribers/424242", "", 404)
	r.call(t, pr, "GET", "/api/v1/subscribers/"+anna+"/export", "", 200)
	r.call(t, pr, "POST", "/api/v1/subscribers/"+boris+"/block", `{"reason":"disputed"}`, 200)
	r.call(t, pr, "POST", "/api/v1/subscribers/"+boris+"/block", `{"reason":1}`, 422)
	r.call(t, pr, "POST", "/api/v1/subscribers/"+boris+"/unblock", `{"reason":"resolved"}`, 200)
	r.call(t, pr, "GET", "/api/v1/subscribers/"+boris+"/blocks", "", 200)
	r.call(t, pr, "POST", "/api/v1/subscribers/"+boris+"/erase", `{"reason":"asked"}`, 200)
	r.call(t, pr, "POST", "/api/v1/subscribers/"+boris+"/erase", "", 200)
	r.call(t, pr, "POST", "/api/v1/subscribers/424242/erase", "", 404)
	r.call(t, pr, "GET", "/api/v1/destructions?limit=10", "", 200)
	r.call(t, pr, "GET", "/api/v1/destructions", "", 200, "Accept", "text/csv")
	r.call(t, pr, "GET", "/api/v1/destructions?format=csv&bom=1", "", 200)

	// Newsletters: every role reads them, owners write them.
	r.call(t, pr, "GET", "/api/v1/newsletters", "", 200)
	nl := r.call(t, o, "POST", "/api/v1/newsletters", `{"name":"Offers","description":{"en":"Sales","ru":"Скидки"},"purpose":"marketing","public":true}`, 201)
	r.call(t, o, "POST", "/api/v1/newsletters", `{"name":"","purpose":"spam"}`, 422)
	nid := "/api/v1/newsletters/" + jsonID(nl)
	r.call(t, m, "GET", nid, "", 200)
	r.call(t, o, "PATCH", nid, `{"public":false,"description":{"en":"Sales only","ru":"Только скидки"}}`, 200)
	r.call(t, o, "PATCH", "/api/v1/newsletters/424242", `{"public":false}`, 404)
	r.call(t, o, "PATCH", nid, `{"purpose":"gossip"}`, 422)
	r.call(t, m, "POST", "/api/v1/campaigns", `{"name":"N","subject":"x","purpose":"informational","body_html":"<p>x</p>","newsletter_ids":[`+jsonID(nl)+`]}`, 422)
	r.call(t, m, "POST", "/api/v1/campaigns", `{"name":"N","subject":"x","purpose":"marketing","body_html":"<p>x</p>","newsletter_ids":[`+jsonID(nl)+`]}`, 201)

	// Campaigns.
	c := r.call(t, m, "POST", "/api/v1/campaigns", draftJSON, 201)
	r.call(t, m, "POST", "/api/v1/campaigns", `{"name":"","subject":"x","purpose":"marketing","body_html":"<p>x</p>"}`, 422)
	cid := "/api/v1/campaigns/" + jsonID(c)
	r.call(t, m, "GET", "/api/v1/campaigns?status=draft&limit=10", "", 200)
	r.call(t, m, "GET", "/api/v1/campaigns?status=lost", "", 422)
	r.call(t, m, "GET", cid, "", 200)
	r.call(t, m, "GET", "/api/v1/campaigns/424242", "", 404)
	r.call(t, m, "PATCH", cid, `{"subject":"New subject"}`, 200)
	r.call(t, m, "PUT", cid, `{"name":"Summer","subject":"S","purpose":"informational","locale":"en","body_html":"<p>x</p>","body_text":"x"}`, 200)
	r.call(t, m, "POST", cid+"/test", `{"to":["a@example.org"]}`, 200)
	r.call(t, m, "POST", cid+"/test", `{"to":[]}`, 422)
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	r.call(t, m, "POST", cid+"/schedule", `{"send_at":"`+at+`"}`, 200)
	r.call(t, m, "PATCH", cid, `{"subject":"Too late"}`, 409)
	r.call(t, m, "POST", cid+"/pause", "", 200)
	r.call(t, m, "POST", cid+"/resume", "", 200)
	r.call(t, m, "POST", cid+"/cancel", "", 200)
	r.call(t, m, "POST", cid+"/resume", "", 409)
	done := fmt.Sprintf("/api/v1/campaigns/%d", camp.ID)
	r.call(t, m, "GET", done+"/failed?limit=10", "", 200)
	r.call(t, m, "POST", done+"/retry-failed", "", 200)
	r.call(t, m, "GET", done+"/outcomes/complaints", "", 200)
	r.call(t, pr, "GET", done+"/outcomes/complaints", "", 200)
	r.call(t, m, "GET", done+"/outcomes/everything", "", 422)
	r.call(t, m, "GET", "/api/v1/campaigns/424242/outcomes/bounced", "", 404)

	// The request register and the review queue.
	req := r.call(t, pr, "POST", "/api/v1/requests", `{"kind":"access","subscriber_id":`+anna+`,"channel":"admin","note":"by phone"}`, 201)
	r.call(t, pr, "POST", "/api/v1/requests", `{"kind":"wish"}`, 422)
	rid := "/api/v1/requests/" + jsonID(req)
	r.call(t, pr, "GET", "/api/v1/requests?open=true&kind=access&due_before=2099-01-01", "", 200)
	r.call(t, pr, "GET", "/api/v1/requests?open=maybe", "", 422)
	r.call(t, pr, "GET", rid, "", 200)
	r.call(t, pr, "GET", "/api/v1/requests/424242", "", 404)
	r.call(t, pr, "POST", rid+"/extend", `{"reason":"large archive"}`, 200)
	r.call(t, pr, "POST", rid+"/notes", `{"note":"called back"}`, 201)
	r.call(t, pr, "POST", rid+"/notes", `{"note":""}`, 422)
	r.call(t, pr, "GET", rid+"/notes", "", 200)
	r.call(t, pr, "POST", rid+"/answer", `{"answer":"We hold your name and address."}`, 201)
	r.call(t, pr, "POST", rid+"/complete", `{"note":"answered"}`, 200)
	r.call(t, pr, "GET", "/api/v1/requests/review", "", 200)
	r.call(t, pr, "POST", "/api/v1/requests/"+rev1+"/assign", `{"kind":"access"}`, 202)
	r.call(t, pr, "POST", "/api/v1/requests/"+rev2+"/reject", `{"reason":"spam"}`, 200)

	// Suppressions.
	sup := r.call(t, pr, "POST", "/api/v1/suppressions", `{"email":"gone@example.com","note":"asked"}`, 201)
	r.call(t, pr, "POST", "/api/v1/suppressions", `{"email":"not an address"}`, 422)
	r.call(t, pr, "GET", "/api/v1/suppressions", "", 200)
	r.call(t, pr, "GET", "/api/v1/suppressions?reason=manual&limit=10", "", 200)
	r.call(t, pr, "DELETE", "/api/v1/suppressions/"+fmt.Sprint(sup["email_hash"]), "", 204)
	r.call(t, pr, "POST", "/api/v1/suppressions", `{"email":"left@example.com"}`, 201)
	r.call(t, pr, "DELETE", "/api/v1/suppressions", `{"email":"left@example.com"}`, 204)
	coraHash := p.svc.Signer.KeyedHash(cora.Email)
	r.call(t, pr, "DELETE", "/api/v1/suppressions/"+coraHash, "", 409)
	r.call(t, pr, "POST", "/api/v1/suppressions", `{"email":"back@example.com"}`, 201)
	r.call(t, pr, "POST", "/api/v1/suppressions/lift", `{"email":"back@example.com","reason":""}`, 422)
	r.call(t, pr, "POST", "/api/v1/suppressions/lift", `{"email":"back@example.com","reason":"asked again"}`, 200)
	r.call(t, pr, "POST", "/api/v1/suppressions/"+coraHash+"/lift", `{"reason":"reported by mistake"}`, 200)
	r.call(t, pr, "GET", "/api/v1/suppressions/lifts", "", 200)

	r.call(t, pr, "GET", "/api/v1/inbound?limit=10", "", 200)
	r.call(t, pr, "GET", "/api/v1/audit?limit=10&since=2000-01-01", "", 200)
	r.call(t, pr, "GET", "/api/v1/audit?since=yesterday", "", 422)

	// Event webhooks, owners only.
	r.call(t, o, "POST", "/api/v1/webhooks", `{"url":"http://hooks.example.com/in","events":["consent.withdrawn"]}`, 422)
	r.call(t, o, "POST", "/api/v1/webhooks", `{"url":"https://hooks.example.com/in","events":["subscriber.deleted"]}`, 422)
	hook := r.call(t, o, "POST", "/api/v1/webhooks", `{"url":"https://hooks.example.com/in","events":["consent.withdrawn"]}`, 201)
	hookID := fmt.Sprint(hook["id"])
	r.call(t, m, "GET", "/api/v1/webhooks", "", 403)
	r.call(t, o, "GET", "/api/v1/webhooks", "", 200)
	must(t, p.st.RecordEvent(ctx, app.Event{Type: app.EventConsentWithdrawn, Data: app.EventData{SubscriberID: 1, Purpose: app.PurposeMarketing}}))
	deliveries := r.call(t, o, "GET", "/api/v1/webhooks/"+hookID+"/deliveries?limit=10", "", 200)
	list, _ := deliveries["deliveries"].([]any)
	if len(list) != 1 {
		t.Fatalf("deliveries %v", deliveries)
	}
	r.call(t, o, "POST", "/api/v1/webhooks/deliveries/"+fmt.Sprint(list[0].(map[string]any)["id"])+"/replay", "", 202)
	r.call(t, o, "POST", "/api/v1/webhooks/deliveries/999999/replay", "", 404)
	r.call(t, o, "POST", "/api/v1/webhooks/"+hookID+"/rotate-secret", "", 200)
	r.call(t, o, "DELETE", "/api/v1/webhooks/"+hookID, "", 204)
	r.call(t, o, "GET", "/api/v1/webhooks/"+hookID+"/deliveries", "", 404)
}
