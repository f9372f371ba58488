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
			m.HTTPDuration.WithLabelValues(c.Method(), c.Route().Path, strconv.Itoa(code/100)+"xx").
				Observe(time.Since(start).Seconds())
		}
		return err
	}
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
