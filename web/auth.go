package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

const localAdmin = "admin"

// requireToken authenticates /api/v1 requests by bearer token.
func (s *Server) requireToken(c *fiber.Ctx) error {
	if (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) && s.noToken[c.Path()] {
		return c.Next()
	}
	auth := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="newsletter"`)
		return app.Errorf(app.EUNAUTHORIZED, "missing bearer token")
	}
	admin, err := s.deps.APITokens.Authenticate(c.UserContext(), strings.TrimSpace(token))
	if err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="newsletter", error="invalid_token"`)
		return err
	}
	c.Locals(localAdmin, admin)
	return c.Next()
}

// currentAdmin returns the authenticated admin of the request.
func currentAdmin(c *fiber.Ctx) *app.Admin {
	a, _ := c.Locals(localAdmin).(*app.Admin)
	return a
}

// requireRole refuses admins without one of roles (owners may do anything).
func requireRole(roles ...app.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := currentAdmin(c)
		if a == nil {
			return app.Errorf(app.EUNAUTHORIZED, "not signed in")
		}
		if a.Role == app.RoleOwner {
			return c.Next()
		}
		for _, r := range roles {
			if a.Role == r {
				return c.Next()
			}
		}
		return app.Errorf(app.EFORBIDDEN, "your role may not do this")
	}
}

// apiMe describes the token's admin.
func (s *Server) apiMe(c *fiber.Ctx) error {
	a := currentAdmin(c)
	return c.JSON(fiber.Map{"id": a.ID, "email": a.Email, "role": a.Role})
}
