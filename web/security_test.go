package web_test

// The attack suite. Every route the server registers is listed once in
// secEnv.routes with what protects it; TestSecurityRouteTable fails when a
// route is added without an entry. Each test below walks that table:
//
//   - TestSecurityLinks: forged, altered, truncated, extended, expired and
//     other-purpose tokens on every signed-link route: 400, nothing changed.
//   - TestSecurityAPI: every /api/v1 route without a token, with bad ones
//     and with a console cookie instead: 401; with a role without the
//     right: 403; nothing changed. The inbound webhook likewise.
//   - TestSecurityConsole: every console route without a session or with a
//     forged one; every state-changing one without, with a wrong, a
//     foreign or a cross-site CSRF token; every route with each role
//     without the right, on real targets with bodies that would succeed:
//     refused, nothing changed. The sign-in form's own CSRF token.
//   - TestSecurityEnumeration: /subscribe and /preferences answer the same
//     for active, pending, blocked, erased and unknown addresses, and in
//     about the same time.
//   - TestSecurityMarkup: markup stored through every text a person or an
//     operator can enter, and reflected through every query parameter, is
//     escaped on every page and in every JSON answer; names and subjects
//     with line breaks are refused; no header can be injected.
//   - TestSecuritySQLMetacharacters: SQL metacharacters in every filter,
//     path and form field give normal answers, are stored verbatim, search
//     literally (on SQLite too), and leave every table intact.
//   - TestSecurityBodies: bodies over the limit get 413 on every route that
//     takes one; malformed JSON and forms get a 4xx with a JSON error for
//     programs.
//   - TestSecurityRateLimits: the subscription form, the preferences link,
//     a new address in the preference centre, a new confirmation link and
//     the sign-in form answer 429 past their limits, and do nothing then.
//
// Mail (names with markup or line breaks in confirmations and campaigns)
// is attacked in jobs/security_test.go.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/metrics"
	"newsletter/web"
)

// switchLimiter lets a test turn the rate limits off (the other tests send
// more than a visitor would) and on again with every counter at zero. The
// counting is Redis's, in windows stretched so that a test never straddles
// two (the real windows are aligned to the clock).
type switchLimiter struct {
	inner web.RateLimiter
	on    atomic.Bool
	epoch atomic.Int64
}

func (l *switchLimiter) Allow(ctx context.Context, key string, n int, _ time.Duration) (bool, error) {
	if !l.on.Load() {
		return true, nil
	}
	return l.inner.Allow(ctx, strconv.FormatInt(l.epoch.Load(), 10)+":"+key, n, 1000*time.Hour)
}

// reset turns the limits on, every counter at zero.
func (l *switchLimiter) reset() {
	l.epoch.Add(1)
	l.on.Store(true)
}

const (
	secLimitIP      = 5
	secLimitAddress = 3
	secBodyLimit    = 64 << 10
	secInboundLimit = 192 << 10
	secImportLimit  = 128 << 10
	inboundSecret   = "inbound-secret-of-the-attack-suite"
	// hostile is markup that breaks out of text, of double- and of
	// single-quoted attributes.
	hostile = `<script>alert("xss")</script>"><img src=x onerror=alert(1)>' onmouseover='alert(1)`
	// hostileURL is a script URL with markup after it.
	hostileURL = `javascript:alert(1)//"><script>alert("xss")</script>`
	// hostileUA is the browser of the person who subscribed the victim.
	hostileUA = `Mozilla/5.0 <script>alert("xss")</script> "><img src=x onerror=alert(1)>`
)

// routeKind is what protects a route.
type routeKind int

const (
	kindPublic  routeKind = iota // anyone: same answers, rate limits, escaping
	kindLink                     // a signed token in the path
	kindInbound                  // the INBOUND_TOKEN bearer token
	kindLogin                    // the sign-in form's own CSRF token
	kindAdmin                    // a console session, its CSRF token and a role
	kindAPI                      // an API bearer token and a role
)

// secRoute is one registered route and how to attack it.
type secRoute struct {
	method, path string // as registered
	kind         routeKind
	// roles may use an admin or API route (the owner always may).
	roles []app.Role
	// purpose is the token purpose of a link route.
	purpose app.TokenPurpose
	// target is the path with real ids; empty: path itself.
	target string
	// form is a console or link body that would succeed for the right
	// caller; body is the JSON body of an API or public route.
	form url.Values
	body string
	// query lists the query parameters the handler reads.
	query []string
	// json marks handlers that decode a JSON body.
	json bool
	// bodyLimit is the route's own body limit; 0: secBodyLimit.
	bodyLimit int
}

// limit is the largest body the route accepts.
func (r secRoute) limit() int {
	if r.bodyLimit > 0 {
		return r.bodyLimit
	}
	return secBodyLimit
}

func (r secRoute) hasBody() bool {
	return r.method == http.MethodPost || r.method == http.MethodPut || r.method == http.MethodPatch || r.method == http.MethodDelete
}

func (r secRoute) String() string { return r.method + " " + r.path }

// secEnv is a server with every part plugged in, accounts and API tokens
// of every role, and the rows the routes act on.
type secEnv struct {
	*console
	lim      *switchLimiter
	tokens   map[app.Role]string
	sessions map[app.Role]*session
	admins   map[app.Role]*app.Admin
	// active is an active subscriber with every consent; victim was
	// subscribed over HTTP by a hostile browser from a hostile page and
	// confirmed; pending has an unused confirmation; revoker an unused
	// revocation link; blocked and erased are what they say.
	active, victim, pending, revoker, blocked *app.Subscriber
	erasedEmail                               string
	erasedID                                  int64
	pendingConf, revokeConf                   int64
	requestID, reviewID, tokenID              int64
	hookID, hookDeliveryID                    int64
	hash, outboxName                          string
}

func newSecEnv(t *testing.T) *secEnv {
	t.Helper()
	ctx := context.Background()
	e := &secEnv{lim: &switchLimiter{}, tokens: map[app.Role]string{}, sessions: map[app.Role]*session{}, admins: map[app.Role]*app.Admin{}}
	c := &console{clock: &clock{t: time.Now().UTC()}, passwords: map[app.Role]string{}, emails: map[app.Role]string{}, outbox: t.TempDir()}
	var camps *app.Campaigns
	c.fixture = newFixture(t, func(s *setup) {
		camps = &app.Campaigns{Store: s.store, Queue: consoleQueue{}, Tester: consoleQueue{}, Signer: s.signer}
		s.plugConsole(c, camps)
		s.plugOptOut()
		s.InboundToken = inboundSecret
		s.Metrics = metrics.New()
		e.lim.inner = s.Limiter
		s.Limiter = e.lim
		s.LimitIP, s.LimitAddress, s.BodyLimit, s.InboundBodyLimit = secLimitIP, secLimitAddress, secBodyLimit, secInboundLimit
		s.ImportBodyLimit = secImportLimit
		plugSSO(s, startOIDC(t))
	})
	e.console = c
	for _, r := range []app.Role{app.RoleOwner, app.RoleMarketer, app.RolePrivacyOfficer} {
		email := string(r) + "@example.com"
		a, err := c.auth.Admins.CreateWithPassword(ctx, email, r, consolePassword)
		must(t, err)
		e.admins[r] = a
		c.emails[r], c.passwords[r] = email, consolePassword
		tok, err := c.auth.Admins.NewToken(ctx, email, "suite")
		must(t, err)
		e.tokens[r] = tok
		e.sessions[r] = c.login(t, r)
	}
	owner := e.admins[app.RoleOwner]
	camp, err := camps.Create(ctx, owner, app.CampaignInput{Name: "Spring", Subject: "News", Purpose: app.CampaignMarketing,
		BodyHTML: "<p>Hello {{.Name}}</p>"})
	must(t, err)
	c.campID = camp.ID
	segName := "Russian readers"
	seg, err := (&app.Segments{Store: camps.Store}).Create(ctx, owner, app.SegmentInput{Name: &segName,
		Filter: &app.SegmentFilter{Locales: []string{"ru"}}})
	must(t, err)
	c.segID = seg.ID
	tokens, err := c.auth.Tokens(ctx)
	must(t, err)
	for _, tk := range tokens {
		if tk.AdminID == e.admins[app.RoleMarketer].ID {
			e.tokenID = tk.ID
		}
	}

	e.active = e.fixture.reader(t, "active@example.com")
	e.revoker = e.fixture.reader(t, "revoker@example.com")
	e.blocked = e.fixture.reader(t, "blocked@example.com")
	_, err = e.svc.Block(ctx, owner, e.blocked.ID, app.BlockInput{Reason: "disputed"})
	must(t, err)
	erased := e.fixture.reader(t, "erased@example.com")
	_, err = e.svc.EraseByOperator(ctx, owner, app.ChannelAdmin, erased.ID, "asked")
	must(t, err)
	e.erasedEmail, e.erasedID = "erased@example.com", erased.ID

	// The victim subscribes from a hostile page with a hostile browser,
	// and confirms.
	req := jsonPost("/subscribe", `{"name":"Victor Hugo","email":"victim@example.com","consent_processing":true,`+
		`"consent_marketing":true,"page":`+jsonString(hostileURL)+`}`)
	req.Header.Set("User-Agent", hostileUA)
	if resp, body := e.do(t, req); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, body)
	}
	victimConf := e.confirmations(t)
	e.victim = e.subscriber(t, "victim@example.com")
	req = formPost("/confirm/"+e.svc.Links.ConfirmToken(victimConf[0], e.victim.ID, time.Now().Add(time.Hour)), url.Values{})
	req.Header.Set("User-Agent", hostileUA)
	if resp, _ := e.do(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	e.victim = e.subscriber(t, "victim@example.com")

	if resp, _ := e.do(t, jsonPost("/subscribe", `{"name":"Pat Pending","email":"pending@example.com","consent_processing":true}`)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("subscribe pending: %d", resp.StatusCode)
	}
	e.pendingConf = e.confirmations(t)[0]
	e.pending = e.subscriber(t, "pending@example.com")

	// A revocation asked for by email, waiting for its link.
	id, _, err := e.svc.ReceiveInbound(ctx, []byte("Message-ID: <revoke@example.net>\r\nFrom: revoker@example.com\r\nSubject: x\r\n\r\nx\r\n"),
		app.InboundSource{Source: app.InboundWebhook})
	must(t, err)
	m, err := e.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: id, Disposition: app.EmailIsRequest, From: "revoker@example.com",
		Kind: app.KindConsentRevocation, Lang: "en"})
	must(t, err)
	if m.ConfirmationID == nil {
		t.Fatal("no revocation confirmation")
	}
	e.revokeConf = *m.ConfirmationID

	// An emailed request whose kind was unclear, from a hostile sender.
	id, _, err = e.svc.ReceiveInbound(ctx, []byte("Message-ID: <review@example.net>\r\nFrom: victim@example.com\r\nSubject: x\r\n\r\nx\r\n"),
		app.InboundSource{Source: app.InboundWebhook})
	must(t, err)
	m, err = e.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: id, Disposition: app.EmailIsRequest, From: "victim@example.com",
		Kind: app.KindUnknown, Lang: "en", Summary: &app.MessageSummary{From: "victim@example.com", FromName: hostile,
			Subject: hostile, Text: hostile + "\n" + hostileURL}})
	must(t, err)
	must(t, e.svc.FinishEmail(ctx, m.ID, m.Round, false))
	e.reviewID = *m.RequestID

	r, err := e.svc.RegisterRequest(ctx, owner, app.RegisterInput{SubscriberID: e.victim.ID, Kind: app.KindAccess, Channel: app.ChannelAdmin})
	must(t, err)
	e.requestID = r.ID
	e.hash, err = e.svc.SuppressManually(ctx, owner, "suppressed@example.com", "by hand")
	must(t, err)

	// An event webhook endpoint with one delivery.
	hooks := &app.Webhooks{Store: e.store}
	ep, err := hooks.Create(ctx, owner, app.WebhookInput{URL: "https://hooks.example.com/in", Events: []string{"consent.granted"}})
	must(t, err)
	e.hookID = ep.ID
	must(t, e.store.RecordEvent(ctx, app.Event{Type: app.EventConsentGranted, Data: app.EventData{SubscriberID: e.active.ID}}))
	ds, err := hooks.Deliveries(ctx, ep.ID, 1)
	must(t, err)
	e.hookDeliveryID = ds[0].ID

	// A message in the embedded outbox with hostile headers and text.
	e.outboxName = "20260102T100000.000000000Z-2@example.com.eml"
	eml := "From: \"" + strings.ReplaceAll(hostile, `"`, `'`) + "\" <news@example.com>\r\nTo: victim@example.com\r\nSubject: " + hostile +
		"\r\nDate: Mon, 02 Jan 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + hostile + "\r\n"
	must(t, os.WriteFile(filepath.Join(c.outbox, e.outboxName), []byte(eml), 0o600))
	return e
}

