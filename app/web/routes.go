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
	// Tokens verifies API bearer tokens; nil uses auth.Tokens over Deps.DB.
	Tokens TokenVerifier
	// Pauses and CaseFinder serve the pause API (pause.Service, cases.Service).
	Pauses     Pauses
	CaseFinder CaseFinder
}

// routes lists every route Herald serves, in one place.
func routes(app *fiber.App, d Deps) {
	app.Get("/healthz", healthz)
	app.Get("/readyz", readyz(d))
	app.Get("/metrics", metrics(d))

	if s := d.Services.CMSIngest; s != nil {
		app.Post("/webhooks/cms/:source", webhookCMS(s))
	}

	api := app.Group("/api/v1", apiAuth(apiTokens(d)))
	if s, cf := d.Services.Pauses, d.Services.CaseFinder; s != nil && cf != nil {
		api.Post("/cases/:case_id/pause", apiPauseCase(s, cf))
		api.Delete("/cases/:case_id/pause", apiResumeCase(s, cf))
	}
}
