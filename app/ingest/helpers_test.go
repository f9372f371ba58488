package ingest_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/config"
)

var t0 = time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)

const secret = "generic-secret-2026"

// recorder is an Enqueuer that remembers wake-ups (or fails, like a Redis
// that is down).
type recorder struct {
	mu   sync.Mutex
	ids  []int64
	fail error
}

func (r *recorder) EnqueueEvent(_ context.Context, id int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.ids = append(r.ids, id)
	return nil
}

func (r *recorder) got() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.ids...)
}

// env is one test's database, clock and ingest service.
type env struct {
	db    *store.DB
	dsn   string
	clock *clock.Fake
	cfg   config.Config
	cases *cases.Service
	svc   *ingest.Service
	enq   *recorder
}

func testConfig(t testing.TB) config.Config {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.WebhookSecrets = map[string][]string{"generic": {"generic-secret-2025", secret}}
	cfg.WebhookMaxBody = 4096
	return cfg
}

// newEnv migrates a database, registers the shipped sources and statuses,
// and builds the service with opt (Enqueuer defaults to a recorder).
func newEnv(t testing.TB, opt ingest.Options) *env {
	t.Helper()
	db, dsn := storetest.NewDB(t)
	ctx := context.Background()
	for _, s := range []string{`INSERT INTO sources (name, kind) VALUES ('generic', 'webhook'), ('clio', 'clio'), ('poll-example', 'poll')`} {
		if _, err := db.Pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := statuses.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, dsn: dsn, clock: clock.NewFake(t0), cfg: testConfig(t), enq: &recorder{}}
	if opt.Enqueuer == nil {
		opt.Enqueuer = e.enq
	}
	e.cases = cases.New(db, e.clock, e.cfg.Location())
	e.svc = e.build(t, db, opt)
	return e
}

func (e *env) build(t testing.TB, db *store.DB, opt ingest.Options) *ingest.Service {
	t.Helper()
	svc, err := ingest.New(db, e.cfg, e.clock, statuses.New(db, e.clock), e.cases, opt)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// signed returns headers carrying a valid signature for body at the clock.
func (e *env) signed(body []byte) map[string]string {
	return map[string]string{"Herald-Signature": ingest.Sign(secret, e.clock.Now(), body), "Content-Type": "application/json"}
}

// event builds a generic-source webhook body.
func event(id, occurredAt, caseID string, attrs map[string]any) []byte {
	m := map[string]any{"type": "case.updated",
		"data": map[string]any{"case_id": caseID, "client_id": "CL-" + caseID, "current_attributes": attrs}}
	if id != "" {
		m["id"] = id
	}
	if occurredAt != "" {
		m["occurred_at"] = occurredAt
	}
	b, _ := json.Marshal(m)
	return b
}

// row is the stored state of one inbound event.
type row struct {
	Status, Error, EventID string
	IDFromHash             bool
	Attempts               int
	CaseID                 *int64
	RetryAt                *time.Time
}

func (e *env) row(t testing.TB, id int64) row {
	t.Helper()
	var r row
	err := e.db.Pool.QueryRow(context.Background(), `SELECT status, error, event_id, id_from_hash, attempts, case_id, retry_at
		FROM inbound_events WHERE id = $1`, id).Scan(&r.Status, &r.Error, &r.EventID, &r.IDFromHash, &r.Attempts, &r.CaseID, &r.RetryAt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
