package web

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/ledger"
)

// TimelineReader returns a client's timeline; ledger.Store implements it.
type TimelineReader interface {
	Timeline(ctx context.Context, clientID int64, f ledger.TimelineFilter) (ledger.Timeline, error)
}

// apiTimeline answers GET /api/v1/clients/:client_id/timeline: inbound
// events, rule decisions (including skipped ones) and messages with every
// attempt and provider event. Query: since, until (RFC 3339), case_id, limit.
func apiTimeline(tr TimelineReader) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "client_id")
		if err != nil {
			return err
		}
		var f ledger.TimelineFilter
		if f.Since, err = queryTime(c, "since"); err != nil {
			return err
		}
		if f.Until, err = queryTime(c, "until"); err != nil {
			return err
		}
		if f.CaseID, err = queryID(c, "case_id"); err != nil {
			return err
		}
		if f.Limit, err = queryLimit(c); err != nil {
			return err
		}
		t, err := tr.Timeline(c.UserContext(), id, f)
		if err != nil {
			return err
		}
		return c.JSON(t)
	}
}
