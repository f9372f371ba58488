package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/statuses"
)

// planner records the changes it is asked to plan and fails while failures
// remain; Wake answers wakeErr.
type planner struct {
	mu       sync.Mutex
	changes  []cases.Change
	failures int
	wakeErr  error
}

func (p *planner) Prepare(context.Context) (rules.Prepared, error) { return rules.Prepared{}, nil }

func (p *planner) PlanIn(_ context.Context, _ pgx.Tx, _ rules.Prepared, ch cases.Change) (rules.Planned, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changes = append(p.changes, ch)
	if p.failures > 0 {
		p.failures--
		return rules.Planned{}, errors.New("rules engine unavailable")
	}
	return rules.Planned{}, nil
}

func (p *planner) Wake(context.Context, rules.Planned) error { return p.wakeErr }

// TestProcessWakeFailureKeepsTheEventProcessed: once the event's transaction
// committed, a failed delivery wake-up does not undo or retry it (the
// delivery sweeper finds its messages); Process reports it in WakeErr.
func TestProcessWakeFailureKeepsTheEventProcessed(t *testing.T) {
	p := &planner{wakeErr: errors.New("redis down")}
	e := newEnv(t, ingest.Options{Planner: p})
	id := e.accept(t, event("evt_1", "", "C-1", map[string]any{"status": "Retained"}))
	out, err := e.process(t, id)
	if err != nil || out.Result != ingest.ResultProcessed || out.WakeErr == nil || out.CaseID == 0 {
		t.Fatalf("Process with delivery not woken = %+v, %v; want processed with WakeErr", out, err)
	}
	if r := e.row(t, id); r.Status != ingest.ResultProcessed || r.Attempts != 1 {
		t.Fatalf("row = %+v, want processed after one attempt", r)
	}
}

func (e *env) accept(t *testing.T, body []byte) int64 {
	t.Helper()
	res, err := e.svc.Accept(context.Background(), "generic", e.signed(body), body)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	return res.EventID
}

func (e *env) process(t *testing.T, id int64) (ingest.Outcome, error) {
	t.Helper()
	return e.svc.Process(context.Background(), id)
}

func TestProcessAppliesOnceAndOrdersUpdates(t *testing.T) {
	p := &planner{}
	e := newEnv(t, ingest.Options{Planner: p})
	ctx := context.Background()
	newer := e.accept(t, event("evt_b", "2026-03-01T15:00:00Z", "C-1", map[string]any{"status": "Settled"}))
	older := e.accept(t, event("evt_a", "2026-03-01T14:00:00Z", "C-1", map[string]any{"status": "Mediation Set"}))

	out, err := e.process(t, newer)
	if err != nil || out.Result != ingest.ResultProcessed || out.CaseID == 0 || out.EventType != "case.updated" {
		t.Fatalf("Process(newer) = %+v, %v; want processed with a case", out, err)
	}
	if r := e.row(t, newer); r.Status != "processed" || r.CaseID == nil || *r.CaseID != out.CaseID || r.Attempts != 1 {
		t.Errorf("newer row = %+v, want processed for case %d after 1 attempt", r, out.CaseID)
	}
	again, err := e.process(t, newer)
	if err != nil || again.Result != ingest.ResultSkipped {
		t.Errorf("Process(newer) again = %+v, %v; want skipped", again, err)
	}

	out, err = e.process(t, older)
	if err != nil || out.Result != ingest.ResultStale {
		t.Fatalf("Process(older) = %+v, %v; want stale", out, err)
	}
	if r := e.row(t, older); r.Status != "stale" {
		t.Errorf("older row status = %s, want stale", r.Status)
	}
	c, err := e.cases.Get(ctx, out.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status == nil || *c.Status != "settled" {
		t.Errorf("case status after the older update = %v, want settled (not rolled back)", c.Status)
	}
	if n := e.count(t, `SELECT count(*) FROM case_versions WHERE NOT applied`); n != 1 {
		t.Errorf("unapplied versions = %d, want the stale one recorded", n)
	}
	if len(p.changes) != 2 || p.changes[0].Stale || !p.changes[1].Stale {
		t.Errorf("planner saw %d changes, want the new one then the stale one flagged Stale", len(p.changes))
	}
	if _, err := e.svc.Process(ctx, 424242); !errors.Is(err, derrors.NotFound) {
		t.Errorf("Process(missing id) = %v, want NotFound", err)
	}
}

func TestProcessDataErrorsFailForGood(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	tests := []struct {
		name    string
		body    []byte
		wantErr string
	}{
		{"no case_id", []byte(`{"id":"evt_1","data":{"client_id":"CL-1"}}`), "case_id is missing"},
		{"new case without client", []byte(`{"id":"evt_2","data":{"case_id":"C-7"}}`), "client_id is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.accept(t, tt.body)
			out, err := e.process(t, id)
			if !errors.Is(err, ingest.ErrPermanent) || out.Result != ingest.ResultFailed {
				t.Fatalf("Process = %+v, %v; want a permanent failure", out, err)
			}
			r := e.row(t, id)
			if r.Status != "failed" || !strings.Contains(r.Error, tt.wantErr) || r.RetryAt != nil {
				t.Errorf("row = %+v, want failed with %q and no retry", r, tt.wantErr)
			}
			e.clock.Advance(2 * time.Hour)
			before := len(e.enq.got())
			if _, err := e.svc.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			if after := e.enq.got(); len(after) != before {
				t.Errorf("Sweep re-enqueued a data error: %v", after[before:])
			}
		})
	}
}

