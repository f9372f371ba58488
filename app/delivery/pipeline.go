package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
)

// run performs the send-time checks and the send for a claimed message and
// records the outcome.
func (s *Service) run(ctx context.Context, c ledger.Claimed, now time.Time) result {
	if r, stop := s.check(ctx, c, now); stop {
		return r
	}
	sender := s.d.Senders[c.Channel]
	if sender == nil {
		return s.dead(ctx, c, now, &SendError{Class: Permanent, Reason: fmt.Sprintf("no sender is configured for channel %q", c.Channel),
			SuggestedFix: "check HERALD_DELIVERY and the provider settings"}, "")
	}
	out := Outgoing{MessageID: c.ID, Channel: c.Channel, To: c.Recipient, IdempotencyKey: c.IdempotencyKey}
	if c.Channel == ChannelSMS {
		out.Body = c.BodyText
	} else {
		out.Subject, out.HTML, out.Text = c.Subject, c.BodyHTML, c.BodyText
		t, _ := s.tunables(ctx) // a read failure falls back to the last known name
		out.FromName = t.fromName
	}
	receipt, err := sender.Send(ctx, out)
	at := s.d.Clock.Now()
	if err == nil {
		return s.sent(ctx, c, at, receipt)
	}
	se := Classify(err)
	switch se.Class {
	case Transient:
		return s.retry(ctx, c, at, se)
	case Permanent:
		return s.dead(ctx, c, at, se, "")
	default:
		return s.unknown(ctx, c, at, se)
	}
}

// check applies staleness, pause, opt-out and the SMS window (unless an
// admin released the message from it). It reports stop=true when the
// message must not be sent now, with the outcome recorded.
func (s *Service) check(ctx context.Context, c ledger.Claimed, now time.Time) (result, bool) {
	if c.Kind == "reminder" {
		switch {
		case c.ReminderStatus == "cancelled" || c.ReminderStatus == "expired":
			return s.cancel(ctx, c, now, "stale", "the reminder was "+c.ReminderStatus), true
		case c.ReminderAt != nil && !c.ReminderAt.After(now):
			return s.cancel(ctx, c, now, "stale", "the event this reminder is about has passed"), true
		}
	}
	st, out, err := s.pausedOrOptedOut(ctx, c.Message)
	if err != nil {
		return s.release(ctx, c, now, err), true
	}
	if st.Paused {
		reason := fmt.Sprintf("%s: %s pause by %s: %s", ledger.HoldPaused, st.Scope, st.By, st.Reason)
		return s.hold(ctx, c, now, reason, now, false), true
	}
	if out {
		return s.cancel(ctx, c, now, "opted_out", "the recipient opted out of "+c.Channel), true
	}
	// An admin may send one SMS outside the window (ledger.ReleaseWindow).
	if c.Channel == ChannelSMS && !strings.HasPrefix(c.HoldReason, ledger.HoldWindowReleased) {
		t, err := s.tunables(ctx)
		if err != nil {
			return s.release(ctx, c, now, fmt.Errorf("read the SMS window setting: %w", err)), true
		}
		open, next, desc := t.window.Check(now, c.Recipient, c.ClientTimezone)
		if !open {
			return s.hold(ctx, c, now, ledger.HoldQuietHours+": "+desc, next, true), true
		}
	}
	return result{}, false
}

// pausedOrOptedOut reads the pause in force for m's case and client and
// whether m's recipient opted out of its channel, in one round trip: every
// send asks both.
func (s *Service) pausedOrOptedOut(ctx context.Context, m ledger.Message) (pause.State, bool, error) {
	var st pause.State
	var out bool
	b := &pgx.Batch{}
	s.d.Pauses.QueueCheck(b, deref(m.CaseID), deref(m.ClientID), &st)
	s.d.Consent.QueueOptedOut(b, m.Channel, m.Recipient, &out)
	if err := s.d.Reads.SendBatch(ctx, b).Close(); err != nil {
		return st, false, fmt.Errorf("check pause and opt-out: %w", err)
	}
	return st, out, nil
}

