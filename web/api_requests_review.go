package web

import (
	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// apiReviewQueue lists the requests waiting for review with a summary of
// the message each came in: ?after= (id, for paging), ?limit= (<= 1000).
func (s *Server) apiReviewQueue(c *fiber.Ctx) error {
	items, err := s.deps.Privacy.ReviewQueue(c.UserContext(), queryID(c, "after"), queryLimit(c, 100))
	return sendList(c, "requests", items, err)
}

// apiAssignRequest gives a request under review its kind, {"kind": ...};
// its message is then processed as that kind: 202.
func (s *Server) apiAssignRequest(c *fiber.Ctx) error {
	var body struct {
		Kind app.RequestKind `json:"kind"`
	}
	id, err := idAndBody(c, &body)
	if err != nil {
		return err
	}
	r, err := s.deps.Privacy.AssignRequest(c.UserContext(), currentAdmin(c), id, body.Kind)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(r)
}

// apiRejectRequest rejects a request under review, {"reason": ...}.
func (s *Server) apiRejectRequest(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	id, err := idAndBody(c, &body)
	if err != nil {
		return err
	}
	r, err := s.deps.Privacy.RejectRequest(c.UserContext(), currentAdmin(c), id, body.Reason)
	return sendJSON(c, r, err)
}
