package web

import (
	"bytes"
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
)

// SendGridEvents applies SendGrid event batches (engagement.Service).
type SendGridEvents interface {
	HandleSendGrid(ctx context.Context, events []engagement.SendGridEvent) (engagement.BatchResult, error)
}

// SendGridVerifier checks the Signed Event Webhook signature
// (engagement.SendGridVerifier).
type SendGridVerifier interface {
	Verify(body []byte, signature, timestamp string) error
}

// webhookSendGrid handles POST /webhooks/sendgrid/events. The signature is
// checked on the raw bytes before anything is parsed or stored: unsigned,
// tampered or stale batches get 401 and change nothing. A verified batch is
// applied event by event (deduplicated on sg_event_id) and answered 200
// with counts; a database failure answers 503 so SendGrid resends it.
func webhookSendGrid(v SendGridVerifier, s SendGridEvents) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if v == nil {
			return fmt.Errorf("%w: SENDGRID_WEBHOOK_PUBLIC_KEY is not set, so SendGrid events cannot be verified", derrors.Unauthorized)
		}
		body := bytes.Clone(c.Body())
		if err := v.Verify(body, c.Get(engagement.SendGridSignatureHeader), c.Get(engagement.SendGridTimestampHeader)); err != nil {
			return err
		}
		events, err := engagement.ParseSendGridBatch(body)
		if err != nil {
			return err
		}
		r, err := s.HandleSendGrid(c.UserContext(), events)
		if err != nil {
			return err
		}
		return c.JSON(r)
	}
}
