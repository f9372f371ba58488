package ledger

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Due is a message that should have a wake-up in the queue.
type Due struct {
	ID int64
	// NextAttempt is the attempt number the next claim will get; with the
	// message id it names the wake-up task, so a second enqueue of the same
	// wake-up is a harmless duplicate.
	NextAttempt int
	DueAt       time.Time
}

// DuePage returns up to limit messages due at or before dueBy that no worker
// holds: pending, scheduled, failed_retrying, and held for quiet hours.
// Results are ordered by (due_at, id) and start after the cursor (afterDue,
// afterID) so a sweep can page through a large backlog; pass the zero time
// and 0 to start. Each branch uses its partial index (messages_due,
// messages_held_window).
func (s *Store) DuePage(ctx context.Context, dueBy, afterDue time.Time, afterID int64, limit int) ([]Due, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, attempts + 1, due_at FROM (
		(SELECT id, attempts, due_at FROM messages
		 WHERE status IN ('pending', 'scheduled', 'failed_retrying') AND due_at <= $1 AND (due_at, id) > ($2, $3)
		 ORDER BY due_at, id LIMIT $4)
		UNION ALL
		(SELECT id, attempts, due_at FROM messages
		 WHERE status = 'held' AND hold_reason LIKE 'quiet_hours%' AND due_at <= $1 AND (due_at, id) > ($2, $3)
		 ORDER BY due_at, id LIMIT $4)
	) d ORDER BY due_at, id LIMIT $4`, dueBy, afterDue, afterID, limit)
	if err != nil {
		return nil, dbErr("list due messages", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Due, error) {
		var d Due
		err := r.Scan(&d.ID, &d.NextAttempt, &d.DueAt)
		return d, err
	})
	return out, dbErr("list due messages", err)
}

// ExpireLeases moves messages stuck in sending past their lease (a worker
// crashed or lost its connection mid-send) to outcome_unknown, closing their
// open attempt the same way. They are never re-sent automatically: the
// provider may have accepted them. It returns the ids moved.
func (s *Store) ExpireLeases(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := s.db.Pool.Query(ctx, `WITH m AS (
		UPDATE messages SET status = 'outcome_unknown', updated_at = $1, claimed_until = NULL,
			last_error = 'the worker stopped during the send (lease expired)',
			dead_reason = 'The send was interrupted; the provider may or may not have accepted the message.',
			suggested_fix = 'Herald is checking with the provider; if it cannot confirm, check the provider log before retrying.'
		WHERE id IN (SELECT id FROM messages WHERE status = 'sending' AND claimed_until < $1
		             ORDER BY claimed_until LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING id, attempts
	), a AS (
		UPDATE delivery_attempts d SET outcome = 'outcome_unknown', finished_at = $1,
			error_message = 'lease expired while in flight'
		FROM m WHERE d.message_id = m.id AND d.attempt = m.attempts AND d.outcome = 'in_flight'
	)
	SELECT id FROM m`, now, limit)
	if err != nil {
		return nil, dbErr("expire leases", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, dbErr("expire leases", err)
}

// Unreconciled is an outcome_unknown message reconciliation has not settled.
type Unreconciled struct {
	ID        int64
	Channel   string
	Provider  string
	Recipient string
	CaseID    *int64
	// ProviderID is the provider's id for the message when Herald learnt it
	// (from the send, a later attempt row or a status callback), else "".
	ProviderID string
	// EventTypes are the distinct provider event types recorded for the
	// message ("delivered", "open", "bounce"…), empty when none arrived.
	EventTypes []string
	// Since is when the message became outcome_unknown.
	Since time.Time
}

// ListUnreconciled returns up to limit outcome_unknown messages not yet
// settled or handed to a human, oldest first, with the provider ids and
// provider events known for them.
func (s *Store) ListUnreconciled(ctx context.Context, limit int) ([]Unreconciled, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT m.id, m.channel, m.provider, m.recipient, m.case_id,
		COALESCE(m.provider_message_id,
			(SELECT provider_message_id FROM delivery_attempts d WHERE d.message_id = m.id AND d.provider_message_id IS NOT NULL ORDER BY attempt DESC LIMIT 1),
			(SELECT COALESCE(e.payload->>'MessageSid', e.payload->>'SmsSid') FROM provider_events e
			 WHERE e.message_id = m.id AND e.provider = 'twilio' AND COALESCE(e.payload->>'MessageSid', e.payload->>'SmsSid') IS NOT NULL
			 ORDER BY e.id DESC LIMIT 1),
			''),
		COALESCE((SELECT array_agg(DISTINCT e.event_type) FROM provider_events e WHERE e.message_id = m.id), '{}'),
		m.updated_at
		FROM messages m WHERE m.status = 'outcome_unknown' AND m.reconciled_at IS NULL
		ORDER BY m.updated_at LIMIT $1`, limit)
	if err != nil {
		return nil, dbErr("list unreconciled", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Unreconciled, error) {
		var u Unreconciled
		err := r.Scan(&u.ID, &u.Channel, &u.Provider, &u.Recipient, &u.CaseID, &u.ProviderID, &u.EventTypes, &u.Since)
		return u, err
	})
	return out, dbErr("list unreconciled", err)
}
