// Package writeback records in the CMS what Herald said to clients and what
// they answered, so the client file is complete: every sent message and every
// client reply becomes a note on the Clio matter (Clio API v4) or, for any
// other source, a signed POST to the firm's own endpoint
// (HERALD_WRITEBACK_URL, signed with HERALD_WRITEBACK_SECRET).
//
// It works from an outbox (writeback_outbox): Collect adds one row per sent
// message and per inbound message (unique idempotency key), Push sends due
// rows with retries on a schedule, and a row that cannot be written ends
// "failed" with its last error and a staff task, never silently dropped.
package writeback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// Targets.
const (
	TargetClio    = "clio"
	TargetWebhook = "webhook"
)

// Outbox statuses.
const (
	StatusPending = "pending"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// ErrPermanent marks a write the target refused for good (a 4xx that a retry
// cannot fix, a matter id Clio cannot know); the row fails at once.
var ErrPermanent = errors.New("permanent write-back failure")

// Config selects and tunes the targets.
type Config struct {
	// WebhookURL and WebhookSecret enable the signed outbound webhook for
	// cases from sources other than Clio (and for Clio ones when Clio is not
	// configured).
	WebhookURL, WebhookSecret string
	// Schedule is the wait before each retry (1m, 5m, 30m, 2h, 6h); after
	// the last the row fails.
	Schedule []time.Duration
	// Lease bounds one push (2m); Batch bounds one sweep (100); Lookback is
	// how far back Collect looks for sent messages and replies (48h).
	Lease    time.Duration
	Batch    int
	Lookback time.Duration
}

func (c *Config) defaults() {
	if len(c.Schedule) == 0 {
		c.Schedule = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour}
	}
	if c.Lease == 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Batch == 0 {
		c.Batch = 100
	}
	if c.Lookback == 0 {
		c.Lookback = 48 * time.Hour
	}
}

// Notes writes notes on Clio matters; clio.Client implements it.
type Notes interface {
	// FindNote returns the id of a note on the matter whose text contains
	// marker, found=false when there is none.
	FindNote(ctx context.Context, matterID, marker string) (id string, found bool, err error)
	// CreateNote adds a note to the matter and returns its id.
	CreateNote(ctx context.Context, matterID, subject, detail string, date time.Time) (id string, err error)
}

// Deps are the collaborators of the service.
type Deps struct {
	DB    *store.DB
	Clock clock.Clock
	Log   *slog.Logger
	// HTTP posts webhooks; a client with a 15s timeout when nil.
	HTTP *http.Client
	// Clio writes notes for cases from a Clio source; nil sends those to
	// the webhook too (when configured).
	Clio Notes
}

// enabled reports whether any target is configured.
func (s *Service) enabled() bool { return s.cfg.WebhookURL != "" || s.d.Clio != nil }

// Service collects and pushes write-backs. It is safe for concurrent use.
type Service struct {
	d   Deps
	cfg Config
}

// New returns the service.
func New(d Deps, cfg Config) (*Service, error) {
	if d.DB == nil || d.Clock == nil {
		return nil, errors.New("writeback: db and clock are required")
	}
	if cfg.WebhookURL != "" && cfg.WebhookSecret == "" {
		return nil, errors.New("writeback: HERALD_WRITEBACK_SECRET is required with HERALD_WRITEBACK_URL")
	}
	cfg.defaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: 15 * time.Second}
	}
	return &Service{d: d, cfg: cfg}, nil
}

// dbErr marks a database failure unavailable so the sweep retries.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("writeback: %s: %w: %w", op, derrors.Unavailable, err)
}
