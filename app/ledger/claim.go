package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/app/derrors"
)

// ErrNotClaimable means the message is not due, already being sent, or in a
// status delivery does not send from. A duplicate task run ends here: the
// claim is the guard against sending twice.
var ErrNotClaimable = errors.New("message not claimable")

// Claimed is a message claimed for sending, with what the send-time checks
// need beside the row.
type Claimed struct {
	Message
	// Attempt is the number of this attempt (messages.attempts after the claim).
	Attempt int
	// ClientTimezone is the client's own IANA zone, "" when unknown.
	ClientTimezone string
	// ReminderAt is the time of the event a reminder is about, nil when the
	// message is not a reminder; ReminderStatus is the reminder row's status.
	ReminderAt     *time.Time
	ReminderStatus string
}

// claimSQL moves a due message to sending with a lease and opens its attempt
// row, in one statement: the hot path of delivery.
const claimSQL = `WITH c AS (
	UPDATE messages SET status = 'sending', claimed_until = $3, attempts = attempts + 1, updated_at = $2,
		hold_reason = CASE WHEN hold_reason LIKE 'window_released%' THEN hold_reason ELSE '' END
	WHERE id = $1 AND due_at <= $2
	  AND (status IN ('pending', 'scheduled', 'failed_retrying') OR (status = 'held' AND hold_reason LIKE 'quiet_hours%'))
	RETURNING *
), a AS (
	INSERT INTO delivery_attempts (message_id, attempt, started_at) SELECT id, attempts, $2 FROM c
)
SELECT ` + messageCols + `, COALESCE(cl.timezone, ''), r.target_at, COALESCE(r.status, '')
FROM c m
LEFT JOIN clients cl ON cl.id = m.client_id
LEFT JOIN LATERAL (SELECT target_at, status FROM reminders WHERE message_id = m.id ORDER BY id DESC LIMIT 1) r ON true`

// Claim moves message id to sending until now+lease and records a new
// attempt. It returns ErrNotClaimable when the message is not due or not in
// a sendable status (pending, scheduled, failed_retrying, or held for quiet
// hours), which includes a second run of the same task.
func (s *Store) Claim(ctx context.Context, id int64, now time.Time, lease time.Duration) (Claimed, error) {
	var c Claimed
	var none bool
	err := s.group.do(ctx, &groupOp{id: id, sql: claimSQL, args: []any{id, now, now.Add(lease)}, scan: func(row pgx.Row) error {
		c = Claimed{}
		err := scanMessage(row, &c.Message, &c.ClientTimezone, &c.ReminderAt, &c.ReminderStatus)
		if none = errors.Is(err, pgx.ErrNoRows); none {
			return nil
		}
		return err
	}})
	if err != nil {
		return Claimed{}, dbErr("claim message", err)
	}
	if none {
		return Claimed{}, fmt.Errorf("claim message %d: %w", id, ErrNotClaimable)
	}
	c.Attempt = c.Attempts
	return c, nil
}

// Outcome is how one claimed attempt ended. Status is the message's new
// status: sent or delivered (accepted by the provider), failed_retrying (with
// DueAt), dead (with Reason and Fix), outcome_unknown, held (with HoldReason
// and DueAt) or cancelled.
type Outcome struct {
	Status     string
	At         time.Time
	Provider   string
	ProviderID string
	HTTPStatus int
	// Code and Error describe the provider's error, if any.
	Code, Error string
	// Reason and Fix are the human-readable explanation shown in the
	// dead-letter inbox (dead and outcome_unknown).
	Reason, Fix string
	// DueAt is when to try again (failed_retrying) or wake (held).
	DueAt      *time.Time
	HoldReason string
	// AttemptOutcome overrides the delivery_attempts outcome derived from
	// Status (for example transient_error for a message dead after its last
	// retry).
	AttemptOutcome string
}

// attemptOutcome maps a message status to the attempt's outcome.
func (o Outcome) attemptOutcome() string {
	if o.AttemptOutcome != "" {
		return o.AttemptOutcome
	}
	switch o.Status {
	case StatusSent, StatusDelivered:
		return "sent"
	case StatusFailedRetrying:
		return "transient_error"
	case StatusDead:
		return "permanent_error"
	case StatusOutcomeUnknown:
		return "outcome_unknown"
	case StatusHeld:
		return "held"
	case StatusCancelled:
		return "cancelled"
	}
	return ""
}

