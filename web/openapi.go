package web

import (
	_ "embed"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// openAPIDocument describes every /api/v1 route: OpenAPI 3.1, written by
// hand. Tests send real requests to every route and validate them and
// their answers against it, and fail when a route of the table has no
// description or a description no route.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIPath is where the document is served, without a token.
const openAPIPath = "/api/v1/openapi.json"

// openAPI serves the document.
func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPIDocument)
}

// tokenless lists the public routes of the table under /api/v1, which
// requireToken lets through: GET (and HEAD) of their exact path.
func (s *Server) tokenless() map[string]bool {
	out := map[string]bool{}
	for _, r := range s.table() {
		if r.access == public && r.method == fiber.MethodGet && strings.HasPrefix(r.path, "/api/v1/") {
			out[r.path] = true
		}
	}
	return out
}
