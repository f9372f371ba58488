package web

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/heraldhq/herald/app/ingest"
)

// CMSIngest stores signed CMS webhooks (ingest.Service).
type CMSIngest interface {
	Accept(ctx context.Context, source string, headers map[string]string, body []byte) (ingest.Result, error)
}

// webhookCMS handles POST /webhooks/cms/:source. It answers 202 only after
// the event is committed, 200 for a duplicate, and lets the error handler
// map signature, size, JSON and database errors (401/413/400/503).
func webhookCMS(svc CMSIngest) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// Fiber reuses its buffers after the handler returns: copy what the
		// service keeps.
		source := utils.CopyString(c.Params("source"))
		body := append([]byte(nil), c.Body()...)
		headers := map[string]string{}
		c.Request().Header.VisitAll(func(k, v []byte) {
			key := strings.ToLower(string(k))
			if prev, ok := headers[key]; ok {
				headers[key] = prev + "," + string(v)
				return
			}
			headers[key] = string(v)
		})
		res, err := svc.Accept(c.UserContext(), source, headers, body)
		if err != nil {
			return err
		}
		if res.Duplicate {
			return c.Status(fiber.StatusOK).JSON(fiber.Map{"status": "duplicate", "event_id": res.EventID})
		}
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "accepted", "event_id": res.EventID})
	}
}
