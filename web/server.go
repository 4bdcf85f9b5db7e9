// Package web is the HTTP face of the product on Fiber: public pages and
// forms, the preference centre, the admin console, the JSON API, health
// and metrics. It imports no database, ORM or queue package: everything it
// reads or changes goes through the small interfaces it declares
// (interfaces.go), which the binary plugs in (Deps); its settings are
// plain values (Options). Every route is in one table (routes.go).
package web

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/app/metrics"
)

// Deps are the parts the web layer calls, plugged in by the binary: the
// interfaces of interfaces.go, the logger and the metrics. A nil part
// turns off what needs it (see part in routes.go).
type Deps struct {
	Log *slog.Logger
	// Metrics counts requests and serves /metrics; nil: no metrics.
	Metrics *metrics.Metrics
	Pages   Pages
	// Checks are what /readyz asks, and what a 5xx blames when one is down.
	Checks []Check

	Subscriptions Subscriptions
	// Newsletters are the lists people choose and campaigns go to; nil:
	// no choice is offered, and the console and API have no newsletters.
	Newsletters  NewsletterLists
	Preferences  PreferenceCentre
	Unsubscribes Unsubscribes
	Policies     Policies
	Keys         Keys
	Limiter      RateLimiter
	// Inbound stores emailed requests posted to /inbound/mime.
	Inbound InboundMail
	// Webhooks read the delivery events of the mail providers configured,
	// by provider name (POST /webhooks/{provider}); a provider not in it
	// is off (404).
	Webhooks map[string]WebhookReader
	// Feedback records the events of verified webhook requests.
	Feedback FeedbackRecorder

	APITokens APITokens
	Publisher PolicyPublisher
	// Auth signs operators in to the console; nil turns the console off.
	Auth ConsoleAuth
	// TwoFactor is two-factor sign-in; nil turns it (and single sign-on)
	// off.
	TwoFactor TwoFactor
	// SSO is the OpenID Connect provider of the console; nil: none.
	SSO       SingleSignOn
	Directory Directory
	Dashboard Dashboard
	// Campaigns are the campaign use cases; nil turns campaigns off.
	Campaigns Campaigns
	// Segments are the campaigns' saved filters, with the campaigns.
	Segments Segments
	// Privacy are the privacy officer's operations; nil turns them off.
	Privacy Privacy
	// EventHooks are the owner's event webhooks; nil turns them off.
	EventHooks EventHooks
	// Bulk is the console's import and export; nil turns them off.
	Bulk Bulk
	// MailLayouts are the owner's mail layout of each language
	// (app.Layouts); nil turns the layout page off. Layout writes mail in it
	// (templates.Renderer); nil: campaigns are previewed bare.
	MailLayouts MailLayouts
	Layout      app.LayoutRenderer
	// Archive and Clicks are the public archive of campaigns and their
	// counted links; nil turns both off.
	Archive Archive
	Clicks  Clicks
}

// Options are the web layer's settings.
type Options struct {
	// BaseURL is the public address of the product.
	BaseURL *url.URL
	// Operator fills pages and decides whether the cross-border consent
	// is asked.
	Operator app.Operator
	// FormOrigins may post the embeddable form from other sites.
	FormOrigins []string
	// FormRedirect is where a person goes after posting from another site.
	FormRedirect string
	// LimitIP and LimitAddress are the subscription rate limits: per IP
	// address per minute, per email address per hour; 0 is no limit.
	LimitIP, LimitAddress int
	// MinFillTime is the least time a person takes to fill in the form;
	// 0 means 2 seconds.
	MinFillTime time.Duration
	// AnalyticsSrc is a script public pages load after the visitor allows it.
	AnalyticsSrc string
	// BodyLimit is the largest request body accepted, in bytes; 0 means
	// 256 KB.
	BodyLimit int
	// InboundToken is the bearer token of /inbound/mime; empty turns the
	// route off.
	InboundToken string
	// InboundBodyLimit is the largest message /inbound/mime accepts from
	// a caller with InboundToken, in bytes; 0 means app.MaxInboundBytes.
	// Every other route, and a caller without the token, keeps BodyLimit.
	InboundBodyLimit int
	// ImportBodyLimit is the largest upload of the console's import, in
	// bytes; 0 means DefaultImportBodyLimit.
	ImportBodyLimit int
	// WebhookBodyLimit is the largest webhook request accepted, in bytes;
	// 0 means 1 MB (SendGrid posts events in batches of up to 768 KB).
	WebhookBodyLimit int
	// MetricsToken is the bearer token /metrics asks for; empty turns
	// /metrics off on this server.
	MetricsToken string
	// MetricsOwnAddr says /metrics is served on an address of its own
	// (NewMetricsServer): this server answers it 404.
	MetricsOwnAddr bool
	// OutboxDir is where the embedded mode writes outgoing mail; the
	// console shows it when set.
	OutboxDir string
	// Zone is the operator's time zone, in which the console counts
	// dates (the day a request was received); nil means UTC.
	Zone *time.Location
}

// zone is the operator's time zone.
func (s *Server) zone() *time.Location {
	if s.opts.Zone == nil {
		return time.UTC
	}
	return s.opts.Zone
}

// localTime shows a time in the operator's time zone (see formatTime).
func (s *Server) localTime(t time.Time) string {
	return formatTime(t, s.zone())
}

// formatTime shows a time in zone, to the minute, with the zone's
// abbreviation ("2026-12-04 00:00 MSK"); the zero time shows as nothing.
// Every time the console shows goes through it.
func formatTime(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format("2006-01-02 15:04 MST")
}

// localTimePtr shows an optional time; nil shows as a dash.
func (s *Server) localTimePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return s.localTime(*t)
}

// Server is the HTTP server.
type Server struct {
	deps Deps
	opts Options
	csp  string
	app  *fiber.App
	// consoleRoles are the roles of each console route registered
	// ("GET /admin/campaigns"), for the links the console shows.
	consoleRoles map[string][]app.Role
	// ownLimits are the routes with a body limit of their own.
	ownLimits []route
	// noToken are the public paths under /api/v1 (see tokenless).
	noToken map[string]bool
}

// New builds the server with every route.
func New(deps Deps, opts Options) *Server {
	if opts.BodyLimit == 0 {
		opts.BodyLimit = 256 << 10
	}
	if opts.InboundBodyLimit == 0 {
		opts.InboundBodyLimit = app.MaxInboundBytes
	}
	if opts.ImportBodyLimit == 0 {
		opts.ImportBodyLimit = DefaultImportBodyLimit
	}
	if opts.WebhookBodyLimit == 0 {
		opts.WebhookBodyLimit = 1 << 20
	}
	if opts.MinFillTime == 0 {
		opts.MinFillTime = 2 * time.Second
	}
	s := &Server{deps: deps, opts: opts, csp: contentSecurityPolicy(opts.AnalyticsSrc)}
	s.app = fiber.New(fiber.Config{
		AppName:               "newsletter",
		DisableStartupMessage: true,
		BodyLimit:             opts.BodyLimit,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		ErrorHandler:          s.handleError,
		ProxyHeader:           "",
		// A multipart body is parsed when a handler reads it: one that
		// does not parse then gets the handler's answer (JSON for a
		// program), not a bare 400 for a request the server has forgotten.
		DisablePreParseMultipartForm: true,
	})
	s.app.Server().HeaderReceived = s.requestLimits
	s.routes()
	return s
}

// App returns the Fiber application (for tests: app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.app.Listen(addr) }

// Shutdown stops accepting connections and waits, at most until ctx ends,
// for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }
