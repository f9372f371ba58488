package web

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
)

// DeadLetterInbox lists and resolves dead letters; ledger.Store implements it.
type DeadLetterInbox interface {
	DeadLetters(ctx context.Context, f ledger.DeadFilter) (ledger.DeadLetters, error)
	Resolve(ctx context.Context, id int64, actor ledger.Actor, note string) (ledger.Message, error)
}

// DeadLetterRetrier sends a dead letter again and wakes delivery;
// delivery.Service implements it.
type DeadLetterRetrier interface {
	Retry(ctx context.Context, id int64, actor ledger.Actor) (ledger.Message, error)
}

// apiDeadLetters answers GET /api/v1/dead-letters: unresolved dead and
// outcome_unknown messages, newest first, with a count of each. Query:
// status (dead | outcome_unknown), channel, case_id, client_id, code, since,
// until, limit.
func apiDeadLetters(inbox DeadLetterInbox) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f := ledger.DeadFilter{Status: c.Query("status"), Channel: c.Query("channel"), Code: c.Query("code")}
		var err error
		if f.CaseID, err = queryID(c, "case_id"); err != nil {
			return err
		}
		if f.ClientID, err = queryID(c, "client_id"); err != nil {
			return err
		}
		if f.Since, err = queryTime(c, "since"); err != nil {
			return err
		}
		if f.Until, err = queryTime(c, "until"); err != nil {
			return err
		}
		if f.Limit, err = queryLimit(c); err != nil {
			return err
		}
		out, err := inbox.DeadLetters(c.UserContext(), f)
		if err != nil {
			return err
		}
		if out.Items == nil {
			out.Items = []ledger.Message{}
		}
		return c.JSON(out)
	}
}

// apiRetryDeadLetter answers POST /api/v1/dead-letters/:id/retry: the
// message goes back to pending and is sent once more.
func apiRetryDeadLetter(r DeadLetterRetrier) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		m, err := r.Retry(c.UserContext(), id, ledgerActor(c))
		if err != nil {
			return err
		}
		return c.JSON(m)
	}
}

// apiResolveDeadLetter answers POST /api/v1/dead-letters/:id/resolve with
// {"note": "..."}: the dead letter leaves the inbox without being sent.
func apiResolveDeadLetter(inbox DeadLetterInbox) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		var body struct {
			Note string `json:"note"`
		}
		if len(c.Body()) > 0 {
			if err := json.Unmarshal(c.Body(), &body); err != nil {
				return derrors.Invalid("body", "is not a JSON object", `send {"note": "what was done"}`)
			}
		}
		if strings.TrimSpace(body.Note) == "" {
			return derrors.Invalid("note", "is required", "say what was done about the message, e.g. \"called the client\"")
		}
		m, err := inbox.Resolve(c.UserContext(), id, ledgerActor(c), body.Note)
		if err != nil {
			return err
		}
		return c.JSON(m)
	}
}

// ledgerActor names the API caller for the audit log.
func ledgerActor(c *fiber.Ctx) ledger.Actor {
	a := ledger.Actor{Name: apiActor(c)}
	if tok, ok := apiToken(c); ok {
		a.Role = tok.Role
	}
	return a
}
