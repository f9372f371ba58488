// Package bench is `herald bench`: it measures Herald's hot paths against
// the best reference on the same machine in the same run, checks that each
// run is valid (the load generator kept its rate, the ledger balances, no
// message was sent twice), and reports throughput, latency percentiles,
// peak RSS, the ratio to the reference and the target.
//
// Every scenario brings up what it needs and tears it down: its own
// PostgreSQL database (herald_bench_<scenario>_<pid>, migrated from
// migrations/ and seeded), its own Redis database (reserved the way the
// tests reserve theirs), and local fakes of SendGrid and Twilio
// (app/delivery/providertest) with configurable latency and failures.
// Herald itself is the real thing: wired by app/command exactly as
// `herald run` is (Wiring), either inside this process or as a child
// `herald run` process whose peak RSS is read from /proc.
package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/config"
)

// Options tune a bench run. Zero values take each scenario's default (the
// issue's full size), or the tiny size with Quick.
type Options struct {
	// JSON prints the report as JSON instead of a table.
	JSON bool
	// Quick shrinks every scenario to a few seconds and a few hundred
	// messages: for tests and smoke runs, not for the targets.
	Quick bool
	// Duration is how long a timed run lasts (ingest per round,
	// ingest-latency, e2e).
	Duration time.Duration
	// Rate is the requested rate of open-model runs, per second.
	Rate float64
	// Concurrency is the number of closed-loop clients (ingest) and of
	// reference goroutines doing the same work.
	Concurrency int
	// Workers is Herald's worker concurrency (`herald work --concurrency`)
	// and the raw asynq reference's.
	Workers int
	// Messages is how many due messages deliver, drain and sweep start with.
	Messages int
	// Rounds is how many times reference and Herald run, alternately.
	Rounds int
	// Outage is how long the fake provider answers 503 in drain.
	Outage time.Duration
	// ProviderLatency and ProviderJitter delay the fake provider's answers
	// in e2e: latency plus a uniform extra of up to jitter.
	ProviderLatency, ProviderJitter time.Duration
	// InProcess runs Herald inside this process for the scenarios that
	// otherwise start a `herald run` child (ingest-latency, e2e); peak RSS is
	// then this process's. Use it with a CPU profile.
	InProcess bool
	// Binary is the herald executable started as the child `herald run`.
	Binary string
	// DatabaseURL and RedisURL locate the servers; each scenario creates
	// its own database on that PostgreSQL and reserves a Redis db number.
	DatabaseURL, RedisURL string
	// Keep leaves each scenario's database in place for inspection.
	Keep bool
	// Progress receives one line per phase; nil discards them.
	Progress io.Writer
}

// Wiring is how the bench gets a real Herald without a second copy of its
// wiring: app/command supplies it from the same constructors `herald run`
// and `herald seed` use.
type Wiring struct {
	// Seed loads the default sources, statuses, templates and rules.
	Seed func(ctx context.Context, db *store.DB) error
	// Start wires one Herald over cfg, logging to logOut.
	Start func(ctx context.Context, cfg config.Config, logOut io.Writer) (*System, error)
}

// System is one wired Herald.
type System struct {
	// Serve serves HTTP on cfg.HTTPAddr until ctx ends, sending the bound
	// address on ready.
	Serve func(ctx context.Context, ready chan<- string) error
	// Work runs the asynq worker, its handlers and every sweep until ctx ends.
	Work func(ctx context.Context, concurrency int) error
	// Wake is the delivery sweeper: it re-enqueues every due message.
	Wake func(ctx context.Context) (int, error)
	// Close releases the connections.
	Close func()
}

// Scenario is one named benchmark.
type Scenario struct {
	Name    string
	Summary string
	run     func(ctx context.Context, r *runner) (*Report, error)
}

