package statuses_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store/storetest"
)

func TestSeedIsIdempotentAndLoadMatchesDefaults(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	first, err := statuses.Seed(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defaults := sanitize.DefaultStatuses()
	// Aliases that fold to the same text ("Rec'd" and "Recd") are one row.
	folded := map[string][]string{}
	wantNew := len(defaults)
	for _, st := range defaults {
		seen := map[string]bool{}
		for _, a := range st.Aliases {
			if !seen[statuses.Fold(a)] {
				seen[statuses.Fold(a)] = true
				folded[st.Key] = append(folded[st.Key], a)
			}
		}
		wantNew += len(seen)
	}
	if first != wantNew {
		t.Errorf("first Seed added %d rows, want %d (every status and distinct alias)", first, wantNew)
	}
	second, err := statuses.Seed(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if second != 0 {
		t.Errorf("second Seed added %d rows, want 0", second)
	}
	got, err := statuses.New(db, clock.Real{}).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(defaults) {
		t.Fatalf("Load returned %d statuses, want %d", len(got), len(defaults))
	}
	for i, st := range defaults {
		want := sanitize.Status{Key: st.Key, Label: st.Label, Aliases: folded[st.Key]}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("Load()[%d] = %+v, want %+v (display order and aliases kept)", i, got[i], want)
		}
	}
}

func TestSeedKeepsStaffEdits(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	if _, err := statuses.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE canonical_statuses SET label = 'Signed Up' WHERE key = 'retained'`); err != nil {
		t.Fatal(err)
	}
	if _, err := statuses.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	var label string
	if err := db.Pool.QueryRow(ctx, `SELECT label FROM canonical_statuses WHERE key = 'retained'`).Scan(&label); err != nil {
		t.Fatal(err)
	}
	if label != "Signed Up" {
		t.Errorf("label after re-seed = %q, want the staff edit %q kept", label, "Signed Up")
	}
}

func TestAddAlias(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	if _, err := statuses.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	svc := statuses.New(db, clk)

	tests := []struct {
		name, raw, key string
		want           error
	}{
		{"new alias", "Disc. Phase", "discovery_initiated", nil},
		{"same alias again is a no-op", "disc phase", "discovery_initiated", nil},
		{"alias of another status", "Disc Phase", "settled", derrors.Conflict},
		{"label of another status", "Retained", "closed", derrors.Conflict},
		{"unknown status", "Whatever", "no_such_status", derrors.NotFound},
		{"punctuation only", " -- ", "closed", derrors.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := svc.AddAlias(ctx, tt.raw, tt.key, "pat@firm.example")
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("AddAlias(%q, %q) = %v, want %v", tt.raw, tt.key, err, tt.want)
			}
		})
	}

	m, err := svc.Map(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := m.Match("DISC PHASE!"); !ok || got != "discovery_initiated" {
		t.Errorf("Match(DISC PHASE!) = %q, %v; want discovery_initiated after the alias", got, ok)
	}
	var audits int
	var actor string
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), min(actor) FROM audit_log WHERE action = 'status_alias.add'`).
		Scan(&audits, &actor); err != nil {
		t.Fatal(err)
	}
	if audits != 1 || actor != "pat@firm.example" {
		t.Errorf("audit rows = %d by %q, want exactly 1 by pat@firm.example (the no-op adds none)", audits, actor)
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Settlement Offer Rec'd", "settlementofferrecd"},
		{" SETTLEMENT-OFFER RECD ", "settlementofferrecd"},
		{"Año 2", "año2"},
		{"--", ""},
	}
	for _, tt := range tests {
		if got := statuses.Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
