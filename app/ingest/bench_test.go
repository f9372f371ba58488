package ingest_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/config"
)

// BenchmarkIngest measures signed webhooks through Accept into a real
// PostgreSQL: signature check, JSON envelope, committed insert and wake-up
// (to an in-memory Enqueuer, so Redis is not measured). It reports events/s.
func BenchmarkIngest(b *testing.B) {
	e := newEnv(b, ingest.Options{})
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			body := event(fmt.Sprintf("evt_%d", n), "2026-03-01T15:59:00Z", fmt.Sprintf("C-%d", n%500),
				map[string]any{"status": "Discovery Initiated", "client_email": "jane@example.com", "client_mobile_phone": "(312) 867-5309"})
			res, err := e.svc.Accept(ctx, "generic", e.signed(body), body)
			if err != nil || res.Duplicate {
				b.Fatalf("Accept = %+v, %v", res, err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkProcess measures the worker side: a backlog of stored new-case
// events drained by 20 concurrent Process calls (as herald work runs them)
// through the real planner, which renders one email per event into the
// ledger. It reports events/s and the transactions per event (statements outside one count as one each).
func BenchmarkProcess(b *testing.B) {
	e := newEnv(b, ingest.Options{})
	ctx := context.Background()
	for _, seed := range []func(context.Context, *store.DB) (int, error){
		content.Seed, func(ctx context.Context, db *store.DB) (int, error) { return rules.Seed(ctx, db, config.RulesYAML) },
	} {
		if _, err := seed(ctx, e.db); err != nil {
			b.Fatal(err)
		}
	}
	engine := render.New(render.Options{Now: e.clock.Now, FirmLocation: time.UTC})
	planner := rules.NewPlanner(rules.Deps{DB: e.db, Clock: e.clock,
		Config: rules.Config{FirmName: "Herald Demo Law", DefaultLang: "en", FirmLocation: time.UTC},
		Pauses: pause.New(e.db, e.clock), OptOuts: consent.New(e.db, e.clock),
		Templates: content.New(e.db, engine, e.clock, "en"), Engine: engine, Cases: e.cases})
	svc := e.build(b, e.db, ingest.Options{Enqueuer: e.enq, Planner: planner})
	ids := make(chan int64, b.N)
	for n := range b.N {
		body := event(fmt.Sprintf("evt_%d", n), "2026-03-01T15:59:00Z", fmt.Sprintf("C-%d", n),
			map[string]any{"status": "Discovery Initiated", "client_email": fmt.Sprintf("c%d@example.com", n), "client_mobile_phone": "(312) 867-5309"})
		res, err := svc.Accept(ctx, "generic", e.signed(body), body)
		if err != nil {
			b.Fatal(err)
		}
		ids <- res.EventID
	}
	close(ids)
	commits := func() int64 {
		var n int64
		if err := e.db.Pool.QueryRow(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	before := commits()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for id := range ids {
				if out, err := svc.Process(ctx, id); err != nil || out.Result != ingest.ResultProcessed {
					b.Errorf("Process(%d) = %+v, %v; want processed", id, out, err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := e.count(b, `SELECT count(*) FROM messages`); n != b.N {
		b.Errorf("messages = %d, want one per event (%d)", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	// pg_stat_database is updated when a backend reports, at most every
	// half second: wait for the drain's counts to land.
	time.Sleep(time.Second)
	b.ReportMetric(float64(commits()-before)/float64(b.N), "xacts/event")
}
