package web

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/valyala/fasthttp"

	"newsletter/app"
	"newsletter/templates"
)

// access is how the caller of a route proves who they are; it decides the
// middleware the route runs behind.
type access int

const (
	// public routes are for anyone; a handler may check credentials of
	// its own (the metrics and inbound bearer tokens, a provider's
	// webhook signature).
	public access = iota
	// link routes are public routes whose path carries a signed token,
	// which the use case verifies.
	link
	// signIn is the console's sign-in form: no session yet; the handler
	// checks the form's own CSRF token (double submit).
	signIn
	// console routes need a live session, the session's CSRF token on
	// every state-changing request (adminCSRF) and one of the roles.
	console
	// api routes need an API bearer token and one of the roles; answers
	// are never cached.
	api
)

// part is a part of the product a route needs; a process may run without
// it (see Server.has). A console route of a missing part is not
// registered (404, and the console shows no link to it); an API route
// answers 503, so the API keeps one shape.
type part int

const (
	always part = iota
	campaignsPart
	privacyPart
	outboxPart
	eventHooksPart
	twoFactorPart
	ssoPart
	layoutPart
	archivePart
	newslettersPart
	bulkPart
)

// Role sets of the console and the API. Owners pass every check.
var (
	anyRole      = []app.Role{app.RoleMarketer, app.RolePrivacyOfficer}
	marketerOnly = []app.Role{app.RoleMarketer}
	officerOnly  = []app.Role{app.RolePrivacyOfficer}
	ownerOnly    = []app.Role{}
)

// bodyLimit is a route's own body limit for a request whose header has
// arrived (path without the query); 0 keeps the server's.
type bodyLimit func(s *Server, h *fasthttp.RequestHeader, path string) int

// route is one route of the table, with what its group says of it.
type route struct {
	endpoint
	routeGroup
}

// endpoint is a method and a path, and the handler that answers them.
type endpoint struct {
	method, path string
	handle       fiber.Handler
}

// routeGroup are routes reached the same way.
type routeGroup struct {
	access access
	// roles may use a console or API route, besides owners.
	roles []app.Role
	part  part
	// cors lets the sites of FormOrigins post with fetch.
	cors bool
	// limit is the routes' own body limit, when they have one.
	limit  bodyLimit
	routes []endpoint
}

