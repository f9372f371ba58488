package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/delivery/providertest"
)

// drainRetrySchedule retries every second, thirty times: long enough that
// no message dies during the outage, short enough that the backlog is due
// as soon as the provider recovers.
func drainRetrySchedule() string {
	return strings.TrimSuffix(strings.Repeat("1s,", 30), ",")
}

// runDrain measures how fast a backlog drains after a provider outage,
// against the delivery rate of the same setup with a healthy provider.
func runDrain(ctx context.Context, r *runner) (*Report, error) {
	resetPeakRSS()
	n := pick(r.o.Messages, r.o.Quick, 300, 20000)
	outage := pick(r.o.Outage, r.o.Quick, time.Second, 10*time.Second)
	e, err := r.newEnv(ctx)
	if err != nil {
		return nil, err
	}
	f := r.newFakes()
	envm := heraldEnv(e, f, map[string]string{"HERALD_RETRY_SCHEDULE": drainRetrySchedule()})
	var runs []run
	var batches []string
	var rejected int
	for round := range r.rounds() {
		refBatch := fmt.Sprintf("bench:drain-ref:%d", round)
		r.logf("drain: round %d reference (deliver %d messages, healthy provider)", round+1, n)
		ref, err := r.heraldDeliver(ctx, e, f, envm, refBatch, n)
		if err != nil {
			return nil, err
		}
		ref.m.System = "reference: herald deliver (healthy provider)"
		runs = append(runs, ref)
		batches = append(batches, refBatch)
		if err := e.rdb.FlushDB(ctx).Err(); err != nil {
			return nil, err
		}
		batch := fmt.Sprintf("bench:drain:%d", round)
		batches = append(batches, batch)
		r.logf("drain: round %d herald (%d messages, provider 503 for %s, then recovers)", round+1, n, outage)
		her, rej, err := r.drainOnce(ctx, e, f, envm, batch, n, outage)
		if err != nil {
			return nil, err
		}
		rejected += rej
		runs = append(runs, her)
		if err := e.rdb.FlushDB(ctx).Err(); err != nil {
			return nil, err
		}
	}
	rep := &Report{Params: map[string]string{"messages": strconv.Itoa(n), "outage": outage.String(), "workers": strconv.Itoa(r.workers()),
		"retry_schedule": "1s × 30", "rounds": strconv.Itoa(r.rounds())}}
	rep.setRuns(runs, "reference: herald deliver (healthy provider)")
	rep.Targets = append(rep.Targets, check("drain rate / deliver rate", "≥ 0.80", fmt.Sprintf("%.2f", rep.Ratio), rep.Ratio >= 0.80))
	checks, err := ledgerChecks(ctx, e, f, batches, int64(n)*int64(len(batches)))
	if err != nil {
		return nil, err
	}
	var transient int64
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM delivery_attempts WHERE outcome = 'transient_error'`).Scan(&transient); err != nil {
		return nil, err
	}
	rep.Checks = append(checks,
		check("the outage refused sends (503)", "> 0", strconv.Itoa(rejected), rejected > 0),
		check("503s recorded as transient_error attempts", strconv.Itoa(rejected), strconv.FormatInt(transient, 10), transient == int64(rejected)),
	)
	return rep, nil
}

// drainOnce seeds and wakes n messages, starts the worker against a
// provider answering 503, restores it after outage, and times the drain
// from the recovery until the provider has accepted all n.
func (r *runner) drainOnce(ctx context.Context, e *env, f *fakes, envm map[string]string, batch string, n int, outage time.Duration) (run, int, error) {
	if err := seedMessages(ctx, e.db, batch, n, time.Now().Add(-time.Minute)); err != nil {
		return run{}, 0, err
	}
	h, err := r.startInProcess(ctx, envm, false, 0)
	if err != nil {
		return run{}, 0, err
	}
	if woken, err := h.sys.Wake(ctx); err != nil || woken < n {
		return run{}, 0, fmt.Errorf("the sweeper woke %d of %d messages: %v", woken, n, err)
	}
	_ = h.stop()
	if _, err := e.db.Pool.Exec(ctx, `UPDATE messages SET due_at = now() WHERE idempotency_key LIKE $1 || ':%'`, batch); err != nil {
		return run{}, 0, err
	}
	rejectedBefore := f.sendgrid.Stats().Rejected
	before := int64(f.sendgrid.Stats().Accepted)
	f.sendgrid.SetDefault(providertest.SendGridError(http.StatusServiceUnavailable, "Service Unavailable", ""))
	w, err := r.startInProcess(ctx, envm, false, r.workers())
	if err != nil {
		return run{}, 0, err
	}
	select {
	case <-ctx.Done():
		return run{}, 0, ctx.Err()
	case <-time.After(outage):
	}
	f.sendgrid.SetDefault(providertest.Step{})
	recovered := time.Now()
	rejected := f.sendgrid.Stats().Rejected - rejectedBefore
	done, err := waitFor(ctx, deliverTimeout(n), func() (bool, error) {
		return int64(f.sendgrid.Stats().Accepted)-before >= int64(n), nil
	})
	elapsed := time.Since(recovered)
	if stopErr := w.stop(); stopErr != nil {
		return run{}, 0, stopErr
	}
	if err != nil {
		return run{}, 0, err
	}
	if !done {
		r.logf("drain: only %d of %d messages reached the provider %s after recovery", int64(f.sendgrid.Stats().Accepted)-before, n, elapsed.Round(time.Second))
	}
	var lat []float64
	for _, s := range f.sendgrid.Sends() {
		if !s.Received.Before(recovered) {
			lat = append(lat, millis(s.Received.Sub(recovered)))
		}
	}
	m := Measurement{System: "herald", Model: "batch", Ops: int64(f.sendgrid.Stats().Accepted) - before, Seconds: elapsed.Seconds(),
		LatencyOf: "provider recovery → message received", Latency: percentiles(lat), RSSOf: "bench process (Herald in-process)"}
	m.Throughput = float64(m.Ops) / m.Seconds
	m.PeakRSSMB, _ = peakRSSMB(w.pid)
	return run{m: m, latencies: lat}, rejected, nil
}
