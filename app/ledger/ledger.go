// Package ledger owns the message ledger: the messages table, one row per
// message with its content frozen at creation, and delivery_attempts, one row
// per try. It exposes the state transitions delivery makes (claim, outcome),
// the dead-letter inbox (list, retry, resolve) and the per-client timeline.
//
// Status never moves backwards: a delivered message is never set back to
// sent, and dead or cancelled messages leave only through an explicit, audited
// human retry. The rules engineer's Insert (insert.go) creates rows.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// Message statuses.
const (
	StatusPending          = "pending"
	StatusScheduled        = "scheduled"
	StatusAwaitingApproval = "awaiting_approval"
	StatusHeld             = "held"
	StatusSending          = "sending"
	StatusSent             = "sent"
	StatusDelivered        = "delivered"
	StatusOpened           = "opened"
	StatusClicked          = "clicked"
	StatusReplied          = "replied"
	StatusFailedRetrying   = "failed_retrying"
	StatusOutcomeUnknown   = "outcome_unknown"
	StatusDead             = "dead"
	StatusCancelled        = "cancelled"
)

// Hold reasons are prefixes of messages.hold_reason. A message held for
// HoldQuietHours wakes by itself at due_at (the next window opening); one held
// for HoldPaused waits for a human and is never sent later on its own.
// HoldWindowReleased marks a message an admin sent outside the SMS window
// (ReleaseWindow): the claim keeps it, and delivery skips the window check
// for that message only.
const (
	HoldQuietHours     = "quiet_hours"
	HoldPaused         = "paused"
	HoldWindowReleased = "window_released"
)

// ErrNotFound is returned for an unknown message id; it wraps derrors.NotFound.
var ErrNotFound = fmt.Errorf("message %w", derrors.NotFound)

// Store reads and moves ledger rows. It is safe for concurrent use.
type Store struct {
	db    *store.DB
	clock clock.Clock
	group *group // claims and outcomes, committed in batches (group.go)
}

// New returns the ledger over db; clk stamps human actions (retry, resolve,
// release, cancel). Delivery passes its own times explicitly.
func New(db *store.DB, clk clock.Clock) *Store {
	return &Store{db: db, clock: clk, group: newGroup(db.Pool)}
}

func (s *Store) now() time.Time { return s.clock.Now() }

// Message is one ledger row.
type Message struct {
	ID                int64      `json:"id"`
	IdempotencyKey    string     `json:"idempotency_key"`
	Kind              string     `json:"kind"`
	CaseID            *int64     `json:"case_id"`
	ClientID          *int64     `json:"client_id"`
	RuleID            *int64     `json:"rule_id"`
	InboundEventID    *int64     `json:"inbound_event_id"`
	TemplateVersionID *int64     `json:"template_version_id"`
	Channel           string     `json:"channel"`
	Recipient         string     `json:"recipient"`
	Subject           string     `json:"subject"`
	BodyText          string     `json:"body_text"`
	BodyHTML          string     `json:"body_html"`
	Status            string     `json:"status"`
	DueAt             time.Time  `json:"due_at"`
	HoldReason        string     `json:"hold_reason"`
	Attempts          int        `json:"attempts"`
	Retries           int        `json:"retries"`
	ClaimedUntil      *time.Time `json:"claimed_until"`
	Provider          string     `json:"provider"`
	ProviderMessageID string     `json:"provider_message_id"`
	LastErrorCode     string     `json:"last_error_code"`
	LastError         string     `json:"last_error"`
	DeadReason        string     `json:"dead_reason"`
	SuggestedFix      string     `json:"suggested_fix"`
	ReconciledAt      *time.Time `json:"reconciled_at"`
	ResolvedAt        *time.Time `json:"resolved_at"`
	ResolvedBy        string     `json:"resolved_by"`
	ResolutionNote    string     `json:"resolution_note"`
	SentAt            *time.Time `json:"sent_at"`
	DeliveredAt       *time.Time `json:"delivered_at"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// messageCols lists the columns scanMessage reads, in order.
const messageCols = `m.id, m.idempotency_key, m.kind, m.case_id, m.client_id, m.rule_id, m.inbound_event_id,
	m.template_version_id, m.channel, m.recipient, m.subject, m.body_text, m.body_html, m.status, m.due_at,
	m.hold_reason, m.attempts, m.retries, m.claimed_until, m.provider, COALESCE(m.provider_message_id, ''),
	m.last_error_code, m.last_error, m.dead_reason, m.suggested_fix, m.reconciled_at, m.resolved_at,
	COALESCE(m.resolved_by, ''), COALESCE(m.resolution_note, ''), m.sent_at, m.delivered_at, m.created_at, m.updated_at`

// scanMessage reads messageCols plus any extra destinations.
func scanMessage(row pgx.Row, m *Message, extra ...any) error {
	dest := []any{&m.ID, &m.IdempotencyKey, &m.Kind, &m.CaseID, &m.ClientID, &m.RuleID, &m.InboundEventID,
		&m.TemplateVersionID, &m.Channel, &m.Recipient, &m.Subject, &m.BodyText, &m.BodyHTML, &m.Status, &m.DueAt,
		&m.HoldReason, &m.Attempts, &m.Retries, &m.ClaimedUntil, &m.Provider, &m.ProviderMessageID,
		&m.LastErrorCode, &m.LastError, &m.DeadReason, &m.SuggestedFix, &m.ReconciledAt, &m.ResolvedAt,
		&m.ResolvedBy, &m.ResolutionNote, &m.SentAt, &m.DeliveredAt, &m.CreatedAt, &m.UpdatedAt}
	return row.Scan(append(dest, extra...)...)
}

// Get returns message id.
func (s *Store) Get(ctx context.Context, id int64) (Message, error) {
	var m Message
	err := scanMessage(s.db.Pool.QueryRow(ctx, `SELECT `+messageCols+` FROM messages m WHERE m.id = $1`, id), &m)
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	if err != nil {
		return Message{}, dbErr("get message", err)
	}
	return m, nil
}

// Attempt is one delivery_attempts row.
type Attempt struct {
	ID                int64      `json:"id"`
	MessageID         int64      `json:"message_id"`
	Attempt           int        `json:"attempt"`
	StartedAt         time.Time  `json:"started_at"`
	FinishedAt        *time.Time `json:"finished_at"`
	Outcome           string     `json:"outcome"`
	Provider          string     `json:"provider"`
	ProviderMessageID string     `json:"provider_message_id"`
	HTTPStatus        *int       `json:"http_status"`
	ErrorCode         string     `json:"error_code"`
	ErrorMessage      string     `json:"error_message"`
}

// Attempts returns every attempt of the given messages, oldest first.
func (s *Store) Attempts(ctx context.Context, messageIDs []int64) ([]Attempt, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, message_id, attempt, started_at, finished_at, outcome, provider,
		COALESCE(provider_message_id, ''), http_status, error_code, error_message
		FROM delivery_attempts WHERE message_id = ANY($1) ORDER BY message_id, attempt`, messageIDs)
	if err != nil {
		return nil, dbErr("list attempts", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attempt, error) {
		var a Attempt
		err := r.Scan(&a.ID, &a.MessageID, &a.Attempt, &a.StartedAt, &a.FinishedAt, &a.Outcome, &a.Provider,
			&a.ProviderMessageID, &a.HTTPStatus, &a.ErrorCode, &a.ErrorMessage)
		return a, err
	})
	if err != nil {
		return nil, dbErr("list attempts", err)
	}
	return out, nil
}

// dbErr wraps a database failure; connection problems become
// store.ErrUnavailable so the edges answer 503 or retry.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
}
