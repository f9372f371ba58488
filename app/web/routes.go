package web

import (
	"github.com/gofiber/fiber/v2"
)

// Services are the domain services handlers call. Fields are nil when a
// capability is not wired (for example in narrow tests); routes for a nil
// service are not registered.
type Services struct {
	// CMSIngest accepts signed CMS webhooks (ingest.Service).
	CMSIngest CMSIngest
}

// routes lists every route Herald serves, in one place.
func routes(app *fiber.App, d Deps) {
	app.Get("/healthz", healthz)
	app.Get("/readyz", readyz(d))
	app.Get("/metrics", metrics(d))

	if s := d.Services.CMSIngest; s != nil {
		app.Post("/webhooks/cms/:source", webhookCMS(s))
	}
}