// table lists every route of the server, by how it is reached: public
// pages, signed links, the console, the API. From a URL you find the code
// in one hop.
func (s *Server) table() []route {
	get, post, put, patch, del := fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete
	groups := []routeGroup{
		{access: public, routes: []endpoint{
			{get, "/healthz", s.healthz},
			{get, "/readyz", s.readyz},
			{get, "/metrics", s.metrics}, // asks for its own token
			{get, "/", s.home},
			{get, "/subscribe", s.subscribePage},
			{fiber.MethodOptions, "/subscribe", s.formCORS}, // the preflight of a fetch from a listed site
			{get, "/preferences", s.preferencesRequestPage},
			{post, "/preferences", s.requestPreferencesLink},
			{get, "/privacy", s.privacy},
			{get, "/privacy/:version", s.privacy},
		}},
		// The public archive of campaigns (archive.go): no cookie, no
		// personal data.
		{access: public, part: archivePart, routes: []endpoint{
			{get, "/archive", s.archivePage},
			{get, "/archive.atom", s.archiveFeed},
			{get, "/archive/:id<int>", s.archiveCampaignPage},
			{get, "/archive/:id<int>/content", s.archiveContent},
		}},
		// The description of the API, for anyone.
		{access: public, routes: []endpoint{{get, openAPIPath, s.openAPI}}},
		{access: public, cors: true, routes: []endpoint{{post, "/subscribe", s.subscribe}}},
		{access: public, limit: inboundLimit, routes: []endpoint{{post, "/inbound/mime", s.inboundMIME}}},
		{access: public, limit: webhookLimit, routes: []endpoint{{post, "/webhooks/:provider", s.webhook}}},

		{access: link, routes: []endpoint{
			{get, "/confirm/:token", s.confirmPage},
			{post, "/confirm/:token", s.confirm},
			{post, "/confirm/:token/resend", s.resendConfirmation},
			{get, "/preferences/:token", s.preferencesPage},
			{post, "/preferences/:token", s.updatePreferences},
			{get, "/preferences/:token/export", s.exportMyData},
			{get, "/preferences/:token/revoke", s.revokePreferencesPage},
			{post, "/preferences/:token/revoke", s.revokeFromPreferences},
			{get, "/u/:token", s.unsubscribePage},
			{post, "/u/:token", s.unsubscribe},
			{get, "/revoke/:token", s.revokePage},
			{post, "/revoke/:token", s.revoke},
		}},
		// A counted link of a campaign (archive.go): the signed id names
		// the campaign and the link, never a person; a forged one is 404.
		{access: public, part: archivePart, routes: []endpoint{{get, "/l/:id", s.followLink}}},
		// A person's data export, mailed at an operator's hand (export_link.go).
		{access: link, part: privacyPart, routes: []endpoint{
			{get, "/export/:token", s.exportLinkPage},
			{get, "/export/:token/json", s.exportLinkJSON},
		}},

		{access: signIn, routes: []endpoint{
			{get, "/admin/login", s.adminLoginPage},
			{post, "/admin/login", s.adminLogin},
		}},
		// The second step after the password (admin_twofactor.go).
		{access: signIn, part: twoFactorPart, routes: []endpoint{
			{get, "/admin/login/verify", s.adminCodePage},
			{post, "/admin/login/verify", s.adminVerifyCode},
			{get, "/admin/login/enrol", s.adminPendingEnrolPage},
			{post, "/admin/login/enrol", s.adminPendingEnrol},
		}},
		// Single sign-on (admin_sso.go).
		{access: signIn, part: ssoPart, routes: []endpoint{
			{get, "/admin/login/oidc", s.adminSSOStart},
			{get, "/admin/login/oidc/callback", s.adminSSOCallback},
		}},
		{access: console, roles: anyRole, part: twoFactorPart, routes: []endpoint{
			{get, "/admin/twofactor", s.adminTwoFactor},
			{post, "/admin/twofactor", s.adminConfirmTwoFactor},
			{post, "/admin/twofactor/disable", s.adminDisableTwoFactor},
			{post, "/admin/twofactor/recovery", s.adminRenewRecoveryCodes},
		}},
		{access: console, roles: ownerOnly, part: twoFactorPart, routes: []endpoint{
			{post, "/admin/users/:id<int>/twofactor", s.adminResetTwoFactor},
			{post, "/admin/users/twofactor-required", s.adminRequireTwoFactor},
		}},
		{access: console, roles: anyRole, routes: []endpoint{
			{get, "/admin", s.adminDashboard},
			{post, "/admin/logout", s.adminLogout},
			{get, "/admin/password", s.adminPasswordPage},
			{post, "/admin/password", s.adminChangePassword},
		}},
		{access: console, roles: officerOnly, routes: []endpoint{
			{get, "/admin/subscribers", s.adminSubscribers},
			{get, "/admin/subscribers/:id<int>", s.adminSubscriber},
			{get, "/admin/policies", s.adminPolicies},
			{post, "/admin/policies", s.adminPublishPolicy},
		}},
		{access: console, roles: ownerOnly, routes: []endpoint{
			{get, "/admin/users", s.adminUsers},
			{post, "/admin/users", s.adminCreateUser},
			{post, "/admin/users/:id<int>/role", s.adminSetRole},
			{post, "/admin/users/:id<int>/unlock", s.adminUnlockUser},
			{post, "/admin/users/:id<int>/password", s.adminResetPassword},
			{post, "/admin/users/:id<int>/delete", s.adminDeleteUser},
			{get, "/admin/tokens", s.adminTokens},
			{post, "/admin/tokens", s.adminCreateToken},
			{post, "/admin/tokens/:id<int>/revoke", s.adminRevokeToken},
		}},
		// The mail layout of each language (admin_mail_layout.go).
		{access: console, roles: ownerOnly, part: layoutPart, routes: []endpoint{
			{get, "/admin/layout", s.adminMailLayout},
			{post, "/admin/layout", s.adminSaveMailLayout},
			{get, "/admin/layout/preview", s.adminMailLayoutPreview},
		}},
		{access: console, roles: marketerOnly, part: campaignsPart, routes: []endpoint{
			{get, "/admin/campaigns", s.adminCampaigns},
			{get, "/admin/campaigns/new", s.adminNewCampaign},
			{post, "/admin/campaigns", s.adminCreateCampaign},
			{post, "/admin/campaigns/preview", s.adminEditorPreview},
			{get, "/admin/campaigns/:id<int>", s.adminCampaign},
			{get, "/admin/campaigns/:id<int>/edit", s.adminEditCampaign},
			{post, "/admin/campaigns/:id<int>", s.adminSaveCampaign},
			{get, "/admin/campaigns/:id<int>/preview", s.adminCampaignPreview},
			{get, "/admin/campaigns/:id<int>/progress", s.adminCampaignProgress},
			{post, "/admin/campaigns/:id<int>/test", s.adminTestCampaign},
			{post, "/admin/campaigns/:id<int>/schedule", s.adminScheduleCampaign},
			{post, "/admin/campaigns/:id<int>/pause", s.adminCampaignAction("pause")},
			{post, "/admin/campaigns/:id<int>/resume", s.adminCampaignAction("resume")},
			{post, "/admin/campaigns/:id<int>/cancel", s.adminCampaignAction("cancel")},
			{post, "/admin/campaigns/:id<int>/retry", s.adminCampaignAction("retry")},
			{get, "/admin/campaigns/:id<int>/send", s.adminSendNowPage},
			{post, "/admin/campaigns/:id<int>/send", s.adminSendNow},
			{post, "/admin/campaigns/:id<int>/unschedule", s.adminCampaignAction("unschedule")},
			{post, "/admin/campaigns/:id<int>/duplicate", s.adminDuplicateCampaign},
			{post, "/admin/campaigns/:id<int>/archive", s.adminCampaignArchive},
			{get, "/admin/segments", s.adminSegments},
			{post, "/admin/segments", s.adminCreateSegment},
			{get, "/admin/segments/:id<int>", s.adminSegment},
			{post, "/admin/segments/:id<int>", s.adminSaveSegment},
			{post, "/admin/segments/:id<int>/delete", s.adminDeleteSegment},
		}},
		// The lists behind a campaign's counters: marketers see subscriber
		// ids, privacy officers who they are.
		{access: console, roles: anyRole, part: campaignsPart, routes: []endpoint{
			{get, "/admin/campaigns/:id<int>/outcomes", s.adminCampaignOutcomes},
		}},
		{access: console, roles: officerOnly, part: privacyPart, routes: []endpoint{
			{get, "/admin/subscribers/:id<int>/export", s.adminExportSubscriber},
			{get, "/admin/subscribers/:id<int>/export.html", s.adminExportSubscriberHTML},
			{post, "/admin/subscribers/:id<int>/export/mail", s.adminMailExport},
			{post, "/admin/subscribers/:id<int>/block", s.adminBlock},
			{post, "/admin/subscribers/:id<int>/requests", s.adminRegisterRequest},
			{post, "/admin/subscribers/:id<int>/unblock", s.adminUnblock},
			{get, "/admin/subscribers/:id<int>/erase", s.adminErasePage},
			{post, "/admin/subscribers/:id<int>/erase", s.adminErase},
			{get, "/admin/destructions", s.adminDestructions},
			{get, "/admin/destructions.csv", s.adminDestructionsCSV},
			{get, "/admin/requests", s.adminRequests},
			{get, "/admin/requests.csv", s.adminRequestsCSV},
			{get, "/admin/requests/:id<int>", s.adminRequest},
			{post, "/admin/requests/:id<int>/notes", s.adminAddNote},
			{post, "/admin/requests/:id<int>/answer", s.adminAnswer},
			{post, "/admin/requests/:id<int>/close", s.adminCloseRequest},
			{post, "/admin/requests/:id<int>/extend", s.adminExtendRequest},
			{get, "/admin/review", s.adminReview},
			{post, "/admin/review/:id<int>/assign", s.adminAssign},
			{post, "/admin/review/:id<int>/reject", s.adminReject},
			{get, "/admin/suppressions", s.adminSuppressions},
			{post, "/admin/suppressions", s.adminSuppress},
			{post, "/admin/suppressions/remove", s.adminUnsuppress},
			{post, "/admin/suppressions/lift", s.adminLiftSuppression},
			{get, "/admin/inbound", s.adminInbound},
			{get, "/admin/audit", s.adminAudit},
			{get, "/admin/audit.csv", s.adminAuditCSV},
		}},
		{access: console, roles: ownerOnly, part: newslettersPart, routes: []endpoint{
			{get, "/admin/newsletters", s.adminNewsletters},
			{post, "/admin/newsletters", s.adminCreateNewsletter},
			{post, "/admin/newsletters/:id<int>", s.adminSaveNewsletter},
		}},
		// Import and export (admin_import.go): personal data, so owners
		// and privacy officers only.
		{access: console, roles: officerOnly, part: bulkPart, routes: []endpoint{
			{get, "/admin/import", s.adminImport},
			{get, "/admin/import/:id<int>", s.adminImportJob},
			{get, "/admin/subscribers.csv", s.adminSubscribersCSV},
		}},
		{access: console, roles: officerOnly, part: bulkPart, limit: importLimit, routes: []endpoint{
			{post, "/admin/import", s.adminStartImport},
		}},
		{access: console, roles: ownerOnly, part: eventHooksPart, routes: []endpoint{
			{get, "/admin/webhooks", s.adminWebhooks},
			{post, "/admin/webhooks", s.adminCreateWebhook},
			{post, "/admin/webhooks/:id<int>/rotate", s.adminRotateWebhook},
			{post, "/admin/webhooks/:id<int>/delete", s.adminDeleteWebhook},
			{post, "/admin/webhooks/deliveries/:id<int>/replay", s.adminReplayWebhook},
		}},
		{access: console, roles: ownerOnly, part: outboxPart, routes: []endpoint{
			{get, "/admin/outbox", s.adminOutbox},
			{get, "/admin/outbox/:name", s.adminOutboxMessage},
			{get, "/admin/outbox/:name/html", s.adminOutboxHTML},
		}},

		{access: api, roles: anyRole, routes: []endpoint{
			{get, "/api/v1/me", s.apiMe},
			{get, "/api/v1/policies", s.apiPolicies},
		}},
		{access: api, roles: officerOnly, routes: []endpoint{
			{post, "/api/v1/policies", s.apiPublishPolicy},
			{get, "/api/v1/subscribers", s.apiListSubscribers},
			{get, "/api/v1/subscribers/:id<int>", s.apiSubscriber},
		}},
		{access: api, roles: ownerOnly, part: eventHooksPart, routes: []endpoint{
			{post, "/api/v1/webhooks", s.apiCreateWebhook},
			{get, "/api/v1/webhooks", s.apiWebhooks},
			{del, "/api/v1/webhooks/:id<int>", s.apiDeleteWebhook},
			{post, "/api/v1/webhooks/:id<int>/rotate-secret", s.apiRotateWebhook},
			{get, "/api/v1/webhooks/:id<int>/deliveries", s.apiWebhookDeliveries},
			{post, "/api/v1/webhooks/deliveries/:id<int>/replay", s.apiReplayWebhook},
		}},
		// Newsletters hold no personal data: every role reads them,
		// owners write them.
		{access: api, roles: anyRole, part: newslettersPart, routes: []endpoint{
			{get, "/api/v1/newsletters", s.apiNewsletters},
			{get, "/api/v1/newsletters/:id<int>", s.apiNewsletter},
		}},
		{access: api, roles: ownerOnly, part: newslettersPart, routes: []endpoint{
			{post, "/api/v1/newsletters", s.apiCreateNewsletter},
			{patch, "/api/v1/newsletters/:id<int>", s.apiPatchNewsletter},
		}},
		// No personal data: every role may see it.
		{access: api, roles: anyRole, part: privacyPart, routes: []endpoint{
			{get, "/api/v1/cross-border", s.apiCrossBorder},
		}},
		{access: api, roles: marketerOnly, part: campaignsPart, routes: []endpoint{
			{post, "/api/v1/campaigns", s.apiCreateCampaign},
			{get, "/api/v1/campaigns", s.apiListCampaigns},
			{get, "/api/v1/campaigns/:id<int>", s.apiCampaign},
			{patch, "/api/v1/campaigns/:id<int>", s.apiPatchCampaign},
			{put, "/api/v1/campaigns/:id<int>", s.apiPutCampaign},
			{post, "/api/v1/campaigns/:id<int>/test", s.apiTestCampaign},
			{post, "/api/v1/campaigns/:id<int>/schedule", s.apiScheduleCampaign},
			{post, "/api/v1/campaigns/:id<int>/pause", s.apiCampaignAction("pause")},
			{post, "/api/v1/campaigns/:id<int>/resume", s.apiCampaignAction("resume")},
			{post, "/api/v1/campaigns/:id<int>/cancel", s.apiCampaignAction("cancel")},
			{post, "/api/v1/campaigns/:id<int>/retry-failed", s.apiCampaignAction("retry")},
			{get, "/api/v1/campaigns/:id<int>/failed", s.apiFailedDeliveries},
			{get, "/api/v1/campaigns/:id<int>/audience", s.apiCampaignAudience},
			{post, "/api/v1/campaigns/:id<int>/unschedule", s.apiUnscheduleCampaign},
			{post, "/api/v1/campaigns/:id<int>/duplicate", s.apiDuplicateCampaign},
			{get, "/api/v1/segments", s.apiSegments},
			{post, "/api/v1/segments", s.apiCreateSegment},
			{get, "/api/v1/segments/:id<int>", s.apiSegment},
			{patch, "/api/v1/segments/:id<int>", s.apiPatchSegment},
			{del, "/api/v1/segments/:id<int>", s.apiDeleteSegment},
		}},
		// The lists behind the counters: privacy officers too (with names).
		{access: api, roles: anyRole, part: campaignsPart, routes: []endpoint{
			{get, "/api/v1/campaigns/:id<int>/outcomes/:list", s.apiCampaignOutcomes},
		}},
		{access: api, roles: officerOnly, part: privacyPart, routes: []endpoint{
			{get, "/api/v1/subscribers/:id<int>/export", s.apiExportSubscriber},
			{post, "/api/v1/subscribers/:id<int>/block", s.apiBlockChange(true)},
			{post, "/api/v1/subscribers/:id<int>/unblock", s.apiBlockChange(false)},
			{post, "/api/v1/subscribers/:id<int>/erase", s.apiErase},
			{get, "/api/v1/subscribers/:id<int>/blocks", s.apiBlockHistory},
			{get, "/api/v1/requests/review", s.apiReviewQueue},
			{post, "/api/v1/requests/:id<int>/assign", s.apiAssignRequest},
			{post, "/api/v1/requests/:id<int>/reject", s.apiRejectRequest},
			{get, "/api/v1/requests", s.apiRequests},
			{post, "/api/v1/requests", s.apiRegisterRequest},
			{get, "/api/v1/requests/:id<int>", s.apiRequest},
			{get, "/api/v1/requests/:id<int>/notes", s.apiRequestNotes},
			{post, "/api/v1/requests/:id<int>/notes", s.apiAddRequestNote},
			{post, "/api/v1/requests/:id<int>/answer", s.apiAnswerRequest},
			{post, "/api/v1/requests/:id<int>/extend", s.apiExtendRequest},
			{post, "/api/v1/requests/:id<int>/complete", s.apiCompleteRequest},
			{get, "/api/v1/destructions", s.apiDestructions},
			{get, "/api/v1/suppressions", s.apiSuppressions},
			{post, "/api/v1/suppressions", s.apiAddSuppression},
			{del, "/api/v1/suppressions", s.apiRemoveSuppression},
			{del, "/api/v1/suppressions/:hash", s.apiRemoveSuppression},
			{post, "/api/v1/suppressions/lift", s.apiLiftSuppression},
			{post, "/api/v1/suppressions/:hash/lift", s.apiLiftSuppression},
			{get, "/api/v1/suppressions/lifts", s.apiSuppressionLifts},
			{get, "/api/v1/inbound", s.apiInboundNotActed},
			{get, "/api/v1/audit", s.apiAudit},
		}},
	}
	var out []route
	for _, g := range groups {
		endpoints := g.routes
		g.routes = nil
		for _, e := range endpoints {
			out = append(out, route{endpoint: e, routeGroup: g})
		}
	}
	return out
}

