package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reminder statuses.
const (
	ReminderScheduled = "scheduled"
	ReminderFired     = "fired"
	ReminderCancelled = "cancelled"
	ReminderExpired   = "expired"
)

// reminders applies reminder plans: schedule new reminders, move scheduled
// ones when their date moved, cancel them when it was removed, and record
// reminders whose send time has already passed as expired.
func (w *writer) reminders(ctx context.Context, tx pgx.Tx, plans []ReminderPlan) error {
	for _, rp := range plans {
		var id int64
		var target, due time.Time
		err := tx.QueryRow(ctx, `SELECT id, target_at, due_at FROM reminders
			WHERE case_id = $1 AND rule_id = $2 AND date_field = $3 AND status = 'scheduled' FOR UPDATE`,
			w.caseID, rp.Rule.ID, rp.Rule.DateField).Scan(&id, &target, &due)
		exists := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read reminder: %w", err)
		}
		err = nil
		switch {
		case rp.Cancel && exists:
			_, err = tx.Exec(ctx, `UPDATE reminders SET status = 'cancelled', reason = 'date removed', updated_at = $2 WHERE id = $1`, id, w.now)
		case rp.Cancel:
		case exists && target.Equal(rp.Target) && due.Equal(rp.DueAt):
		case exists && rp.Expired:
			_, err = tx.Exec(ctx, `UPDATE reminders SET status = 'expired', target_at = $2, due_at = $3,
				reason = 'date moved too close for this reminder', updated_at = $4 WHERE id = $1`, id, rp.Target, rp.DueAt, w.now)
		case exists:
			_, err = tx.Exec(ctx, `UPDATE reminders SET target_at = $2, due_at = $3, reason = 'rescheduled: date moved', updated_at = $4
				WHERE id = $1`, id, rp.Target, rp.DueAt, w.now)
		default:
			status, reason := ReminderScheduled, ""
			if rp.Expired {
				status, reason = ReminderExpired, "the date is too close for this reminder"
			}
			_, err = tx.Exec(ctx, `INSERT INTO reminders (case_id, rule_id, date_field, target_at, due_at, status, reason, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, w.caseID, rp.Rule.ID, rp.Rule.DateField, rp.Target, rp.DueAt, status, reason, w.now)
		}
		if err != nil {
			return fmt.Errorf("reminder for rule %s: %w", rp.Rule.Key, err)
		}
	}
	return nil
}

// SweepReminders turns due reminders into messages, re-checking at that
// moment that the date still stands, has not passed, and that the case is
// not paused and the client not opted out. It returns how many reminders it
// settled (fired, cancelled, expired or moved).
func (p *Planner) SweepReminders(ctx context.Context) (int, error) {
	rows, err := p.db.Pool.Query(ctx, `SELECT id FROM reminders WHERE status = 'scheduled' AND due_at <= $1 ORDER BY due_at LIMIT 200`, p.clock.Now())
	if err != nil {
		return 0, fmt.Errorf("due reminders: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("due reminders: %w", err)
	}
	var errs []error
	n := 0
	for _, id := range ids {
		acted, err := p.fireReminder(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("reminder %d: %w", id, err))
		}
		if acted {
			n++
		}
	}
	return n, errors.Join(errs...)
}

func (p *Planner) fireReminder(ctx context.Context, id int64) (bool, error) {
	now := p.clock.Now()
	var caseID, ruleID int64
	if err := p.db.Pool.QueryRow(ctx, `SELECT case_id, rule_id FROM reminders WHERE id = $1`, id).Scan(&caseID, &ruleID); err != nil {
		return false, fmt.Errorf("read reminder: %w", err)
	}
	rules, err := Load(ctx, p.db.Pool)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(rules, func(r Rule) bool { return r.ID == ruleID })
	c, err := p.cases.Get(ctx, caseID)
	if err != nil {
		return false, err
	}
	prep, err := p.Prepare(ctx)
	if err != nil {
		return false, err
	}
	in, staff, err := p.input(ctx, p.db.Pool, &pgx.Batch{}, prep.snap, caseID, c.ClientID, c.Snapshot, now)
	if err != nil {
		return false, err
	}
	w := p.newWriter(prep, caseID, c.ClientID, 0, now)
	acted := false
	err = p.inTx(ctx, caseID, func(tx pgx.Tx) error {
		var status string
		var target time.Time
		if err := tx.QueryRow(ctx, `SELECT status, target_at FROM reminders WHERE id = $1 FOR UPDATE`, id).Scan(&status, &target); err != nil {
			return err
		}
		if status != ReminderScheduled {
			return nil // settled by another worker
		}
		acted = true
		settle := func(status, reason string, msgID *int64) error {
			_, err := tx.Exec(ctx, `UPDATE reminders SET status = $2, reason = $3, message_id = $4, updated_at = $5 WHERE id = $1`,
				id, status, reason, msgID, now)
			return err
		}
		if i < 0 {
			return settle(ReminderCancelled, "rule disabled or removed", nil)
		}
		r := rules[i]
		d := CaseDate(c.Snapshot, r.DateField)
		if d == nil {
			return settle(ReminderCancelled, "date removed", nil)
		}
		if DatePassed(*d, in.Location, now) {
			return settle(ReminderExpired, "the date has passed", nil)
		}
		newTarget, due := ReminderTimes(*d, r, in.Location)
		if !newTarget.Equal(target) && due.After(now) {
			_, err := tx.Exec(ctx, `UPDATE reminders SET target_at = $2, due_at = $3, reason = 'rescheduled: date moved', updated_at = $4 WHERE id = $1`,
				id, newTarget, due, now)
			return err
		}
		ds := Fire(in, r, fmt.Sprintf("%s reminder for %s", r.DateField, d.String()))
		vars := templateVars(prep.cfg, prep.snap.labels, staff, c.Snapshot, in.Location, emptyChanges, "reminder")
		if err := w.record(ctx, tx, p, keys{prefix: fmt.Sprintf("rem:%d", id)}, "reminder", ds, vars, c.Snapshot); err != nil {
			return err
		}
		if ds[0].Result == ResultSkippedPaused {
			return settle(ReminderCancelled, ds[0].Reason, nil)
		}
		var first *int64
		if len(w.created) > 0 {
			first = &w.created[0].id
		}
		reason := ""
		if first == nil {
			reason = ds[0].Result + ": " + ds[0].Reason
		}
		return settle(ReminderFired, reason, first)
	})
	if err != nil {
		return false, err
	}
	return acted, p.wake(ctx, w.created)
}
