package cases_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
)

func TestApplyCreatesThenUpdates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{
		"status": "Intake Completed", "case_number": "2026-PI-1", "client_first_name": "Jane",
		"client_email": "jane@example.com", "client_mobile_phone": "(312) 867-5309",
		"next_court_date": "4/2/2026", "attorney_id": "ATT-1",
	}, nil), ptr(t0))
	if !first.Created || first.Version != 1 || first.Old != nil || first.Stale {
		t.Fatalf("first Apply = created %v version %d old %v stale %v, want created, version 1, no old",
			first.Created, first.Version, first.Old, first.Stale)
	}
	if first.Diff.Status == nil || str(first.Diff.Status.To) != "intake_complete" {
		t.Errorf("first Diff.Status = %+v, want → intake_complete", first.Diff.Status)
	}

	e.clock.Advance(time.Hour)
	second := e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{
		"status": "In Discovery", "case_number": "2026-PI-1", "client_first_name": "Jane",
		"client_email": "jane@example.com", "client_mobile_phone": "(312) 867-5309",
		"next_court_date": "4/2/2026", "attorney_id": "ATT-2", "is_automation_paused": "yes",
	}, nil), ptr(t0.Add(time.Hour)))
	if second.Created || second.Version != 2 || second.CaseID != first.CaseID || second.ClientID != first.ClientID {
		t.Fatalf("second Apply = %+v, want an update of case %d to version 2", second, first.CaseID)
	}
	if second.Diff.Status == nil || str(second.Diff.Status.From) != "intake_complete" || str(second.Diff.Status.To) != "discovery_initiated" {
		t.Errorf("second Diff.Status = %+v, want intake_complete → discovery_initiated", second.Diff.Status)
	}
	if second.Old == nil || str(second.Old.Status) != "intake_complete" {
		t.Errorf("second Old = %+v, want the first snapshot", second.Old)
	}

	got, err := e.svc.Get(ctx, first.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	wantCourt := time.Date(2026, 4, 2, 0, 0, 0, 0, chicago)
	checks := []struct {
		name      string
		got, want any
	}{
		{"status", str(got.Status), "discovery_initiated"},
		{"status_raw", str(got.StatusRaw), "In Discovery"},
		{"case_number", str(got.CaseNumber), "2026-PI-1"},
		{"attorney_id", str(got.AttorneyID), "ATT-2"},
		{"cms_paused", got.CMSPaused, true},
		{"next_court_at", got.NextCourtAt != nil && got.NextCourtAt.Equal(wantCourt), true},
		{"version", got.Version, 2},
		{"cms_updated_at", got.CMSUpdatedAt != nil && got.CMSUpdatedAt.Equal(t0.Add(time.Hour)), true},
		{"status_changed_at", got.StatusChangedAt != nil && got.StatusChangedAt.Equal(t0.Add(time.Hour)), true},
		{"snapshot status", str(got.Snapshot.Status), "discovery_initiated"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("case %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	byExt, err := e.svc.GetByExternal(ctx, "generic", "C-1")
	if err != nil || byExt.ID != first.CaseID {
		t.Errorf("GetByExternal(C-1) = %d, %v; want case %d", byExt.ID, err, first.CaseID)
	}
	var phone, email string
	if err := e.db.Pool.QueryRow(ctx, `SELECT mobile_phone, email FROM clients WHERE id = $1`, first.ClientID).Scan(&phone, &email); err != nil {
		t.Fatal(err)
	}
	if phone != "+13128675309" || email != "jane@example.com" {
		t.Errorf("client contact = %s %s, want the sanitized values", phone, email)
	}
	vs, err := e.svc.Versions(ctx, first.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Version != 2 || !vs[0].Applied || vs[0].Diff.Status == nil {
		t.Errorf("Versions = %d rows (newest %+v), want 2 applied with the status diff stored", len(vs), vs[0])
	}
}

func TestApplyNotFoundAndMissingData(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Get(ctx, 999); !errors.Is(err, cases.ErrNotFound) || !errors.Is(err, derrors.NotFound) {
		t.Errorf("Get(999) error = %v, want cases.ErrNotFound wrapping derrors.NotFound", err)
	}
	_, err := e.svc.Apply(ctx, "generic", 0, e.kase(t, "C-9", "", map[string]any{"status": "Retained"}, nil), nil)
	if !errors.Is(err, cases.ErrMissingClient) || !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("Apply(new case without client) error = %v, want ErrMissingClient (a data error)", err)
	}
	_, err = e.svc.Apply(ctx, "generic", 0, normalize.Case{}, nil)
	if !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("Apply(no case_id) error = %v, want InvalidArgument", err)
	}
	// An existing case can be updated by an event without client_id.
	first := e.apply(t, 0, e.kase(t, "C-2", "CL-2", map[string]any{"status": "Retained"}, nil), nil)
	next := e.apply(t, 0, e.kase(t, "C-2", "", map[string]any{"status": "Closed"}, nil), nil)
	if next.ClientID != first.ClientID || str(next.New.Status) != "closed" {
		t.Errorf("update without client_id = client %d status %s, want client %d kept and status closed",
			next.ClientID, str(next.New.Status), first.ClientID)
	}
}

func TestApplyOutOfOrderIsRecordedNotApplied(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	newer := t0.Add(2 * time.Hour)
	older := t0.Add(time.Hour)
	ch := e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{"status": "Settled", "client_email": "new@example.com"}, nil), &newer)
	stale := e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{"status": "Mediation Set", "client_email": "old@example.com"}, nil), &older)
	if !stale.Stale || stale.Version != 2 {
		t.Fatalf("older update: Stale=%v version %d, want Stale at version 2", stale.Stale, stale.Version)
	}
	got, err := e.svc.Get(ctx, ch.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if str(got.Status) != "settled" || str(got.Snapshot.Client.Email) != "new@example.com" || !got.CMSUpdatedAt.Equal(newer) {
		t.Errorf("after stale update case = status %s email %s cms_updated_at %v, want settled/new@example.com/%v unchanged",
			str(got.Status), str(got.Snapshot.Client.Email), got.CMSUpdatedAt, newer)
	}
	var email string
	if err := e.db.Pool.QueryRow(ctx, `SELECT email FROM clients WHERE id = $1`, ch.ClientID).Scan(&email); err != nil {
		t.Fatal(err)
	}
	if email != "new@example.com" {
		t.Errorf("client email after stale update = %s, want new@example.com", email)
	}
	vs, err := e.svc.Versions(ctx, ch.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Applied || str(vs[0].Snapshot.Status) != "mediation_scheduled" || !vs[1].Applied {
		t.Errorf("versions = %+v, want the stale one stored with applied=false", vs)
	}
	// A later update still applies on top of the newest state.
	latest := e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{"status": "Closed"}, nil), ptr(newer.Add(time.Minute)))
	if latest.Stale || latest.Old == nil || str(latest.Old.Status) != "settled" {
		t.Errorf("newer update: Stale=%v Old.Status=%v, want applied against the settled snapshot", latest.Stale, latest.Old)
	}
}

