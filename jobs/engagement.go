package jobs

import (
	"context"
	"time"
)

// EngagementSweeper is the engagement side of the sweeper;
// engagement.Service implements it.
type EngagementSweeper interface {
	ReconcileSent(ctx context.Context) (int, error)
	Escalate(ctx context.Context) (int, error)
}

// WritebackSweeper records sent messages and replies in the CMS;
// writeback.Service implements it.
type WritebackSweeper interface {
	Collect(ctx context.Context) (int, error)
	Push(ctx context.Context) (int, error)
}

// EngagementSweeps returns the engagement sweeps, each run every interval:
// look up SMS stuck in sent at the provider, turn unconfirmed court dates
// into "call the client" tasks, and collect and push CMS write-backs. A nil
// writeback leaves its sweeps out. Every sweep works from PostgreSQL rows,
// so a lost run is caught up by the next.
func EngagementSweeps(e EngagementSweeper, w WritebackSweeper, every time.Duration) []Sweep {
	out := []Sweep{
		{Name: "engagement-reconcile-sent", Every: every, Run: e.ReconcileSent},
		{Name: "engagement-escalate", Every: every, Run: e.Escalate},
	}
	if w != nil {
		out = append(out,
			Sweep{Name: "writeback-collect", Every: every, Run: w.Collect},
			Sweep{Name: "writeback-push", Every: every, Run: w.Push})
	}
	return out
}
