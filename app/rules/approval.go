package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// Approve releases a message awaiting an attorney's approval: it becomes
// pending (or scheduled, while its settle delay runs) and delivery is woken.
// An approval that lapsed, or a message not awaiting approval, is a
// derrors.Conflict. It is audited.
func (p *Planner) Approve(ctx context.Context, messageID int64, attorney string) error {
	now := p.clock.Now()
	var due time.Time
	var status string
	err := p.approval(ctx, messageID, attorney, "message.approve", "", func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `UPDATE messages SET status = CASE WHEN due_at > $2 THEN 'scheduled' ELSE 'pending' END,
			approved_by = $3, hold_reason = '', updated_at = $2 WHERE id = $1 RETURNING status, due_at`,
			messageID, now, attorney).Scan(&status, &due)
	})
	if err != nil {
		return err
	}
	return p.wake(ctx, []createdMessage{{id: messageID, status: status, due: due}})
}

// Discard cancels a message awaiting approval with the attorney's note. It
// is audited.
func (p *Planner) Discard(ctx context.Context, messageID int64, attorney, note string) error {
	note = strings.TrimSpace(note)
	if note == "" {
		return derrors.Invalid("note", "is required", "say why the message should not be sent")
	}
	return p.approval(ctx, messageID, attorney, "message.discard", note, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE messages SET status = 'cancelled', hold_reason = '', last_error = $3,
			resolved_at = $2, resolved_by = $4, resolution_note = $5, updated_at = $2 WHERE id = $1`,
			messageID, p.clock.Now(), "discarded by "+attorney+": "+note, attorney, note)
		return err
	})
}

func (p *Planner) approval(ctx context.Context, id int64, actor, action, reason string, move func(pgx.Tx) error) error {
	if strings.TrimSpace(actor) == "" {
		return derrors.Invalid("attorney", "is empty", "say who decides")
	}
	now := p.clock.Now()
	tx, err := p.db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	var status string
	var expires *time.Time
	err = tx.QueryRow(ctx, `SELECT status, approval_expires_at FROM messages WHERE id = $1 FOR UPDATE`, id).Scan(&status, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: message %d", derrors.NotFound, id)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if status != StatusAwaitingApproval {
		return fmt.Errorf("%w: message %d is %s, not awaiting approval", derrors.Conflict, id, status)
	}
	if expires != nil && !expires.After(now) {
		return fmt.Errorf("%w: the approval window of message %d lapsed at %s", derrors.Conflict, id, expires.UTC().Format(time.RFC3339))
	}
	if err := move(tx); err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if err := auditMessage(ctx, tx, now, actor, action, id, reason); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// SweepApprovals cancels messages whose approval window lapsed (audited as
// expired); an unapproved message is never sent. It returns how many.
func (p *Planner) SweepApprovals(ctx context.Context) (int, error) {
	now := p.clock.Now()
	tx, err := p.db.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `UPDATE messages SET status = 'cancelled', hold_reason = '',
			last_error = 'not approved before the approval window lapsed', updated_at = $1
		WHERE status = 'awaiting_approval' AND approval_expires_at <= $1 RETURNING id`, now)
	if err != nil {
		return 0, fmt.Errorf("expire approvals: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("expire approvals: %w", err)
	}
	for _, id := range ids {
		if err := auditMessage(ctx, tx, now, "system", "message.approval_expired", id, "approval window lapsed"); err != nil {
			return 0, err
		}
	}
	return len(ids), tx.Commit(ctx)
}

func auditMessage(ctx context.Context, tx pgx.Tx, now time.Time, actor, action string, id int64, reason string) error {
	b, _ := json.Marshal(map[string]any{"message_id": id})
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, reason, details, created_at)
		VALUES ($1, $2, 'message', $3, $4, $5, $6)`, actor, action, fmt.Sprint(id), reason, b, now)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
