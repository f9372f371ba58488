package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/heraldhq/herald/app/bench"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/config"
)

const benchUsage = `bench SCENARIO [flags]

Measures Herald against a reference on this machine in the same run and
prints throughput, p50/p95/p99/p99.9 latency, peak RSS, the ratio to the
reference, the target and PASS/FAIL (exit 1 when anything fails).

Each scenario creates its own database on HERALD_DATABASE_URL's server
(herald_bench_<scenario>_<pid>, dropped at the end), reserves its own Redis
db on HERALD_REDIS_URL's server, and starts local fake SendGrid and Twilio.

Scenarios:
%s  all             every scenario above, in order

Examples:
  herald bench all
  herald bench ingest-latency --rate 1000 --duration 10s --json
  herald bench deliver --messages 10000 --cpuprofile deliver.pprof
  herald bench all --quick          (seconds, not the targets: a smoke test)`

func runBench(ctx context.Context, args []string, pio IO) error {
	var list strings.Builder
	for _, s := range bench.Scenarios() {
		fmt.Fprintf(&list, "  %-15s %s\n", s.Name, s.Summary)
	}
	fs := newFlags("bench", fmt.Sprintf(benchUsage, list.String()), pio.Stdout)
	var o bench.Options
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON instead of a table")
	fs.BoolVar(&o.Quick, "quick", false, "shrink every scenario to seconds and hundreds of messages (smoke test; says nothing about the targets)")
	fs.DurationVar(&o.Duration, "duration", 0, "length of each timed run (ingest: 20s per round, ingest-latency: 30s, e2e: 60s)")
	fs.Float64Var(&o.Rate, "rate", 0, "requests per second of the open-model runs (ingest-latency: 2000, e2e: 500)")
	fs.IntVar(&o.Concurrency, "concurrency", 0, "closed-loop clients and reference goroutines in ingest (default 16)")
	fs.IntVar(&o.Workers, "workers", 0, "Herald's worker concurrency and the raw asynq reference's (default 20, as herald work)")
	fs.IntVar(&o.Messages, "messages", 0, "due messages in deliver (50000), drain (20000) and sweep (100000)")
	fs.IntVar(&o.Rounds, "rounds", 0, "reference and Herald runs, alternately (default 2; 1 with --quick)")
	fs.DurationVar(&o.Outage, "outage", 0, "how long the fake provider answers 503 in drain (default 10s)")
	fs.DurationVar(&o.ProviderLatency, "provider-latency", 0, "mean fake provider latency in e2e (default 50ms)")
	fs.DurationVar(&o.ProviderJitter, "provider-jitter", 0, "± uniform spread around --provider-latency (default 20ms)")
	fs.BoolVar(&o.InProcess, "in-process", false, "run Herald inside this process instead of a herald run child (ingest-latency, e2e); use with --cpuprofile")
	fs.BoolVar(&o.Keep, "keep", false, "keep each scenario's database and Herald log for inspection")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of this process to `file`")
	// The scenario may come before the flags (herald bench all --quick)
	// or after them.
	var scenario string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		scenario, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if scenario == "" && fs.NArg() > 0 {
		scenario = fs.Arg(0)
		if err := parse(fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	if scenario == "" || fs.NArg() > 0 {
		fmt.Fprintf(pio.Stderr, "herald bench: name one scenario (%s or all)\n\n", strings.Join(bench.Names(), ", "))
		fs.Usage()
		return errUsage
	}
	cfg, err := loadConfig(pio.Getenv)
	if err != nil {
		return err
	}
	o.DatabaseURL, o.RedisURL, o.Progress = cfg.DatabaseURL, cfg.RedisURL, pio.Stderr
	if o.Binary, err = os.Executable(); err != nil {
		return fmt.Errorf("find the herald binary to run as a child: %w", err)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	reps, err := bench.Run(ctx, scenario, o, BenchWiring())
	if len(reps) > 0 {
		if perr := bench.Print(pio.Stdout, reps, o.JSON); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	for _, r := range reps {
		if !r.Pass {
			return errSilentFailure
		}
	}
	return nil
}

// BenchWiring gives `herald bench` (and its tests) a Herald wired by the
// same constructors as `herald run` and `herald seed`.
func BenchWiring() bench.Wiring {
	return bench.Wiring{
		Seed: func(ctx context.Context, db *store.DB) error {
			for _, step := range seedSteps() {
				if _, err := step.run(ctx, db); err != nil {
					return fmt.Errorf("seed %s: %w", step.name, err)
				}
			}
			return nil
		},
		Start: func(ctx context.Context, cfg config.Config, logOut io.Writer) (*bench.System, error) {
			d, err := build(ctx, cfg, logOut)
			if err != nil {
				return nil, err
			}
			return &bench.System{
				Serve: func(ctx context.Context, ready chan<- string) error { return serve(ctx, d, ready) },
				Work:  func(ctx context.Context, concurrency int) error { return work(ctx, d, concurrency) },
				Wake:  d.app.delivery.Wake,
				Close: d.close,
			}, nil
		},
	}
}
