package web

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
)

// Webhook load shedding (see shedLoad).
const (
	// webhookInFlight is how many CMS webhooks may be stored at once: four
	// times the database pool (store.Open keeps at least 16 connections),
	// enough to keep the pool busy without queueing without bound.
	webhookInFlight = 64
	// webhookDeadline bounds storing one webhook. A CMS retries a 503, and
	// a slow or unreachable database must not hold requests open forever.
	webhookDeadline = 10 * time.Second
)

// shedLoad admits at most limit requests at once and gives each a deadline.
// A request beyond the limit is refused at once with 503 and Retry-After (set
// by the error handler) instead of waiting for a database connection, so a
// slow or partitioned PostgreSQL cannot pile up goroutines and memory; one
// that runs past deadline fails with 503 too (derrors.Unavailable from the
// store). Never 2xx for what was not committed: a 503 after the commit landed
// is safe, because the CMS's retry dedupes on its event id.
func shedLoad(limit int, deadline time.Duration) fiber.Handler {
	slots := make(chan struct{}, limit)
	return func(c *fiber.Ctx) error {
		select {
		case slots <- struct{}{}:
		default:
			return fmt.Errorf("%w: %d webhooks are already being stored; Herald is shedding load, retry after the Retry-After delay",
				derrors.Unavailable, limit)
		}
		defer func() { <-slots }()
		ctx, cancel := context.WithTimeout(c.UserContext(), deadline)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}
