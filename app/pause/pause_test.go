package pause_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// fixture inserts one client with two cases and returns their ids.
func fixture(t *testing.T, db *store.DB) (clientID, caseA, caseB int64) {
	t.Helper()
	ctx := context.Background()
	mustExec(t, db, `INSERT INTO sources (name, kind) VALUES ('generic', 'webhook')`)
	if err := db.Pool.QueryRow(ctx, `INSERT INTO clients (source, external_id) VALUES ('generic', 'cl-1') RETURNING id`).Scan(&clientID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		ext string
		id  *int64
	}{{"A", &caseA}, {"B", &caseB}} {
		if err := db.Pool.QueryRow(ctx, `INSERT INTO cases (source, external_id, client_id, snapshot) VALUES ('generic', $1, $2, '{}') RETURNING id`, p.ext, clientID).Scan(p.id); err != nil {
			t.Fatal(err)
		}
	}
	return clientID, caseA, caseB
}

func mustExec(t *testing.T, db *store.DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	in := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	tests := []struct {
		name      string
		setup     func(svc *pause.Service, clk *clock.Fake, client, caseA, caseB int64) error
		checkCase string // "A" or "B"
		wantScope string // "" = not paused
		wantBy    string
	}{
		{"nothing paused", func(*pause.Service, *clock.Fake, int64, int64, int64) error { return nil }, "A", "", ""},
		{"case pause", func(s *pause.Service, _ *clock.Fake, _, a, _ int64) error {
			_, err := s.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "client in hospital", Actor: "ann"})
			return err
		}, "A", pause.ScopeCase, "ann"},
		{"case pause does not touch a sibling case", func(s *pause.Service, _ *clock.Fake, _, a, _ int64) error {
			_, err := s.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "r", Actor: "ann"})
			return err
		}, "B", "", ""},
		{"client pause covers every case", func(s *pause.Service, _ *clock.Fake, cl, _, _ int64) error {
			_, err := s.Pause(ctx, pause.Request{Scope: pause.ScopeClient, ClientID: cl, Reason: "dispute", Actor: "pat"})
			return err
		}, "B", pause.ScopeClient, "pat"},
		{"firm pause", func(s *pause.Service, _ *clock.Fake, _, _, _ int64) error {
			_, err := s.Pause(ctx, pause.Request{Scope: pause.ScopeFirm, Reason: "template bug", Actor: "ops"})
			return err
		}, "A", pause.ScopeFirm, "ops"},
		{"case pause wins over firm", func(s *pause.Service, _ *clock.Fake, _, a, _ int64) error {
			if _, err := s.Pause(ctx, pause.Request{Scope: pause.ScopeFirm, Reason: "x", Actor: "ops"}); err != nil {
				return err
			}
			_, err := s.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "y", Actor: "ann"})
			return err
		}, "A", pause.ScopeCase, "ann"},
		{"expired pause counts as lifted", func(s *pause.Service, clk *clock.Fake, _, a, _ int64) error {
			_, err := s.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "r", ExpiresAt: in(time.Hour), Actor: "ann"})
			clk.Advance(time.Hour)
			return err
		}, "A", "", ""},
		{"pause before its expiry", func(s *pause.Service, clk *clock.Fake, _, a, _ int64) error {
			_, err := s.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "r", ExpiresAt: in(time.Hour), Actor: "ann"})
			clk.Advance(59 * time.Minute)
			return err
		}, "A", pause.ScopeCase, "ann"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := storetest.NewDB(t)
			cl, a, b := fixture(t, db)
			clk := clock.NewFake(t0)
			svc := pause.New(db, clk)
			if err := tt.setup(svc, clk, cl, a, b); err != nil {
				t.Fatalf("setup: %v", err)
			}
			id := a
			if tt.checkCase == "B" {
				id = b
			}
			got, err := svc.Check(ctx, id, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.Paused != (tt.wantScope != "") || got.Scope != tt.wantScope || got.By != tt.wantBy {
				t.Errorf("Check = %+v, want paused=%v scope=%q by=%q", got, tt.wantScope != "", tt.wantScope, tt.wantBy)
			}
		})
	}
}

