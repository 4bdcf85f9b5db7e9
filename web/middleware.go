package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// observe logs each request (ids and route, never personal data: no IP, no
// query string, no token-bearing path) and counts it.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.app.Config().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	if route == "/" && c.Path() != "/" {
		route = "unmatched"
	}
	elapsed := time.Since(start)
	if s.deps.Metrics != nil {
		// A label value outlives the request: copy it out of the request
		// buffer, which the server reuses for the next request.
		method := strings.Clone(c.Method())
		s.deps.Metrics.HTTPRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		s.deps.Metrics.HTTPDuration.WithLabelValues(method, route).Observe(elapsed.Seconds())
	}
	if route != "/healthz" && route != "/metrics" && route != "/readyz" {
		s.deps.Log.Debug("http", "method", c.Method(), "route", route, "status", status,
			"ms", elapsed.Milliseconds(), "request_id", requestID(c))
	}
	return nil
}

func requestID(c *fiber.Ctx) string {
	if v, ok := c.Locals("requestid").(string); ok {
		return v
	}
	return ""
}

// contentSecurityPolicy allows only the product's own scripts and styles
// (no inline ones), plus the origin of a configured analytics script.
func contentSecurityPolicy(analyticsSrc string) string {
	script := "'self'"
	if u, err := url.Parse(analyticsSrc); err == nil && u.Host != "" {
		script += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'self'; script-src " + script + "; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", s.csp)
	if s.opts.BaseURL != nil && s.opts.BaseURL.Scheme == "https" {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	return c.Next()
}

// noStore keeps answers out of every cache: the API's hold personal data.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}
