package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/views"
)

// cases handles GET /cases: search, filters and keyset pages.
func (h *portalHandlers) cases(c *fiber.Ctx) error {
	f := portal.CaseFilter{Q: c.Query("q"), Status: c.Query("status"), Attorney: c.Query("attorney"),
		Paused: c.Query("paused"), HasFindings: c.Query("findings") == "1", After: c.Query("after")}
	list, err := h.ps.Read.Cases(c.UserContext(), f)
	if err != nil {
		return err
	}
	v := views.CasesView{List: list}
	if list.Next != "" {
		q := url.Values{}
		for k, val := range map[string]string{"q": f.Q, "status": f.Status, "attorney": f.Attorney, "paused": f.Paused, "after": list.Next} {
			if val != "" {
				q.Set(k, val)
			}
		}
		if f.HasFindings {
			q.Set("findings", "1")
		}
		v.NextURL = "/cases?" + q.Encode()
	}
	return show(c, fiber.StatusOK, views.CasesPage(h.page(c, "Cases", "cases"), v))
}