// finishSQL records an attempt's outcome on the message and its attempt row
// in one statement. The guard on attempts means a worker whose lease expired
// cannot overwrite a later attempt; the guard on status keeps it forward-only.
const finishSQL = `WITH m AS (
	UPDATE messages SET status = $2, updated_at = $3, claimed_until = NULL,
		provider = CASE WHEN $4 <> '' THEN $4 ELSE provider END,
		provider_message_id = COALESCE(NULLIF($5, ''), provider_message_id),
		sent_at = CASE WHEN $2 IN ('sent', 'delivered') THEN COALESCE(sent_at, $3) ELSE sent_at END,
		delivered_at = CASE WHEN $2 = 'delivered' THEN COALESCE(delivered_at, $3) ELSE delivered_at END,
		last_error_code = CASE WHEN $6 <> '' THEN $6 ELSE last_error_code END,
		last_error = CASE WHEN $7 <> '' THEN $7 ELSE last_error END,
		dead_reason = CASE WHEN $2 IN ('dead', 'outcome_unknown') THEN $8 ELSE dead_reason END,
		suggested_fix = CASE WHEN $2 IN ('dead', 'outcome_unknown') THEN $9 ELSE suggested_fix END,
		due_at = COALESCE($10, due_at),
		hold_reason = CASE WHEN $2 = 'held' THEN $11 ELSE hold_reason END,
		retries = retries + CASE WHEN $2 = 'failed_retrying' THEN 1 ELSE 0 END,
		reconciled_at = CASE WHEN status = 'outcome_unknown' THEN $3 ELSE reconciled_at END
	WHERE id = $1 AND attempts = $12 AND status = ANY($13)
	RETURNING id
)
UPDATE delivery_attempts a SET outcome = $14, finished_at = $3,
	provider = CASE WHEN $4 <> '' THEN $4 ELSE a.provider END,
	provider_message_id = COALESCE(NULLIF($5, ''), a.provider_message_id),
	http_status = COALESCE(NULLIF($15, 0), a.http_status),
	error_code = CASE WHEN $6 <> '' THEN $6 ELSE a.error_code END,
	error_message = CASE WHEN $7 <> '' THEN $7 ELSE a.error_message END
FROM m WHERE a.message_id = m.id AND a.attempt = $12`

// Finish records how attempt ended. It moves the message only from sending
// (or, for sent and delivered, also from outcome_unknown: a slow send that
// outlived its lease and was then confirmed) and reports whether it did; a
// false result means another worker or a human already moved the message.
func (s *Store) Finish(ctx context.Context, id int64, attempt int, o Outcome) (bool, error) {
	from := []string{StatusSending}
	switch o.Status {
	case StatusSent, StatusDelivered:
		from = append(from, StatusOutcomeUnknown)
	case StatusFailedRetrying, StatusHeld:
		if o.DueAt == nil {
			return false, derrors.Invalid("due_at", "is required for "+o.Status, "pass when to try again")
		}
	case StatusDead, StatusOutcomeUnknown, StatusCancelled:
	default:
		return false, derrors.Invalid("status", fmt.Sprintf("%q is not an attempt outcome", o.Status), "")
	}
	var moved bool
	err := s.group.do(ctx, &groupOp{id: id, sql: finishSQL, args: []any{id, o.Status, o.At, o.Provider, o.ProviderID, o.Code, o.Error,
		o.Reason, o.Fix, o.DueAt, o.HoldReason, attempt, from, o.attemptOutcome(), o.HTTPStatus},
		exec: func(tag pgconn.CommandTag) error {
			moved = tag.RowsAffected() == 1
			return nil
		}})
	if err != nil {
		return false, dbErr("finish attempt", err)
	}
	return moved, nil
}

// Settle records the result of reconciling an outcome_unknown message: sent
// or delivered when the provider has it, dead when the provider has no record
// or reports a failure. It moves the message only from outcome_unknown.
func (s *Store) Settle(ctx context.Context, id int64, o Outcome) (bool, error) {
	switch o.Status {
	case StatusSent, StatusDelivered, StatusDead:
	default:
		return false, derrors.Invalid("status", fmt.Sprintf("%q does not settle an unknown outcome", o.Status), "use sent, delivered or dead")
	}
	var attempts int
	err := s.db.Pool.QueryRow(ctx, `SELECT attempts FROM messages WHERE id = $1`, id).Scan(&attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	if err != nil {
		return false, dbErr("settle message", err)
	}
	if o.AttemptOutcome == "" && o.Status == StatusDead {
		o.AttemptOutcome = "outcome_unknown"
	}
	tag, err := s.db.Pool.Exec(ctx, finishSQL, id, o.Status, o.At, o.Provider, o.ProviderID, o.Code, o.Error,
		o.Reason, o.Fix, o.DueAt, o.HoldReason, attempts, []string{StatusOutcomeUnknown}, o.attemptOutcome(), o.HTTPStatus)
	if err != nil {
		return false, dbErr("settle message", err)
	}
	return tag.RowsAffected() == 1, nil
}

// HandToHuman marks an outcome_unknown message as one reconciliation could not
// settle: it stays outcome_unknown in the dead-letter inbox with reason and
// fix, and the reconciliation sweep stops looking at it.
func (s *Store) HandToHuman(ctx context.Context, id int64, at time.Time, reason, fix string) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE messages SET reconciled_at = $2, updated_at = $2, dead_reason = $3, suggested_fix = $4
		WHERE id = $1 AND status = 'outcome_unknown' AND reconciled_at IS NULL`, id, at, reason, fix)
	if err != nil {
		return false, dbErr("hand message to a human", err)
	}
	return tag.RowsAffected() == 1, nil
}