func TestApplyDiffIgnoresLyingPreviousAttributes(t *testing.T) {
	e := newEnv(t)
	e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{"status": "Retained", "next_court_date": "2026-05-01"}, nil), nil)
	// The CMS claims the case was Settled and the court date unchanged; the
	// stored snapshot says Retained with 2026-05-01.
	ch := e.apply(t, 0, e.kase(t, "C-1", "CL-1",
		map[string]any{"status": "Investigation", "next_court_date": "2026-06-01"},
		map[string]any{"status": "Settled", "next_court_date": "2026-06-01"}), nil)
	if ch.Diff.Status == nil || str(ch.Diff.Status.From) != "retained" || str(ch.Diff.Status.To) != "investigation" {
		t.Errorf("Diff.Status = %+v, want retained → investigation from the snapshots", ch.Diff.Status)
	}
	if len(ch.Diff.Dates) != 1 || ch.Diff.Dates[0].Field != normalize.FieldNextCourtDate {
		t.Errorf("Diff.Dates = %+v, want the court date change the hint denied", ch.Diff.Dates)
	}
	// Same content again: nothing changed, whatever the hint says.
	again := e.apply(t, 0, e.kase(t, "C-1", "CL-1",
		map[string]any{"status": "investigation", "next_court_date": "06/01/2026"},
		map[string]any{"status": "Closed"}), nil)
	if !again.Diff.Empty() {
		t.Errorf("re-sent state Diff = %+v, want empty", again.Diff)
	}
}