// subscriber reads a subscriber by address.
func (e *secEnv) subscriber(t *testing.T, email string) *app.Subscriber {
	t.Helper()
	s, err := e.store.SubscriberByEmail(context.Background(), email)
	must(t, err)
	return s
}

// confirmations takes the confirmation mail tasks written since the last
// call and returns their confirmation ids.
func (e *secEnv) confirmations(t *testing.T) []int64 {
	t.Helper()
	var ids []int64
	_, err := e.store.RelayOutbox(context.Background(), 1000, func(m app.OutboxMessage) error {
		if m.Kind == app.OutboxConfirmation {
			var ref app.ConfirmationRef
			if err := json.Unmarshal(m.Payload, &ref); err != nil {
				return err
			}
			ids = append(ids, ref.ConfirmationID)
		}
		return nil
	})
	must(t, err)
	if len(ids) == 0 {
		t.Fatal("no confirmation written")
	}
	return ids
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// routes is every route of the server.
func (e *secEnv) routes() []secRoute {
	o, m, p := app.RoleOwner, app.RoleMarketer, app.RolePrivacyOfficer
	all, mkt, prv, own := []app.Role{o, m, p}, []app.Role{o, m}, []app.Role{o, p}, []app.Role{o}
	sub, camp, req, rev, usr := id(e.victim.ID), id(e.campID), id(e.requestID), id(e.reviewID), id(e.admins[m].ID)
	seg := id(e.segID)
	adminQ := []string{"lang", "ok"}
	q := func(extra ...string) []string { return append(slices.Clone(adminQ), extra...) }
	draft := `{"name":"Summer","subject":"Summer news","purpose":"marketing","body_html":"<p>Hi {{.Name}}</p>","body_text":""}`
	return []secRoute{
		// Public.
		{method: "GET", path: "/healthz", kind: kindPublic},
		{method: "GET", path: "/readyz", kind: kindPublic},
		{method: "GET", path: "/metrics", kind: kindPublic},
		{method: "GET", path: "/", kind: kindPublic},
		{method: "GET", path: "/subscribe", kind: kindPublic, query: []string{"form", "lang"}},
		{method: "OPTIONS", path: "/subscribe", kind: kindPublic},
		{method: "POST", path: "/subscribe", kind: kindPublic, json: true,
			body: `{"name":"Anna Smith","email":"anna@example.com","consent_processing":true}`},
		{method: "GET", path: "/preferences", kind: kindPublic, query: []string{"lang"}},
		{method: "POST", path: "/preferences", kind: kindPublic, json: true, body: `{"email":"active@example.com"}`},
		{method: "GET", path: "/privacy", kind: kindPublic, query: []string{"lang"}},
		{method: "GET", path: "/privacy/:version", target: "/privacy/v1", kind: kindPublic, query: []string{"lang"}},
		{method: "GET", path: "/api/v1/openapi.json", kind: kindPublic},
		{method: "GET", path: "/archive", kind: kindPublic, query: []string{"lang", "page"}},
		{method: "GET", path: "/archive.atom", kind: kindPublic, query: []string{"lang"}},
		{method: "GET", path: "/archive/:id<int>", target: "/archive/" + camp, kind: kindPublic, query: []string{"lang"}},
		{method: "GET", path: "/archive/:id<int>/content", target: "/archive/" + camp + "/content", kind: kindPublic, query: []string{"lang"}},
		{method: "GET", path: "/l/:id", target: "/l/" + e.svc.Signer.ClickID(e.campID, 0), kind: kindPublic, query: []string{"lang"}},

		// Signed links.
		{method: "GET", path: "/confirm/:token", kind: kindLink, purpose: app.TokenConfirm, query: []string{"lang"}},
		{method: "POST", path: "/confirm/:token", kind: kindLink, purpose: app.TokenConfirm, form: url.Values{}},
		{method: "POST", path: "/confirm/:token/resend", kind: kindLink, purpose: app.TokenConfirm, form: url.Values{}},
		{method: "GET", path: "/preferences/:token", kind: kindLink, purpose: app.TokenPreferences, query: []string{"lang", "done"}},
		{method: "POST", path: "/preferences/:token", kind: kindLink, purpose: app.TokenPreferences, form: form("action", "revoke")},
		{method: "GET", path: "/preferences/:token/export", kind: kindLink, purpose: app.TokenPreferences},
		{method: "GET", path: "/preferences/:token/revoke", kind: kindLink, purpose: app.TokenPreferences, query: []string{"lang"}},
		{method: "POST", path: "/preferences/:token/revoke", kind: kindLink, purpose: app.TokenPreferences, form: form("confirm", "yes")},
		{method: "GET", path: "/u/:token", kind: kindLink, purpose: app.TokenUnsubscribe, query: []string{"lang"}},
		{method: "POST", path: "/u/:token", kind: kindLink, purpose: app.TokenUnsubscribe, json: true, form: form("List-Unsubscribe", "One-Click")},
		{method: "GET", path: "/revoke/:token", kind: kindLink, purpose: app.TokenRevoke, query: []string{"lang"}},
		{method: "GET", path: "/export/:token", kind: kindLink, purpose: app.TokenExport, query: []string{"lang"}},
		{method: "GET", path: "/export/:token/json", kind: kindLink, purpose: app.TokenExport},
		{method: "POST", path: "/revoke/:token", kind: kindLink, purpose: app.TokenRevoke, form: form("choice", "revoke")},

		{method: "POST", path: "/inbound/mime", kind: kindInbound, bodyLimit: secInboundLimit,
			body: "Message-ID: <suite@example.net>\r\nFrom: someone@example.net\r\nSubject: Unsubscribe\r\n\r\nStop.\r\n"},
		// Off here (404); each provider's own scheme is attacked in
		// security_webhooks_test.go.
		{method: "POST", path: "/webhooks/:provider", target: "/webhooks/postmark", kind: kindPublic},

		// The console.
		{method: "GET", path: "/admin/login", kind: kindLogin, query: []string{"next", "lang", "ok"}},
		{method: "POST", path: "/admin/login", kind: kindLogin},
		// The second step after the password, and single sign-on: the
		// forms' own token, a pending sign-in bound to the browser, the
		// provider's state bound to a cookie (admin_twofactor_test.go,
		// admin_sso_test.go).
		{method: "GET", path: "/admin/login/verify", kind: kindLogin, query: []string{"next", "lang"}},
		{method: "POST", path: "/admin/login/verify", kind: kindLogin},
		{method: "GET", path: "/admin/login/enrol", kind: kindLogin, query: []string{"next", "lang"}},
		{method: "POST", path: "/admin/login/enrol", kind: kindLogin},
		{method: "GET", path: "/admin/login/oidc", kind: kindLogin},
		{method: "GET", path: "/admin/login/oidc/callback", kind: kindLogin, query: []string{"code", "state", "error", "lang"}},
		{method: "GET", path: "/admin/twofactor", kind: kindAdmin, roles: all, query: q()},
		{method: "POST", path: "/admin/twofactor", kind: kindAdmin, roles: all, form: form("code", "123456")},
		{method: "POST", path: "/admin/twofactor/disable", kind: kindAdmin, roles: all, form: form("code", "123456")},
		{method: "POST", path: "/admin/twofactor/recovery", kind: kindAdmin, roles: all, form: form("code", "123456")},
		{method: "POST", path: "/admin/logout", kind: kindAdmin, roles: all, form: url.Values{}},
		{method: "GET", path: "/admin", kind: kindAdmin, roles: all, query: q()},
		{method: "GET", path: "/admin/password", kind: kindAdmin, roles: all, query: q()},
		{method: "POST", path: "/admin/password", kind: kindAdmin, roles: all,
			form: form("current", consolePassword, "new", "a brand new secret", "repeat", "a brand new secret")},
		{method: "GET", path: "/admin/campaigns", kind: kindAdmin, roles: mkt, query: q("status", "template", "before")},
		{method: "GET", path: "/admin/campaigns/new", kind: kindAdmin, roles: mkt, query: q()},
		{method: "POST", path: "/admin/campaigns", kind: kindAdmin, roles: mkt,
			form: form("name", "Autumn", "subject", "Autumn news", "purpose", "marketing", "body_html", "<p>Hi</p>")},
		{method: "POST", path: "/admin/campaigns/preview", kind: kindAdmin, roles: mkt, query: q("language"),
			form: form("subject_en", "News", "body_en", "Hi {{.Name}}", "format", "markdown", "subject_ru", "Новости", "body_ru", "Привет")},
		{method: "GET", path: "/admin/campaigns/:id<int>", target: "/admin/campaigns/" + camp, kind: kindAdmin, roles: mkt, query: q()},
		{method: "GET", path: "/admin/campaigns/:id<int>/edit", target: "/admin/campaigns/" + camp + "/edit", kind: kindAdmin, roles: mkt, query: q()},
		{method: "POST", path: "/admin/campaigns/:id<int>", target: "/admin/campaigns/" + camp, kind: kindAdmin, roles: mkt,
			form: form("name", "Renamed", "subject", "News", "purpose", "marketing", "body_html", "<p>Hi</p>")},
		{method: "GET", path: "/admin/campaigns/:id<int>/preview", target: "/admin/campaigns/" + camp + "/preview", kind: kindAdmin, roles: mkt},
		{method: "GET", path: "/admin/campaigns/:id<int>/progress", target: "/admin/campaigns/" + camp + "/progress", kind: kindAdmin, roles: mkt},
		{method: "POST", path: "/admin/campaigns/:id<int>/test", target: "/admin/campaigns/" + camp + "/test", kind: kindAdmin, roles: mkt,
			form: form("to", "test@example.com")},
		{method: "POST", path: "/admin/campaigns/:id<int>/schedule", target: "/admin/campaigns/" + camp + "/schedule", kind: kindAdmin, roles: mkt,
			form: form("when", "now")},
		{method: "POST", path: "/admin/campaigns/:id<int>/pause", target: "/admin/campaigns/" + camp + "/pause", kind: kindAdmin, roles: mkt, form: url.Values{}},
		{method: "POST", path: "/admin/campaigns/:id<int>/resume", target: "/admin/campaigns/" + camp + "/resume", kind: kindAdmin, roles: mkt, form: url.Values{}},
		{method: "POST", path: "/admin/campaigns/:id<int>/cancel", target: "/admin/campaigns/" + camp + "/cancel", kind: kindAdmin, roles: mkt, form: url.Values{}},
		{method: "POST", path: "/admin/campaigns/:id<int>/retry", target: "/admin/campaigns/" + camp + "/retry", kind: kindAdmin, roles: mkt, form: url.Values{}},
		{method: "GET", path: "/admin/campaigns/:id<int>/send", target: "/admin/campaigns/" + camp + "/send", kind: kindAdmin, roles: mkt, query: q()},
		{method: "POST", path: "/admin/campaigns/:id<int>/send", target: "/admin/campaigns/" + camp + "/send", kind: kindAdmin, roles: mkt,
			form: form("confirm", "yes")},
		{method: "POST", path: "/admin/campaigns/:id<int>/unschedule", target: "/admin/campaigns/" + camp + "/unschedule", kind: kindAdmin, roles: mkt, form: url.Values{}},
		{method: "POST", path: "/admin/campaigns/:id<int>/duplicate", target: "/admin/campaigns/" + camp + "/duplicate", kind: kindAdmin, roles: mkt,
			form: form("template", "yes")},
		{method: "POST", path: "/admin/campaigns/:id<int>/archive", target: "/admin/campaigns/" + camp + "/archive", kind: kindAdmin, roles: mkt,
			form: form("archive", "1")},
		{method: "GET", path: "/admin/segments", kind: kindAdmin, roles: mkt, query: q()},
		{method: "POST", path: "/admin/segments", kind: kindAdmin, roles: mkt, form: form("name", "English", "locale_en", "1", "forms", "blog")},
		{method: "GET", path: "/admin/segments/:id<int>", target: "/admin/segments/" + seg, kind: kindAdmin, roles: mkt, query: q()},
		{method: "POST", path: "/admin/segments/:id<int>", target: "/admin/segments/" + seg, kind: kindAdmin, roles: mkt,
			form: form("name", "Russian", "locale_ru", "1", "from", "2026-01-01")},
		{method: "POST", path: "/admin/segments/:id<int>/delete", target: "/admin/segments/" + seg + "/delete", kind: kindAdmin, roles: mkt, form: url.Values{}},
		{method: "GET", path: "/admin/campaigns/:id<int>/outcomes", target: "/admin/campaigns/" + camp + "/outcomes", kind: kindAdmin, roles: all,
			query: q("list", "after")},

		{method: "GET", path: "/admin/subscribers", kind: kindAdmin, roles: prv, query: q("q", "status", "after")},
		{method: "GET", path: "/admin/subscribers/:id<int>", target: "/admin/subscribers/" + sub, kind: kindAdmin, roles: prv, query: q()},
		{method: "GET", path: "/admin/subscribers/:id<int>/export", target: "/admin/subscribers/" + sub + "/export", kind: kindAdmin, roles: prv},
		{method: "GET", path: "/admin/subscribers/:id<int>/export.html", target: "/admin/subscribers/" + sub + "/export.html", kind: kindAdmin, roles: prv},
		{method: "POST", path: "/admin/subscribers/:id<int>/export/mail", target: "/admin/subscribers/" + sub + "/export/mail", kind: kindAdmin, roles: prv, form: url.Values{}},
		{method: "POST", path: "/admin/subscribers/:id<int>/block", target: "/admin/subscribers/" + sub + "/block", kind: kindAdmin, roles: prv,
			form: form("reason", "disputed")},
		{method: "POST", path: "/admin/subscribers/:id<int>/requests", target: "/admin/subscribers/" + sub + "/requests", kind: kindAdmin, roles: prv,
			form: form("kind", "access", "note", "by phone")},
		{method: "POST", path: "/admin/subscribers/:id<int>/unblock", target: "/admin/subscribers/" + id(e.blocked.ID) + "/unblock", kind: kindAdmin,
			roles: prv, form: form("reason", "resolved")},
		{method: "GET", path: "/admin/subscribers/:id<int>/erase", target: "/admin/subscribers/" + sub + "/erase", kind: kindAdmin, roles: prv, query: q()},
		{method: "POST", path: "/admin/subscribers/:id<int>/erase", target: "/admin/subscribers/" + sub + "/erase", kind: kindAdmin, roles: prv,
			form: form("reason", "court order", "confirm", "yes")},
		{method: "GET", path: "/admin/requests", kind: kindAdmin, roles: prv, query: q("view", "kind", "status", "after")},
		{method: "GET", path: "/admin/requests/:id<int>", target: "/admin/requests/" + req, kind: kindAdmin, roles: prv, query: q()},
		{method: "POST", path: "/admin/requests/:id<int>/notes", target: "/admin/requests/" + req + "/notes", kind: kindAdmin, roles: prv,
			form: form("note", "called back")},
		{method: "POST", path: "/admin/requests/:id<int>/answer", target: "/admin/requests/" + req + "/answer", kind: kindAdmin, roles: prv,
			form: form("answer", "We hold your name and address.")},
		{method: "POST", path: "/admin/requests/:id<int>/close", target: "/admin/requests/" + req + "/close", kind: kindAdmin, roles: prv,
			form: form("note", "answered")},
		{method: "POST", path: "/admin/requests/:id<int>/extend", target: "/admin/requests/" + req + "/extend", kind: kindAdmin, roles: prv,
			form: form("reason", "large archive")},
		{method: "GET", path: "/admin/review", kind: kindAdmin, roles: prv, query: q("after")},
		{method: "POST", path: "/admin/review/:id<int>/assign", target: "/admin/review/" + rev + "/assign", kind: kindAdmin, roles: prv,
			form: form("kind", "access")},
		{method: "POST", path: "/admin/review/:id<int>/reject", target: "/admin/review/" + rev + "/reject", kind: kindAdmin, roles: prv,
			form: form("reason", "spam")},
		{method: "GET", path: "/admin/destructions", kind: kindAdmin, roles: prv, query: q("after")},
		{method: "GET", path: "/admin/destructions.csv", kind: kindAdmin, roles: prv},
		{method: "GET", path: "/admin/suppressions", kind: kindAdmin, roles: prv, query: q("reason", "after")},
		{method: "POST", path: "/admin/suppressions", kind: kindAdmin, roles: prv, form: form("email", "new-suppression@example.com", "note", "asked")},
		{method: "POST", path: "/admin/suppressions/remove", kind: kindAdmin, roles: prv, form: form("key", e.hash)},
		{method: "POST", path: "/admin/suppressions/lift", kind: kindAdmin, roles: prv, form: form("key", e.hash, "reason", "asked again")},
		{method: "GET", path: "/admin/inbound", kind: kindAdmin, roles: prv, query: q("before")},
		{method: "GET", path: "/admin/audit", kind: kindAdmin, roles: prv, query: q("action", "subject_type", "subject_id", "before", "from", "to")},
		{method: "GET", path: "/admin/audit.csv", kind: kindAdmin, roles: prv, query: q("action", "subject_type", "subject_id", "from", "to", "bom")},
		{method: "GET", path: "/admin/requests.csv", kind: kindAdmin, roles: prv, query: q("kind", "status", "bom")},
		{method: "GET", path: "/admin/policies", kind: kindAdmin, roles: prv, query: q()},
		{method: "POST", path: "/admin/policies", kind: kindAdmin, roles: prv, form: form("version", "v7", "body_en", "New.", "body_ru", "Новая.")},
		{method: "GET", path: "/admin/import", kind: kindAdmin, roles: prv, query: q()},
		{method: "POST", path: "/admin/import", kind: kindAdmin, roles: prv, form: form("dry_run", "1"), bodyLimit: secImportLimit},
		{method: "GET", path: "/admin/import/:id<int>", target: "/admin/import/1", kind: kindAdmin, roles: prv, query: q()},
		{method: "GET", path: "/admin/subscribers.csv", kind: kindAdmin, roles: prv, query: q("bom")},

		{method: "GET", path: "/admin/users", kind: kindAdmin, roles: own, query: q()},
		{method: "POST", path: "/admin/users", kind: kindAdmin, roles: own, form: form("email", "new-owner@example.com", "role", "owner")},
		{method: "POST", path: "/admin/users/:id<int>/role", target: "/admin/users/" + usr + "/role", kind: kindAdmin, roles: own, form: form("role", "owner")},
		{method: "POST", path: "/admin/users/:id<int>/unlock", target: "/admin/users/" + usr + "/unlock", kind: kindAdmin, roles: own, form: url.Values{}},
		{method: "POST", path: "/admin/users/:id<int>/password", target: "/admin/users/" + usr + "/password", kind: kindAdmin, roles: own,
			form: form("revoke_tokens", "yes")},
		{method: "POST", path: "/admin/users/:id<int>/twofactor", target: "/admin/users/" + usr + "/twofactor", kind: kindAdmin, roles: own,
			form: url.Values{}},
		{method: "POST", path: "/admin/users/twofactor-required", kind: kindAdmin, roles: own, form: form("required", "no")},
		{method: "POST", path: "/admin/users/:id<int>/delete", target: "/admin/users/" + usr + "/delete", kind: kindAdmin, roles: own, form: url.Values{}},
		{method: "GET", path: "/admin/tokens", kind: kindAdmin, roles: own, query: q()},
		{method: "POST", path: "/admin/tokens", kind: kindAdmin, roles: own, form: form("name", "stolen", "admin_id", id(e.admins[o].ID))},
		{method: "POST", path: "/admin/tokens/:id<int>/revoke", target: "/admin/tokens/" + id(e.tokenID) + "/revoke", kind: kindAdmin, roles: own,
			form: url.Values{}},
		{method: "GET", path: "/admin/newsletters", kind: kindAdmin, roles: own, query: q()},
		{method: "POST", path: "/admin/newsletters", kind: kindAdmin, roles: own, form: form("name", "Offers", "purpose", "marketing")},
		{method: "POST", path: "/admin/newsletters/:id<int>", target: "/admin/newsletters/1", kind: kindAdmin, roles: own,
			form: form("name", "News", "purpose", "marketing")},
		{method: "GET", path: "/admin/webhooks", kind: kindAdmin, roles: own, query: q()},
		{method: "GET", path: "/admin/layout", kind: kindAdmin, roles: own, query: q()},
		{method: "POST", path: "/admin/layout", kind: kindAdmin, roles: own, form: form("lang", "en", "logo_url", "https://evil.example.com/x.png")},
		{method: "GET", path: "/admin/layout/preview", kind: kindAdmin, roles: own, query: q()},
		{method: "POST", path: "/admin/webhooks", kind: kindAdmin, roles: own, form: form("url", "https://evil.example.com/x", "events", "consent.withdrawn")},
		{method: "POST", path: "/admin/webhooks/:id<int>/rotate", target: "/admin/webhooks/" + id(e.hookID) + "/rotate", kind: kindAdmin, roles: own,
			form: url.Values{}},
		{method: "POST", path: "/admin/webhooks/:id<int>/delete", target: "/admin/webhooks/" + id(e.hookID) + "/delete", kind: kindAdmin, roles: own,
			form: url.Values{}},
		{method: "POST", path: "/admin/webhooks/deliveries/:id<int>/replay", target: "/admin/webhooks/deliveries/" + id(e.hookDeliveryID) + "/replay",
			kind: kindAdmin, roles: own, form: url.Values{}},
		{method: "GET", path: "/admin/outbox", kind: kindAdmin, roles: own, query: q()},
		{method: "GET", path: "/admin/outbox/:name", target: "/admin/outbox/" + e.outboxName, kind: kindAdmin, roles: own, query: q()},
		{method: "GET", path: "/admin/outbox/:name/html", target: "/admin/outbox/" + e.outboxName + "/html", kind: kindAdmin, roles: own},

		// The API.
		{method: "GET", path: "/api/v1/me", kind: kindAPI, roles: all},
		{method: "POST", path: "/api/v1/webhooks", kind: kindAPI, roles: own, json: true,
			body: `{"url":"https://evil.example.com/x","events":["consent.withdrawn"]}`},
		{method: "GET", path: "/api/v1/webhooks", kind: kindAPI, roles: own},
		{method: "DELETE", path: "/api/v1/webhooks/:id<int>", target: "/api/v1/webhooks/" + id(e.hookID), kind: kindAPI, roles: own},
		{method: "POST", path: "/api/v1/webhooks/:id<int>/rotate-secret", target: "/api/v1/webhooks/" + id(e.hookID) + "/rotate-secret",
			kind: kindAPI, roles: own},
		{method: "GET", path: "/api/v1/webhooks/:id<int>/deliveries", target: "/api/v1/webhooks/" + id(e.hookID) + "/deliveries",
			kind: kindAPI, roles: own, query: []string{"limit"}},
		{method: "POST", path: "/api/v1/webhooks/deliveries/:id<int>/replay", target: "/api/v1/webhooks/deliveries/" + id(e.hookDeliveryID) + "/replay",
			kind: kindAPI, roles: own},
		{method: "GET", path: "/api/v1/policies", kind: kindAPI, roles: all},
		{method: "GET", path: "/api/v1/cross-border", kind: kindAPI, roles: all},
		{method: "GET", path: "/api/v1/newsletters", kind: kindAPI, roles: all},
		{method: "GET", path: "/api/v1/newsletters/:id<int>", target: "/api/v1/newsletters/1", kind: kindAPI, roles: all},
		{method: "POST", path: "/api/v1/newsletters", kind: kindAPI, roles: own, json: true, body: `{"name":"Offers","purpose":"marketing"}`},
		{method: "PATCH", path: "/api/v1/newsletters/:id<int>", target: "/api/v1/newsletters/1", kind: kindAPI, roles: own, json: true,
			body: `{"public":true}`},
		{method: "POST", path: "/api/v1/campaigns", kind: kindAPI, roles: mkt, json: true, body: draft},
		{method: "GET", path: "/api/v1/campaigns", kind: kindAPI, roles: mkt, query: []string{"status", "template", "before", "limit"}},
		{method: "GET", path: "/api/v1/campaigns/:id<int>", target: "/api/v1/campaigns/" + camp, kind: kindAPI, roles: mkt},
		{method: "PUT", path: "/api/v1/campaigns/:id<int>", target: "/api/v1/campaigns/" + camp, kind: kindAPI, roles: mkt, json: true, body: draft},
		{method: "PATCH", path: "/api/v1/campaigns/:id<int>", target: "/api/v1/campaigns/" + camp, kind: kindAPI, roles: mkt, json: true,
			body: `{"name":"Patched"}`},
		{method: "POST", path: "/api/v1/campaigns/:id<int>/test", target: "/api/v1/campaigns/" + camp + "/test", kind: kindAPI, roles: mkt, json: true,
			body: `{"to":["test@example.com"]}`},
		{method: "POST", path: "/api/v1/campaigns/:id<int>/schedule", target: "/api/v1/campaigns/" + camp + "/schedule", kind: kindAPI, roles: mkt,
			json: true, body: `{}`},
		{method: "POST", path: "/api/v1/campaigns/:id<int>/pause", target: "/api/v1/campaigns/" + camp + "/pause", kind: kindAPI, roles: mkt},
		{method: "POST", path: "/api/v1/campaigns/:id<int>/resume", target: "/api/v1/campaigns/" + camp + "/resume", kind: kindAPI, roles: mkt},
		{method: "POST", path: "/api/v1/campaigns/:id<int>/cancel", target: "/api/v1/campaigns/" + camp + "/cancel", kind: kindAPI, roles: mkt},
		{method: "POST", path: "/api/v1/campaigns/:id<int>/retry-failed", target: "/api/v1/campaigns/" + camp + "/retry-failed", kind: kindAPI, roles: mkt},
		{method: "GET", path: "/api/v1/campaigns/:id<int>/failed", target: "/api/v1/campaigns/" + camp + "/failed", kind: kindAPI, roles: mkt},
		{method: "GET", path: "/api/v1/campaigns/:id<int>/audience", target: "/api/v1/campaigns/" + camp + "/audience", kind: kindAPI, roles: mkt},
		{method: "POST", path: "/api/v1/campaigns/:id<int>/unschedule", target: "/api/v1/campaigns/" + camp + "/unschedule", kind: kindAPI, roles: mkt},
		{method: "POST", path: "/api/v1/campaigns/:id<int>/duplicate", target: "/api/v1/campaigns/" + camp + "/duplicate", kind: kindAPI, roles: mkt,
			json: true, body: `{"template":true}`},
		{method: "GET", path: "/api/v1/segments", kind: kindAPI, roles: mkt},
		{method: "POST", path: "/api/v1/segments", kind: kindAPI, roles: mkt, json: true, body: `{"name":"Russian","filter":{"locales":["ru"]}}`},
		{method: "GET", path: "/api/v1/segments/:id<int>", target: "/api/v1/segments/" + seg, kind: kindAPI, roles: mkt},
		{method: "PATCH", path: "/api/v1/segments/:id<int>", target: "/api/v1/segments/" + seg, kind: kindAPI, roles: mkt, json: true,
			body: `{"name":"Renamed"}`},
		{method: "DELETE", path: "/api/v1/segments/:id<int>", target: "/api/v1/segments/" + seg, kind: kindAPI, roles: mkt},
		{method: "GET", path: "/api/v1/campaigns/:id<int>/outcomes/:list", target: "/api/v1/campaigns/" + camp + "/outcomes/bounced", kind: kindAPI,
			roles: all, query: []string{"after", "limit"}},
		{method: "GET", path: "/api/v1/subscribers", kind: kindAPI, roles: prv, query: []string{"q", "email", "status", "after", "limit"}},
		{method: "GET", path: "/api/v1/subscribers/:id<int>", target: "/api/v1/subscribers/" + sub, kind: kindAPI, roles: prv},
		{method: "GET", path: "/api/v1/subscribers/:id<int>/export", target: "/api/v1/subscribers/" + sub + "/export", kind: kindAPI, roles: prv},
		{method: "GET", path: "/api/v1/subscribers/:id<int>/blocks", target: "/api/v1/subscribers/" + sub + "/blocks", kind: kindAPI, roles: prv},
		{method: "POST", path: "/api/v1/subscribers/:id<int>/block", target: "/api/v1/subscribers/" + sub + "/block", kind: kindAPI, roles: prv,
			json: true, body: `{"reason":"disputed"}`},
		{method: "POST", path: "/api/v1/subscribers/:id<int>/unblock", target: "/api/v1/subscribers/" + id(e.blocked.ID) + "/unblock", kind: kindAPI,
			roles: prv, json: true, body: `{"reason":"resolved"}`},
		{method: "POST", path: "/api/v1/subscribers/:id<int>/erase", target: "/api/v1/subscribers/" + sub + "/erase", kind: kindAPI, roles: prv,
			json: true, body: `{"reason":"court order"}`},
		{method: "POST", path: "/api/v1/policies", kind: kindAPI, roles: prv, json: true, body: `{"version":"v8","body_en":"New.","body_ru":"Новая."}`},
		{method: "GET", path: "/api/v1/requests/review", kind: kindAPI, roles: prv, query: []string{"after", "limit"}},
		{method: "POST", path: "/api/v1/requests/:id<int>/assign", target: "/api/v1/requests/" + rev + "/assign", kind: kindAPI, roles: prv, json: true,
			body: `{"kind":"access"}`},
		{method: "POST", path: "/api/v1/requests/:id<int>/reject", target: "/api/v1/requests/" + rev + "/reject", kind: kindAPI, roles: prv, json: true,
			body: `{"reason":"spam"}`},
		{method: "GET", path: "/api/v1/requests", kind: kindAPI, roles: prv,
			query: []string{"status", "kind", "channel", "subscriber_id", "open", "overdue", "flagged", "due_before", "after", "limit"}},
		{method: "POST", path: "/api/v1/requests", kind: kindAPI, roles: prv, json: true, body: `{"kind":"access","subscriber_id":` + sub + `}`},
		{method: "GET", path: "/api/v1/requests/:id<int>", target: "/api/v1/requests/" + req, kind: kindAPI, roles: prv},
		{method: "GET", path: "/api/v1/requests/:id<int>/notes", target: "/api/v1/requests/" + req + "/notes", kind: kindAPI, roles: prv},
		{method: "POST", path: "/api/v1/requests/:id<int>/notes", target: "/api/v1/requests/" + req + "/notes", kind: kindAPI, roles: prv,
			json: true, body: `{"note":"called back"}`},
		{method: "POST", path: "/api/v1/requests/:id<int>/answer", target: "/api/v1/requests/" + req + "/answer", kind: kindAPI, roles: prv,
			json: true, body: `{"answer":"We hold your name and address."}`},
		{method: "POST", path: "/api/v1/requests/:id<int>/extend", target: "/api/v1/requests/" + req + "/extend", kind: kindAPI, roles: prv, json: true,
			body: `{"reason":"large archive"}`},
		{method: "POST", path: "/api/v1/requests/:id<int>/complete", target: "/api/v1/requests/" + req + "/complete", kind: kindAPI, roles: prv,
			json: true, body: `{"note":"answered"}`},
		{method: "GET", path: "/api/v1/destructions", kind: kindAPI, roles: prv, query: []string{"after", "limit", "format", "bom"}},
		{method: "GET", path: "/api/v1/suppressions", kind: kindAPI, roles: prv, query: []string{"reason", "after", "limit"}},
		{method: "POST", path: "/api/v1/suppressions", kind: kindAPI, roles: prv, json: true, body: `{"email":"new-suppression@example.com"}`},
		{method: "DELETE", path: "/api/v1/suppressions", kind: kindAPI, roles: prv, json: true, body: `{"email":"suppressed@example.com"}`},
		{method: "DELETE", path: "/api/v1/suppressions/:hash", target: "/api/v1/suppressions/" + e.hash, kind: kindAPI, roles: prv},
		{method: "POST", path: "/api/v1/suppressions/lift", kind: kindAPI, roles: prv, json: true,
			body: `{"email":"suppressed@example.com","reason":"asked again"}`},
		{method: "POST", path: "/api/v1/suppressions/:hash/lift", target: "/api/v1/suppressions/" + e.hash + "/lift", kind: kindAPI, roles: prv,
			json: true, body: `{"reason":"asked again"}`},
		{method: "GET", path: "/api/v1/suppressions/lifts", kind: kindAPI, roles: prv, query: []string{"before", "limit"}},
		{method: "GET", path: "/api/v1/inbound", kind: kindAPI, roles: prv, query: []string{"before", "limit"}},
		{method: "GET", path: "/api/v1/audit", kind: kindAPI, roles: prv,
			query: []string{"actor", "action", "subject_type", "subject_id", "since", "until", "before", "limit"}},
	}
}

// goodToken is a valid token of purpose for the env's rows.
func (e *secEnv) goodToken(p app.TokenPurpose) string {
	now := time.Now()
	switch p {
	case app.TokenConfirm:
		return e.svc.Links.ConfirmToken(e.pendingConf, e.pending.ID, now.Add(time.Hour))
	case app.TokenUnsubscribe:
		return e.svc.Links.UnsubscribeToken(e.active.ID, e.campID)
	case app.TokenPreferences:
		return e.svc.Links.PreferencesToken(e.active)
	case app.TokenExport:
		return e.svc.Links.ExportToken(e.active)
	default:
		return e.svc.Signer.Sign(app.Token{Purpose: p, SubscriberID: e.revoker.ID, ConfirmationID: e.revokeConf, IssuedAt: now,
			ExpiresAt: now.Add(time.Hour)})
	}
}

// target is the route's path with real ids and, for links, a good token.
func (e *secEnv) target(r secRoute) string {
	if r.kind == kindLink {
		return strings.Replace(r.path, ":token", e.goodToken(r.purpose), 1)
	}
	if r.target != "" {
		return r.target
	}
	return r.path
}

// request builds r's request to path with its body (form or JSON).
func (r secRoute) request(path string) *http.Request {
	switch {
	case r.form != nil:
		req := httptest.NewRequest(r.method, path, strings.NewReader(r.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	case r.body != "" && r.kind == kindInbound:
		req := httptest.NewRequest(r.method, path, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "message/rfc822")
		return req
	case r.body != "":
		req := httptest.NewRequest(r.method, path, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		return req
	}
	return httptest.NewRequest(r.method, path, nil)
}

// as signs req in as role the way r's callers do: the console session
// with its CSRF token, an API token, or the inbound secret.
func (e *secEnv) as(r secRoute, role app.Role, req *http.Request) *http.Request {
	switch r.kind {
	case kindAdmin:
		s := e.sessions[role]
		req.AddCookie(s.cookie)
		req.Header.Set("User-Agent", s.agent)
		req.Header.Set("X-CSRF-Token", s.csrf)
	case kindAPI:
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	case kindInbound:
		req.Header.Set("Authorization", "Bearer "+inboundSecret)
	}
	return req
}

var sessionSeen = regexp.MustCompile(` last_seen_at=.*$`)

// snapshot is every row of every table, sorted, without the times a
// session or a token was last used.
func (e *secEnv) snapshot(t *testing.T) []string {
	t.Helper()
	var b bytes.Buffer
	must(t, e.store.Dump(context.Background(), &b))
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		switch {
		case l == "":
			continue
		case strings.HasPrefix(l, "admin_sessions:"):
			l = sessionSeen.ReplaceAllString(l, "")
		case strings.HasPrefix(l, "api_tokens:"):
			if i := strings.Index(l, " last_used_at="); i >= 0 {
				l = l[:i]
			}
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// unchanged fails when the database differs from before.
func unchanged(t *testing.T, before, after []string) {
	t.Helper()
	was := map[string]bool{}
	for _, l := range before {
		was[l] = true
	}
	is := map[string]bool{}
	for _, l := range after {
		is[l] = true
	}
	var diff []string
	for _, l := range before {
		if !is[l] {
			diff = append(diff, "- "+l)
		}
	}
	for _, l := range after {
		if !was[l] {
			diff = append(diff, "+ "+l)
		}
	}
	if len(diff) > 0 {
		if len(diff) > 20 {
			diff = diff[:20]
		}
		t.Fatalf("refused requests changed the database:\n%s", strings.Join(diff, "\n"))
	}
}

// TestSecurityRouteTable: every registered route has an entry in the attack
// table, and every entry is a registered route; every route comes from
// web's route table, with the access and roles the attack table expects.
func TestSecurityRouteTable(t *testing.T) {
	e := newSecEnv(t)
	listed := map[string]bool{}
	for _, r := range e.routes() {
		if listed[r.String()] {
			t.Errorf("%s is listed twice", r)
		}
		listed[r.String()] = true
	}
	registered := map[string]bool{}
	for _, r := range e.srv.App().GetRoutes(true) {
		if r.Method == http.MethodHead {
			continue // answered by the GET handler
		}
		key := r.Method + " " + r.Path
		registered[key] = true
		if !listed[key] {
			t.Errorf("route %s has no entry in the attack table (web/security_test.go)", key)
		}
	}
	for key := range listed {
		if !registered[key] {
			t.Errorf("%s is in the attack table but not registered", key)
		}
	}
	// Routes are registered from web's route table only, and each row is
	// attacked as what the table says it is: the same access, the same
	// roles.
	attacks := map[string]secRoute{}
	for _, r := range e.routes() {
		attacks[r.String()] = r
	}
	kinds := map[string][]routeKind{"public": {kindPublic, kindInbound}, "link": {kindLink}, "sign-in": {kindLogin},
		"console": {kindAdmin}, "api": {kindAPI}}
	roleSet := func(roles []app.Role) string {
		set := map[app.Role]bool{app.RoleOwner: true}
		for _, r := range roles {
			set[r] = true
		}
		var out []string
		for r := range set {
			out = append(out, string(r))
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	inTable := map[string]bool{}
	for _, row := range e.srv.RouteTable() {
		key := row.Method + " " + row.Path
		if inTable[key] {
			t.Errorf("%s is twice in the route table", key)
		}
		inTable[key] = true
		a, ok := attacks[key]
		switch {
		case !ok:
			t.Errorf("%s of the route table has no entry in the attack table", key)
		case !slices.Contains(kinds[row.Access], a.kind):
			t.Errorf("%s is a %s route in the route table but attacked as kind %d", key, row.Access, a.kind)
		case (row.Access == "console" || row.Access == "api") && roleSet(row.Roles) != roleSet(a.roles):
			t.Errorf("%s: the route table lets %s in, the attack table expects %s", key, roleSet(row.Roles), roleSet(a.roles))
		}
	}
	for key := range registered {
		if !inTable[key] {
			t.Errorf("%s is registered outside the route table (web/routes.go)", key)
		}
	}
}

// TestSecurityLinks sends every kind of bad token to every signed-link
// route, as a page and as JSON: 400, and the database is unchanged.
func TestSecurityLinks(t *testing.T) {
	e := newSecEnv(t)
	now := time.Now()
	forger, _ := app.NewSigner([]byte("someone-elses-secret-0123456789abcdef"))
	claims := func(p app.TokenPurpose) app.Token {
		tk := app.Token{Purpose: p, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		switch p {
		case app.TokenConfirm:
			tk.SubscriberID, tk.ConfirmationID = e.pending.ID, e.pendingConf
		case app.TokenRevoke:
			tk.SubscriberID, tk.ConfirmationID = e.revoker.ID, e.revokeConf
		default:
			tk.SubscriberID, tk.CampaignID = e.active.ID, e.campID
		}
		return tk
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	bad := func(r secRoute) map[string]string {
		good := e.goodToken(r.purpose)
		out := map[string]string{
			"Forged":       forger.Sign(claims(r.purpose)),
			"AlteredStart": flip(good, 2),
			"AlteredMid":   flip(good, len(good)/2),
			"AlteredEnd":   flip(good, len(good)-2),
			"Truncated1":   good[:len(good)-1],
			"Truncated4":   good[:len(good)-4],
			"Extended":     good + "AAAA",
			"Garbage":      "x",
			"Long":         strings.Repeat("A", 300),
			"SQL":          url.PathEscape(`' OR 1=1 --`),
			"NUL":          "%00",
			"Dots":         "..",
		}
		if r.path != "/confirm/:token/resend" { // an expired link may ask for a new one
			expired := claims(r.purpose)
			expired.IssuedAt, expired.ExpiresAt = now.Add(-2*time.Hour), now.Add(-time.Hour)
			out["Expired"] = e.svc.Signer.Sign(expired)
		}
		for _, p := range []app.TokenPurpose{app.TokenConfirm, app.TokenUnsubscribe, app.TokenPreferences, app.TokenRevoke, app.TokenExport} {
			if p != r.purpose {
				tk := claims(p)
				tk.Purpose = p
				out["Purpose-"+string(p)] = e.svc.Signer.Sign(tk)
			}
		}
		if r.purpose == app.TokenPreferences || r.purpose == app.TokenExport {
			out["ErasedSubscriber"] = e.svc.Signer.Sign(app.Token{Purpose: r.purpose, SubscriberID: e.erasedID,
				IssuedAt: now, ExpiresAt: now.Add(time.Hour), AddressTag: e.svc.Signer.AddressTag(e.erasedEmail)})
		}
		return out
	}
	// The good links work: a refusal below is about the token.
	for _, r := range e.routes() {
		if r.kind == kindLink && r.method == "GET" {
			if resp, body := e.do(t, httptest.NewRequest("GET", e.target(r), nil)); resp.StatusCode != http.StatusOK {
				t.Fatalf("%s with a good token: %d %.300s", r, resp.StatusCode, body)
			}
		}
	}
	before := e.snapshot(t)
	for _, r := range e.routes() {
		if r.kind != kindLink {
			continue
		}
		t.Run(r.String(), func(t *testing.T) {
			for name, tok := range bad(r) {
				path := strings.Replace(r.path, ":token", tok, 1)
				for _, asJSON := range []bool{false, true} {
					req := r.request(path)
					if asJSON {
						req.Header.Set("Accept", "application/json")
					}
					resp, body := e.do(t, req)
					if resp.StatusCode != http.StatusBadRequest && !(name == "Dots" && resp.StatusCode == http.StatusNotFound) {
						t.Errorf("%s (json %v): %d, want 400: %.200s", name, asJSON, resp.StatusCode, body)
						continue
					}
					if asJSON && resp.StatusCode == http.StatusBadRequest && !strings.Contains(body, `"code":"invalid_link"`) {
						t.Errorf("%s JSON answer %s", name, body)
					}
				}
			}
		})
	}
	unchanged(t, before, e.snapshot(t))
}

// apiError is the JSON error of the API.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func decodeError(t *testing.T, body string) apiError {
	t.Helper()
	var a apiError
	if err := json.Unmarshal([]byte(body), &a); err != nil || a.Error == "" || a.Code == "" {
		t.Errorf("not a JSON error: %.300s", body)
	}
	return a
}

// altered changes the last character of a token, always to another one
// (a token may end in any character, "0" included).
func altered(token string) string {
	last := byte('0')
	if token[len(token)-1] == last {
		last = '1'
	}
	return token[:len(token)-1] + string(last)
}

// TestSecurityAPI refuses every API route without a valid token (401) and
// to roles without the right (403), and the inbound webhook without its
// secret; nothing changes.
func TestSecurityAPI(t *testing.T) {
	e := newSecEnv(t)
	owner := e.tokens[app.RoleOwner]
	badAuth := map[string]func(*http.Request){
		"NoToken":      func(*http.Request) {},
		"EmptyBearer":  func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") },
		"UnknownToken": func(r *http.Request) { r.Header.Set("Authorization", "Bearer nl_"+strings.Repeat("x", 40)) },
		"AlteredToken": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+altered(owner)) },
		"Truncated":    func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+owner[:len(owner)-3]) },
		"Extended":     func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+owner+"x") },
		"BasicScheme": func(r *http.Request) {
			r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(owner)))
		},
		"RawToken":      func(r *http.Request) { r.Header.Set("Authorization", owner) },
		"SQLToken":      func(r *http.Request) { r.Header.Set("Authorization", `Bearer nl_' OR '1'='1`) },
		"InboundSecret": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+inboundSecret) },
		"TokenInQuery": func(r *http.Request) {
			q := r.URL.Query()
			q.Set("access_token", owner)
			q.Set("token", owner)
			r.URL.RawQuery = q.Encode()
			r.RequestURI = r.URL.RequestURI()
		},
		"ConsoleCookie": func(r *http.Request) {
			s := e.sessions[app.RoleOwner]
			r.AddCookie(s.cookie)
			r.Header.Set("User-Agent", s.agent)
			r.Header.Set("X-CSRF-Token", s.csrf)
		},
	}
	before := e.snapshot(t)
	for _, r := range e.routes() {
		if r.kind != kindAPI && r.kind != kindInbound {
			continue
		}
		t.Run(r.String(), func(t *testing.T) {
			for name, set := range badAuth {
				if r.kind == kindInbound && name == "InboundSecret" {
					continue // the webhook's own secret
				}
				req := r.request(e.target(r))
				set(req)
				resp, body := e.do(t, req)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s: %d, want 401: %.200s", name, resp.StatusCode, body)
					continue
				}
				if r.kind == kindAPI {
					if a := decodeError(t, body); a.Code != app.EUNAUTHORIZED {
						t.Errorf("%s: code %q", name, a.Code)
					}
					if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("%s: no WWW-Authenticate", name)
					}
				}
			}
			if r.kind == kindInbound {
				// An API token is not the webhook's secret.
				req := r.request(r.path)
				req.Header.Set("Authorization", "Bearer "+owner)
				if resp, _ := e.do(t, req); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("API token on the webhook: %d", resp.StatusCode)
				}
				return
			}
			for _, role := range []app.Role{app.RoleMarketer, app.RolePrivacyOfficer} {
				if slices.Contains(r.roles, role) {
					continue
				}
				resp, body := e.do(t, e.as(r, role, r.request(e.target(r))))
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s: %d, want 403: %.200s", role, resp.StatusCode, body)
				} else if a := decodeError(t, body); a.Code != app.EFORBIDDEN {
					t.Errorf("%s: code %q", role, a.Code)
				}
			}
		})
	}
	unchanged(t, before, e.snapshot(t))
	// The right token reads every API page: the refusals above were about
	// the credentials.
	for _, r := range e.routes() {
		if r.kind == kindAPI && r.method == "GET" {
			if resp, body := e.do(t, e.as(r, app.RoleOwner, r.request(e.target(r)))); resp.StatusCode != http.StatusOK {
				t.Errorf("%s as owner: %d %.200s", r, resp.StatusCode, body)
			}
		}
	}
}

