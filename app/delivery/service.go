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

// Pauses re-checks the big red button at send time; pause.Service implements it.
type Pauses interface {
	Check(ctx context.Context, caseID, clientID int64) (pause.State, error)
}

// Consent answers and records opt-outs; consent.Store implements it.
type Consent interface {
	IsOptedOut(ctx context.Context, channel, address string) (bool, error)
	Record(ctx context.Context, tx pgx.Tx, e consent.Event) error
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
	case d.Pauses == nil || d.Consent == nil || d.Enqueuer == nil || d.Clock == nil:
		return nil, errors.New("delivery: pauses, consent, enqueuer and clock are required")
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
		return fmt.Errorf("deliver message %d: %w", messageID, err)
	}
	r := s.run(ctx, c, now)
	s.logResult(ctx, c, r)
	if s.d.Metrics != nil {
		s.d.Metrics.MessagesSent.WithLabelValues(c.Channel, r.result).Inc()
	}
	return r.err
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

// write runs a ledger write that must happen even if the task's context was
// cancelled mid-send (the provider id must be committed), retrying briefly.
func (s *Service) write(ctx context.Context, op func(context.Context) (bool, error)) (bool, error) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var err error
	for i := range 3 {
		var ok bool
		if ok, err = op(wctx); err == nil {
			return ok, nil
		}
		select {
		case <-wctx.Done():
			return false, err
		case <-time.After(time.Duration(i+1) * 200 * time.Millisecond):
		}
	}
	return false, err
}
