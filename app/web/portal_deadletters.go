package web

import (
	"context"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/views"
)

// BulkRetrier retries every dead letter a filter matches; the
// DeadLetterRetrier wired in production (delivery.Service) implements it.
type BulkRetrier interface {
	RetryWhere(ctx context.Context, f ledger.DeadFilter, actor ledger.Actor) ([]ledger.Message, error)
}

// BulkResolver resolves every dead letter a filter matches; the
// DeadLetterInbox wired in production (ledger.Store) implements it.
type BulkResolver interface {
	ResolveWhere(ctx context.Context, f ledger.DeadFilter, actor ledger.Actor, note string) ([]ledger.Message, error)
}

// staffActor names the signed-in staff member for the ledger's audit rows.
func staffActor(c *fiber.Ctx) ledger.Actor {
	a := ledger.Actor{Name: actor(c)}
	if u := currentUser(c); u != nil {
		a.Role = u.Role
	}
	return a
}

// deadLetters handles GET /dead-letters.
func (h *portalHandlers) deadLetters(c *fiber.Ctx) error {
	list, err := h.ps.Read.DeadLetters(c.UserContext(), portal.DeadFilter{Channel: c.Query("channel"), Code: c.Query("code")})
	if err != nil {
		return err
	}
	v := views.DeadLettersView{List: list, CanRetry: h.svc.DeadLetterRetrier != nil, CanResolve: h.svc.DeadLetters != nil}
	return show(c, fiber.StatusOK, views.DeadLettersPage(h.page(c, "Dead letters", "dead-letters"), v))
}

// retryDeadLetter handles POST /dead-letters/:id/retry.
func (h *portalHandlers) retryDeadLetter(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.svc.DeadLetterRetrier.Retry(c.UserContext(), id, staffActor(c)); err != nil {
		return err
	}
	return redirect(c, "/dead-letters?done=retried")
}

// resolveDeadLetter handles POST /dead-letters/:id/resolve; a note is required.
func (h *portalHandlers) resolveDeadLetter(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	note := strings.TrimSpace(c.FormValue("note"))
	if note == "" {
		return derrors.Invalid("note", "is required", "say what was done, e.g. called the client")
	}
	if _, err := h.svc.DeadLetters.Resolve(c.UserContext(), id, staffActor(c), note); err != nil {
		return err
	}
	return redirect(c, "/dead-letters?done=resolved")
}

// bulkDeadLetters handles POST /dead-letters/bulk: retry or resolve every
// dead letter of one kind matching the list's filter.
func (h *portalHandlers) bulkDeadLetters(c *fiber.Ctx) error {
	f := ledger.DeadFilter{Status: c.FormValue("status"), Channel: c.FormValue("channel"), Code: c.FormValue("code"), Limit: 1000}
	if f.Status != ledger.StatusDead && f.Status != ledger.StatusOutcomeUnknown {
		return derrors.Invalid("status", "must be dead or outcome_unknown", "pick which dead letters")
	}
	switch c.FormValue("action") {
	case "retry":
		br, ok := h.svc.DeadLetterRetrier.(BulkRetrier)
		if !ok || !can(c, auth.PermDeadLetters) {
			return fmt.Errorf("%w: bulk retry is not available", derrors.Forbidden)
		}
		if _, err := br.RetryWhere(c.UserContext(), f, staffActor(c)); err != nil {
			return err
		}
		return redirect(c, "/dead-letters?done=retried")
	case "resolve":
		note := strings.TrimSpace(c.FormValue("note"))
		if note == "" {
			return derrors.Invalid("note", "is required", "say what was done for all of them")
		}
		br, ok := h.svc.DeadLetters.(BulkResolver)
		if !ok {
			return fmt.Errorf("%w: bulk resolve is not available", derrors.Forbidden)
		}
		if _, err := br.ResolveWhere(c.UserContext(), f, staffActor(c), note); err != nil {
			return err
		}
		return redirect(c, "/dead-letters?done=resolved")
	}
	return derrors.Invalid("action", "must be retry or resolve", "use the buttons")
}