// routes registers the table behind the middleware of each route's
// access, and the static files.
func (s *Server) routes() {
	a := s.app
	a.Use(recover.New(), requestid.New(), s.observe, s.securityHeaders)
	a.Use("/static", filesystem.New(filesystem.Config{Root: httpFS(templates.Static()), MaxAge: 3600}))
	// Every /api/v1 request shows its token first, routed or not, but
	// those of the public routes there (the API's description).
	s.noToken = s.tokenless()
	a.Use("/api/v1", noStore, s.requireToken)
	s.consoleRoles = map[string][]app.Role{}
	for _, r := range s.table() {
		var hs []fiber.Handler
		switch r.access {
		case signIn, console:
			if s.deps.Auth == nil || !s.has(r.part) {
				continue // the console, or this part of it, is off
			}
			hs = append(hs, s.adminNoStore)
			if r.access == console {
				hs = append(hs, s.adminSession, s.adminCSRF, requireRole(r.roles...))
				s.consoleRoles[r.method+" "+r.path] = r.roles
			}
		case api:
			hs = append(hs, requireRole(r.roles...))
			if !s.has(r.part) {
				hs = append(hs, unavailable)
			}
		}
		if r.cors {
			hs = append(hs, s.formCORS)
		}
		if r.limit != nil {
			s.ownLimits = append(s.ownLimits, r)
		}
		hs = append(hs, r.handle)
		if r.method == fiber.MethodGet && r.access != console {
			a.Head(r.path, hs...) // console pages answer GET only
		}
		a.Add(r.method, r.path, hs...)
	}
	if s.deps.Auth != nil {
		// A console address that matched no route: the console's own
		// "not found" page, in its frame and language, for a signed-in
		// admin; the sign-in page for anyone else.
		a.Use("/admin", s.adminNoStore, s.adminSession, func(*fiber.Ctx) error { return fiber.ErrNotFound })
	}
}

