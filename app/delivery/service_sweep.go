package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/app/ledger"
)

// wakeParallel bounds concurrent enqueues in one sweep. The enqueuer sends
// concurrent calls as one pipelined Redis round trip, so this also bounds a
// batch; 128 measured no faster than 32 (herald bench sweep).
const wakeParallel = 32

// wakeMaxPerRun caps one Wake run so a huge backlog cannot starve the other
// sweeps; the next run continues.
const wakeMaxPerRun = 200_000

// Wake re-enqueues every message that is due (pending, scheduled,
// failed_retrying, or held for quiet hours whose window has opened) and has
// been overdue for SweepGrace. Postgres is the system of record: after a
// Redis flush this restores every lost wake-up, and a wake-up that is still
// queued is a harmless duplicate (same task id). It returns how many
// wake-ups it enqueued.
func (s *Service) Wake(ctx context.Context) (int, error) {
	dueBy := s.d.Clock.Now().Add(-s.cfg.SweepGrace)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// One reader pages through the due rows while wakeParallel enqueuers
	// drain them: the next page is read while the current one is being
	// enqueued, and no page waits for the slowest enqueue of the last.
	work := make(chan ledger.Due, s.cfg.SweepBatch)
	readErr := make(chan error, 1)
	go func() {
		defer close(work)
		readErr <- s.readDue(ctx, dueBy, work)
	}()
	var total atomic.Int64
	var wg sync.WaitGroup
	for range wakeParallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				if ctx.Err() != nil {
					continue // drain, so the reader is never blocked
				}
				// A due row is enqueued for now, not for its past due time.
				if err := s.d.Enqueuer.EnqueueMessage(ctx, d.ID, d.NextAttempt, time.Time{}); err != nil {
					cancel(fmt.Errorf("wake due messages: %w", err))
					continue
				}
				total.Add(1)
			}
		}()
	}
	wg.Wait()
	if err := <-readErr; err != nil && context.Cause(ctx) == nil {
		return int(total.Load()), err
	}
	if err := context.Cause(ctx); err != nil {
		return int(total.Load()), err
	}
	return int(total.Load()), nil
}

// readDue sends every due row, page by page in (due_at, id) order, to work,
// at most wakeMaxPerRun of them.
func (s *Service) readDue(ctx context.Context, dueBy time.Time, work chan<- ledger.Due) error {
	var afterDue time.Time
	var afterID int64
	sent := 0
	for sent < wakeMaxPerRun {
		page, err := s.d.Ledger.DuePage(ctx, dueBy, afterDue, afterID, min(s.cfg.SweepBatch, wakeMaxPerRun-sent))
		if err != nil {
			return err
		}
		for _, d := range page {
			select {
			case work <- d:
			case <-ctx.Done():
				return nil
			}
		}
		sent += len(page)
		if len(page) < s.cfg.SweepBatch {
			return nil
		}
		last := page[len(page)-1]
		afterDue, afterID = last.DueAt, last.ID
	}
	return nil
}

