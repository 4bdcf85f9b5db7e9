package web

import (
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
)

// routes lists every route in one place.
func (s *Server) routes() {
	a := s.app
	a.Use(recover.New(), requestid.New(), s.observe, securityHeaders)

	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	a.Get("/metrics", s.metrics)

	api := a.Group("/api/v1", s.requireToken)
	api.Get("/me", s.apiMe)
}
