package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/telemetry"
)

// Enqueuer wakes delivery for a message at a time; jobs.Client implements it.
// attempt is the attempt number the next claim will get (messages.attempts+1),
// so the wake-up's task id differs from the task that scheduled it.
type Enqueuer interface {
	EnqueueMessage(ctx context.Context, messageID int64, attempt int, at time.Time) error
}

// Pauses re-checks the big red button at send time; pause.Service implements
// it. The check is queued on the batch of send-time reads (see Reads).
type Pauses interface {
	QueueCheck(b *pgx.Batch, caseID, clientID int64, st *pause.State)
}

// Consent answers and records opt-outs; consent.Store implements it. The
// opt-out read is queued on the batch of send-time reads (see Reads).
type Consent interface {
	QueueOptedOut(b *pgx.Batch, channel, address string, out *bool)
	Record(ctx context.Context, tx pgx.Tx, e consent.Event) error
}

// Reads sends the send-time checks (pause and opt-out) to PostgreSQL in one
// round trip; *pgxpool.Pool implements it.
type Reads interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// SMSLookup fetches a sent SMS by provider id to reconcile an unknown
// outcome; twilio.Sender implements it. A message the provider does not know
// is an error whose *SendError has HTTPStatus 404.
type SMSLookup interface {
	Lookup(ctx context.Context, sid string) (status, errorCode string, err error)
}

// Config tunes the delivery service.
type Config struct {
	// RetrySchedule is the wait before each retry of a transient failure
	// (HERALD_RETRY_SCHEDULE, 1m,5m,30m); after the last one the message is dead.
	RetrySchedule []time.Duration
	// Lease bounds how long a claimed message may stay in sending before the
	// sweep declares its outcome unknown (default 5m; longer than any send).
	Lease time.Duration
	// Window is the SMS sending window policy.
	Window WindowPolicy
	// SweepBatch is how many due rows one sweep query reads (default 1000);
	// SweepGrace is how long a row must be overdue before the sweep
	// re-enqueues it (default 30s), so a healthy queue is not doubled.
	SweepBatch int
	SweepGrace time.Duration
	// ReconcileGrace is how long an unknown outcome waits for a provider
	// callback before it is handed to a human (default 10m).
	ReconcileGrace time.Duration
	// AlertEmails and AlertWebhook receive dead-letter alerts, at most one
	// per AlertGap (default 1m). PublicURL links the alert to the inbox.
	AlertEmails  []string
	AlertWebhook string
	AlertGap     time.Duration
	PublicURL    string
}

func (c *Config) defaults() {
	if c.Lease == 0 {
		c.Lease = 5 * time.Minute
	}
	if c.SweepBatch == 0 {
		c.SweepBatch = 1000
	}
	if c.SweepGrace == 0 {
		c.SweepGrace = 30 * time.Second
	}
	if c.ReconcileGrace == 0 {
		c.ReconcileGrace = 10 * time.Minute
	}
	if c.AlertGap == 0 {
		c.AlertGap = time.Minute
	}
	if c.Window.Zone == nil {
		c.Window.Zone = time.UTC
	}
	if c.Window.cache == nil {
		c.Window.cache = &sync.Map{}
	}
}

// Deps are the collaborators of the delivery service.
type Deps struct {
	Ledger *ledger.Store
	// Senders maps a channel (ChannelEmail, ChannelSMS) to its provider.
	Senders map[string]Sender
	// Lookup reconciles SMS whose outcome is unknown; nil hands them to a
	// human after ReconcileGrace.
	Lookup   SMSLookup
	Pauses   Pauses
	Consent  Consent
	Reads    Reads
	Enqueuer Enqueuer
	Clock    clock.Clock
	Log      *slog.Logger
	// Metrics is optional.
	Metrics *telemetry.Metrics
	// HTTP posts alert webhooks; http.DefaultClient with a timeout when nil.
	HTTP *http.Client
	// Settings, when set, overrides the SMS window and days, the retry
	// schedule, the alert recipients and the e-mail display name of Config
	// with what an admin saved in the portal (settings.Store).
	Settings Settings
}

// Service delivers ledger messages: Deliver for one message, and the sweeps
// Wake, Reconcile and Alert. It is safe for concurrent use.
type Service struct {
	d   Deps
	cfg Config
}

