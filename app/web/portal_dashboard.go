package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/views"
)

// dashboard handles GET /: today's numbers and the work waiting.
func (h *portalHandlers) dashboard(c *fiber.Ctx) error {
	d, err := h.ps.Read.Dashboard(c.UserContext())
	if err != nil {
		return err
	}
	return show(c, fiber.StatusOK, views.DashboardPage(h.page(c, "Dashboard", "dashboard"), d))
}
