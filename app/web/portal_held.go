package web

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/views"
)

// HeldActions releases, sends now or cancels held messages
// (delivery.Service).
type HeldActions interface {
	Release(ctx context.Context, id int64, actor ledger.Actor) (ledger.Message, error)
	SendNow(ctx context.Context, id int64, actor ledger.Actor, reason string) (ledger.Message, error)
	Cancel(ctx context.Context, id int64, actor ledger.Actor, note string) (ledger.Message, error)
}

// held handles GET /held?kind=: messages held for the SMS window, a pause,
// the privilege guard or an approval, with why and when they would go.
func (h *portalHandlers) held(c *fiber.Ctx) error {
	return h.showHeld(c, fiber.StatusOK, "")
}

func (h *portalHandlers) showHeld(c *fiber.Ctx, status int, problem string) error {
	f := portal.HeldFilter{Kind: c.Query("kind")}
	list, err := h.ps.Read.Held(c.UserContext(), f)
	if err != nil {
		return err
	}
	p := h.page(c, "Held messages", "held")
	p.Error = problem
	v := views.HeldView{H: list, CanAct: h.ps.Held != nil, CanSendNow: h.ps.Held != nil && can(c, auth.PermSendNow),
		CanApprove: can(c, auth.PermApprovals)}
	return show(c, status, views.HeldPage(p, v))
}

// releaseHeld handles POST /held/:id/release: send a message held for a
// pause now that the pause is lifted.
func (h *portalHandlers) releaseHeld(c *fiber.Ctx) error {
	return h.heldAction(c, "held-released", func(ctx context.Context, id int64, a ledger.Actor) error {
		_, err := h.ps.Held.Release(ctx, id, a)
		return err
	})
}

// sendHeldNow handles POST /held/:id/send-now (admins): send an SMS held
// for the window now, with a reason that is audited.
func (h *portalHandlers) sendHeldNow(c *fiber.Ctx) error {
	return h.heldAction(c, "held-sent-now", func(ctx context.Context, id int64, a ledger.Actor) error {
		_, err := h.ps.Held.SendNow(ctx, id, a, c.FormValue("reason"))
		return err
	})
}

// cancelHeld handles POST /held/:id/cancel: never send it, with a note.
func (h *portalHandlers) cancelHeld(c *fiber.Ctx) error {
	return h.heldAction(c, "held-cancelled", func(ctx context.Context, id int64, a ledger.Actor) error {
		_, err := h.ps.Held.Cancel(ctx, id, a, c.FormValue("note"))
		return err
	})
}

// heldAction runs act on message :id as the signed-in staff member. A
// refusal (a pause still stands, an opt-out, a missing reason, a message
// that moved on) shows the list again with the reason.
func (h *portalHandlers) heldAction(c *fiber.Ctx, done string, act func(context.Context, int64, ledger.Actor) error) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	u := currentUser(c)
	err = act(c.UserContext(), id, ledger.Actor{Name: actor(c), Role: u.Role})
	switch {
	case err == nil:
		return redirect(c, "/held?done="+done)
	case errors.Is(err, derrors.InvalidArgument), errors.Is(err, derrors.Conflict), errors.Is(err, derrors.NotFound):
		return h.showHeld(c, statusFor(err), "Message "+c.Params("id")+" not changed: "+err.Error())
	}
	return err
}
