package rules

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/normalize"
)

var emptyChanges = normalize.Changes{}

// SweepInactivity checks in with clients whose case has had no status change
// for a rule's inactivity_days, once per period: the idempotency key holds
// the time of the last status change and the period number, so the message
// repeats every N days and never twice in one period. It returns how many
// check-ins it decided.
func (p *Planner) SweepInactivity(ctx context.Context) (int, error) {
	now := p.clock.Now()
	rules, err := Load(ctx, p.db.Pool)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, r := range rules {
		if r.Trigger != TriggerInactivity {
			continue
		}
		cutoff := now.Add(-time.Duration(r.InactivityDays) * 24 * time.Hour)
		var statuses []string
		if len(r.Conditions.Statuses) > 0 {
			statuses = r.Conditions.Statuses
		}
		// Reads cases' activity columns; package cases owns the table.
		rows, err := p.db.Pool.Query(ctx, `SELECT id, COALESCE(status_changed_at, created_at) FROM cases
			WHERE COALESCE(status_changed_at, created_at) <= $1 AND ($2::text[] IS NULL OR status = ANY($2))
			ORDER BY id LIMIT 1000`, cutoff, statuses)
		if err != nil {
			return n, fmt.Errorf("inactive cases: %w", err)
		}
		type inactive struct {
			id     int64
			anchor time.Time
		}
		cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (inactive, error) {
			var c inactive
			return c, row.Scan(&c.id, &c.anchor)
		})
		if err != nil {
			return n, fmt.Errorf("inactive cases: %w", err)
		}
		for _, c := range cs {
			period := InactivityPeriod(c.anchor, now, r.InactivityDays)
			prefix := fmt.Sprintf("inact:%d:%s:%d:%d", c.id, r.Key, c.anchor.Unix(), period)
			acted, err := p.checkIn(ctx, r, c.id, prefix, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("case %d: %w", c.id, err))
			}
			if acted {
				n++
			}
		}
	}
	return n, errors.Join(errs...)
}

func (p *Planner) checkIn(ctx context.Context, r Rule, caseID int64, prefix string, now time.Time) (bool, error) {
	var done bool
	if err := p.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM rule_decisions WHERE case_id = $1 AND rule_id = $2 AND dedupe_key LIKE $3 || ':%')`,
		caseID, r.ID, prefix).Scan(&done); err != nil {
		return false, fmt.Errorf("check period: %w", err)
	}
	if done {
		return false, nil
	}
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
	ds := Fire(in, r, fmt.Sprintf("no status change for %d days", r.InactivityDays))
	w := p.newWriter(prep, caseID, c.ClientID, 0, now)
	err = p.inTx(ctx, caseID, func(tx pgx.Tx) error {
		vars := templateVars(prep.cfg, prep.snap.labels, staff, c.Snapshot, in.Location, emptyChanges, "inactivity")
		return w.record(ctx, tx, p, keys{prefix: prefix}, "checkin", ds, vars, c.Snapshot)
	})
	if err != nil {
		return false, err
	}
	return true, p.wake(ctx, w.created)
}
