package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"newsletter/templates"
)

// routes lists every route in one place.
func (s *Server) routes() {
	a := s.app
	a.Use(recover.New(), requestid.New(), s.observe, s.securityHeaders)

	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	a.Get("/metrics", s.metrics)
	a.Use("/static", filesystem.New(filesystem.Config{Root: httpFS(templates.Static()), MaxAge: 3600}))

	a.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/subscribe", fiber.StatusFound) })
	a.Get("/subscribe", s.subscribePage)
	a.Options("/subscribe", s.formCORS)
	a.Post("/subscribe", s.formCORS, s.subscribe)
	a.Get("/confirm/:token", s.confirmPage)
	a.Post("/confirm/:token", s.confirm)
	a.Post("/confirm/:token/resend", s.resendConfirmation)
	a.Get("/preferences", s.preferencesRequestPage)
	a.Post("/preferences", s.requestPreferencesLink)
	a.Get("/preferences/:token", s.preferencesPage)
	a.Post("/preferences/:token", s.updatePreferences)
	a.Get("/preferences/:token/export", s.exportMyData)
	a.Get("/preferences/:token/revoke", s.revokePreferencesPage)
	a.Post("/preferences/:token/revoke", s.revokeFromPreferences)
	a.Get("/privacy", s.privacy)
	a.Get("/privacy/:version", s.privacy)
	a.Get("/u/:token", s.unsubscribePage)
	a.Post("/u/:token", s.unsubscribe)
	a.Get("/revoke/:token", s.revokePage)
	a.Post("/revoke/:token", s.revoke)
	a.Post("/inbound/mime", s.inboundMIME)
	a.Post("/webhooks/:provider", s.webhook)

	s.adminRoutes()

	api := a.Group("/api/v1", noStore, s.requireToken)
	api.Get("/me", s.apiMe)
	s.apiCampaignRoutes(api)
	s.subscriberRoutes(api)
	s.requestReviewRoutes(api)
	s.apiPrivacyRoutes(api)
}