// TestSecurityConsole refuses every console route without a live session,
// every state-changing one without the session's CSRF token, and every one
// to roles without the right, on real targets with bodies that would
// succeed; nothing changes.
func TestSecurityConsole(t *testing.T) {
	e := newSecEnv(t)
	owner, marketer := e.sessions[app.RoleOwner], e.sessions[app.RoleMarketer]
	forged := map[string]*http.Cookie{
		"Random":       {Name: owner.cookie.Name, Value: strings.Repeat("k", 43)},
		"CSRFAsID":     {Name: owner.cookie.Name, Value: owner.csrf},
		"SQL":          {Name: owner.cookie.Name, Value: url.QueryEscape(`' OR '1'='1`)},
		"Long":         {Name: owner.cookie.Name, Value: strings.Repeat("k", 300)},
		"OtherName":    {Name: "nl_admin_x", Value: owner.cookie.Value},
		"APIToken":     {Name: owner.cookie.Name, Value: e.tokens[app.RoleOwner]},
		"InsecureName": {Name: "nl_admin", Value: owner.cookie.Value},
	}
	before := e.snapshot(t)
	for _, r := range e.routes() {
		if r.kind != kindAdmin {
			continue
		}
		t.Run(r.String(), func(t *testing.T) {
			// No session, or a forged one.
			for name, ck := range forged {
				req := r.request(e.target(r))
				req.AddCookie(ck)
				req.Header.Set("User-Agent", owner.agent)
				req.Header.Set("X-CSRF-Token", owner.csrf)
				req.Header.Set("Authorization", "Bearer "+e.tokens[app.RoleOwner])
				resp, body := e.do(t, req)
				if r.method == "GET" {
					if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") {
						t.Errorf("%s session: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
					}
				} else if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s session: %d, want 401: %.200s", name, resp.StatusCode, body)
				}
			}
			// Roles without the right, with their own valid CSRF token.
			for _, role := range []app.Role{app.RoleMarketer, app.RolePrivacyOfficer} {
				if slices.Contains(r.roles, role) {
					continue
				}
				resp, body := e.do(t, e.as(r, role, r.request(e.target(r))))
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "your role may not do this") {
					t.Errorf("%s: %d, want 403 for the role: %.200s", role, resp.StatusCode, body)
				}
			}
			if r.method == "GET" {
				return
			}
			// The CSRF token, with the owner's live session.
			csrf := map[string]func(*http.Request){
				"Missing":        func(*http.Request) {},
				"Wrong":          func(req *http.Request) { req.Header.Set("X-CSRF-Token", owner.csrf+"x") },
				"WrongField":     func(req *http.Request) { req.Header.Set("X-CSRF-Token", strings.ToUpper(owner.csrf)) },
				"OtherSession":   func(req *http.Request) { req.Header.Set("X-CSRF-Token", marketer.csrf) },
				"LoginCookieTok": func(req *http.Request) { req.Header.Set("X-CSRF-Token", owner.cookie.Value) },
				"CrossSite": func(req *http.Request) {
					req.Header.Set("X-CSRF-Token", owner.csrf)
					req.Header.Set("Sec-Fetch-Site", "cross-site")
				},
				"SameSite": func(req *http.Request) {
					req.Header.Set("X-CSRF-Token", owner.csrf)
					req.Header.Set("Sec-Fetch-Site", "same-site")
				},
			}
			for name, set := range csrf {
				req := r.request(e.target(r))
				req.AddCookie(owner.cookie)
				req.Header.Set("User-Agent", owner.agent)
				set(req)
				resp, body := e.do(t, req)
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "did not come from this console") {
					t.Errorf("CSRF %s: %d, want 403: %.200s", name, resp.StatusCode, body)
				}
			}
		})
	}
	// The sign-in form has its own token, bound to a cookie.
	t.Run("POST /admin/login", func(t *testing.T) {
		ck, tok := e.loginToken(t)
		creds := func(extra ...string) url.Values {
			return form(append([]string{"email", e.emails[app.RoleOwner], "password", consolePassword}, extra...)...)
		}
		cases := map[string]func() *http.Request{
			"NoToken":       func() *http.Request { return formPost("/admin/login", creds()) },
			"TokenNoCookie": func() *http.Request { return formPost("/admin/login", creds("_csrf", tok)) },
			"CookieNoToken": func() *http.Request { r := formPost("/admin/login", creds()); r.AddCookie(ck); return r },
			"Mismatch": func() *http.Request {
				r := formPost("/admin/login", creds("_csrf", tok+"x"))
				r.AddCookie(ck)
				return r
			},
			"SessionCSRFTok": func() *http.Request {
				r := formPost("/admin/login", creds("_csrf", owner.csrf))
				r.AddCookie(ck)
				return r
			},
		}
		for name, mk := range cases {
			resp, _ := e.do(t, mk())
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", name, resp.StatusCode)
			}
			for _, k := range resp.Cookies() {
				if strings.HasSuffix(k.Name, "nl_admin") && k.Value != "" {
					t.Errorf("%s: a session was opened", name)
				}
			}
		}
	})
	unchanged(t, before, e.snapshot(t))
}

