package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// runSweep flushes Redis under n due messages and times the delivery
// sweeper re-enqueueing them, against raw asynq enqueues of as many tasks
// at the same parallelism; then the worker delivers them all and the
// ledger and the provider must agree that each was sent exactly once.
func runSweep(ctx context.Context, r *runner) (*Report, error) {
	resetPeakRSS()
	n := pick(r.o.Messages, r.o.Quick, 500, 100000)
	e, err := r.newEnv(ctx)
	if err != nil {
		return nil, err
	}
	f := r.newFakes()
	envm := heraldEnv(e, f, nil)
	const batch = "bench:sweep"
	r.logf("sweep: seeding %d due messages", n)
	if err := seedMessages(ctx, e.db, batch, n, time.Now().Add(-time.Minute)); err != nil {
		return nil, err
	}
	h, err := r.startInProcess(ctx, envm, false, 0)
	if err != nil {
		return nil, err
	}
	opt := asynq.RedisClientOpt{Addr: e.ropt.Addr, DB: e.ropt.DB, Username: e.ropt.Username, Password: e.ropt.Password, TLSConfig: e.ropt.TLSConfig}
	var runs []run
	var woken []int
	for round := range r.rounds() {
		if err := e.rdb.FlushDB(ctx).Err(); err != nil {
			return nil, err
		}
		r.logf("sweep: round %d reference (raw asynq enqueue of %d tasks, 32 at a time)", round+1, n)
		start := time.Now()
		if err := enqueueNoop(ctx, opt, n, fmt.Sprintf("noop%d", round)); err != nil {
			return nil, err
		}
		runs = append(runs, batchRun("reference: raw asynq enqueue", int64(n), time.Since(start)))
		if err := e.rdb.FlushDB(ctx).Err(); err != nil {
			return nil, err
		}
		r.logf("sweep: round %d herald (Redis flushed; the delivery sweeper re-enqueues %d due rows)", round+1, n)
		start = time.Now()
		k, err := h.sys.Wake(ctx)
		if err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		runs = append(runs, batchRun("herald", int64(k), time.Since(start)))
		woken = append(woken, k)
	}
	_ = h.stop()
	r.logf("sweep: delivering the %d re-enqueued messages", n)
	before := f.sendgrid.Stats().Accepted
	w, err := r.startInProcess(ctx, envm, false, r.workers())
	if err != nil {
		return nil, err
	}
	if _, err := waitFor(ctx, deliverTimeout(n), func() (bool, error) {
		return f.sendgrid.Stats().Accepted-before >= n, nil
	}); err != nil {
		return nil, err
	}
	if err := w.stop(); err != nil {
		return nil, err
	}
	rep := &Report{Params: map[string]string{"messages": strconv.Itoa(n), "rounds": strconv.Itoa(r.rounds()), "workers": strconv.Itoa(r.workers())}}
	rep.setRuns(runs, "reference: raw asynq enqueue")
	rep.Herald.PeakRSSMB, rep.Herald.RSSOf = h.peakRSSMB(), h.rssOf
	rate := rep.Herald.Throughput
	rep.Targets = append(rep.Targets, check("rows re-enqueued per second", "≥ 10000", fmt.Sprintf("%.0f", rate), rate >= 10000))
	checks, err := ledgerChecks(ctx, e, f, []string{batch}, int64(n))
	if err != nil {
		return nil, err
	}
	for i, k := range woken {
		checks = append(checks, check(fmt.Sprintf("round %d: due rows re-enqueued", i+1), strconv.Itoa(n), strconv.Itoa(k), k == n))
	}
	rep.Checks = checks
	return rep, nil
}

func batchRun(system string, ops int64, d time.Duration) run {
	m := Measurement{System: system, Model: "batch", Ops: ops, Seconds: d.Seconds(), RSSOf: "bench process"}
	if m.Seconds > 0 {
		m.Throughput = float64(ops) / m.Seconds
	}
	m.PeakRSSMB, _ = peakRSSMB(os.Getpid())
	return run{m: m}
}
