package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
)

// Release sends a held message after all: a human decided the hold (a pause,
// quiet hours) no longer applies. The message becomes pending, due now. It is
// audited.
func (s *Store) Release(ctx context.Context, id int64, actor Actor) (Message, error) {
	return s.humanMove(ctx, id, actor, move{action: "message.release", from: []string{StatusHeld}, to: StatusPending})
}

// ReleaseWindow sends an SMS held for the SMS window now instead of when
// the window opens, with a required reason. The message becomes pending, due
// now, with hold_reason "window_released: <reason>", so delivery skips the
// window check for it (pause and opt-out still apply). It is audited as
// message.release_window. Only a message held for HoldQuietHours qualifies.
func (s *Store) ReleaseWindow(ctx context.Context, id int64, actor Actor, reason string) (Message, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Message{}, derrors.Invalid("reason", "is required", "say why this text cannot wait for the SMS window")
	}
	return s.humanMove(ctx, id, actor, move{action: "message.release_window", reason: reason, from: []string{StatusHeld},
		to: StatusPending, holdPrefix: HoldQuietHours, holdReason: HoldWindowReleased + ": " + reason})
}

// Cancel stops a message that has not been sent (pending, scheduled, held or
// awaiting approval), with a required reason. It is audited.
func (s *Store) Cancel(ctx context.Context, id int64, actor Actor, reason string) (Message, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Message{}, derrors.Invalid("reason", "is required", "say why the message should not be sent")
	}
	return s.humanMove(ctx, id, actor, move{action: "message.cancel", reason: reason, from: sourcesFor(StatusCancelled), to: StatusCancelled})
}

// move is a status change a human makes.
type move struct {
	action, reason string
	from           []string
	to             string
	// holdPrefix, when set, is what the message's hold_reason must start
	// with; holdReason is its hold_reason afterwards.
	holdPrefix, holdReason string
}

func (s *Store) humanMove(ctx context.Context, id int64, actor Actor, mv move) (Message, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return Message{}, dbErr(mv.action, err)
	}
	defer tx.Rollback(ctx)
	var status, hold string
	err = tx.QueryRow(ctx, `SELECT status, hold_reason FROM messages WHERE id = $1 FOR UPDATE`, id).Scan(&status, &hold)
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	if err != nil {
		return Message{}, dbErr(mv.action, err)
	}
	if !slices.Contains(mv.from, status) {
		return Message{}, fmt.Errorf("%w: message %d is %s; %s needs %s", derrors.Conflict, id, status, mv.action, strings.Join(mv.from, " or "))
	}
	if !strings.HasPrefix(hold, mv.holdPrefix) {
		return Message{}, fmt.Errorf("%w: message %d is held for %q; %s needs a %s hold", derrors.Conflict, id, hold, mv.action, mv.holdPrefix)
	}
	now := s.now()
	var m Message
	err = scanMessage(tx.QueryRow(ctx, `UPDATE messages m SET status = $2, updated_at = $3, hold_reason = $5,
		due_at = CASE WHEN $2 = 'pending' THEN $3 ELSE due_at END,
		last_error = CASE WHEN $2 = 'cancelled' THEN $4 ELSE last_error END
		WHERE id = $1 RETURNING `+messageCols, id, mv.to, now, mv.reason, mv.holdReason), &m)
	if err != nil {
		return Message{}, dbErr(mv.action, err)
	}
	details := map[string]any{"from_status": status, "to_status": mv.to}
	if hold != "" {
		details["hold_reason"] = hold
	}
	if err := s.audit(ctx, tx, actor, mv.action, id, mv.reason, details); err != nil {
		return Message{}, dbErr(mv.action, err)
	}
	return m, dbErr(mv.action, tx.Commit(ctx))
}