// TestSecurityEnumeration: the answers of /subscribe and /preferences do
// not tell whether an address is known, by content or by time.
func TestSecurityEnumeration(t *testing.T) {
	e := newSecEnv(t)
	addresses := map[string]string{
		"Active": e.active.Email, "Pending": e.pending.Email, "Blocked": e.blocked.Email, "Erased": e.erasedEmail,
		"Suppressed": "suppressed@example.com", "Unknown": "nobody@example.com", "UnknownCase": "Active@Example.COM",
	}
	type answer struct {
		status int
		ctype  string
		body   string
	}
	send := func(req *http.Request) answer {
		resp, body := e.do(t, req)
		if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("%s sets cookies %v", req.URL.Path, c)
		}
		return answer{resp.StatusCode, resp.Header.Get("Content-Type"), body}
	}
	requests := map[string]func(email string) *http.Request{
		"SubscribeJSON": func(email string) *http.Request {
			return jsonPost("/subscribe", `{"name":"Anna Smith","email":"`+email+`","consent_processing":true,"consent_marketing":true}`)
		},
		"SubscribeForm": func(email string) *http.Request {
			return formPost("/subscribe", form("name", "Anna Smith", "email", email, "consent_processing", "yes", "consent_marketing", "yes"))
		},
		"PreferencesJSON": func(email string) *http.Request { return jsonPost("/preferences", `{"email":"`+email+`"}`) },
		"PreferencesForm": func(email string) *http.Request { return formPost("/preferences", form("email", email)) },
	}
	for name, mk := range requests {
		t.Run(name, func(t *testing.T) {
			var first answer
			var firstName string
			for who, email := range addresses {
				got := send(mk(email))
				if got.status >= 300 {
					t.Fatalf("%s: %d %.300s", who, got.status, got.body)
				}
				if firstName == "" {
					first, firstName = got, who
					continue
				}
				if got != first {
					t.Errorf("%s answers %d %q %.300s; %s answers %d %q %.300s", who, got.status, got.ctype, got.body,
						firstName, first.status, first.ctype, first.body)
				}
			}
		})
	}

	// Timing: a statistical check that an answer does no extra work for a
	// known address (no mail sent while the person waits, no extra
	// queries worth noticing). Known and unknown addresses alternate, 30
	// each, and the medians are compared with a bound generous enough for
	// a loaded two-core machine under the race detector: within three
	// times the other plus 20 ms.
	const rounds = 30
	tolerance := func(t *testing.T, what string, known, unknown time.Duration) {
		t.Helper()
		t.Logf("%s: median %v for a known address, %v for an unknown one", what, known, unknown)
		if known > 3*unknown+20*time.Millisecond || unknown > 3*known+20*time.Millisecond {
			t.Errorf("%s: median %v for a known address, %v for an unknown one", what, known, unknown)
		}
	}
	timed := func(t *testing.T, req *http.Request) time.Duration {
		start := time.Now()
		resp, body := e.do(t, req)
		d := time.Since(start)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s: %d %s", req.URL.Path, resp.StatusCode, body)
		}
		return d
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	for name, mk := range map[string]func(email string) *http.Request{"Subscribe": requests["SubscribeJSON"], "Preferences": requests["PreferencesForm"]} {
		t.Run("Timing"+name, func(t *testing.T) {
			var known, unknown []time.Duration
			for i := 0; i < rounds; i++ {
				known = append(known, timed(t, mk(e.active.Email)))
				unknown = append(unknown, timed(t, mk(fmt.Sprintf("stranger%d@example.com", i))))
			}
			tolerance(t, name, median(known), median(unknown))
		})
	}
}

