package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
)

// Release sends a held message after all: a human decided the hold (a pause,
// quiet hours) no longer applies. The message becomes pending, due now. It is
// audited.
func (s *Store) Release(ctx context.Context, id int64, actor Actor) (Message, error) {
	return s.humanMove(ctx, id, actor, "message.release", "", []string{StatusHeld}, StatusPending)
}

// Cancel stops a message that has not been sent (pending, scheduled, held or
// awaiting approval), with a required reason. It is audited.
func (s *Store) Cancel(ctx context.Context, id int64, actor Actor, reason string) (Message, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Message{}, derrors.Invalid("reason", "is required", "say why the message should not be sent")
	}
	return s.humanMove(ctx, id, actor, "message.cancel", reason, sourcesFor(StatusCancelled), StatusCancelled)
}

func (s *Store) humanMove(ctx context.Context, id int64, actor Actor, action, reason string, from []string, to string) (Message, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return Message{}, dbErr(action, err)
	}
	defer tx.Rollback(ctx)
	var status string
	err = tx.QueryRow(ctx, `SELECT status FROM messages WHERE id = $1 FOR UPDATE`, id).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	if err != nil {
		return Message{}, dbErr(action, err)
	}
	allowed := false
	for _, f := range from {
		allowed = allowed || f == status
	}
	if !allowed {
		return Message{}, fmt.Errorf("%w: message %d is %s; %s needs %s", derrors.Conflict, id, status, action, strings.Join(from, " or "))
	}
	now := s.now()
	var m Message
	err = scanMessage(tx.QueryRow(ctx, `UPDATE messages m SET status = $2, updated_at = $3, hold_reason = '',
		due_at = CASE WHEN $2 = 'pending' THEN $3 ELSE due_at END,
		last_error = CASE WHEN $2 = 'cancelled' THEN $4 ELSE last_error END
		WHERE id = $1 RETURNING `+messageCols, id, to, now, reason), &m)
	if err != nil {
		return Message{}, dbErr(action, err)
	}
	if err := s.audit(ctx, tx, actor, action, id, reason, map[string]any{"from_status": status, "to_status": to}); err != nil {
		return Message{}, dbErr(action, err)
	}
	return m, dbErr(action, tx.Commit(ctx))
}
