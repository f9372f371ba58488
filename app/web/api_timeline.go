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
// events, rule decisions (including skipped ones), messages with every
// attempt and provider event, replies and consent changes. Query: since,
// until (RFC 3339), case_id, channel (email, sms), status (a message
// status), limit (per section).
func apiTimeline(tr TimelineReader) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "client_id")
		if err != nil {
			return err
		}
		f := ledger.TimelineFilter{Channel: c.Query("channel"), Status: c.Query("status")}
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