// sent records a provider acceptance; the provider id is committed at once.
func (s *Service) sent(ctx context.Context, c ledger.Claimed, at time.Time, r Receipt) result {
	status := ledger.StatusSent
	if r.Status == "delivered" {
		status = ledger.StatusDelivered
	}
	res := result{result: status, providerID: r.ProviderID}
	ok, err := s.write(ctx, func(ctx context.Context) (bool, error) {
		return s.d.Ledger.Finish(ctx, c.ID, c.Attempt, ledger.Outcome{Status: status, At: at, Provider: r.Provider, ProviderID: r.ProviderID})
	})
	if err != nil {
		// The message stays in sending; when the lease expires the sweep
		// marks it outcome_unknown and reconciles. Never re-sent blindly.
		res.err = fmt.Errorf("record provider acceptance (provider id %s): %w", r.ProviderID, err)
	} else if !ok {
		res.reason = "the message was moved by someone else while sending"
	}
	return res
}

// retry schedules the next attempt of a transient failure, or gives up after
// the last one in the schedule.
func (s *Service) retry(ctx context.Context, c ledger.Claimed, at time.Time, se *SendError) result {
	n := c.Retries + 1      // this failure's number
	t, _ := s.tunables(ctx) // a read failure falls back to the last known schedule
	schedule := t.retry
	if n > len(schedule) {
		final := *se
		final.Reason = fmt.Sprintf("gave up after %d attempts: %s", c.Retries+1, se.Reason)
		if final.SuggestedFix == "" {
			final.SuggestedFix = "check the provider's status page, then retry from the dead-letter inbox"
		}
		return s.dead(ctx, c, at, &final, "transient_error")
	}
	wait := schedule[n-1]
	if se.RetryAfter > wait {
		wait = se.RetryAfter
	}
	due := at.Add(wait)
	res := result{result: "retry", reason: se.Reason, code: se.Code, dueAt: &due}
	_, err := s.write(ctx, func(ctx context.Context) (bool, error) {
		return s.d.Ledger.Finish(ctx, c.ID, c.Attempt, ledger.Outcome{Status: ledger.StatusFailedRetrying, At: at,
			Provider: se.Provider, HTTPStatus: se.HTTPStatus, Code: se.Code, Error: errText(se), DueAt: &due})
	})
	if err != nil {
		res.err = fmt.Errorf("record transient failure: %w", err)
		return res
	}
	s.wake(ctx, c.ID, c.Attempt+1, due)
	return res
}

// dead records a permanent failure with its reason and suggested fix; an
// opt-out reported by the provider is recorded as a consent event too.
func (s *Service) dead(ctx context.Context, c ledger.Claimed, at time.Time, se *SendError, attemptOutcome string) result {
	res := result{result: ledger.StatusDead, reason: se.Reason, code: se.Code}
	_, err := s.write(ctx, func(ctx context.Context) (bool, error) {
		return s.d.Ledger.Finish(ctx, c.ID, c.Attempt, ledger.Outcome{Status: ledger.StatusDead, At: at,
			Provider: se.Provider, HTTPStatus: se.HTTPStatus, Code: se.Code, Error: errText(se),
			Reason: se.Reason, Fix: se.SuggestedFix, AttemptOutcome: attemptOutcome})
	})
	if err != nil {
		res.err = fmt.Errorf("record permanent failure: %w", err)
		return res
	}
	if se.OptedOut {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := s.d.Consent.Record(wctx, nil, consent.Event{ClientID: c.ClientID, Channel: c.Channel, Address: c.Recipient,
			Action: consent.OptOut, Source: consent.SourceProviderError, Text: strings.TrimSpace(se.Code + " " + se.Reason), Actor: "system"})
		if err != nil {
			res.err = fmt.Errorf("record provider opt-out: %w", err)
		}
	}
	return res
}