// markers are what an unescaped hostile input leaves in a page; a JSON
// answer must not carry the first two either (Go escapes < and >).
var markers = []string{`<script>alert(`, `<img src=x`, `' onmouseover='`, `href="javascript:`, `src="javascript:`}

// inert checks that an answer carries no hostile markup or header. CSV
// files are downloads (attachment, nosniff): their cells are checked for
// formulas instead.
func inert(t *testing.T, where string, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode >= 500 {
		t.Errorf("%s: %d %.300s", where, resp.StatusCode, body)
	}
	check := markers
	switch ct := resp.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "text/html"), strings.HasPrefix(ct, "application/atom+xml"):
	case strings.HasPrefix(ct, "application/json"):
		check = markers[:2]
	case strings.HasPrefix(ct, "text/csv"):
		check = nil
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s: CSV served inline", where)
		}
	case strings.HasPrefix(ct, "text/plain"):
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: text without nosniff", where)
		}
	case ct == "" && body == "": // a redirect
	default:
		t.Errorf("%s: unexpected content type %q", where, ct)
	}
	for _, m := range check {
		if strings.Contains(body, m) {
			i := strings.Index(body, m)
			t.Errorf("%s: %q unescaped: …%s…", where, m, body[max(0, i-80):min(len(body), i+80)])
		}
	}
	for k, vs := range resp.Header {
		if strings.Contains(strings.ToLower(k), "injected") {
			t.Errorf("%s: header %s injected", where, k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				t.Errorf("%s: header %s has a line break", where, k)
			}
		}
	}
}

