package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// runE2E posts new-case webhooks at a fixed rate to a `herald run` child
// whose rules send one email per event (discovery_explainer) to a fake
// SendGrid with latency, and times each event from webhook sent to the
// provider receiving its message.
func runE2E(ctx context.Context, r *runner) (*Report, error) {
	resetPeakRSS()
	rate := pick(r.o.Rate, r.o.Quick, 50, 500)
	d := pick(r.o.Duration, r.o.Quick, 3*time.Second, 60*time.Second)
	lat := pick(r.o.ProviderLatency, r.o.Quick, 50*time.Millisecond, 50*time.Millisecond)
	jit := pick(r.o.ProviderJitter, r.o.Quick, 20*time.Millisecond, 20*time.Millisecond)
	if jit > lat {
		jit = lat
	}
	e, err := r.newEnv(ctx)
	if err != nil {
		return nil, err
	}
	f := r.newFakes()
	f.sendgrid.SetLatency(lat-jit, 2*jit)
	f.twilio.SetLatency(lat-jit, 2*jit)
	// Status messages go out at once: the settle delay is a product wait,
	// not pipeline latency.
	envm := heraldEnv(e, f, map[string]string{"HERALD_SETTLE_DELAY": "0s"})
	var h *herald
	if r.o.InProcess {
		h, err = r.startInProcess(ctx, envm, true, r.workers())
	} else {
		h, err = r.startChild(ctx, envm, r.workers())
	}
	if err != nil {
		return nil, err
	}
	var sent sync.Map // event number → time the webhook was sent
	var acked atomic.Int64
	// Every event is a new case, so each fires the discovery rule once.
	targeter := func(url string) vegeta.Targeter {
		var seq atomic.Int64
		return func(t *vegeta.Target) error {
			n := seq.Add(1)
			now := time.Now()
			id := "e2e-" + strconv.FormatInt(n, 10)
			body := eventBody(id, "E2E-"+strconv.FormatInt(n, 10), n, now)
			t.Method, t.URL, t.Body, t.Header = http.MethodPost, url, body, signedHeader(body)
			sent.Store(n, now)
			return nil
		}
	}
	r.logf("e2e: herald at %.0f/s for %s, provider latency %s ± %s", rate, d, lat, jit)
	load := openLoad(ctx, rate, d, targeter(h.url+"/webhooks/cms/generic"), func(res *vegeta.Result) {
		if res.Code == http.StatusAccepted {
			acked.Add(1)
		}
	})
	if load.errs > 0 {
		r.logf("e2e: first error: %s", load.firstErr)
	}
	// Let the pipeline finish what was acknowledged.
	settle := pick(0, r.o.Quick, 20*time.Second, 60*time.Second)
	if _, err := waitFor(ctx, settle, func() (bool, error) {
		counts, total, err := e2eCounts(ctx, e)
		return err == nil && total >= acked.Load() && inFlight(counts) == 0, err
	}); err != nil {
		return nil, err
	}
	peak := h.peakRSSMB()
	stopErr := h.stop()
	// Herald has stopped: the ledger and the provider no longer move, so
	// the counts below are of one state.
	counts, total, err := e2eCounts(ctx, e)
	if err != nil {
		return nil, err
	}
	ids, err := e2eEventOf(ctx, e)
	if err != nil {
		return nil, err
	}
	var samples []float64
	for _, s := range f.sendgrid.Sends() {
		n, ok := ids[s.HeraldMessageID]
		if !ok {
			continue
		}
		if at, ok := sent.Load(n); ok {
			samples = append(samples, millis(s.Received.Sub(at.(time.Time))))
		}
	}
	m := Measurement{System: "herald", Model: "open", Ops: load.ok, Seconds: load.elapsed.Seconds(), Errors: load.errs,
		RequestedRate: rate, AchievedRate: load.achieved, LatencyOf: "webhook sent → provider received the message",
		Latency: percentiles(samples), PeakRSSMB: peak, RSSOf: h.rssOf}
	if m.Seconds > 0 {
		m.Throughput = float64(m.Ops) / m.Seconds
	}
	rep := &Report{Params: map[string]string{"rate": fmt.Sprintf("%.0f/s", rate), "duration": d.String(), "workers": strconv.Itoa(r.workers()),
		"provider_latency": fmt.Sprintf("%s ± %s", lat, jit)}}
	rep.setRuns([]run{{m: m, latencies: samples}}, "")
	p := m.Latency
	if p == nil {
		p = &Percentiles{}
	}
	rep.Targets = append(rep.Targets,
		check("p50 webhook → provider", "≤ 100 ms", ms(p.P50)+" ms", p.Samples > 0 && p.P50 <= 100),
		check("p99 webhook → provider", "≤ 500 ms", ms(p.P99)+" ms", p.Samples > 0 && p.P99 <= 500),
	)
	sentN, dead, flying := sentOf(counts), counts["dead"], inFlight(counts)
	dups := f.sendgrid.Duplicates() + f.twilio.Duplicates()
	accepted := int64(f.sendgrid.Stats().Accepted + f.twilio.Stats().Accepted)
	rep.Checks = append(rep.Checks,
		rateCheck("herald", rate, load.achieved),
		check("non-2xx answers", "0", strconv.FormatInt(load.errs, 10), load.errs == 0),
		check("messages planned == events acknowledged", strconv.FormatInt(acked.Load(), 10), strconv.FormatInt(total, 10), total == acked.Load() && total > 0),
		check("accepted == delivered + dead + in flight", strconv.FormatInt(total, 10),
			fmt.Sprintf("%d delivered + %d dead + %d in flight", sentN, dead, flying), total == sentN+dead+flying),
		check("in flight after the pipeline settled", "0", strconv.FormatInt(flying, 10), flying == 0),
		check("provider accepted == ledger sent", strconv.FormatInt(sentN, 10), strconv.FormatInt(accepted, 10), accepted == sentN),
		check("duplicate sends at the provider", "0", strconv.Itoa(dups), dups == 0),
		check("latency samples == messages sent", strconv.FormatInt(sentN, 10), strconv.Itoa(len(samples)), int64(len(samples)) == sentN),
	)
	if stopErr != nil {
		rep.Checks = append(rep.Checks, check("herald stops cleanly", "exit 0", stopErr.Error(), false))
	}
	return rep, nil
}

// e2eCounts counts the messages planned from e2e events by status.
func e2eCounts(ctx context.Context, e *env) (map[string]int64, int64, error) {
	rows, err := e.db.Pool.Query(ctx, `SELECT m.status, count(*) FROM messages m
		JOIN inbound_events ev ON ev.id = m.inbound_event_id WHERE ev.event_id LIKE 'e2e-%' GROUP BY m.status`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[string]int64{}
	var total int64
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, 0, err
		}
		out[s] = n
		total += n
	}
	return out, total, rows.Err()
}

// e2eEventOf maps each e2e message id to its event's number.
func e2eEventOf(ctx context.Context, e *env) (map[int64]int64, error) {
	rows, err := e.db.Pool.Query(ctx, `SELECT m.id, ev.event_id FROM messages m
		JOIN inbound_events ev ON ev.id = m.inbound_event_id WHERE ev.event_id LIKE 'e2e-%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id int64
		var ev string
		if err := rows.Scan(&id, &ev); err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(strings.TrimPrefix(ev, "e2e-"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("event id %q: %w", ev, err)
		}
		out[id] = n
	}
	return out, rows.Err()
}
