package cases_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/config"
)

var (
	chicago, _ = time.LoadLocation("America/Chicago")
	t0         = time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)
)

// env is one test's database, clock and services.
type env struct {
	db    *store.DB
	clock *clock.Fake
	svc   *cases.Service
	norm  *normalize.Normalizer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `INSERT INTO sources (name, kind) VALUES ('generic', 'webhook')`); err != nil {
		t.Fatal(err)
	}
	if _, err := statuses.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	src, err := normalize.LoadSource(config.SourcesFS, "generic")
	if err != nil {
		t.Fatal(err)
	}
	sm, err := sanitize.NewStatusMap(sanitize.DefaultStatuses())
	if err != nil {
		t.Fatal(err)
	}
	n, err := normalize.NewNormalizer(src, sm, "US", chicago, "")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	return &env{db: db, clock: clk, svc: cases.New(db, clk, chicago), norm: n}
}

// kase normalizes a generic-source event for caseID with attrs as its
// current attributes and prev as its previous_attributes hint.
func (e *env) kase(t *testing.T, caseID, clientID string, attrs, prev map[string]any) normalize.Case {
	t.Helper()
	data := map[string]any{"case_id": caseID, "current_attributes": attrs}
	if clientID != "" {
		data["client_id"] = clientID
	}
	if prev != nil {
		data["previous_attributes"] = prev
	}
	b, _ := json.Marshal(map[string]any{"data": data})
	res, err := e.norm.Normalize(b)
	if err != nil {
		t.Fatalf("normalize %s: %v", b, err)
	}
	return res.Case
}

// inbound stores a raw inbound event row so versions can reference it.
func (e *env) inbound(t *testing.T, eventID string) int64 {
	t.Helper()
	var id int64
	err := e.db.Pool.QueryRow(context.Background(), `INSERT INTO inbound_events (source, event_id, body)
		VALUES ('generic', $1, '{}') RETURNING id`, eventID).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) apply(t *testing.T, eventID int64, nc normalize.Case, at *time.Time) cases.Change {
	t.Helper()
	ch, err := e.svc.Apply(context.Background(), "generic", eventID, nc, at)
	if err != nil {
		t.Fatalf("Apply(%s): %v", nc.CaseID, err)
	}
	return ch
}

func ptr[T any](v T) *T { return &v }

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
