package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
)

// EventProcessor is the ingest side the event task calls (ingest.Service).
type EventProcessor interface {
	Process(ctx context.Context, inboundEventID int64) (ingest.Outcome, error)
	Sweep(ctx context.Context) (int, error)
}

// ProcessEvent handles TypeProcessEvent. It logs the outcome once, with the
// case id, event type and result, and returns nil even when processing
// failed: the failure is recorded on the inbound_events row and the ingest
// sweeper retries it. Returning an error would leave the task in asynq's
// retry or archive set under the same task id, and the sweeper's re-enqueue
// would then be refused as a duplicate. Only a bad payload is an error.
func ProcessEvent(p EventProcessor, log *slog.Logger) func(ctx context.Context, t *asynq.Task) error {
	return func(ctx context.Context, t *asynq.Task) error {
		id, err := DecodeID(t)
		if err != nil {
			return err
		}
		out, err := p.Process(ctx, id)
		attrs := []any{"inbound_event_id", id, "source", out.Source, "event_type", out.EventType,
			"case_id", out.CaseID, "attempt", out.Attempt, "result", out.Result}
		if out.Change != nil {
			attrs = append(attrs, "created", out.Change.Created, "changed_fields", out.Change.Diff.Fields)
		}
		switch {
		case err == nil && out.Result == ingest.ResultSkipped:
			log.Debug("event skipped", attrs...)
		case err == nil && out.WakeErr != nil:
			log.Warn("event processed; delivery not woken, the sweeper sends its messages", append(attrs, "error", out.WakeErr)...)
		case err == nil:
			log.Info("event processed", attrs...)
		case errors.Is(err, derrors.NotFound):
			log.Warn("event task for a missing inbound event", append(attrs, "error", err)...)
		case errors.Is(err, ingest.ErrWillRetry):
			log.Warn("event failed; will retry", append(attrs, "error", err)...)
		default:
			log.Error("event failed", append(attrs, "error", err)...)
		}
		return nil
	}
}

// IngestSweep re-enqueues inbound events that Redis lost, that a crashed
// worker left claimed, or that are due for a retry.
func IngestSweep(p EventProcessor, every time.Duration) Sweep {
	return Sweep{Name: "ingest", Every: every, Run: p.Sweep}
}