// TestSecurityMarkup stores hostile text through every field a person or
// an operator can fill in, reflects it through every query parameter, and
// reads every page and JSON answer: nothing is unescaped. Names and
// subjects with line breaks are refused.
func TestSecurityMarkup(t *testing.T) {
	e := newSecEnv(t)
	ctx := context.Background()
	owner := e.sessions[app.RoleOwner]
	api := func(method, path, body string, want int) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens[app.RoleOwner])
		if resp, b := e.do(t, req); resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
	}
	q := jsonString
	// Operators' free text.
	api("POST", "/api/v1/campaigns", `{"name":`+q(hostile)+`,"subject":`+q(hostile)+`,"purpose":"marketing","body_html":"<p>Hi</p>"}`, 201)
	api("POST", "/api/v1/subscribers/"+id(e.victim.ID)+"/block", `{"reason":`+q(hostile)+`}`, 200)
	api("POST", "/api/v1/requests", `{"kind":"access","subscriber_id":`+id(e.victim.ID)+`,"note":`+q(hostile)+`,"verification":`+q(hostile)+`}`, 201)
	api("POST", "/api/v1/suppressions", `{"email":"hostile@example.com","note":`+q(hostile)+`}`, 201)
	api("POST", "/api/v1/policies", `{"version":"v2","body_en":`+q("# "+hostile+"\n\n"+hostile+"\n- "+hostileURL)+`,"body_ru":`+q(hostile)+`}`, 201)
	if resp, body := e.post(t, owner, "/admin/tokens", form("name", hostile, "admin_id", id(e.admins[app.RoleOwner].ID))); resp.StatusCode != 200 {
		t.Fatalf("token: %d %.300s", resp.StatusCode, body)
	}
	// Data already held may predate the rules of the forms.
	e.active.Name, e.active.Phone = hostile, hostile
	must(t, e.store.UpdateSubscriber(ctx, e.active))
	formula := &app.Subscriber{Email: "formula@example.com", EmailHash: e.svc.Signer.KeyedHash("formula@example.com"), Name: `=HYPERLINK("https://evil.example") ` + hostile, Status: app.StatusActive, Locale: "en"}
	must(t, e.store.CreateSubscriber(ctx, formula))
	api("POST", "/api/v1/subscribers/"+id(formula.ID)+"/erase", `{"reason":`+q(hostile)+`}`, 200)

	// Every page and JSON answer, plain and with every query parameter it
	// reads set to hostile text.
	for _, r := range e.routes() {
		if r.method != "GET" {
			continue
		}
		base := e.target(r)
		variants := map[string]string{"plain": base}
		if len(r.query) > 0 {
			v := url.Values{}
			for _, name := range r.query {
				v.Set(name, hostile)
			}
			variants["query"] = base + "?" + v.Encode()
			for _, name := range r.query {
				variants["query-"+name] = base + "?" + url.Values{name: {hostileURL}}.Encode()
			}
			variants["crlf"] = base + "?" + url.Values{r.query[0]: {"a\r\nX-Injected: 1"}}.Encode()
		}
		for name, path := range variants {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Referer", hostileURL)
			req.Header.Set("Accept-Language", hostile)
			if r.kind == kindAdmin || r.kind == kindAPI {
				e.as(r, app.RoleOwner, req)
			}
			resp, body := e.do(t, req)
			where := r.String() + " " + name
			if resp.StatusCode == http.StatusOK && (r.path == "/admin/campaigns/:id<int>/preview" || r.path == "/admin/outbox/:name/html") {
				// A message as sent, in a frame that may run nothing.
				csp := resp.Header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
					t.Errorf("%s: CSP %q", where, csp)
				}
				continue
			}
			inert(t, where, resp, body)
		}
	}
	// Pages that show the stored text do show it, escaped.
	for path, want := range map[string]string{
		"/admin/subscribers/" + id(e.victim.ID): "Mozilla/5.0 &lt;script&gt;",
		"/admin/review":                         "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;",
		"/admin/outbox/" + e.outboxName:         "&lt;script&gt;",
		"/admin/campaigns":                      "&lt;script&gt;",
		"/admin/destructions":                   "=HYPERLINK(&#34;https://evil.example&#34;) &lt;script&gt;",
	} {
		if _, body := e.get(t, owner, path); !strings.Contains(body, want) {
			t.Errorf("%s does not show %q", path, want)
		}
	}
	if _, body := e.do(t, httptest.NewRequest("GET", "/privacy?lang=en", nil)); !strings.Contains(body, "<h2>&lt;script&gt;alert(&#34;xss&#34;)") {
		t.Errorf("the policy's heading is not escaped text")
	}
	// A spreadsheet does not take a name for a formula.
	_, csv := e.get(t, owner, "/admin/destructions.csv")
	if !strings.Contains(csv, `'=HYPERLINK(`) || strings.Contains(csv, `,=HYPERLINK(`) || strings.Contains(csv, `,"=HYPERLINK(`) {
		t.Errorf("destructions CSV: %s", csv)
	}
	// A path that does not exist is not echoed as markup.
	for _, p := range []string{"/nope/" + url.PathEscape(hostile), "/admin/outbox/" + url.PathEscape(hostile), "/privacy/" + url.PathEscape(hostile)} {
		for _, accept := range []string{"text/html", "application/json"} {
			req := httptest.NewRequest("GET", p, nil)
			req.Header.Set("Accept", accept)
			if p != "/nope/"+url.PathEscape(hostile) {
				req.AddCookie(owner.cookie)
				req.Header.Set("User-Agent", owner.agent)
			}
			resp, body := e.do(t, req)
			inert(t, p+" "+accept, resp, body)
		}
	}

	// Forms shown again with the person's input.
	prefs := "/preferences/" + e.goodToken(app.TokenPreferences)
	for _, c := range []struct {
		path string
		v    url.Values
	}{
		{"/subscribe", form("name", hostile, "email", hostile, "phone", hostile, "form", hostile, "page", hostileURL, "locale", hostile,
			"consent_processing", "yes")},
		{"/subscribe", form("name", hostile, "email", "ok@example.com", "consent_processing", "yes", "ts", hostile)},
		{"/preferences", form("email", hostile)},
		{prefs, form("action", "profile", "name", hostile, "phone", hostile)},
		{prefs, form("action", "email", "email", hostile)},
		{"/u/" + e.goodToken(app.TokenUnsubscribe), form("choice", hostile)},
		{"/revoke/" + e.goodToken(app.TokenRevoke), form("choice", hostile)},
		{"/admin/login", form("email", hostile, "password", "x", "next", hostileURL)},
	} {
		resp, body := e.do(t, formPost(c.path, c.v))
		if resp.StatusCode < 400 {
			t.Errorf("POST %s with hostile input: %d", c.path, resp.StatusCode)
		}
		inert(t, "POST "+c.path, resp, body)
	}
	for _, path := range []string{"/admin/campaigns", "/admin/subscribers/" + id(e.victim.ID) + "/block", "/admin/suppressions", "/admin/users", "/admin/policies"} {
		resp, body := e.post(t, owner, path, form("name", hostile, "subject", hostile, "purpose", hostile, "body_html", "{{"+hostile,
			"reason", hostile, "email", hostile, "note", hostile, "role", hostile, "version", hostile, "body_en", hostile, "body_ru", hostile))
		inert(t, "POST "+path, resp, body)
	}

	// Line breaks in names and subjects are refused where they are entered.
	crlf := "Anna\r\nBcc: victim@example.com"
	if resp, body := e.do(t, jsonPost("/subscribe", `{"name":`+q(crlf)+`,"email":"crlf@example.com","consent_processing":true}`)); resp.StatusCode != 422 ||
		!strings.Contains(body, `"name"`) {
		t.Errorf("subscribe with a line break in the name: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.do(t, formPost("/subscribe", form("name", crlf, "email", "crlf@example.com", "consent_processing", "yes"))); resp.StatusCode != 422 {
		t.Errorf("subscribe form with a line break in the name: %d", resp.StatusCode)
	}
	if resp, _ := e.do(t, formPost(prefs, form("action", "profile", "name", crlf))); resp.StatusCode != 422 {
		t.Errorf("preferences with a line break in the name: %d", resp.StatusCode)
	}
	if _, err := e.store.SubscriberByEmail(ctx, "crlf@example.com"); !app.IsNotFound(err) {
		t.Errorf("a subscriber with a line break in the name was recorded")
	}
	for _, subject := range []string{"Hi\r\nBcc: victim@example.com", "Hi\nBcc: victim@example.com", "Hi\rBcc: victim@example.com"} {
		req := httptest.NewRequest("POST", "/api/v1/campaigns", strings.NewReader(`{"name":"N","subject":`+q(subject)+`,"purpose":"marketing","body_html":"<p>x</p>"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens[app.RoleMarketer])
		if resp, body := e.do(t, req); resp.StatusCode != 422 || !strings.Contains(body, `"subject"`) {
			t.Errorf("API campaign subject %q: %d %s", subject, resp.StatusCode, body)
		}
		resp, _ := e.post(t, e.sessions[app.RoleMarketer], "/admin/campaigns", form("name", "N", "subject", subject, "purpose", "marketing", "body_html", "<p>x</p>"))
		if resp.StatusCode != 422 {
			t.Errorf("console campaign subject %q: %d", subject, resp.StatusCode)
		}
	}
	// A destination after sign-in stays in the console.
	for _, next := range []string{"/admin\r\nSet-Cookie: x=1", "//evil.example", "https://evil.example/admin", `/admin\@evil.example`} {
		ck, tok := e.loginToken(t)
		req := formPost("/admin/login", form("_csrf", tok, "email", e.emails[app.RoleOwner], "password", consolePassword, "next", next))
		req.AddCookie(ck)
		req.Header.Set("User-Agent", "ConsoleTest/1.0")
		resp, _ := e.do(t, req)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
			t.Errorf("next %q: %d %q", next, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// sqlPayloads are SQL metacharacters and classic injections.
var sqlPayloads = []string{`' OR 1=1 --`, `"; DROP TABLE subscribers; --`, `%`, `_`, `\`, `'; DELETE FROM consents; --`,
	`1 UNION SELECT password_hash FROM admins`, `%' OR '1'='1`, `1)); DROP TABLE admins; --`, "\x00", "a\x00' OR 1=1 --", "\xff\xfe"}

// TestSecuritySQLMetacharacters sends SQL metacharacters through every
// query parameter, free-text path and form field: the answers are normal,
// the text is stored and searched as written, and every table is intact.
func TestSecuritySQLMetacharacters(t *testing.T) {
	e := newSecEnv(t)
	ctx := context.Background()
	for _, s := range []struct{ email, name string }{
		{"per%cent@example.com", "Percent Person"}, {"under_score@example.com", "Under Person"},
		{"backslash@example.com", `Back\slash`}, {"o'brien@example.com", "Conan O'Brien"},
	} {
		must(t, e.store.CreateSubscriber(ctx, &app.Subscriber{Email: s.email, EmailHash: e.svc.Signer.KeyedHash(s.email), Name: s.name,
			Status: app.StatusActive, Locale: "en"}))
	}
	count := func() int {
		subs, err := e.store.ListSubscribers(ctx, app.SubscriberFilter{Limit: 1000})
		must(t, err)
		return len(subs)
	}
	tablesBefore := tableCounts(e.snapshot(t))
	subscribersBefore := count()

	// Every query parameter of every page and API listing.
	for _, r := range e.routes() {
		if r.method != "GET" || len(r.query) == 0 {
			continue
		}
		for _, name := range r.query {
			for _, p := range sqlPayloads {
				req := httptest.NewRequest("GET", e.target(r)+"?"+url.Values{name: {p}}.Encode(), nil)
				if r.kind == kindAdmin || r.kind == kindAPI {
					e.as(r, app.RoleOwner, req)
				}
				resp, body := e.do(t, req)
				if resp.StatusCode >= 500 {
					t.Errorf("%s ?%s=%q: %d %.200s", r, name, p, resp.StatusCode, body)
				}
			}
		}
	}
	// Free text in paths and in every public form field.
	for _, p := range sqlPayloads {
		for _, c := range []struct {
			r    secRoute
			path string
		}{
			{secRoute{method: "GET", kind: kindPublic}, "/privacy/" + url.PathEscape(p)},
			{secRoute{method: "GET", kind: kindAdmin}, "/admin/outbox/" + url.PathEscape(p)},
			{secRoute{method: "DELETE", kind: kindAPI}, "/api/v1/suppressions/" + url.PathEscape(p)},
			{secRoute{method: "GET", kind: kindAPI}, "/api/v1/subscribers/" + url.PathEscape(p)},
		} {
			resp, body := e.do(t, e.as(c.r, app.RoleOwner, httptest.NewRequest(c.r.method, c.path, nil)))
			if resp.StatusCode >= 500 || resp.StatusCode < 400 {
				t.Errorf("%s %s: %d %.200s", c.r.method, c.path, resp.StatusCode, body)
			}
		}
		for _, field := range []string{"name", "email", "phone", "form", "page", "locale", "consent_processing", "website"} {
			v := form("name", "Anna Smith", "email", "sqlform@example.com", "consent_processing", "yes")
			v.Set(field, p)
			if resp, body := e.do(t, formPost("/subscribe", v)); resp.StatusCode >= 500 {
				t.Errorf("subscribe %s=%q: %d %.200s", field, p, resp.StatusCode, body)
			}
		}
		for _, req := range []*http.Request{formPost("/preferences", form("email", p)), jsonPost("/preferences", `{"email":`+jsonString(p)+`}`),
			formPost("/preferences/"+e.goodToken(app.TokenPreferences), form("action", "email", "email", p)),
			formPost("/u/"+e.goodToken(app.TokenUnsubscribe), form("choice", p))} {
			if resp, body := e.do(t, req); resp.StatusCode >= 500 {
				t.Errorf("%s %q: %d %.200s", req.URL.Path, p, resp.StatusCode, body)
			}
		}
	}
	// Text with metacharacters is stored as written.
	apostrophe := "o'brien+x@example.com"
	if resp, body := e.do(t, jsonPost("/subscribe", `{"name":"Conan O'Brien","email":"`+apostrophe+`","consent_processing":true}`)); resp.StatusCode != 202 {
		t.Fatalf("subscribe %s: %d %s", apostrophe, resp.StatusCode, body)
	}
	if s, err := e.store.SubscriberByEmail(ctx, apostrophe); err != nil || s.Name != "Conan O'Brien" {
		t.Fatalf("stored %+v %v", s, err)
	}
	block := func(reason string) (*http.Response, string) {
		req := httptest.NewRequest("POST", "/api/v1/subscribers/"+id(e.victim.ID)+"/block", strings.NewReader(`{"reason":`+jsonString(reason)+`}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens[app.RolePrivacyOfficer])
		return e.do(t, req)
	}
	for _, p := range sqlPayloads[:5] {
		if resp, body := block(p); resp.StatusCode != 200 {
			t.Fatalf("block with %q: %d %s", p, resp.StatusCode, body)
		}
		if s, _ := e.store.Subscriber(ctx, e.victim.ID); s.BlockReason != p {
			t.Errorf("block reason %q, want %q", s.BlockReason, p)
		}
	}
	// A NUL byte cannot be stored: the client is told so, not served a 500.
	if resp, body := block("disputed\x00' OR 1=1 --"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("block reason with a NUL byte: %d %s", resp.StatusCode, body)
	}
	// Search is literal: % _ and \ match only themselves.
	search := map[string][]string{
		"%":            {"per%cent@example.com"},
		"_":            {"under_score@example.com"},
		`\`:            {"backslash@example.com"},
		"'":            {"o'brien@example.com", apostrophe},
		`' OR 1=1 --`:  nil,
		`%' OR '1'='1`: nil,
		"r%c":          {"per%cent@example.com"},
		"percent":      {"per%cent@example.com"},
	}
	for text, want := range search {
		req := httptest.NewRequest("GET", "/api/v1/subscribers?"+url.Values{"q": {text}}.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[app.RolePrivacyOfficer])
		resp, body := e.do(t, req)
		var got struct {
			Subscribers []app.Subscriber `json:"subscribers"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("search %q: %d %s", text, resp.StatusCode, body)
		}
		var emails []string
		for _, s := range got.Subscribers {
			emails = append(emails, s.Email)
		}
		slices.Sort(emails)
		slices.Sort(want)
		if !slices.Equal(emails, want) {
			t.Errorf("search %q finds %v, want %v", text, emails, want)
		}
		_, page := e.get(t, e.sessions[app.RolePrivacyOfficer], "/admin/subscribers?"+url.Values{"q": {text}}.Encode())
		for _, s := range []string{"active@example.com", "victim@example.com"} {
			if strings.Contains(page, s) {
				t.Errorf("console search %q lists %s", text, s)
			}
		}
	}
	// Every table is still there, with every row.
	after := tableCounts(e.snapshot(t))
	for table, n := range tablesBefore {
		if after[table] < n {
			t.Errorf("table %s: %d rows, had %d", table, after[table], n)
		}
	}
	if n := count(); n < subscribersBefore+1 {
		t.Errorf("%d subscribers, had %d before one more subscribed", n, subscribersBefore)
	}
	accounts, err := e.auth.Accounts(ctx)
	if err != nil || len(accounts) != 3 {
		t.Errorf("%d admin accounts (%v), want 3", len(accounts), err)
	}
	tables := e.tables(t)
	// Every field of every operator's form and API body. These requests
	// may act (erase, delete, revoke): only the answers and the tables are
	// checked.
	for _, r := range e.routes() {
		if r.method == "GET" || r.path == "/admin/logout" {
			continue
		}
		switch {
		case r.kind == kindAdmin:
			for field := range r.form {
				for _, p := range sqlPayloads[:6] {
					v := url.Values{}
					for k, vs := range r.form {
						v[k] = vs
					}
					v.Set(field, p)
					req := httptest.NewRequest(r.method, e.target(r), strings.NewReader(v.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					if resp, body := e.do(t, e.as(r, app.RoleOwner, req)); resp.StatusCode >= 500 {
						t.Errorf("%s %s=%q: %d %.200s", r, field, p, resp.StatusCode, body)
					}
				}
			}
		case r.kind == kindAPI && r.body != "":
			var fields map[string]any
			must(t, json.Unmarshal([]byte(r.body), &fields))
			for field, val := range fields {
				if _, ok := val.(string); !ok {
					continue
				}
				for _, p := range sqlPayloads[:6] {
					fields[field] = p
					b, _ := json.Marshal(fields)
					fields[field] = val
					req := httptest.NewRequest(r.method, e.target(r), bytes.NewReader(b))
					req.Header.Set("Content-Type", "application/json")
					if resp, body := e.do(t, e.as(r, app.RoleOwner, req)); resp.StatusCode >= 500 {
						t.Errorf("%s %s=%q: %d %.200s", r, field, p, resp.StatusCode, body)
					}
				}
			}
		}
	}
	// Every table still answers.
	db, err := e.store.DB()
	must(t, err)
	for _, table := range tables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	if n := count(); n == 0 {
		t.Error("no subscribers left")
	}
}

// tables lists the tables of the database.
func (e *secEnv) tables(t *testing.T) []string {
	t.Helper()
	db, err := e.store.DB()
	must(t, err)
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		must(t, rows.Scan(&name))
		out = append(out, name)
	}
	must(t, rows.Err())
	if len(out) < 10 {
		t.Fatalf("only %d tables: %v", len(out), out)
	}
	return out
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestSecurityLiteralSearchEmbedded: the search is literal on the
// embedded SQLite store too.
func TestSecurityLiteralSearchEmbedded(t *testing.T) {
	f := newPrivacyAPI(t)
	for _, email := range []string{"per%cent@example.com", "under_score@example.com", "plain@example.com", "o'brien@example.com"} {
		f.subscriber(t, email)
	}
	for text, want := range map[string]int{"%": 1, "_": 1, `\`: 0, "'": 1, `' OR 1=1 --`: 0, "example": 4} {
		out := f.json(t, app.RolePrivacyOfficer, "GET", "/api/v1/subscribers?"+url.Values{"q": {text}}.Encode(), "", http.StatusOK)
		if got := len(out["subscribers"].([]any)); got != want {
			t.Errorf("search %q finds %d, want %d", text, got, want)
		}
	}
}