func TestCheckHonoursCMSFlag(t *testing.T) {
	db, _ := storetest.NewDB(t)
	_, a, _ := fixture(t, db)
	mustExec(t, db, `UPDATE cases SET cms_paused = true WHERE id = $1`, a)
	got, err := pause.New(db, clock.NewFake(t0)).Check(context.Background(), a, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Paused || got.Scope != pause.ScopeCMS || got.By != "cms" {
		t.Errorf("Check = %+v, want paused by the cms flag", got)
	}
}

func TestPauseValidation(t *testing.T) {
	db, _ := storetest.NewDB(t)
	_, a, _ := fixture(t, db)
	svc := pause.New(db, clock.NewFake(t0))
	ctx := context.Background()
	past := t0.Add(-time.Minute)
	tests := []struct {
		name string
		req  pause.Request
		want error
	}{
		{"no reason", pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "  ", Actor: "ann"}, derrors.InvalidArgument},
		{"expiry in the past", pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "r", ExpiresAt: &past, Actor: "ann"}, derrors.InvalidArgument},
		{"bad scope", pause.Request{Scope: "galaxy", Reason: "r", Actor: "ann"}, derrors.InvalidArgument},
		{"case scope without case", pause.Request{Scope: pause.ScopeCase, Reason: "r", Actor: "ann"}, derrors.InvalidArgument},
		{"unknown case", pause.Request{Scope: pause.ScopeCase, CaseID: 99999, Reason: "r", Actor: "ann"}, derrors.NotFound},
		{"first pause", pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "r", Actor: "ann"}, nil},
		{"already paused", pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "again", Actor: "ann"}, derrors.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Pause(ctx, tt.req)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Pause error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestExpirySweepAndResumeAreAudited(t *testing.T) {
	db, _ := storetest.NewDB(t)
	_, a, b := fixture(t, db)
	clk := clock.NewFake(t0)
	svc := pause.New(db, clk)
	ctx := context.Background()
	exp := t0.Add(2 * time.Hour)
	if _, err := svc.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: a, Reason: "settlement talks", ExpiresAt: &exp, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: b, Reason: "wrong number", Actor: "pat"}); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.SweepExpired(ctx); err != nil || n != 0 {
		t.Fatalf("SweepExpired before expiry = %d, %v; want 0", n, err)
	}
	clk.Advance(3 * time.Hour)
	if n, err := svc.SweepExpired(ctx); err != nil || n != 1 {
		t.Fatalf("SweepExpired after expiry = %d, %v; want 1", n, err)
	}
	var liftedBy string
	var liftedAt time.Time
	db.Pool.QueryRow(ctx, `SELECT lifted_by, lifted_at FROM pauses WHERE case_id = $1`, a).Scan(&liftedBy, &liftedAt)
	if liftedBy != "expiry" || !liftedAt.Equal(exp) {
		t.Errorf("expired pause lifted by %q at %s, want expiry at %s", liftedBy, liftedAt, exp)
	}
	if active, _ := svc.Active(ctx); len(active) != 1 || *active[0].CaseID != b {
		t.Errorf("Active = %+v, want only case %d", active, b)
	}
	if err := svc.Resume(ctx, pause.ScopeCase, b, 0, "pat", "number fixed"); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if err := svc.Resume(ctx, pause.ScopeCase, b, 0, "pat", ""); !errors.Is(err, derrors.NotFound) {
		t.Errorf("second Resume error = %v, want NotFound", err)
	}
	if st, _ := svc.Check(ctx, b, 0); st.Paused {
		t.Errorf("Check after resume = %+v, want not paused", st)
	}
	rows, _ := db.Pool.Query(ctx, `SELECT actor, action, target_id, reason FROM audit_log ORDER BY id`)
	var got [][4]string
	for rows.Next() {
		var r [4]string
		rows.Scan(&r[0], &r[1], &r[2], &r[3])
		got = append(got, r)
	}
	want := [][4]string{
		{"ann", "pause.case", itoa(a), "settlement talks"},
		{"pat", "pause.case", itoa(b), "wrong number"},
		{"system", "resume.case", itoa(a), "expired"},
		{"pat", "resume.case", itoa(b), "number fixed"},
	}
	if len(got) != len(want) {
		t.Fatalf("audit rows = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("audit row %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