// has reports whether the part p of the product is plugged in.
func (s *Server) has(p part) bool {
	switch p {
	case campaignsPart:
		return s.deps.Campaigns != nil && s.deps.Segments != nil
	case privacyPart:
		return s.deps.Privacy != nil
	case outboxPart:
		return s.opts.OutboxDir != ""
	case eventHooksPart:
		return s.deps.EventHooks != nil
	case twoFactorPart:
		return s.deps.TwoFactor != nil
	case ssoPart:
		return s.deps.TwoFactor != nil && s.deps.SSO != nil
	case layoutPart:
		return s.deps.MailLayouts != nil
	case archivePart:
		return s.deps.Archive != nil && s.deps.Clicks != nil
	case newslettersPart:
		return s.deps.Newsletters != nil
	case bulkPart:
		return s.deps.Bulk != nil
	}
	return true
}

// unavailable answers an API route whose part this process runs without.
func unavailable(*fiber.Ctx) error {
	return app.Errorf(app.EUNAVAILABLE, "this part of the API is not available in this process")
}

// mayOpen reports whether admin may open the console page path (GET): the
// page is on in this process and admin's role may use it.
func (s *Server) mayOpen(admin *app.Admin, path string) bool {
	roles, ok := s.consoleRoles[fiber.MethodGet+" "+path]
	return ok && can(admin, roles)
}