func TestApplyFindingsOpenThenResolve(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := e.apply(t, 0, e.kase(t, "C-1", "CL-1",
		map[string]any{"status": "Pre-Lit", "client_email": "jane@@example", "client_mobile_phone": "555"}, nil), nil)
	// A bounce found by delivery is not the normalizer's to resolve.
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO data_findings (case_id, field, code) VALUES ($1, 'client_email', 'email_bounced')`, ch.CaseID); err != nil {
		t.Fatal(err)
	}
	open := func() map[string]bool {
		t.Helper()
		fs, err := e.svc.Findings(ctx, ch.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, f := range fs {
			if f.Open() {
				m[f.Field+"/"+f.Code] = true
			}
		}
		return m
	}
	want := map[string]bool{"status/unknown_status": true, "client_email/invalid_email": true,
		"client_mobile_phone/invalid_phone": true, "client_email/email_bounced": true}
	if got := open(); !reflect.DeepEqual(got, want) {
		t.Fatalf("open findings = %v, want %v", got, want)
	}

	e.clock.Advance(time.Hour)
	e.apply(t, 0, e.kase(t, "C-1", "CL-1",
		map[string]any{"status": "Pre-Lit", "client_email": "jane@example.com", "client_mobile_phone": "555"}, nil), nil)
	want = map[string]bool{"status/unknown_status": true, "client_mobile_phone/invalid_phone": true,
		"client_email/email_bounced": true}
	if got := open(); !reflect.DeepEqual(got, want) {
		t.Errorf("open findings after the email fix = %v, want %v", got, want)
	}
	var resolvedAt time.Time
	var lastSeen time.Time
	if err := e.db.Pool.QueryRow(ctx, `SELECT resolved_at FROM data_findings WHERE case_id = $1 AND code = 'invalid_email'`,
		ch.CaseID).Scan(&resolvedAt); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Pool.QueryRow(ctx, `SELECT last_seen_at FROM data_findings WHERE case_id = $1 AND code = 'unknown_status'`,
		ch.CaseID).Scan(&lastSeen); err != nil {
		t.Fatal(err)
	}
	if !resolvedAt.Equal(t0.Add(time.Hour)) || !lastSeen.Equal(t0.Add(time.Hour)) {
		t.Errorf("resolved_at = %v, last_seen_at = %v; want both at the second update %v", resolvedAt, lastSeen, t0.Add(time.Hour))
	}

	// The same problem coming back opens a new finding; the history stays.
	e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{"status": "Pre-Lit", "client_email": "nope"}, nil), nil)
	var rows int
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM data_findings WHERE case_id = $1 AND code = 'invalid_email'`,
		ch.CaseID).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || !open()["client_email/invalid_email"] || open()["client_mobile_phone/invalid_phone"] {
		t.Errorf("invalid_email rows = %d, open = %v; want a re-opened finding and the phone one resolved (phone now absent)", rows, open())
	}
}

func TestApplyIsIdempotentPerInboundEvent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev1, ev2 := e.inbound(t, "e1"), e.inbound(t, "e2")
	first := e.apply(t, ev1, e.kase(t, "C-1", "CL-1", map[string]any{"status": "Retained"}, nil), nil)
	second := e.apply(t, ev2, e.kase(t, "C-1", "CL-1", map[string]any{"status": "Closed"}, nil), nil)
	replayed := e.apply(t, ev2, e.kase(t, "C-1", "CL-1", map[string]any{"status": "Closed"}, nil), nil)
	if !replayed.Replayed || replayed.Version != second.Version || replayed.CaseID != first.CaseID {
		t.Fatalf("re-applying event %d = %+v, want Replayed version %d", ev2, replayed, second.Version)
	}
	if replayed.Old == nil || str(replayed.Old.Status) != "retained" || replayed.Diff.Status == nil || str(replayed.Diff.Status.To) != "closed" {
		t.Errorf("replayed change old=%v diff=%+v, want the stored retained → closed", replayed.Old, replayed.Diff.Status)
	}
	vs, _ := e.svc.Versions(ctx, first.CaseID)
	if len(vs) != 2 {
		t.Errorf("versions after replay = %d, want 2", len(vs))
	}
}

func TestApplyConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = 12
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = e.inbound(t, fmt.Sprintf("e%d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		// Distinct events for one new case, and each event applied twice.
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc := e.kase(t, "C-1", "CL-1", map[string]any{"status": "Retained", "case_number": fmt.Sprint(i)}, nil)
				if _, err := e.svc.Apply(ctx, "generic", ids[i], nc, nil); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Apply: %v", err)
	}
	var cases, versions, maxVersion, clients int
	if err := e.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_versions),
		(SELECT max(version) FROM case_versions), (SELECT count(*) FROM clients)`).Scan(&cases, &versions, &maxVersion, &clients); err != nil {
		t.Fatal(err)
	}
	if cases != 1 || clients != 1 || versions != n || maxVersion != n {
		t.Errorf("after %d events ×2: cases %d clients %d versions %d (max %d), want 1, 1, %d, %d",
			n, cases, clients, versions, maxVersion, n, n)
	}
}

func TestApplyResetsDerivedFlags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{"client_email": "a@example.com", "next_court_date": "2026-05-01"}, nil), nil)
	if _, err := e.db.Pool.Exec(ctx, `UPDATE clients SET email_invalid = true WHERE id = $1`, ch.ClientID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool.Exec(ctx, `UPDATE cases SET hearing_confirmed_at = now() WHERE id = $1`, ch.CaseID); err != nil {
		t.Fatal(err)
	}
	e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{"client_email": "a@example.com", "next_court_date": "2026-05-01"}, nil), nil)
	var invalid, confirmed bool
	q := `SELECT c.email_invalid, k.hearing_confirmed_at IS NOT NULL FROM clients c JOIN cases k ON k.client_id = c.id WHERE k.id = $1`
	if err := e.db.Pool.QueryRow(ctx, q, ch.CaseID).Scan(&invalid, &confirmed); err != nil {
		t.Fatal(err)
	}
	if !invalid || !confirmed {
		t.Errorf("unchanged update: email_invalid=%v hearing confirmed=%v, want both kept", invalid, confirmed)
	}
	e.apply(t, 0, e.kase(t, "C-1", "CL-1", map[string]any{"client_email": "b@example.com", "next_court_date": "2026-05-08"}, nil), nil)
	if err := e.db.Pool.QueryRow(ctx, q, ch.CaseID).Scan(&invalid, &confirmed); err != nil {
		t.Fatal(err)
	}
	if invalid || confirmed {
		t.Errorf("new email and court date: email_invalid=%v hearing confirmed=%v, want both cleared", invalid, confirmed)
	}
}

// TestApplyInLosesTheCreationRaceInsideItsTransaction creates a case in one
// open transaction while a second transaction applies another event for
// the same new case: the second waits, finds the case created when the
// first commits, and records its event as version 2 in the same
// transaction (the caller's other writes are not thrown away).
func TestApplyInLosesTheCreationRaceInsideItsTransaction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first, second := e.inbound(t, "e1"), e.inbound(t, "e2")
	nc := func(n string) normalize.Case {
		return e.kase(t, "C-9", "CL-9", map[string]any{"status": "Retained", "case_number": n}, nil)
	}
	txA, err := e.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx)
	if ch, err := e.svc.ApplyIn(ctx, txA, "generic", first, nc("1"), nil); err != nil || !ch.Created {
		t.Fatalf("ApplyIn(first) = %+v, %v; want the case created", ch, err)
	}
	type result struct {
		ch  cases.Change
		err error
	}
	done := make(chan result, 1)
	go func() {
		tx, err := e.db.Pool.Begin(ctx)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer tx.Rollback(ctx)
		ch, err := e.svc.ApplyIn(ctx, tx, "generic", second, nc("2"), nil)
		if err == nil {
			err = tx.Commit(ctx)
		}
		done <- result{ch, err}
	}()
	// Commit the first only once the second waits on its row lock.
	for i, waiting := 0, false; !waiting; i++ {
		if i == 5000 {
			t.Fatal("the second ApplyIn never waited on the first's row lock")
		}
		if err := e.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.ch.Created || r.ch.Version != 2 {
		t.Fatalf("ApplyIn(second) = %+v, %v; want version 2 of the case the first created", r.ch, r.err)
	}
	var cases, versions, clients int
	if err := e.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_versions),
		(SELECT count(*) FROM clients)`).Scan(&cases, &versions, &clients); err != nil {
		t.Fatal(err)
	}
	if cases != 1 || versions != 2 || clients != 1 {
		t.Errorf("cases %d versions %d clients %d, want 1, 2, 1", cases, versions, clients)
	}
}
