// Package engagement closes the loop after delivery: it applies provider
// webhooks (SendGrid events, Twilio status callbacks) to the message ledger,
// honours every opt-out, reads inbound SMS (keywords, natural-language
// opt-outs, hearing confirmations, check-in scores, replies), escalates court
// reminders nobody saw to a "call the client" task, reconciles SMS stuck in
// sent, and reports engagement per template and per client.
//
// Provider events are deduplicated on the provider's own ids in
// provider_events; message statuses only move forward (ledger.Advance), so
// duplicate and out-of-order events change nothing. Signature checks live
// here too (VerifySendGrid, VerifyTwilio) so the HTTP layer stays thin.
package engagement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/settings"
	"github.com/heraldhq/herald/app/store"
)

// Ledger is what engagement needs from the message ledger; ledger.Store
// implements it.
type Ledger interface {
	Advance(ctx context.Context, id int64, to string, at time.Time, reason, fix string) (bool, error)
	AttachProviderID(ctx context.Context, id int64, provider, providerID string) (bool, error)
	Claim(ctx context.Context, id int64, now time.Time, lease time.Duration) (ledger.Claimed, error)
	Finish(ctx context.Context, id int64, attempt int, o ledger.Outcome) (bool, error)
}

// Consent answers and records opt-outs; consent.Store implements it.
type Consent interface {
	IsOptedOut(ctx context.Context, channel, address string) (bool, error)
	Record(ctx context.Context, tx pgx.Tx, e consent.Event) error
}

// Pauses tells whether automation is paused for a case or client;
// pause.Service implements it.
type Pauses interface {
	Check(ctx context.Context, caseID, clientID int64) (pause.State, error)
}

// SMSLookup fetches an SMS's current status at the provider; twilio.Sender
// implements it.
type SMSLookup interface {
	Lookup(ctx context.Context, sid string) (status, errorCode string, err error)
}

// Enqueuer wakes delivery for a new ledger message; jobs.Client implements it.
type Enqueuer interface {
	EnqueueMessage(ctx context.Context, messageID int64, attempt int, at time.Time) error
}

// Config tunes engagement. Zero values take the documented defaults.
type Config struct {
	FirmName, FirmPhone string
	// HelpText answers HELP/INFO when Herald answers keywords
	// (HeraldRepliesToKeywords); default "<firm>: for help call <phone>.
	// Reply STOP to opt out." with the firm's current name and phone.
	HelpText string
	// HeraldRepliesToKeywords makes Herald answer STOP, START and HELP
	// itself (in the TwiML response) when Twilio did not (no OptOutType).
	// Off by default: Twilio's opt-out handling already replies to the
	// standard keywords, and a second reply to STOP would be a second
	// message after an opt-out. Turn it on only where Twilio's keyword
	// handling is disabled (HERALD_SMS_KEYWORD_REPLIES=herald).
	HeraldRepliesToKeywords bool
	// EscalateBefore is how long before a court date an unopened,
	// unconfirmed email reminder becomes a "call the client" task (24h).
	EscalateBefore time.Duration
	// ReconcileSentAfter is how long an SMS may stay "sent" before it is
	// looked up at the provider (1h), again at most every
	// ReconcileSentAfter; ReconcileMaxAge stops looking (72h).
	ReconcileSentAfter time.Duration
	ReconcileMaxAge    time.Duration
	// AnswerWindow is how recent a court reminder or check-in must be for a
	// "C" or a number to be read as its answer (14 days).
	AnswerWindow time.Duration
	// LowScore is the highest check-in score that creates a staff task (6).
	LowScore int
	// MinSends, MinOpenRate and MinDeliveryRate flag a template as
	// underperforming (TemplateAnalytics): at least MinSends sends (50) and
	// an email open rate under MinOpenRate (0.05) or an SMS delivery rate
	// under MinDeliveryRate (0.90). Rates are fractions in (0, 1].
	MinSends        int
	MinOpenRate     float64
	MinDeliveryRate float64
	// Batch bounds each sweep run (200).
	Batch int
}

