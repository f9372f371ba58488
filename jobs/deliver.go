package jobs

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// Deliverer sends one ledger message; delivery.Service implements it.
type Deliverer interface {
	Deliver(ctx context.Context, messageID int64) error
}

// DeliverMessage is the handler for TypeDeliverMessage: it decodes the
// message id and calls Deliver, which re-reads the ledger and is idempotent.
// A bad payload is never retried; a Deliver error (the database was
// unreachable) is, by asynq.
func DeliverMessage(d Deliverer) func(ctx context.Context, t *asynq.Task) error {
	return func(ctx context.Context, t *asynq.Task) error {
		id, err := DecodeID(t)
		if err != nil {
			return err
		}
		return d.Deliver(ctx, id)
	}
}

// DeliverySweeper is the delivery side of the sweeper; delivery.Service
// implements it.
type DeliverySweeper interface {
	Wake(ctx context.Context) (int, error)
	Reconcile(ctx context.Context) (int, error)
	Alert(ctx context.Context) (int, error)
}

// DeliverySweeps returns the delivery sweeps, each run every interval:
// re-enqueue due messages Redis does not know about, settle unknown outcomes
// (and expired leases), and send batched dead-letter alerts.
func DeliverySweeps(s DeliverySweeper, every time.Duration) []Sweep {
	return []Sweep{
		{Name: "delivery-wake", Every: every, Run: s.Wake},
		{Name: "delivery-reconcile", Every: every, Run: s.Reconcile},
		{Name: "delivery-alert", Every: every, Run: s.Alert},
	}
}
