package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
)

// Services are the domain services handlers call. Fields are nil when a
// capability is not wired (for example in narrow tests); routes for a nil
// service are not registered.
type Services struct {
	// CMSIngest accepts signed CMS webhooks (ingest.Service).
	CMSIngest CMSIngest
	// ClioWebhooks answers Clio's handshake and signed deliveries
	// (clio.Webhooks).
	ClioWebhooks ClioWebhooks
	// Tokens verifies API bearer tokens; nil uses auth.Tokens over Deps.DB.
	Tokens TokenVerifier
	// Pauses and CaseFinder serve the pause API (pause.Service, cases.Service).
	Pauses     Pauses
	CaseFinder CaseFinder
	// CaseReader serves GET /api/v1/cases/:case_id with Pauses (cases.Service).
	CaseReader CaseReader
	// Timeline serves client timelines (ledger.Store).
	Timeline TimelineReader
	// DeadLetters lists and resolves dead letters (ledger.Store);
	// DeadLetterRetrier retries them (delivery.Service).
	DeadLetters       DeadLetterInbox
	DeadLetterRetrier DeadLetterRetrier
	// SendGridEvents applies signed SendGrid event batches checked by
	// SendGridVerifier (engagement.Service, engagement.SendGridVerifier; a
	// nil verifier rejects every batch).
	SendGridEvents   SendGridEvents
	SendGridVerifier SendGridVerifier
	// TwilioWebhooks applies Twilio status callbacks and inbound SMS checked
	// by TwilioVerifier (engagement.Service, engagement.TwilioVerifier).
	TwilioWebhooks TwilioWebhooks
	TwilioVerifier TwilioVerifier
	// ConsentExport exports a client's consent evidence (consent.Store).
	ConsentExport ConsentExporter
	// Analytics serves template analytics and client engagement
	// (engagement.Service).
	Analytics Analytics
	// Checkins serves the public satisfaction check-in page linked from
	// the check-in email (engagement.Service); nil serves none.
	Checkins Checkins
	// WritebackFailures lists and retries CMS write-backs that failed
	// (writeback.Service); nil when no write-back target is configured.
	WritebackFailures WritebackFailures
	// Portal serves the staff portal and its sign-in (portal_*.go,
	// auth_*.go); nil serves no portal.
	Portal *PortalServices
}

