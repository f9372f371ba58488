package web

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/pause"
)

// Pauses presses and releases the big red button (pause.Service).
type Pauses interface {
	Pause(ctx context.Context, r pause.Request) (pause.Pause, error)
	Resume(ctx context.Context, scope string, caseID, clientID int64, actor, reason string) error
	Check(ctx context.Context, caseID, clientID int64) (pause.State, error)
}

// CaseFinder finds a case by the id its CMS uses (cases.Service).
type CaseFinder interface {
	GetByExternal(ctx context.Context, source, externalID string) (cases.Case, error)
}

// pauseRequest is the body of POST /api/v1/cases/:case_id/pause.
type pauseRequest struct {
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// pauseResponse is the pause state of a case after the call.
type pauseResponse struct {
	CaseID    string     `json:"case_id"`
	Source    string     `json:"source"`
	Paused    bool       `json:"paused"`
	Scope     string     `json:"scope,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	PausedBy  string     `json:"paused_by,omitempty"`
	Since     *time.Time `json:"since,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// apiPauseCase handles POST /api/v1/cases/:case_id/pause: :case_id is the
// CMS's case id, ?source= its source (default generic). Body:
// {"reason": "...", "expires_at": "RFC 3339"?}. Answers 201 with the state.
func apiPauseCase(p Pauses, cf CaseFinder) fiber.Handler {
	return func(c *fiber.Ctx) error {
		source, ext := utils.CopyString(c.Query("source", "generic")), utils.CopyString(c.Params("case_id"))
		var req pauseRequest
		if len(c.Body()) > 0 {
			if err := json.Unmarshal(c.Body(), &req); err != nil {
				return derrors.Invalid("body", fmt.Sprintf("is not the expected JSON: %v", err), `send {"reason": "...", "expires_at": "2026-03-02T17:00:00Z"}`)
			}
		}
		if req.Reason == "" {
			return derrors.Invalid("reason", "is required", "say why automation is paused for this case")
		}
		kase, err := cf.GetByExternal(c.UserContext(), source, ext)
		if err != nil {
			return err
		}
		if _, err := p.Pause(c.UserContext(), pause.Request{Scope: pause.ScopeCase, CaseID: kase.ID, Reason: req.Reason,
			ExpiresAt: req.ExpiresAt, Actor: apiActor(c)}); err != nil {
			return err
		}
		return pauseState(c, p, kase, source, fiber.StatusCreated)
	}
}

// apiResumeCase handles DELETE /api/v1/cases/:case_id/pause (optional
// ?reason=). It lifts the case's own pause and answers with the state that
// remains (a client or firm pause, or the CMS flag, may still hold it).
func apiResumeCase(p Pauses, cf CaseFinder) fiber.Handler {
	return func(c *fiber.Ctx) error {
		source, ext := utils.CopyString(c.Query("source", "generic")), utils.CopyString(c.Params("case_id"))
		kase, err := cf.GetByExternal(c.UserContext(), source, ext)
		if err != nil {
			return err
		}
		if err := p.Resume(c.UserContext(), pause.ScopeCase, kase.ID, 0, apiActor(c), utils.CopyString(c.Query("reason"))); err != nil {
			return err
		}
		return pauseState(c, p, kase, source, fiber.StatusOK)
	}
}

func pauseState(c *fiber.Ctx, p Pauses, kase cases.Case, source string, status int) error {
	st, err := p.Check(c.UserContext(), kase.ID, kase.ClientID)
	if err != nil {
		return err
	}
	out := pauseResponse{CaseID: kase.ExternalID, Source: source, Paused: st.Paused, Scope: st.Scope, Reason: st.Reason,
		PausedBy: st.By, ExpiresAt: st.ExpiresAt}
	if !st.Since.IsZero() {
		out.Since = &st.Since
	}
	return c.Status(status).JSON(out)
}
