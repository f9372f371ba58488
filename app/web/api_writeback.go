package web

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/writeback"
)

// WritebackFailures lists and retries CMS write-backs that failed;
// writeback.Service implements it.
type WritebackFailures interface {
	Failures(ctx context.Context, limit int) ([]writeback.Failure, error)
	Retry(ctx context.Context, id int64, actor string) (writeback.Failure, error)
}

// apiWritebackFailures answers GET /api/v1/writeback/failures: the sent
// messages and client replies Herald could not record in the CMS (after
// its retries, or refused for good), newest first, each with its last
// error. Query: limit (1-500, default 100).
func apiWritebackFailures(s WritebackFailures) fiber.Handler {
	return func(c *fiber.Ctx) error {
		limit, err := queryLimit(c)
		if err != nil {
			return err
		}
		fs, err := s.Failures(c.UserContext(), min(limit, 500))
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"items": nonNil(fs), "count": len(fs)})
	}
}

// apiRetryWriteback answers POST /api/v1/writeback/:id/retry: the failed
// write-back is queued again with a fresh retry schedule (audited). One
// that is not failed is a 409 naming its status.
func apiRetryWriteback(s WritebackFailures) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		f, err := s.Retry(c.UserContext(), id, apiActor(c))
		if err != nil {
			return err
		}
		return c.JSON(f)
	}
}
