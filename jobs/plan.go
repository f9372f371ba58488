package jobs

import (
	"context"
	"time"
)

// PlanSweeper is the rules side of the periodic sweeps (rules.Planner).
type PlanSweeper interface {
	SweepReminders(ctx context.Context) (int, error)
	SweepInactivity(ctx context.Context) (int, error)
	SweepApprovals(ctx context.Context) (int, error)
}

// PauseSweeper lifts pauses whose expiry passed (pause.Service).
type PauseSweeper interface {
	SweepExpired(ctx context.Context) (int, error)
}

// PlanSweeps returns the planning sweeps: due reminders become messages,
// long-quiet cases get a check-in, unapproved messages lapse, and expired
// pauses are lifted. Inactivity is checked at most once a minute; the rest
// run every interval.
func PlanSweeps(p PlanSweeper, pauses PauseSweeper, every time.Duration) []Sweep {
	return []Sweep{
		{Name: "reminders", Every: every, Run: p.SweepReminders},
		{Name: "approvals", Every: every, Run: p.SweepApprovals},
		{Name: "inactivity", Every: max(every, time.Minute), Run: p.SweepInactivity},
		{Name: "pause-expiry", Every: every, Run: pauses.SweepExpired},
	}
}
