package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"newsletter/app/metrics"
)

// The Prometheus metrics are not public: a mail counter that moves after
// a post to a public form tells whether the address is on file. They are
// served on the public port only to the bearer token METRICS_TOKEN, or on
// an address of their own (METRICS_ADDR) that only the monitoring network
// reaches; without either they are off.

// metrics serves /metrics on the public port.
func (s *Server) metrics(c *fiber.Ctx) error {
	if s.deps.Metrics == nil || s.opts.MetricsToken == "" || s.opts.MetricsOwnAddr {
		return fiber.ErrNotFound
	}
	return serveMetrics(c, s.deps.Metrics, s.opts.MetricsToken)
}

// serveMetrics answers a scrape: with token set, only to
// "Authorization: Bearer token" (compared in constant time).
func serveMetrics(c *fiber.Ctx, m *metrics.Metrics, token string) error {
	if token != "" && !bearerIs(c.Get(fiber.HeaderAuthorization), token) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
		return c.Status(fiber.StatusUnauthorized).SendString("a valid metrics token is required\n")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	// A gauge whose source is down (the queue, the database) is left out;
	// the rest, and the readiness gauge that says what is down, are served.
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))(c)
}

// bearerIs reports whether an Authorization header carries the bearer
// token want. Both sides are hashed first, so the comparison takes the
// same time whatever the length of what was sent.
func bearerIs(header, want string) bool {
	scheme, got, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	g, w := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// MetricsServer serves /metrics, and nothing else, on an address of its
// own (METRICS_ADDR): the monitoring network reaches it, the public does
// not. Worker processes, which serve no web pages, have their counters
// scraped there too.
type MetricsServer struct {
	app *fiber.App
}

// NewMetricsServer serves m at /metrics; a non-empty token is required as
// a bearer token there too.
func NewMetricsServer(m *metrics.Metrics, token string) *MetricsServer {
	a := fiber.New(fiber.Config{
		AppName:               "newsletter-metrics",
		DisableStartupMessage: true,
		ReadTimeout:           10 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		BodyLimit:             4 << 10,
	})
	a.Get("/metrics", func(c *fiber.Ctx) error { return serveMetrics(c, m, token) })
	a.Use(func(c *fiber.Ctx) error { return c.Status(fiber.StatusNotFound).SendString("not found\n") })
	return &MetricsServer{app: a}
}

// App returns the Fiber application (for tests: app.Test).
func (m *MetricsServer) App() *fiber.App { return m.app }

// Shutdown stops the metrics listener.
func (m *MetricsServer) Shutdown(ctx context.Context) error { return m.app.ShutdownWithContext(ctx) }