// routes lists every route Herald serves, in one place.
func routes(app *fiber.App, d Deps) {
	app.Get("/healthz", healthz)
	app.Get("/readyz", readyz(d))
	app.Get("/metrics", metrics(d))

	// CMS webhooks share one in-flight limit and deadline (middleware_shed.go).
	shed := shedLoad(webhookInFlight, webhookDeadline)
	// Clio signs its own way; its route must come before the generic one.
	if s := d.Services.ClioWebhooks; s != nil {
		app.Post("/webhooks/cms/clio", shed, webhookClio(s))
	}
	if s := d.Services.CMSIngest; s != nil {
		app.Post("/webhooks/cms/:source", shed, webhookCMS(s))
	}
	if s := d.Services.SendGridEvents; s != nil {
		app.Post("/webhooks/sendgrid/events", webhookSendGrid(d.Services.SendGridVerifier, s))
	}
	if s, v := d.Services.TwilioWebhooks, d.Services.TwilioVerifier; s != nil && v != nil {
		app.Post("/webhooks/twilio/status", webhookTwilioStatus(v, s))
		app.Post("/webhooks/twilio/inbound", webhookTwilioInbound(v, s))
	}

	// Public: the signed link is the capability (see checkin.go).
	if s := d.Services.Checkins; s != nil {
		app.Get("/checkin/:token", checkinPage(s))
		app.Post("/checkin/:token", checkinAnswer(s, d.Config.PublicURL))
	}

	api := app.Group("/api/v1", apiAuth(apiTokens(d)))
	if s, cf := d.Services.Pauses, d.Services.CaseFinder; s != nil && cf != nil {
		api.Post("/cases/:case_id/pause", apiPauseCase(s, cf))
		api.Delete("/cases/:case_id/pause", apiResumeCase(s, cf))
	}
	anyRole := requireRole(auth.RoleAdmin, auth.RoleAttorney, auth.RoleParalegal, auth.RoleOps)
	operators := requireRole(auth.RoleAdmin, auth.RoleParalegal, auth.RoleOps)
	if cr, p := d.Services.CaseReader, d.Services.Pauses; cr != nil && p != nil {
		api.Get("/cases/:case_id", anyRole, apiCase(cr, p))
	}
	if s := d.Services.Timeline; s != nil {
		api.Get("/clients/:client_id/timeline", anyRole, apiTimeline(s))
	}
	if s := d.Services.DeadLetters; s != nil {
		api.Get("/dead-letters", anyRole, apiDeadLetters(s))
		api.Post("/dead-letters/:id/resolve", operators, apiResolveDeadLetter(s))
	}
	if s, ok := d.Services.DeadLetterRetrier.(BulkRetrier); ok {
		api.Post("/dead-letters/retry", operators, apiBulkRetryDeadLetters(s))
	}
	if s, ok := d.Services.DeadLetters.(BulkResolver); ok {
		api.Post("/dead-letters/resolve", operators, apiBulkResolveDeadLetters(s))
	}
	if s := d.Services.DeadLetterRetrier; s != nil {
		api.Post("/dead-letters/:id/retry", operators, apiRetryDeadLetter(s))
	}
	if s := d.Services.WritebackFailures; s != nil {
		api.Get("/writeback/failures", anyRole, apiWritebackFailures(s))
		api.Post("/writeback/:id/retry", operators, apiRetryWriteback(s))
	}
	if s := d.Services.ConsentExport; s != nil {
		api.Get("/clients/:client_id/consent", anyRole, apiConsentExport(s))
	}
	if s := d.Services.Analytics; s != nil {
		api.Get("/analytics/templates", anyRole, apiTemplateAnalytics(s, d.Clock.Now))
		api.Get("/clients/:client_id/engagement", anyRole, apiClientEngagement(s))
	}

	app.Use("/static", staticFiles())
	if d.Services.Portal != nil {
		portalRoutes(app, d)
	}
}

