package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/heraldhq/herald/app/ingest"
)

// ClioWebhooks receives Clio Manage webhooks (clio.Webhooks).
type ClioWebhooks interface {
	Handshake(ctx context.Context, secret string) error
	Receive(ctx context.Context, signature string, body []byte) (ingest.Result, error)
}

// webhookClio handles POST /webhooks/cms/clio. Clio's activation request
// carries X-Hook-Secret, which is echoed back with 200 once Herald trusts
// it; deliveries carry X-Hook-Signature and are answered like every CMS
// webhook: 202 once committed, 200 for a duplicate, 401 for a bad
// signature (nothing stored), 503 when the database is down.
func webhookClio(svc ClioWebhooks) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if secret := c.Get("X-Hook-Secret"); secret != "" {
			secret = utils.CopyString(secret)
			if err := svc.Handshake(c.UserContext(), secret); err != nil {
				return err
			}
			c.Set("X-Hook-Secret", secret)
			return c.SendStatus(fiber.StatusOK)
		}
		sig := utils.CopyString(c.Get("X-Hook-Signature"))
		body := append([]byte(nil), c.Body()...)
		res, err := svc.Receive(c.UserContext(), sig, body)
		if err != nil {
			return err
		}
		if res.Duplicate {
			return c.Status(fiber.StatusOK).JSON(fiber.Map{"status": "duplicate", "event_id": res.EventID})
		}
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "accepted", "event_id": res.EventID})
	}
}
