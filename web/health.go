package web

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthz answers while the process runs.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz answers 200 when every dependency answers, else 503 naming those
// that are down.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		down = []string{}
	)
	for _, ch := range s.deps.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ch.Ping.Ping(ctx); err != nil {
				mu.Lock()
				down = append(down, ch.Name)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(down) > 0 {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "down": down})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
