package web

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// apiSegments lists the segments by name.
func (s *Server) apiSegments(c *fiber.Ctx) error {
	list, err := s.deps.Segments.List(c.UserContext())
	return sendList(c, "segments", list, err)
}

// apiCreateSegment saves a segment: name and filter.
func (s *Server) apiCreateSegment(c *fiber.Ctx) error {
	var in app.SegmentInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	g, err := s.deps.Segments.Create(c.UserContext(), currentAdmin(c), in)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/v1/segments/%d", g.ID))
	return c.Status(fiber.StatusCreated).JSON(g)
}

// apiSegment is one segment.
func (s *Server) apiSegment(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	g, err := s.deps.Segments.Get(c.UserContext(), id)
	return sendJSON(c, g, err)
}

// apiPatchSegment changes the name or the filter (the whole filter) of a
// segment.
func (s *Server) apiPatchSegment(c *fiber.Ctx) error {
	var in app.SegmentInput
	id, err := idAndBody(c, &in)
	if err != nil {
		return err
	}
	g, err := s.deps.Segments.Update(c.UserContext(), currentAdmin(c), id, in)
	return sendJSON(c, g, err)
}

// apiDeleteSegment deletes a segment no campaign uses.
func (s *Server) apiDeleteSegment(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.deps.Segments.Delete(c.UserContext(), currentAdmin(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiCampaignAudience counts who the campaign would reach now.
func (s *Server) apiCampaignAudience(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	n, err := s.deps.Campaigns.Audience(c.UserContext(), id)
	return sendJSON(c, n, err)
}

// apiUnscheduleCampaign takes a scheduled campaign back to draft.
func (s *Server) apiUnscheduleCampaign(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	camp, err := s.deps.Campaigns.Unschedule(c.UserContext(), currentAdmin(c), id)
	return sendJSON(c, camp, err)
}

// apiDuplicateCampaign makes a new draft from a campaign;
// {"template": true} makes a template instead.
func (s *Server) apiDuplicateCampaign(c *fiber.Ctx) error {
	var in struct {
		Template bool `json:"template"`
	}
	id, err := idAndBody(c, &in)
	if err != nil {
		return err
	}
	camp, err := s.deps.Campaigns.Duplicate(c.UserContext(), currentAdmin(c), id, in.Template)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/v1/campaigns/%d", camp.ID))
	return c.Status(fiber.StatusCreated).JSON(camp)
}
