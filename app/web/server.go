// Package web adapts HTTP to Herald's domain: the Fiber app, its middleware,
// the routes (routes.go) and one error handler that maps domain errors to
// status codes. Handlers hold no business logic.
package web

import (
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/heraldhq/herald/config"
)

// Deps is what the HTTP layer needs; main builds it once.
type Deps struct {
	Config    config.Config
	DB        *store.DB
	Redis     *redis.Client
	Inspector *asynq.Inspector
	Log       *slog.Logger
	Metrics   *telemetry.Metrics
	Clock     clock.Clock
	Services  Services
}

// New builds the Fiber app with middleware and every route.
func New(d Deps) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "herald",
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(d.Log, d.Config.WebhookMaxBody),
		BodyLimit:             d.Config.WebhookMaxBody + 1,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		StreamRequestBody:     false,
	})
	app.Use(recover.New())
	app.Use(requestid.New())
	app.Use(observe(d.Metrics))
	routes(app, d)
	return app
}

// observe records latency per route template (never the raw path, which
// would carry ids).
func observe(m *telemetry.Metrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		code := c.Response().StatusCode()
		if err != nil {
			var fe *fiber.Error
			if errors.As(err, &fe) {
				code = fe.Code
			} else {
				code = statusFor(err)
			}
		}
		if m != nil {
			route := c.Route().Path
			m.HTTPDuration.WithLabelValues(c.Method(), route, strconv.Itoa(code/100)+"xx").
				Observe(time.Since(start).Seconds())
			if source, ok := cmsWebhookSource(c, route, code); ok {
				m.EventsIngested.WithLabelValues(source, webhookResult(code)).Inc()
			}
		}
		return err
	}
}

// cmsWebhookSource names the source of a CMS webhook request. A 404 is an
// unknown source; its name comes from the caller, so it is not used as a
// label.
func cmsWebhookSource(c *fiber.Ctx, route string, code int) (string, bool) {
	switch {
	case route == "/webhooks/cms/clio":
		return "clio", true
	case route != "/webhooks/cms/:source":
		return "", false
	case code == fiber.StatusNotFound:
		return "unknown", true
	}
	return c.Params("source"), true
}

// webhookResult is the herald_inbound_events_total result label.
func webhookResult(code int) string {
	switch {
	case code == fiber.StatusAccepted:
		return "accepted"
	case code == fiber.StatusOK:
		return "duplicate" // or Clio's handshake, answered 200 too
	case code >= 500:
		return "unavailable"
	}
	return "rejected"
}

// statusFor maps a domain error to an HTTP status.
func statusFor(err error) int {
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		return fe.Code
	case errors.Is(err, derrors.NotFound):
		return fiber.StatusNotFound
	case errors.Is(err, derrors.InvalidArgument):
		return fiber.StatusBadRequest
	case errors.Is(err, derrors.Unauthorized):
		return fiber.StatusUnauthorized
	case errors.Is(err, derrors.Forbidden):
		return fiber.StatusForbidden
	case errors.Is(err, derrors.Conflict):
		return fiber.StatusConflict
	case errors.Is(err, derrors.TooLarge):
		return fiber.StatusRequestEntityTooLarge
	case errors.Is(err, derrors.RateLimited):
		return fiber.StatusTooManyRequests
	case errors.Is(err, derrors.Unavailable), errors.Is(err, store.ErrUnavailable):
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}