// unknown records a send that may have reached the provider. It is never
// re-sent automatically; Reconcile settles it.
func (s *Service) unknown(ctx context.Context, c ledger.Claimed, at time.Time, se *SendError) result {
	res := result{result: ledger.StatusOutcomeUnknown, reason: se.Reason, code: se.Code}
	reason := "The provider may have accepted this message (" + se.Reason + "); Herald does not resend it blindly."
	fix := "Herald is checking with the provider; if it cannot confirm, check the provider's log before retrying."
	_, err := s.write(ctx, func(ctx context.Context) (bool, error) {
		return s.d.Ledger.Finish(ctx, c.ID, c.Attempt, ledger.Outcome{Status: ledger.StatusOutcomeUnknown, At: at,
			Provider: se.Provider, HTTPStatus: se.HTTPStatus, Code: se.Code, Error: errText(se), Reason: reason, Fix: fix})
	})
	if err != nil {
		res.err = fmt.Errorf("record unknown outcome: %w", err)
	}
	return res
}

// hold parks the message: until the next window opening (wake=true, and a
// wake-up is enqueued) or until a human releases it (a pause).
func (s *Service) hold(ctx context.Context, c ledger.Claimed, now time.Time, reason string, until time.Time, wake bool) result {
	res := result{result: ledger.StatusHeld, reason: reason}
	if wake {
		res.dueAt = &until
	}
	_, err := s.write(ctx, func(ctx context.Context) (bool, error) {
		return s.d.Ledger.Finish(ctx, c.ID, c.Attempt, ledger.Outcome{Status: ledger.StatusHeld, At: now, HoldReason: reason, DueAt: &until})
	})
	if err != nil {
		res.err = fmt.Errorf("record hold: %w", err)
		return res
	}
	if wake {
		s.wake(ctx, c.ID, c.Attempt+1, until)
	}
	return res
}

// cancel stops a message that must never be sent (stale, opted out).
func (s *Service) cancel(ctx context.Context, c ledger.Claimed, now time.Time, code, reason string) result {
	res := result{result: ledger.StatusCancelled, reason: reason, code: code}
	_, err := s.write(ctx, func(ctx context.Context) (bool, error) {
		return s.d.Ledger.Finish(ctx, c.ID, c.Attempt, ledger.Outcome{Status: ledger.StatusCancelled, At: now, Code: code, Error: reason})
	})
	if err != nil {
		res.err = fmt.Errorf("record cancel: %w", err)
	}
	return res
}

// release gives the claim back when a check could not be made (the
// database or a dependency is down): nothing was sent, so the message goes
// back to failed_retrying due shortly, and the job reports the error.
func (s *Service) release(ctx context.Context, c ledger.Claimed, now time.Time, cause error) result {
	t, _ := s.tunables(ctx)
	due := now.Add(t.retry[0])
	res := result{result: "retry", reason: "send-time check failed", dueAt: &due, err: cause}
	_, err := s.write(ctx, func(ctx context.Context) (bool, error) {
		return s.d.Ledger.Finish(ctx, c.ID, c.Attempt, ledger.Outcome{Status: ledger.StatusFailedRetrying, At: now,
			Code: "check_failed", Error: cause.Error(), DueAt: &due, AttemptOutcome: "cancelled"})
	})
	if err != nil {
		res.err = errors.Join(cause, fmt.Errorf("release claim: %w", err))
	}
	return res
}

// wake enqueues a wake-up; a failure is logged only, because the sweep
// re-enqueues every due message Redis does not know about.
func (s *Service) wake(ctx context.Context, id int64, attempt int, at time.Time) {
	if err := s.d.Enqueuer.EnqueueMessage(context.WithoutCancel(ctx), id, attempt, at); err != nil {
		s.d.Log.WarnContext(ctx, "enqueue wake-up failed; the sweep will pick the message up",
			"message_id", id, "attempt", attempt, "due_at", at, "error", err)
	}
}

func errText(se *SendError) string {
	if se.Err != nil {
		return se.Error()
	}
	return se.Reason
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