// portalRoutes lists the staff portal. Every route loads the session and
// checks CSRF on state changes; each page and action names the permission
// whose roles (auth.RolesFor) may use it. Actions whose service is not
// wired are not routed.
func portalRoutes(app *fiber.App, d Deps) {
	h := newPortalHandlers(d)
	ps, s := d.Services.Portal, d.Services
	open := []fiber.Handler{staffSession(ps), csrfProtect()}
	route := func(method, path string, perm auth.Permission, fn fiber.Handler) {
		app.Add(method, path, append(append(open[:2:2], signedIn, staffRole(auth.RolesFor(perm)...)), fn)...)
	}
	get := func(path string, perm auth.Permission, fn fiber.Handler) { route(fiber.MethodGet, path, perm, fn) }
	post := func(path string, perm auth.Permission, fn fiber.Handler) { route(fiber.MethodPost, path, perm, fn) }

	app.Get("/login", append(open[:2:2], h.login)...)
	app.Get("/waiting", append(open[:2:2], h.waiting)...)
	app.Post("/logout", append(open[:2:2], h.logout)...)
	if ps.DevLogin {
		app.Post("/auth/dev", append(open[:2:2], h.devLogin)...)
	}
	if ps.Providers != nil {
		app.Get("/auth/:provider/begin", append(open[:2:2], h.oauthBegin)...)
		app.Get("/auth/:provider/callback", append(open[:2:2], h.oauthCallback)...)
	}

	get("/", auth.PermDashboard, h.dashboard)
	get("/cases", auth.PermViewCases, h.cases)
	get("/cases/:id", auth.PermViewCases, h.caseDetail)
	if s.Pauses != nil {
		post("/cases/:id/pause", auth.PermPause, h.pauseCase)
		post("/cases/:id/unpause", auth.PermPause, h.unpauseCase)
		get("/pauses", auth.PermPause, h.pausesPage)
		post("/pauses/firm", auth.PermPause, h.pauseFirm)
		post("/pauses/firm/resume", auth.PermPause, h.resumeFirm)
		get("/clients/:id/pause", auth.PermPause, h.clientPausePage)
		post("/clients/:id/pause", auth.PermPause, h.pauseClient)
		post("/clients/:id/unpause", auth.PermPause, h.unpauseClient)
	}
	get("/clients/:id/timeline", auth.PermViewCases, h.timeline)
	get("/clients/:id/timeline.csv", auth.PermViewCases, h.timelineCSV)
	get("/clients/:id/conversation", auth.PermViewCases, h.conversation)
	if ps.Replies != nil {
		post("/clients/:id/conversation", auth.PermReply, h.reply)
	}
	get("/held", auth.PermHeld, h.held)
	if ps.Held != nil {
		post("/held/:id/release", auth.PermHeld, h.releaseHeld)
		post("/held/:id/send-now", auth.PermSendNow, h.sendHeldNow)
		post("/held/:id/cancel", auth.PermHeld, h.cancelHeld)
	}
	if s.Analytics != nil {
		get("/analytics", auth.PermAnalytics, h.analytics)
	}
	get("/dead-letters", auth.PermDeadLetters, h.deadLetters)
	if s.DeadLetterRetrier != nil {
		post("/dead-letters/:id/retry", auth.PermDeadLetters, h.retryDeadLetter)
	}
	if s.DeadLetters != nil {
		post("/dead-letters/:id/resolve", auth.PermDeadLetters, h.resolveDeadLetter)
	}
	post("/dead-letters/bulk", auth.PermDeadLetters, h.bulkDeadLetters)
	if ps.Templates != nil && ps.Preview != nil {
		get("/templates", auth.PermViewTemplates, h.templates)
		get("/templates/:id", auth.PermViewTemplates, h.templateEdit)
		get("/templates/:id/cases", auth.PermViewTemplates, h.templateCases)
		post("/templates/:id/preview", auth.PermViewTemplates, h.templatePreview)
		post("/templates/:id", auth.PermEditTemplates, h.templateSave)
		post("/templates/:id/rollback", auth.PermEditTemplates, h.templateRollback)
	}
	get("/data-health", auth.PermDataHealth, h.dataHealth)
	if ps.Statuses != nil {
		post("/data-health/map", auth.PermDataHealth, h.mapStatus)
	}
	if ps.Tasks != nil {
		get("/tasks", auth.PermTasks, h.taskList)
		post("/tasks/:id/assign", auth.PermTasks, h.assignTask)
		post("/tasks/:id/complete", auth.PermTasks, h.completeTask)
	}
	get("/audit", auth.PermAudit, h.auditLog)
	get("/approvals", auth.PermApprovals, h.approvals)
	if ps.Approvals != nil {
		post("/approvals/:id/approve", auth.PermApprovals, h.approve)
		post("/approvals/:id/discard", auth.PermApprovals, h.discard)
	}
	get("/rules", auth.PermRules, h.rulesList)
	if ps.Rules != nil {
		get("/rules/new", auth.PermEditRules, h.ruleNew)
		post("/rules/new", auth.PermEditRules, h.ruleCreate)
		get("/rules/:id", auth.PermRules, h.ruleDetail)
		post("/rules/:id", auth.PermEditRules, h.ruleSave)
		post("/rules/:id/enabled", auth.PermEditRules, h.ruleEnabled)
	}
	if ps.Settings != nil {
		get("/settings", auth.PermSettings, h.settingsPage)
		post("/settings", auth.PermSettings, h.settingsSave)
	}
	get("/settings/staff", auth.PermUsers, h.staffList)
	post("/settings/staff/:id", auth.PermUsers, h.staffUpdate)
	get("/ops/queues", auth.PermQueues, h.queues)
}