// home sends visitors to the subscription form.
func (s *Server) home(c *fiber.Ctx) error { return c.Redirect("/subscribe", fiber.StatusFound) }

// requestLimits gives a route with a body limit of its own that limit,
// before the body is read: the server reads a body over the limit no
// further and answers 413. Every other route keeps BodyLimit.
func (s *Server) requestLimits(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	path, _, _ := strings.Cut(string(h.RequestURI()), "?")
	for _, r := range s.ownLimits {
		if string(h.Method()) == r.method && matchPath(r.path, path) {
			return fasthttp.RequestConfig{MaxRequestBodySize: r.limit(s, h, path)}
		}
	}
	return fasthttp.RequestConfig{}
}

// matchPath reports whether path is an instance of the route pattern: the
// same segments, a parameter (":name", with or without a constraint)
// standing for one that is not empty.
func matchPath(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		if strings.HasPrefix(p, ":") {
			if xs[i] == "" {
				return false
			}
		} else if p != xs[i] {
			return false
		}
	}
	return true
}

// inboundLimit is the limit of /inbound/mime for a caller with its bearer
// token: a request to a mailbox carries the person's mail as it is,
// attachments and all, and must not be refused for its size. A caller
// without the token keeps the server's limit.
func inboundLimit(s *Server, h *fasthttp.RequestHeader, _ string) int {
	if s.opts.InboundToken == "" {
		return 0
	}
	token, ok := strings.CutPrefix(string(h.Peek(fiber.HeaderAuthorization)), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.opts.InboundToken)) != 1 {
		return 0
	}
	return s.opts.InboundBodyLimit
}

// importLimit is the limit of the console's import upload, for a caller
// with a live session of a role that may import: anyone else keeps the
// server's limit, so nobody can make the server take in an upload's worth
// of body without signing in.
func importLimit(s *Server, h *fasthttp.RequestHeader, _ string) int {
	raw := h.Cookie(s.sessionCookieName())
	if len(raw) == 0 || s.deps.Auth == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, admin, err := s.deps.Auth.Session(ctx, string(raw), string(h.UserAgent()))
	if err != nil || admin == nil || (admin.Role != app.RoleOwner && admin.Role != app.RolePrivacyOfficer) {
		return 0
	}
	return s.opts.ImportBodyLimit
}

// webhookLimit is the limit of a configured provider's webhook: its
// batches may be larger than a form; the signature is checked once the
// body is in.
func webhookLimit(s *Server, _ *fasthttp.RequestHeader, path string) int {
	if s.deps.Webhooks[path[strings.LastIndex(path, "/")+1:]] == nil {
		return 0
	}
	return s.opts.WebhookBodyLimit
}
