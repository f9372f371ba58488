package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/store"
)

// Source is the CMS source the demo events arrive from.
const Source = "generic"

// Ingest stores and processes events the way the webhook path does.
type Ingest interface {
	Record(ctx context.Context, source string, body []byte) (ingest.Result, error)
	Process(ctx context.Context, inboundEventID int64) (ingest.Outcome, error)
}

// Deliverer sends one ledger message now.
type Deliverer interface {
	Deliver(ctx context.Context, messageID int64) error
}

// Pauser presses the big red button.
type Pauser interface {
	Pause(ctx context.Context, r pause.Request) (pause.Pause, error)
}

// Deps are what the demo seed drives.
type Deps struct {
	DB        *store.DB
	Ingest    Ingest
	Deliverer Deliverer
	Pauser    Pauser
	Now       func() time.Time
}

// Cases is how many demo cases the firm has.
const Cases = 50

// Seed loads the demo firm and returns how many new rows of note it made
// (staff, events). Everything is keyed so a second run adds nothing.
func Seed(ctx context.Context, d Deps) (int, error) {
	staff := make([]auth.StaffSeed, len(StaffList))
	for i, s := range StaffList {
		staff[i] = auth.StaffSeed(s)
	}
	n, err := auth.SeedStaff(ctx, d.DB, staff)
	if err != nil {
		return n, err
	}
	for _, ev := range Events(d.Now(), Cases) {
		res, err := d.Ingest.Record(ctx, Source, ev.Body)
		if err != nil {
			return n, fmt.Errorf("demo event %s: %w", ev.ID, err)
		}
		if res.Duplicate {
			continue
		}
		n++
		if _, err := d.Ingest.Process(ctx, res.EventID); err != nil {
			return n, fmt.Errorf("process demo event %s: %w", ev.ID, err)
		}
	}
	if err := pauseOne(ctx, d); err != nil {
		return n, err
	}
	sent, err := deliverDue(ctx, d)
	return n + sent, err
}

// pauseOne presses the big red button on one demo case, once.
func pauseOne(ctx context.Context, d Deps) error {
	var caseID int64
	err := d.DB.Pool.QueryRow(ctx, `SELECT c.id FROM cases c WHERE c.source = $1 AND c.external_id = 'C-1013'
		AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.case_id = c.id)`, Source).Scan(&caseID)
	if err != nil {
		return nil // already paused by an earlier seed, or the case is absent
	}
	_, err = d.Pauser.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: caseID,
		Reason: "Client asked us to hold all messages while she is in hospital", Actor: "Maria Lopez"})
	return err
}

// deliverDue sends the demo messages that are due now through the real
// delivery path (sandbox in dev), so sent, held, failed and dead messages
// all appear.
func deliverDue(ctx context.Context, d Deps) (int, error) {
	rows, err := d.DB.Pool.Query(ctx, `SELECT id FROM messages
		WHERE status IN ('pending', 'scheduled', 'failed_retrying') AND due_at <= now() ORDER BY id`)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := d.Deliverer.Deliver(ctx, id); err != nil {
			return len(ids), fmt.Errorf("deliver demo message %d: %w", id, err)
		}
	}
	return len(ids), nil
}
