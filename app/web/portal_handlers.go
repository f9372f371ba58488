package web

import (
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/heraldhq/herald/app/clock"
)

// portalHandlers serve the staff portal's pages (portal_*.go) and sign-in
// (auth_*.go). Each handler reads through PortalServices.Read or acts through
// a domain service, then renders a view; none holds business logic.
type portalHandlers struct {
	ps        *PortalServices
	svc       Services
	firmName  string
	clock     clock.Clock
	log       *slog.Logger
	inspector *asynq.Inspector
	// settleDefault is HERALD_SETTLE_DELAY, shown on the rule form.
	settleDefault time.Duration
}

func newPortalHandlers(d Deps) *portalHandlers {
	return &portalHandlers{ps: d.Services.Portal, svc: d.Services, firmName: d.Config.FirmName, clock: d.Clock,
		log: d.Log, inspector: d.Inspector, settleDefault: d.Config.SettleDelay}
}