// NewService checks deps and returns the service.
func NewService(d Deps, cfg Config) (*Service, error) {
	switch {
	case d.Ledger == nil:
		return nil, errors.New("delivery: ledger is required")
	case d.Senders[ChannelEmail] == nil || d.Senders[ChannelSMS] == nil:
		return nil, errors.New("delivery: an email and an SMS sender are required")
	case d.Pauses == nil || d.Consent == nil || d.Reads == nil || d.Enqueuer == nil || d.Clock == nil:
		return nil, errors.New("delivery: pauses, consent, reads, enqueuer and clock are required")
	case len(cfg.RetrySchedule) == 0:
		return nil, errors.New("delivery: the retry schedule is empty")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	cfg.defaults()
	return &Service{d: d, cfg: cfg}, nil
}

// Deliver tries to send message id once. It is idempotent: the claim (one
// UPDATE from a sendable status) is the guard, so a duplicate task run, or a
// wake-up for a message that is not due, does nothing. Before sending it
// re-checks staleness, the pause, the opt-out and the SMS window; after the
// provider answers it records the outcome at once. It returns an error only
// when the database could not be reached, so the job is retried; every
// delivery outcome, including failures, is recorded in the ledger.
func (s *Service) Deliver(ctx context.Context, messageID int64) error {
	now := s.d.Clock.Now()
	c, err := s.d.Ledger.Claim(ctx, messageID, now, s.cfg.Lease)
	if errors.Is(err, ledger.ErrNotClaimable) {
		s.d.Log.DebugContext(ctx, "deliver", "message_id", messageID, "event_type", "message.deliver", "result", "not_claimable")
		return nil
	}
	if err != nil {
		s.unclaim(ctx, messageID, now, err)
		return fmt.Errorf("deliver message %d: %w", messageID, err)
	}
	r := s.run(ctx, c, now)
	s.logResult(ctx, c, r)
	if s.d.Metrics != nil {
		s.d.Metrics.MessagesSent.WithLabelValues(c.Channel, r.result).Inc()
	}
	return r.err
}

// unclaim undoes this run's claim of message id when the claim failed in a
// way that does not prove it was not applied: the UPDATE may have committed
// with its answer lost (the connection died mid-statement — the chaos
// suite's PostgreSQL crash found it). Nothing was sent, so the message goes
// back to failed_retrying, due at once, instead of sitting in sending until
// its lease expires into outcome_unknown and a human. The claim is
// recognised by its own time (updated_at), so a later claim is never
// touched; it waits for the database like any ledger write.
func (s *Service) unclaim(ctx context.Context, id int64, claimedAt time.Time, cause error) {
	if errors.Is(cause, ledger.ErrNotClaimable) || pgconn.SafeToRetry(cause) {
		return // the claim provably did not happen
	}
	ok, err := s.write(ctx, func(ctx context.Context) (bool, error) {
		m, err := s.d.Ledger.Get(ctx, id)
		if errors.Is(err, ledger.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if d := m.UpdatedAt.Sub(claimedAt); m.Status != ledger.StatusSending || d <= -time.Microsecond || d >= time.Microsecond {
			return false, nil // not claimed by this run
		}
		now := s.d.Clock.Now()
		return s.d.Ledger.Finish(ctx, id, m.Attempts, ledger.Outcome{Status: ledger.StatusFailedRetrying, At: now,
			Code: "claim_unconfirmed", Error: "the claim's answer was lost (database connection failed); nothing was sent",
			DueAt: &now, AttemptOutcome: "cancelled"})
	})
	if err != nil {
		s.d.Log.WarnContext(ctx, "deliver", "message_id", id, "event_type", "message.unclaim", "result", "failed", "error", err)
		return
	}
	if ok {
		s.d.Log.InfoContext(ctx, "deliver", "message_id", id, "event_type", "message.unclaim", "result", ledger.StatusFailedRetrying)
	}
}

// result is what one delivery run did, for the log line.
type result struct {
	result     string // sent, delivered, retry, dead, outcome_unknown, held, cancelled
	reason     string
	providerID string
	code       string
	dueAt      *time.Time
	err        error
}

func (s *Service) logResult(ctx context.Context, c ledger.Claimed, r result) {
	attrs := []slog.Attr{
		slog.Int64("message_id", c.ID), slog.String("channel", c.Channel), slog.String("event_type", "message.deliver"),
		slog.String("result", r.result), slog.Int("attempt", c.Attempt), slog.String("kind", c.Kind),
		slog.String("to", telemetry.MaskAddress(c.Recipient)),
	}
	if c.CaseID != nil {
		attrs = append(attrs, slog.Int64("case_id", *c.CaseID))
	}
	if r.providerID != "" {
		attrs = append(attrs, slog.String("provider_id", r.providerID))
	}
	if r.code != "" {
		attrs = append(attrs, slog.String("error_code", r.code))
	}
	if r.reason != "" {
		attrs = append(attrs, slog.String("reason", r.reason))
	}
	if r.dueAt != nil {
		attrs = append(attrs, slog.Time("due_at", *r.dueAt))
	}
	level := slog.LevelInfo
	switch {
	case r.err != nil:
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", r.err.Error()))
	case r.result == "dead" || r.result == ledger.StatusOutcomeUnknown:
		level = slog.LevelWarn
	}
	s.d.Log.LogAttrs(ctx, level, "deliver", attrs...)
}

// writeWindow is how long a ledger write keeps retrying while the database
// does not answer. A write given up leaves the message in sending until its
// lease expires and it becomes outcome_unknown, which needs a human for an
// email — so a PostgreSQL restart of a few seconds must not give up on it
// (the chaos suite's PostgreSQL scenario turned a never-sent message into
// outcome_unknown when this was three tries over 1.2s).
const writeWindow = 15 * time.Second

// write runs a ledger write that must happen even if the task's context was
// cancelled mid-send (the provider id must be committed), retrying with
// backoff (100ms doubling to 2s) for up to writeWindow.
func (s *Service) write(ctx context.Context, op func(context.Context) (bool, error)) (bool, error) {
	return retryWrite(ctx, writeWindow, op)
}

func retryWrite(ctx context.Context, window time.Duration, op func(context.Context) (bool, error)) (bool, error) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), window)
	defer cancel()
	wait := 100 * time.Millisecond
	for {
		ok, err := op(wctx)
		if err == nil {
			return ok, nil
		}
		select {
		case <-wctx.Done():
			return false, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}
