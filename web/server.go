// Package web is the HTTP face of the product on Fiber: public pages and
// forms, the preference centre, the admin console, the JSON API, health
// and metrics. It never touches the database or the queue directly: it
// calls the use cases of package app through the interfaces it declares.
package web

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"newsletter/app"
	"newsletter/app/metrics"
	"newsletter/templates"
)

// Pinger is a dependency whose health /readyz reports.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Check is one named readiness check.
type Check struct {
	Name string
	Ping Pinger
}

// Deps are what the web layer needs, plugged in by the binary.
type Deps struct {
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// MetricsToken is the bearer token /metrics asks for; empty turns
	// /metrics off on this server.
	MetricsToken string
	// MetricsOwnAddr says /metrics is served on an address of its own
	// (NewMetricsServer): this server answers it 404.
	MetricsOwnAddr bool
	Checks         []Check
	Admins         *app.Admins
	Pages          *templates.Renderer
	Subs           Subscriptions
	// Policies are the privacy policy versions.
	Policies Policies
	// Directory reads subscribers for the admin API.
	Directory Directory
	Limiter   RateLimiter
	Signer    *app.Signer
	// Operator fills pages and decides whether the cross-border consent
	// is asked.
	Operator app.Operator
	// BaseURL is the public address of the product.
	BaseURL *url.URL
	// FormOrigins may post the embeddable form from other sites.
	FormOrigins []string
	// FormRedirect is where a person goes after posting from another site.
	FormRedirect string
	// LimitIP and LimitAddress are the subscription rate limits: per IP
	// address per minute, per email address per hour; 0 is no limit.
	LimitIP, LimitAddress int
	// AnalyticsSrc is a script public pages load after the visitor allows it.
	AnalyticsSrc string
	// MinFillTime is the least time a person takes to fill in the form.
	MinFillTime time.Duration
	// BodyLimit is the largest request body accepted, in bytes.
	BodyLimit int
	// Campaigns are the campaign use cases.
	Campaigns Campaigns
	// Privacy are the privacy operations of operators.
	Privacy Privacy
	// Auth signs operators in to the admin console; nil turns the console off.
	Auth *app.AdminAuth
	// Console reads the counts and lists of the admin console.
	Console Console
	// OutboxDir is where the embedded mode writes outgoing mail; the
	// console shows it when set.
	OutboxDir string
	// Unsubscribes are the use cases of unsubscribe and revoke links.
	Unsubscribes Unsubscribes
	// Inbound stores emailed requests posted to /inbound/mime.
	Inbound InboundMail
	// InboundToken is the bearer token of /inbound/mime; empty turns the
	// route off.
	InboundToken string
	// InboundBodyLimit is the largest message /inbound/mime accepts from
	// a caller with InboundToken, in bytes; 0 means app.MaxInboundBytes.
	// Every other route, and a caller without the token, keeps BodyLimit:
	// a request to a mailbox carries the person's mail as it is,
	// attachments and all, and must not be refused for its size.
	InboundBodyLimit int
	// Webhooks read the delivery events of the mail providers configured,
	// by provider name (POST /webhooks/{provider}); a provider not in it
	// is off (404).
	Webhooks map[string]WebhookReader
	// Feedback records the events of verified webhook requests.
	Feedback FeedbackRecorder
	// WebhookBodyLimit is the largest webhook request accepted, in bytes;
	// 0 means 1 MB (SendGrid posts events in batches of up to 768 KB).
	WebhookBodyLimit int
}

// Server is the HTTP server.
type Server struct {
	deps Deps
	csp  string
	app  *fiber.App
}

// New builds the server with every route.
func New(deps Deps) *Server {
	if deps.BodyLimit == 0 {
		deps.BodyLimit = 256 << 10
	}
	if deps.InboundBodyLimit == 0 {
		deps.InboundBodyLimit = app.MaxInboundBytes
	}
	if deps.WebhookBodyLimit == 0 {
		deps.WebhookBodyLimit = 1 << 20
	}
	if deps.MinFillTime == 0 {
		deps.MinFillTime = 2 * time.Second
	}
	s := &Server{deps: deps, csp: contentSecurityPolicy(deps.AnalyticsSrc)}
	s.app = fiber.New(fiber.Config{
		AppName:               "newsletter",
		DisableStartupMessage: true,
		BodyLimit:             deps.BodyLimit,
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

// requestLimits gives /inbound/mime its own body limit, for requests that
// carry its bearer token: anyone else keeps the limit of every route. It
// runs when a request's header has arrived and before its body is read, so
// a body over the limit is refused (413) without being read into memory.
func (s *Server) requestLimits(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if string(h.Method()) != fiber.MethodPost {
		return fasthttp.RequestConfig{}
	}
	path, _, _ := strings.Cut(string(h.RequestURI()), "?")
	if provider, ok := strings.CutPrefix(path, "/webhooks/"); ok && s.deps.Webhooks[provider] != nil {
		// A configured provider's webhook: its batches may be larger than
		// a form; the signature is checked once the body is in.
		return fasthttp.RequestConfig{MaxRequestBodySize: s.deps.WebhookBodyLimit}
	}
	if s.deps.InboundToken == "" || path != "/inbound/mime" {
		return fasthttp.RequestConfig{}
	}
	token, ok := strings.CutPrefix(string(h.Peek(fiber.HeaderAuthorization)), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.deps.InboundToken)) != 1 {
		return fasthttp.RequestConfig{}
	}
	return fasthttp.RequestConfig{MaxRequestBodySize: s.deps.InboundBodyLimit}
}

// App returns the Fiber application (for tests: app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.app.Listen(addr) }

// Shutdown stops accepting connections and waits, at most until ctx ends,
// for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }
