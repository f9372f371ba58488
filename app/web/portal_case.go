package web

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/views"
)

// caseDetail handles GET /cases/:id.
func (h *portalHandlers) caseDetail(c *fiber.Ctx) error {
	return h.renderCase(c, fiber.StatusOK, views.PauseForm{}, "")
}

func (h *portalHandlers) renderCase(c *fiber.Ctx, status int, form views.PauseForm, problem string) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cd, err := h.ps.Read.Case(c.UserContext(), id)
	if err != nil {
		return err
	}
	p := h.page(c, "Case "+cd.CaseNumber, "cases")
	p.Error = problem
	v := views.CaseView{Case: cd, CanPause: h.svc.Pauses != nil && can(c, auth.PermPause), Form: form}
	return show(c, status, views.CasePage(p, v))
}

// pauseCase handles POST /cases/:id/pause, the big red button. Without
// confirm=yes it only shows the confirmation step; with it, it pauses.
func (h *portalHandlers) pauseCase(c *fiber.Ctx) error {
	form, expires, problem := h.readPauseForm(c, "pause")
	if problem != "" {
		return h.renderCase(c, fiber.StatusBadRequest, form, problem)
	}
	if c.FormValue("confirm") != "yes" {
		form.Confirm = true
		return h.renderCase(c, fiber.StatusOK, form, "")
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.svc.Pauses.Pause(c.UserContext(), pause.Request{Scope: pause.ScopeCase, CaseID: id,
		Reason: form.Reason, ExpiresAt: expires, Actor: actor(c)}); err != nil {
		return err
	}
	return redirect(c, fmt.Sprintf("/cases/%d?done=paused", id))
}

// unpauseCase handles POST /cases/:id/unpause, with the same confirmation step.
func (h *portalHandlers) unpauseCase(c *fiber.Ctx) error {
	form, _, _ := h.readPauseForm(c, "unpause")
	if c.FormValue("confirm") != "yes" {
		form.Confirm = true
		return h.renderCase(c, fiber.StatusOK, form, "")
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Pauses.Resume(c.UserContext(), pause.ScopeCase, id, 0, actor(c), form.Reason); err != nil {
		return err
	}
	return redirect(c, fmt.Sprintf("/cases/%d?done=unpaused", id))
}

// parseLocal reads a datetime-local value in the firm's time zone.
func (h *portalHandlers) parseLocal(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, h.ps.Read.Location()); err == nil {
			return &t, nil
		}
	}
	return nil, derrors.Invalid("expires", fmt.Sprintf("%q is not a date and time", s), "pick one with the date picker")
}