var dumpRow = regexp.MustCompile(`^([a-z0-9_]+): [a-z0-9_]+=`)

// tableCounts counts the rows of a snapshot per table (a text value may
// span lines: only lines that start a row count).
func tableCounts(lines []string) map[string]int {
	out := map[string]int{}
	for _, l := range lines {
		if m := dumpRow.FindStringSubmatch(l); m != nil {
			out[m[1]]++
		}
	}
	return out
}

// rawSend writes req on a connection of its own and reads the answer. The
// server answers 413 and closes as soon as it knows a body is too large,
// before reading the rest: an HTTP client still writing the body may see
// the connection reset instead of the answer, so the whole request is
// written at once, write errors are ignored, and the answer is read.
func rawSend(t *testing.T, base string, req *http.Request) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	must(t, req.Write(&buf))
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	must(t, err)
	defer conn.Close()
	must(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
	_, _ = conn.Write(buf.Bytes())
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestSecurityBodies sends bodies over the limit to every route that takes
// one (413), and malformed JSON and forms to every route that reads them
// (a 4xx, with a JSON error for programs); nothing changes.
func TestSecurityBodies(t *testing.T) {
	e := newSecEnv(t)
	base := e.listen(t)
	client := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(t *testing.T, r secRoute, req *http.Request) (*http.Response, string) {
		t.Helper()
		req.RequestURI = ""
		u, _ := url.Parse(base + req.URL.RequestURI())
		req.URL, req.Host = u, u.Host
		e.as(r, app.RoleOwner, req)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	before := e.snapshot(t)
	for _, r := range e.routes() {
		if !r.hasBody() {
			continue
		}
		big := `{"name":"` + strings.Repeat("a", r.limit()) + `"}`
		t.Run("Oversized "+r.String(), func(t *testing.T) {
			for _, ctype := range []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
				req := httptest.NewRequest(r.method, e.target(r), strings.NewReader(big))
				req.Header.Set("Content-Type", ctype)
				req.Header.Set("Accept", "application/json")
				resp, body := rawSend(t, base, e.as(r, app.RoleOwner, req))
				if resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Errorf("%s: %d, want 413: %.200s", ctype, resp.StatusCode, body)
					continue
				}
				decodeError(t, body)
			}
			// Without a length: chunked.
			req := httptest.NewRequest(r.method, e.target(r), io.MultiReader(strings.NewReader(big)))
			req.ContentLength = -1
			req.Header.Set("Content-Type", "application/json")
			if resp, body := rawSend(t, base, e.as(r, app.RoleOwner, req)); resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("chunked: %d, want 413: %.200s", resp.StatusCode, body)
			}
		})
	}
	// Bodies that are not JSON, or not the JSON object a route takes:
	// refused with a 4xx and a JSON error, and nothing changes.
	malformed := map[string]string{
		"Truncated":   `{"name":`,
		"Bracket":     `[`,
		"WrongTypes":  `{"name":5,"email":[],"reason":{},"note":[],"kind":7,"to":"x","send_at":1,"choice":[],"version":{}}`,
		"Deep":        strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		"NUL":         "\x00",
		"NotJSON":     `name=Anna&email=a@example.com`,
		"TwoObjects":  `{}{"reason":"x"}`,
		"BadEscape":   `{"name":"\u00"}`,
		"Unquoted":    `{name: "x"}`,
		"TrailComma":  `{"name":"x",}`,
		"ArrayBody":   `[]`,
		"StringValue": `"x"`,
		"NumberValue": `1e400`,
	}
	for _, r := range e.routes() {
		if !r.json {
			continue
		}
		t.Run("Malformed "+r.String(), func(t *testing.T) {
			for name, body := range malformed {
				req := httptest.NewRequest(r.method, e.target(r), strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, b := send(t, r, req)
				if resp.StatusCode < 400 || resp.StatusCode >= 500 {
					t.Errorf("%s: %d, want 4xx: %.200s", name, resp.StatusCode, b)
					continue
				}
				decodeError(t, b)
			}
		})
	}
	unchanged(t, before, e.snapshot(t))
	// Valid JSON of an odd shape (null, unknown fields, invalid UTF-8 that
	// decodes to U+FFFD) may be taken as an empty or partial body: it gets
	// an ordinary answer, never a 5xx.
	odd := map[string]string{"Null": `null`, "UnknownFields": `{"nope":1}`, "BadUTF8": "{\"name\":\"\xff\xfe\"}", "Empty": ``}
	for _, r := range e.routes() {
		if !r.json {
			continue
		}
		t.Run("Odd "+r.String(), func(t *testing.T) {
			for name, body := range odd {
				req := httptest.NewRequest(r.method, e.target(r), strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, b := send(t, r, req)
				if resp.StatusCode >= 500 {
					t.Errorf("%s: %d %.200s", name, resp.StatusCode, b)
				} else if resp.StatusCode >= 400 {
					decodeError(t, b)
				}
			}
		})
	}
	// Broken forms: a multipart body without its parts, bad escapes, NUL
	// bytes and invalid UTF-8.
	forms := map[string][2]string{
		"Multipart":       {"multipart/form-data; boundary=xyz", "garbage--"},
		"MultipartNoEnd":  {"multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@example.com"},
		"MultipartNoBndy": {"multipart/form-data", "--xyz\r\n\r\n"},
		"BadEscapes":      {"application/x-www-form-urlencoded", "name=%zz%&email=%E0%A4%A&consent_processing=%"},
		"NULAndUTF8":      {"application/x-www-form-urlencoded", "name=%00%ff%fe&email=a%00@example.com&consent_processing=yes"},
		"OnlySeparators":  {"application/x-www-form-urlencoded", "&&&===&"},
	}
	for _, r := range e.routes() {
		if r.method != "POST" || r.kind == kindInbound || r.kind == kindAPI || r.kind == kindLogin ||
			(r.kind == kindAdmin && r.path != "/admin/suppressions" && r.path != "/admin/subscribers/:id<int>/block") {
			continue
		}
		t.Run("BrokenForm "+r.String(), func(t *testing.T) {
			for name, f := range forms {
				for _, asJSON := range []bool{false, true} {
					req := httptest.NewRequest(r.method, e.target(r), strings.NewReader(f[1]))
					req.Header.Set("Content-Type", f[0])
					if asJSON {
						req.Header.Set("Accept", "application/json")
					}
					resp, b := send(t, r, req)
					if resp.StatusCode >= 500 {
						t.Errorf("%s: %d %.200s", name, resp.StatusCode, b)
						continue
					}
					if asJSON && resp.StatusCode >= 400 && r.kind != kindAdmin { // the console answers its forms with pages
						decodeError(t, b)
					}
				}
			}
		})
	}
}

// TestSecurityRateLimits floods each limited form: past the limit it
// answers 429 with Retry-After, as a page or as JSON, and does nothing.
func TestSecurityRateLimits(t *testing.T) {
	e := newSecEnv(t)
	ctx := context.Background()
	backlog := func() int64 {
		n, err := e.store.OutboxBacklog(ctx)
		must(t, err)
		return n
	}
	limited := func(t *testing.T, what string, resp *http.Response, body string, asJSON bool) {
		t.Helper()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: %d (Retry-After %q), want 429: %.200s", what, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		if asJSON {
			if a := decodeError(t, body); a.Code != app.ERATELIMIT {
				t.Errorf("%s: code %q", what, a.Code)
			}
		} else if !strings.Contains(body, "Too many attempts") {
			t.Errorf("%s: not the rate limit page: %.300s", what, body)
		}
	}
	for _, asJSON := range []bool{true, false} {
		mode := map[bool]string{true: "JSON", false: "Form"}[asJSON]
		subscribe := func(email string) *http.Request {
			if asJSON {
				return jsonPost("/subscribe", `{"name":"Anna Smith","email":"`+email+`","consent_processing":true}`)
			}
			return formPost("/subscribe", form("name", "Anna Smith", "email", email, "consent_processing", "yes"))
		}
		prefsLink := func(email string) *http.Request {
			if asJSON {
				return jsonPost("/preferences", `{"email":"`+email+`"}`)
			}
			return formPost("/preferences", form("email", email))
		}
		t.Run("SubscribePerIP"+mode, func(t *testing.T) {
			e.lim.reset()
			for i := 0; i < secLimitIP; i++ {
				if resp, body := e.do(t, subscribe(fmt.Sprintf("ip%s%d@example.com", mode, i))); resp.StatusCode >= 300 {
					t.Fatalf("subscription %d: %d %s", i, resp.StatusCode, body)
				}
			}
			n := backlog()
			resp, body := e.do(t, subscribe("ip"+mode+"-over@example.com"))
			limited(t, "subscription over the limit", resp, body, asJSON)
			if _, err := e.store.SubscriberByEmail(ctx, "ip"+mode+"-over@example.com"); !app.IsNotFound(err) {
				t.Errorf("a refused subscription was recorded")
			}
			if backlog() != n {
				t.Errorf("a refused subscription sends a confirmation")
			}
		})
		t.Run("SubscribePerAddress"+mode, func(t *testing.T) {
			e.lim.reset()
			for i := 0; i < secLimitAddress; i++ {
				if resp, body := e.do(t, subscribe("flood"+mode+"@example.com")); resp.StatusCode >= 300 {
					t.Fatalf("subscription %d: %d %s", i, resp.StatusCode, body)
				}
			}
			n := backlog()
			resp, body := e.do(t, subscribe("FLOOD"+mode+"@example.com"))
			limited(t, "subscription of one address over the limit", resp, body, asJSON)
			if backlog() != n {
				t.Errorf("a refused subscription sends a confirmation")
			}
		})
		t.Run("PreferencesLinkPerAddress"+mode, func(t *testing.T) {
			e.lim.reset()
			for i := 0; i < 3; i++ {
				if resp, body := e.do(t, prefsLink(e.active.Email)); resp.StatusCode >= 300 {
					t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
				}
			}
			n := backlog()
			resp, body := e.do(t, prefsLink(e.active.Email))
			limited(t, "preferences link over the limit", resp, body, asJSON)
			if backlog() != n {
				t.Errorf("a refused request sends a link")
			}
		})
		t.Run("PreferencesLinkPerIP"+mode, func(t *testing.T) {
			e.lim.reset()
			for i := 0; i < 10; i++ {
				if resp, body := e.do(t, prefsLink(fmt.Sprintf("someone%d@example.com", i))); resp.StatusCode >= 300 {
					t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
				}
			}
			n := backlog()
			resp, body := e.do(t, prefsLink(e.active.Email))
			limited(t, "preferences link over the limit", resp, body, asJSON)
			if backlog() != n {
				t.Errorf("a refused request sends a link")
			}
		})
	}
	t.Run("NewAddressInPreferences", func(t *testing.T) {
		e.lim.reset()
		path := "/preferences/" + e.goodToken(app.TokenPreferences)
		for i := 0; i < secLimitAddress; i++ {
			if resp, body := e.do(t, formPost(path, form("action", "email", "email", "target@example.com"))); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change %d: %d %.300s", i, resp.StatusCode, body)
			}
		}
		n := backlog()
		resp, body := e.do(t, formPost(path, form("action", "email", "email", "target@example.com")))
		limited(t, "confirmations to one new address over the limit", resp, body, false)
		if backlog() != n {
			t.Errorf("a refused change sends a confirmation")
		}
		e.lim.reset()
		for i := 0; i < secLimitIP; i++ {
			e.do(t, formPost(path, form("action", "email", "email", fmt.Sprintf("target%d@example.com", i))))
		}
		resp, body = e.do(t, formPost(path, form("action", "email", "email", "target-over@example.com")))
		limited(t, "new addresses from one client over the limit", resp, body, false)
	})
	t.Run("ResendConfirmation", func(t *testing.T) {
		e.lim.reset()
		bad := "/confirm/" + e.svc.Links.UnsubscribeToken(e.active.ID, 0) + "/resend"
		for i := 0; i < 10; i++ {
			if resp, _ := e.do(t, formPost(bad, url.Values{})); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("resend %d: %d", i, resp.StatusCode)
			}
		}
		n := backlog()
		resp, body := e.do(t, formPost("/confirm/"+e.goodToken(app.TokenConfirm)+"/resend", url.Values{}))
		limited(t, "resend over the limit", resp, body, false)
		if backlog() != n {
			t.Errorf("a refused resend sends a confirmation")
		}
	})
	t.Run("SignIn", func(t *testing.T) {
		e.lim.reset()
		for i := 0; i < 20; i++ {
			if resp := e.tryLogin(t, fmt.Sprintf("nobody%d@example.com", i), "wrong password"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i, resp.StatusCode)
			}
		}
		resp := e.tryLogin(t, e.emails[app.RoleMarketer], consolePassword)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("sign-in over the limit: %d, want 429", resp.StatusCode)
		}
		for _, k := range resp.Cookies() {
			if strings.HasSuffix(k.Name, "nl_admin") && k.Value != "" {
				t.Errorf("a session was opened over the limit")
			}
		}
	})
}
