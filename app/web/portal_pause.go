package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/views"
)

// readPauseForm reads the big red button's form (reason, expires) for
// action "pause" or "unpause". problem is what is wrong, for the page.
func (h *portalHandlers) readPauseForm(c *fiber.Ctx, action string) (form views.PauseForm, expires *time.Time, problem string) {
	form = views.PauseForm{Action: action, Reason: strings.TrimSpace(c.FormValue("reason")), Expires: c.FormValue("expires")}
	if action != "pause" {
		form.Expires = ""
		return form, nil, ""
	}
	if form.Reason == "" {
		return form, nil, "A reason is required to pause automation."
	}
	expires, err := h.parseLocal(form.Expires)
	if err != nil {
		return form, nil, err.Error()
	}
	if expires != nil && !expires.After(h.clock.Now()) {
		return form, nil, "The pause must end in the future; leave it empty to pause until someone resumes."
	}
	return form, expires, ""
}

// pausesPage handles GET /pauses: the firm-wide button and every pause in force.
func (h *portalHandlers) pausesPage(c *fiber.Ctx) error {
	return h.renderPauses(c, fiber.StatusOK, views.PauseForm{}, "")
}

func (h *portalHandlers) renderPauses(c *fiber.Ctx, status int, form views.PauseForm, problem string) error {
	list, err := h.ps.Read.Pauses(c.UserContext())
	if err != nil {
		return err
	}
	firm, err := h.ps.Read.FirmPause(c.UserContext())
	if err != nil {
		return err
	}
	p := h.page(c, "Pauses", "pauses")
	p.Error = problem
	v := views.PausesView{Pauses: list, Firm: firm, Form: form, CanPause: h.svc.Pauses != nil && can(c, auth.PermPause)}
	return show(c, status, views.PausesPage(p, v))
}

// pauseFirm handles POST /pauses/firm: pause every client. Without
// confirm=yes it only shows the confirmation step.
func (h *portalHandlers) pauseFirm(c *fiber.Ctx) error {
	form, expires, problem := h.readPauseForm(c, "pause")
	if problem != "" {
		return h.renderPauses(c, fiber.StatusBadRequest, form, problem)
	}
	if c.FormValue("confirm") != "yes" {
		form.Confirm = true
		return h.renderPauses(c, fiber.StatusOK, form, "")
	}
	if _, err := h.svc.Pauses.Pause(c.UserContext(), pause.Request{Scope: pause.ScopeFirm, Reason: form.Reason,
		ExpiresAt: expires, Actor: actor(c)}); err != nil {
		return err
	}
	return redirect(c, "/pauses?done=firm-paused")
}

// resumeFirm handles POST /pauses/firm/resume, with the same confirmation.
func (h *portalHandlers) resumeFirm(c *fiber.Ctx) error {
	form, _, _ := h.readPauseForm(c, "unpause")
	if c.FormValue("confirm") != "yes" {
		form.Confirm = true
		return h.renderPauses(c, fiber.StatusOK, form, "")
	}
	if err := h.svc.Pauses.Resume(c.UserContext(), pause.ScopeFirm, 0, 0, actor(c), form.Reason); err != nil {
		return err
	}
	return redirect(c, "/pauses?done=firm-resumed")
}

// clientPausePage handles GET /clients/:id/pause.
func (h *portalHandlers) clientPausePage(c *fiber.Ctx) error {
	return h.renderClientPause(c, fiber.StatusOK, views.PauseForm{}, "")
}

func (h *portalHandlers) renderClientPause(c *fiber.Ctx, status int, form views.PauseForm, problem string) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cp, err := h.ps.Read.ClientPause(c.UserContext(), id)
	if err != nil {
		return err
	}
	p := h.page(c, "Pause client", "cases")
	p.Error = problem
	v := views.ClientPauseView{P: cp, Form: form, CanPause: h.svc.Pauses != nil && can(c, auth.PermPause)}
	return show(c, status, views.ClientPausePage(p, v))
}

// pauseClient handles POST /clients/:id/pause: every case of the client.
func (h *portalHandlers) pauseClient(c *fiber.Ctx) error {
	form, expires, problem := h.readPauseForm(c, "pause")
	if problem != "" {
		return h.renderClientPause(c, fiber.StatusBadRequest, form, problem)
	}
	if c.FormValue("confirm") != "yes" {
		form.Confirm = true
		return h.renderClientPause(c, fiber.StatusOK, form, "")
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.svc.Pauses.Pause(c.UserContext(), pause.Request{Scope: pause.ScopeClient, ClientID: id, Reason: form.Reason,
		ExpiresAt: expires, Actor: actor(c)}); err != nil {
		return err
	}
	return redirect(c, fmt.Sprintf("/clients/%d/timeline?done=client-paused", id))
}

// unpauseClient handles POST /clients/:id/unpause.
func (h *portalHandlers) unpauseClient(c *fiber.Ctx) error {
	form, _, _ := h.readPauseForm(c, "unpause")
	if c.FormValue("confirm") != "yes" {
		form.Confirm = true
		return h.renderClientPause(c, fiber.StatusOK, form, "")
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Pauses.Resume(c.UserContext(), pause.ScopeClient, 0, id, actor(c), form.Reason); err != nil {
		return err
	}
	return redirect(c, fmt.Sprintf("/clients/%d/timeline?done=client-resumed", id))
}
