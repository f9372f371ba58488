package jobs

import (
	"context"

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