// Reconcile settles unknown outcomes. First, messages stuck in sending past
// their lease (a crashed worker) become outcome_unknown: they are never
// re-sent automatically. Then each unsettled outcome_unknown message is
// checked: provider events that arrived since settle it; an SMS whose
// provider id is known is looked up at the provider (found → sent or
// delivered or dead per its status; unknown to the provider → dead, not
// sent); what cannot be confirmed within ReconcileGrace is handed to a human
// in the dead-letter inbox. It returns how many messages it settled or handed
// over.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	now := s.d.Clock.Now()
	expired, err := s.d.Ledger.ExpireLeases(ctx, now, s.cfg.SweepBatch)
	if err != nil {
		return 0, err
	}
	for _, id := range expired {
		s.d.Log.WarnContext(ctx, "deliver", "message_id", id, "event_type", "message.lease_expired", "result", ledger.StatusOutcomeUnknown)
	}
	list, err := s.d.Ledger.ListUnreconciled(ctx, s.cfg.SweepBatch)
	if err != nil {
		return len(expired), err
	}
	n := len(expired)
	var errs []error
	for _, u := range list {
		acted, err := s.reconcileOne(ctx, u, now)
		if err != nil {
			errs = append(errs, err)
		}
		if acted {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// reconcileOne tries to settle one message; acted reports a state change.
func (s *Service) reconcileOne(ctx context.Context, u ledger.Unreconciled, now time.Time) (bool, error) {
	out, how := s.fromEvents(u)
	if out.Status == "" && u.Channel == ChannelSMS && u.ProviderID != "" && s.d.Lookup != nil {
		status, code, err := s.d.Lookup.Lookup(ctx, u.ProviderID)
		var se *SendError
		switch {
		case errors.As(err, &se) && se.HTTPStatus == http.StatusNotFound:
			out = ledger.Outcome{Status: ledger.StatusDead, Code: "not_found",
				Reason: "The provider has no record of this message: it was not sent.",
				Fix:    "Retry it from the dead-letter inbox if the client should still get it."}
			how = "lookup_not_found"
		case err != nil:
			return false, fmt.Errorf("reconcile message %d: %w", u.ID, err)
		default:
			out, how = lookupOutcome(status, code), "lookup_"+status
		}
	}
	if out.Status != "" {
		out.At, out.ProviderID, out.Provider = now, u.ProviderID, u.Provider
		ok, err := s.d.Ledger.Settle(ctx, u.ID, out)
		if err != nil {
			return false, err
		}
		s.d.Log.InfoContext(ctx, "deliver", "message_id", u.ID, "channel", u.Channel, "event_type", "message.reconcile",
			"result", out.Status, "how", how, "provider_id", u.ProviderID)
		return ok, nil
	}
	if now.Sub(u.Since) < s.cfg.ReconcileGrace {
		return false, nil // a status callback may still bring the provider id
	}
	ok, err := s.d.Ledger.HandToHuman(ctx, u.ID, now,
		"Herald could not confirm whether the provider accepted this message; it may or may not have reached the client.",
		"Check the provider's message log for this recipient. Retry only if it was not sent; otherwise resolve it with a note.")
	if err == nil && ok {
		s.d.Log.WarnContext(ctx, "deliver", "message_id", u.ID, "channel", u.Channel, "event_type", "message.reconcile", "result", "handed_to_human")
	}
	return ok, err
}

// fromEvents settles a message from provider events already recorded.
func (s *Service) fromEvents(u ledger.Unreconciled) (ledger.Outcome, string) {
	has := func(types ...string) bool {
		for _, t := range types {
			if slices.Contains(u.EventTypes, t) {
				return true
			}
		}
		return false
	}
	switch {
	case has("delivered", "open", "click", "read"):
		return ledger.Outcome{Status: ledger.StatusDelivered}, "event_delivered"
	case has("bounce", "dropped", "failed", "undelivered"):
		return ledger.Outcome{Status: ledger.StatusDead, Code: "provider_event",
			Reason: "The provider reported the message failed after accepting it.",
			Fix:    "See the provider events on the client's timeline; fix the address and retry."}, "event_failed"
	case has("processed", "deferred", "queued", "sent", "accepted", "sending"):
		return ledger.Outcome{Status: ledger.StatusSent}, "event_accepted"
	}
	return ledger.Outcome{}, ""
}

// lookupOutcome maps a Twilio message status to a settled outcome.
func lookupOutcome(status, code string) ledger.Outcome {
	switch status {
	case "delivered", "read":
		return ledger.Outcome{Status: ledger.StatusDelivered}
	case "failed", "undelivered", "canceled":
		_, reason, fix := CodeInfo(ProviderTwilio, code)
		if reason == "" {
			reason = "Twilio reports the message " + status + "."
		}
		return ledger.Outcome{Status: ledger.StatusDead, Code: code, Reason: reason, Fix: fix}
	}
	return ledger.Outcome{Status: ledger.StatusSent}
}