func TestProcessPlannerFailureLeavesNothingAndIsRetried(t *testing.T) {
	p := &planner{failures: 1}
	e := newEnv(t, ingest.Options{Planner: p})
	ctx := context.Background()
	id := e.accept(t, event("evt_1", "", "C-1", map[string]any{"status": "Retained"}))
	out, err := e.process(t, id)
	if !errors.Is(err, ingest.ErrWillRetry) || out.CaseID != 0 {
		t.Fatalf("Process with the planner down = %+v, %v; want ErrWillRetry and no case", out, err)
	}
	r := e.row(t, id)
	if r.Status != "failed" || r.RetryAt == nil || !r.RetryAt.Equal(t0.Add(30*time.Second)) || !strings.Contains(r.Error, "rules engine unavailable") {
		t.Fatalf("row = %+v, want failed, retry at +30s, with the planner's error", r)
	}
	// The case was applied in the transaction the planner failed in: none
	// of it may be left behind.
	for _, table := range []string{"clients", "cases", "case_versions", "data_findings"} {
		if n := e.count(t, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s = %d after the failed plan, want 0 (nothing half-applied)", table, n)
		}
	}
	e.enq.ids = nil
	if n, _ := e.svc.Sweep(ctx); n != 0 {
		t.Errorf("Sweep before retry_at enqueued %d, want 0", n)
	}
	e.clock.Advance(31 * time.Second)
	if n, err := e.svc.Sweep(ctx); n != 1 || err != nil || e.enq.got()[0] != id {
		t.Fatalf("Sweep after retry_at = %d, %v (enqueued %v), want event %d", n, err, e.enq.got(), id)
	}
	out, err = e.process(t, id)
	if err != nil || out.Result != ingest.ResultProcessed || out.Attempt != 2 {
		t.Fatalf("retry = %+v, %v; want processed on attempt 2", out, err)
	}
	if n := e.count(t, `SELECT count(*) FROM case_versions`); n != 1 {
		t.Errorf("case_versions = %d after the retry, want 1", n)
	}
	if len(p.changes) != 2 || p.changes[1].Replayed || !p.changes[1].Created || p.changes[1].CaseID != out.CaseID {
		t.Errorf("planner calls = %+v, want the case created afresh and planned again", p.changes)
	}
}

func TestProcessGivesUpAfterMaxAttempts(t *testing.T) {
	p := &planner{failures: 100}
	e := newEnv(t, ingest.Options{Planner: p, MaxAttempts: 3})
	id := e.accept(t, event("evt_1", "", "C-1", nil))
	var err error
	for range 3 {
		_, err = e.process(t, id)
		e.clock.Advance(2 * time.Hour)
	}
	if !errors.Is(err, ingest.ErrPermanent) {
		t.Fatalf("third failure = %v, want ErrPermanent", err)
	}
	if r := e.row(t, id); r.RetryAt != nil || !strings.Contains(r.Error, "gave up after 3 attempts") {
		t.Errorf("row = %+v, want no retry and the attempts named", r)
	}
}