// Scenarios lists every scenario in the order `all` runs them.
func Scenarios() []Scenario {
	return []Scenario{
		{"ingest", "saturation: signed webhooks over loopback HTTP (verify, dedupe, commit, enqueue) vs raw pgx single-row INSERT at the same concurrency; target ≥ 60% of the reference, zero non-2xx, rows == acknowledged", runIngest},
		{"ingest-latency", "open model, 2,000 events/s for 30 s against a `herald run` child; target p99 ≤ 25 ms, p99.9 ≤ 100 ms, peak RSS ≤ 200 MB", runIngestLatency},
		{"deliver", "50k due messages through the real worker and delivery service to a fake SendGrid answering at once vs a raw asynq no-op handler; target ≥ 40% of the reference", runDeliver},
		{"e2e", "open model, 500 events/s for 60 s, provider latency 50 ± 20 ms, webhook sent → provider received; target p50 ≤ 100 ms, p99 ≤ 500 ms, accepted == delivered + dead + in flight", runE2E},
		{"drain", "the provider answers 503 for a while, then recovers; target zero lost, zero duplicates, drain rate ≥ 80% of deliver (measured in the same run)", runDrain},
		{"sweep", "Redis flushed with 100k due messages: the delivery sweeper re-enqueues them; target ≥ 10k rows/s, zero duplicate sends after delivery", runSweep},
	}
}

// Names returns the scenario names, for usage text.
func Names() []string {
	var out []string
	for _, s := range Scenarios() {
		out = append(out, s.Name)
	}
	return out
}

// Run runs one scenario, or every one for "all", and returns their reports.
// An error means a scenario could not run at all (a service is down); a
// scenario that ran but missed a target or a check is a report with Pass
// false.
func Run(ctx context.Context, name string, o Options, w Wiring) ([]*Report, error) {
	var todo []Scenario
	for _, s := range Scenarios() {
		if name == "all" || s.Name == name {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 {
		return nil, fmt.Errorf("unknown scenario %q: use one of %s, or all", name, strings.Join(Names(), ", "))
	}
	if w.Seed == nil || w.Start == nil {
		return nil, fmt.Errorf("bench: the wiring is incomplete (Seed and Start are required)")
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	var out []*Report
	for _, s := range todo {
		r := &runner{o: o, w: w, scenario: s.Name, log: o.Progress}
		if r.log == nil {
			r.log = io.Discard
		}
		r.logf("%s: starting", s.Name)
		start := time.Now()
		rep, err := s.run(ctx, r)
		r.cleanup()
		if err != nil {
			return out, fmt.Errorf("%s: %w", s.Name, err)
		}
		rep.Scenario, rep.Description = s.Name, s.Summary
		rep.Quick = o.Quick
		rep.finish()
		r.logf("%s: done in %s", s.Name, time.Since(start).Round(time.Second))
		out = append(out, rep)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	return out, nil
}

func (o Options) validate() error {
	var p []string
	if o.Duration < 0 {
		p = append(p, "--duration must not be negative")
	}
	if o.Rate < 0 {
		p = append(p, "--rate must not be negative")
	}
	if o.Concurrency < 0 || o.Workers < 0 || o.Messages < 0 || o.Rounds < 0 {
		p = append(p, "--concurrency, --workers, --messages and --rounds must not be negative")
	}
	if o.DatabaseURL == "" || o.RedisURL == "" {
		p = append(p, "the PostgreSQL and Redis URLs are required (HERALD_DATABASE_URL, HERALD_REDIS_URL)")
	}
	if len(p) > 0 {
		return fmt.Errorf("bench: %s", strings.Join(p, "; "))
	}
	return nil
}

// pick returns the option when set, else the quick or full default.
func pick[T comparable](opt T, quick bool, small, full T) T {
	var zero T
	if opt != zero {
		return opt
	}
	if quick {
		return small
	}
	return full
}

// runner is one scenario's run: its options, wiring and what to clean up.
type runner struct {
	o        Options
	w        Wiring
	scenario string
	log      io.Writer
	cleanups []func()
}

func (r *runner) logf(format string, a ...any) {
	fmt.Fprintf(r.log, "bench "+format+"\n", a...)
}

// defer_ registers f to run when the scenario ends, last first.
func (r *runner) onCleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *runner) cleanup() {
	for _, f := range slices.Backward(r.cleanups) {
		f()
	}
	r.cleanups = nil
}

func (r *runner) rounds() int { return pick(r.o.Rounds, r.o.Quick, 1, 2) }
func (r *runner) workers() int {
	return pick(r.o.Workers, r.o.Quick, 20, 20)
}
