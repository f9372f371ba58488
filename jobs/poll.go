package jobs

import (
	"context"
	"time"

	"github.com/heraldhq/herald/app/clio"
	"github.com/heraldhq/herald/app/poll"
)

// PollSweep polls the CMS sources that have no webhooks. It runs every
// `every`; each source is fetched only once its own poll.interval has
// passed, so every can be the short sweep interval.
func PollSweep(p *poll.Poller, every time.Duration) Sweep {
	return Sweep{Name: "poll-cms", Every: every, Run: p.Due}
}

// ClioRenewalWindow is how close to expiry a Clio webhook is renewed.
const ClioRenewalWindow = 7 * 24 * time.Hour

// ClioRenewSweep renews the Clio webhooks that expire within
// ClioRenewalWindow, checking every `every` (an hour is plenty).
func ClioRenewSweep(w *clio.Webhooks, every time.Duration) Sweep {
	return Sweep{Name: "clio-webhook-renewal", Every: every, Run: func(ctx context.Context) (int, error) {
		return w.RenewExpiring(ctx, ClioRenewalWindow)
	}}
}