func TestSweepRecoversLostWakeupsAndExpiredClaims(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	ctx := context.Background()
	e.enq.fail = errors.New("dial tcp 127.0.0.1:6379: connection refused")
	lost := e.accept(t, event("evt_lost", "", "C-1", nil))
	e.enq.fail = nil
	crashed := e.accept(t, event("evt_crashed", "", "C-2", nil))
	// A worker claimed crashed and died.
	if _, err := e.db.Pool.Exec(ctx, `UPDATE inbound_events SET status = 'processing', attempts = 1, claimed_until = $2 WHERE id = $1`,
		crashed, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if out, err := e.process(t, crashed); err != nil || out.Result != ingest.ResultSkipped {
		t.Errorf("Process of a live claim = %+v, %v; want skipped", out, err)
	}
	e.enq.ids = nil
	if n, _ := e.svc.Sweep(ctx); n != 0 {
		t.Errorf("Sweep at once = %d, want 0 (the first wake-up may still be on its way)", n)
	}
	e.clock.Advance(6 * time.Second)
	if n, _ := e.svc.Sweep(ctx); n != 1 || e.enq.got()[0] != lost {
		t.Errorf("Sweep after 6s = %d %v, want only the lost event %d", n, e.enq.got(), lost)
	}
	e.clock.Advance(2 * time.Minute)
	e.enq.ids = nil
	if n, _ := e.svc.Sweep(ctx); n != 2 {
		t.Errorf("Sweep after the claim expired = %d (%v), want lost and crashed", n, e.enq.got())
	}
	for _, id := range []int64{lost, crashed} {
		if out, err := e.process(t, id); err != nil || out.Result != ingest.ResultProcessed {
			t.Errorf("Process(%d) = %+v, %v; want processed", id, out, err)
		}
	}
	if r := e.row(t, crashed); r.Attempts != 2 {
		t.Errorf("crashed event attempts = %d, want 2", r.Attempts)
	}
}

// enricher swaps the webhook body for a fetched document.
type enricher struct{ err error }

func (en enricher) Enrich(_ context.Context, source string, raw []byte) ([]byte, error) {
	if en.err != nil {
		return nil, en.err
	}
	return event("", "", "C-1", map[string]any{"status": "Trial Set", "case_number": "fetched-" + source}), nil
}

func TestProcessEnrichesBeforeNormalizing(t *testing.T) {
	tests := []struct {
		name       string
		en         enricher
		wantStatus string
		wantErr    error
	}{
		{"fetched document is normalized", enricher{}, "processed", nil},
		{"document refused", enricher{fmt.Errorf("%w: matter 12", derrors.NotFound)}, "failed", ingest.ErrPermanent},
		{"CMS down", enricher{errors.New("clio: 503")}, "failed", ingest.ErrWillRetry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, ingest.Options{Enricher: tt.en})
			id := e.accept(t, []byte(`{"id":"evt_1","data":{"case_id":"only-a-pointer"}}`))
			out, err := e.process(t, id)
			if !errors.Is(err, tt.wantErr) && (err != nil || tt.wantErr != nil) {
				t.Fatalf("Process = %v, want %v", err, tt.wantErr)
			}
			if r := e.row(t, id); r.Status != tt.wantStatus {
				t.Errorf("row status = %s (%s), want %s", r.Status, r.Error, tt.wantStatus)
			}
			if tt.wantErr == nil {
				c, err := e.cases.Get(context.Background(), out.CaseID)
				if err != nil || c.ExternalID != "C-1" || *c.Status != "trial_scheduled" || *c.CaseNumber != "fetched-generic" {
					t.Errorf("case = %+v, %v; want C-1 from the fetched document", c, err)
				}
			}
		})
	}
}

func TestNewAliasAppliesToTheNextEvent(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	ctx := context.Background()
	out, err := e.process(t, e.accept(t, event("evt_1", "", "C-1", map[string]any{"status": "Pre-Lit"})))
	if err != nil || out.Change.New.Status != nil || !out.Change.New.HasFinding("status", "unknown_status") {
		t.Fatalf("Pre-Lit before the alias = %+v, %v; want no status and an unknown_status finding", out.Change, err)
	}
	if err := statuses.New(e.db, e.clock).AddAlias(ctx, "Pre-Lit", "investigation", "pat@firm.example"); err != nil {
		t.Fatal(err)
	}
	out, err = e.process(t, e.accept(t, event("evt_2", "", "C-1", map[string]any{"status": "Pre-Lit"})))
	if err != nil || out.Change.New.Status == nil || *out.Change.New.Status != "investigation" {
		t.Fatalf("Pre-Lit after the alias = %+v, %v; want investigation", out.Change, err)
	}
	if n := e.count(t, `SELECT count(*) FROM data_findings WHERE code = 'unknown_status' AND resolved_at IS NULL`); n != 0 {
		t.Errorf("open unknown_status findings = %d, want the finding resolved", n)
	}
}

func TestNewLoadsShippedSources(t *testing.T) {
	// Every mapping in config/sources must load, or the server cannot start.
	if _, err := ingest.New(nil, testConfig(t), nil, nil, nil, ingest.Options{}); err != nil {
		t.Fatalf("New with the shipped sources: %v", err)
	}
}
