package bench

import (
	"context"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Percentiles are exact latency quantiles in milliseconds: every sample is
// kept and sorted, nothing is averaged or bucketed.
type Percentiles struct {
	Samples int     `json:"samples"`
	P50     float64 `json:"p50"`
	P95     float64 `json:"p95"`
	P99     float64 `json:"p99"`
	P999    float64 `json:"p99_9"`
	Max     float64 `json:"max"`
}

// percentiles returns the nearest-rank quantiles of samples, nil for none.
func percentiles(samples []float64) *Percentiles {
	if len(samples) == 0 {
		return nil
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return &Percentiles{Samples: len(s), P50: q(0.50), P95: q(0.95), P99: q(0.99), P999: q(0.999), Max: s[len(s)-1]}
}

// PercentilesOf is percentiles for benchmarks outside herald bench (the
// portal's go test -bench reports p95 with it).
func PercentilesOf(samples []float64) *Percentiles { return percentiles(samples) }

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// closed is the outcome of a closed-loop run.
type closed struct {
	ops, errs int64
	elapsed   time.Duration
	latencies []float64
	firstErr  error
}

// closedLoop runs n clients, each calling op back to back, until d has
// passed or ctx ends. seq numbers every call across clients from 1. A call
// in flight at the deadline is let finish and counted, so what a server
// committed is what the client saw. Only successful calls are timed.
func closedLoop(ctx context.Context, n int, d time.Duration, op func(ctx context.Context, seq int64) error) closed {
	var seq atomic.Int64
	var mu sync.Mutex
	var out closed
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range n {
		wg.Go(func() {
			lat := make([]float64, 0, 4096)
			var ops, errs int64
			var firstErr error
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t := time.Now()
				if err := op(ctx, seq.Add(1)); err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				ops++
				lat = append(lat, millis(time.Since(t)))
			}
			mu.Lock()
			out.ops += ops
			out.errs += errs
			out.latencies = append(out.latencies, lat...)
			if out.firstErr == nil {
				out.firstErr = firstErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	return out
}

// open is the outcome of a fixed-rate run.
type open struct {
	sent, ok, errs int64
	codes          map[int]int
	achieved       float64
	elapsed        time.Duration
	latencies      []float64 // of 2xx answers
	firstErr       string
}

// maxInFlight bounds an open-model run's concurrent requests.
const maxInFlight = 400

// openLoad sends requests from targeter at rate per second for d with
// vegeta (an open model: a slow answer does not slow the sender down, so
// latencies are free of coordinated omission). onResult, when not nil, sees
// every result.
func openLoad(ctx context.Context, rate float64, d time.Duration, targeter vegeta.Targeter, onResult func(*vegeta.Result)) open {
	// At most maxInFlight requests at once: a server that cannot keep up
	// then shows as an achieved rate below the requested one (the run is
	// invalid) instead of exhausting file descriptors on both sides.
	atk := vegeta.NewAttacker(vegeta.Timeout(30*time.Second), vegeta.KeepAlive(true), vegeta.MaxBody(4096),
		vegeta.Workers(64), vegeta.MaxWorkers(maxInFlight), vegeta.Connections(maxInFlight), vegeta.MaxConnections(maxInFlight))
	pacer := vegeta.ConstantPacer{Freq: int(math.Round(rate)), Per: time.Second}
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	out := open{codes: map[int]int{}}
	var first, last time.Time
	start := time.Now()
	for res := range atk.Attack(targeter, pacer, d, "herald-bench") {
		out.sent++
		out.codes[int(res.Code)]++
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if res.Timestamp.After(last) {
			last = res.Timestamp
		}
		if res.Error == "" && res.Code >= 200 && res.Code < 300 {
			out.ok++
			out.latencies = append(out.latencies, millis(res.Latency))
		} else {
			out.errs++
			if out.firstErr == "" {
				out.firstErr = res.Error
				if out.firstErr == "" {
					out.firstErr = http.StatusText(int(res.Code)) + ": " + string(res.Body)
				}
			}
		}
		if onResult != nil {
			onResult(res)
		}
	}
	out.elapsed = time.Since(start)
	if span := last.Sub(first); out.sent > 1 && span > 0 {
		out.achieved = float64(out.sent-1) / span.Seconds()
	}
	return out
}

// rateCheck is the validity check of an open-model run.
func rateCheck(system string, requested, achieved float64) Check {
	ratio := 0.0
	if requested > 0 {
		ratio = achieved / requested
	}
	return check(system+": achieved / requested rate", "≥ 99%", pctf(ratio), ratio >= 0.99)
}