func (c *Config) defaults() {
	if c.EscalateBefore == 0 {
		c.EscalateBefore = 24 * time.Hour
	}
	if c.ReconcileSentAfter == 0 {
		c.ReconcileSentAfter = time.Hour
	}
	if c.ReconcileMaxAge == 0 {
		c.ReconcileMaxAge = 72 * time.Hour
	}
	if c.AnswerWindow == 0 {
		c.AnswerWindow = 14 * 24 * time.Hour
	}
	if c.LowScore == 0 {
		c.LowScore = 6
	}
	if c.Batch == 0 {
		c.Batch = 200
	}
	if c.MinSends == 0 {
		c.MinSends = DefaultMinSends
	}
	if c.MinOpenRate == 0 {
		c.MinOpenRate = DefaultMinOpenRate
	}
	if c.MinDeliveryRate == 0 {
		c.MinDeliveryRate = DefaultMinDeliveryRate
	}
}

// validate names the first setting out of range (after defaults).
func (c Config) validate() error {
	switch {
	case c.MinSends < 1:
		return fmt.Errorf("engagement: MinSends %d must be at least 1 (HERALD_UNDERPERFORM_MIN_SENDS)", c.MinSends)
	case c.MinOpenRate <= 0 || c.MinOpenRate > 1:
		return fmt.Errorf("engagement: MinOpenRate %g must be in (0, 1] (HERALD_UNDERPERFORM_OPEN_RATE)", c.MinOpenRate)
	case c.MinDeliveryRate <= 0 || c.MinDeliveryRate > 1:
		return fmt.Errorf("engagement: MinDeliveryRate %g must be in (0, 1] (HERALD_UNDERPERFORM_SMS_DELIVERY_RATE)", c.MinDeliveryRate)
	case c.EscalateBefore < 0:
		return fmt.Errorf("engagement: EscalateBefore %s must not be negative (HERALD_ESCALATE_BEFORE)", c.EscalateBefore)
	}
	return nil
}

// Thresholds returns the configured underperformer thresholds, for screens
// that explain the flag.
func (s *Service) Thresholds() AnalyticsOptions {
	return AnalyticsOptions{MinSends: s.cfg.MinSends, MinOpenRate: s.cfg.MinOpenRate, MinDeliveryRate: s.cfg.MinDeliveryRate}
}

// Deps are the collaborators of the engagement service.
type Deps struct {
	DB      *store.DB
	Ledger  Ledger
	Consent Consent
	Pauses  Pauses
	// Lookup reconciles SMS stuck in sent; nil disables that sweep.
	Lookup   SMSLookup
	Enqueuer Enqueuer
	Clock    clock.Clock
	Log      *slog.Logger
	// Checkin verifies the emailed check-in links; nil (no
	// HERALD_SESSION_SECRET) refuses every link as invalid.
	Checkin *CheckinLinks
	// Settings, when set, gives the firm name and phone an admin saved in
	// the portal (settings.Store) for keyword replies and the check-in
	// page; Config's are used until one is saved.
	Settings FirmSettings
}

// FirmSettings supplies the firm values an admin may change in the portal;
// settings.Store implements it. On error it still returns values to go on
// with.
type FirmSettings interface {
	Current(ctx context.Context) (settings.Values, error)
}

// firm is the firm's name and phone as the client should see them now.
func (s *Service) firm(ctx context.Context) (name, phone string) {
	if s.d.Settings == nil {
		return s.cfg.FirmName, s.cfg.FirmPhone
	}
	v, _ := s.d.Settings.Current(ctx) // on error: the last values read, or the environment's
	return v.FirmName, v.FirmPhone
}

// Service applies provider webhooks and inbound messages and runs the
// engagement sweeps. It is safe for concurrent use.
type Service struct {
	d   Deps
	cfg Config
}

// New checks deps and returns the service.
func New(d Deps, cfg Config) (*Service, error) {
	if d.DB == nil || d.Ledger == nil || d.Consent == nil || d.Pauses == nil || d.Enqueuer == nil || d.Clock == nil {
		return nil, errors.New("engagement: db, ledger, consent, pauses, enqueuer and clock are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Service{d: d, cfg: cfg}, nil
}

// dbErr marks a database failure as unavailable so webhooks answer 503 (the
// provider retries) and jobs retry; domain errors pass through.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, derrors.InvalidArgument) || errors.Is(err, derrors.NotFound) ||
		errors.Is(err, derrors.Unavailable) || errors.Is(err, store.ErrUnavailable) {
		return fmt.Errorf("engagement: %s: %w", op, err)
	}
	return fmt.Errorf("engagement: %s: %w: %w", op, derrors.Unavailable, err)
}

// begin opens a transaction, unavailable when the database is down.
func (s *Service) begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := s.d.DB.Pool.Begin(ctx)
	if err != nil {
		return nil, dbErr("begin", err)
	}
	return tx, nil
}

func ptr[T any](v T) *T { return &v }
