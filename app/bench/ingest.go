package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/heraldhq/herald/app/ingest"
)

// benchCases is how many distinct cases the ingest scenarios' events touch.
const benchCases = 1000

// eventBody is a generic-source case.updated webhook (~450 bytes) with
// event id id about case caseKey.
func eventBody(id, caseKey string, n int64, at time.Time) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","type":"case.updated","occurred_at":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":{"case_id":"`...)
	b = append(b, caseKey...)
	b = append(b, `","client_id":"CL-`...)
	b = append(b, caseKey...)
	b = append(b, `","current_attributes":{"status":"Discovery Initiated","case_number":"PI-2026-`...)
	b = strconv.AppendInt(b, n%100000, 10)
	b = append(b, `","client_first_name":"Ana","client_last_name":"Lopez","client_email":"ana.`...)
	b = append(b, caseKey...)
	b = append(b, `@example.com","client_mobile_phone":"(312) 555-01`...)
	b = append(b, fmt.Sprintf("%02d", n%100)...)
	b = append(b, `","preferred_language":"en","timezone":"America/Chicago","attorney_id":"ATT-7","paralegal_id":"PL-3"}}}`...)
	return b
}

// signedHeader is the header a CMS sends with body.
func signedHeader(body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(ingest.SignatureHeader, ingest.Sign(benchSecret, time.Now(), body))
	return h
}

// postWebhook posts one signed webhook and returns the status code.
func postWebhook(ctx context.Context, c *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = signedHeader(body)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// referenceTable is where the raw-INSERT reference writes: a copy of
// inbound_events with the same columns, defaults, checks and indexes (the
// unique (source, event_id) included), so Herald's worker never sees its
// rows.
const referenceTable = "bench_reference_events"

// referenceInsert is ingest's own INSERT, aimed at the reference table.
const referenceInsert = `INSERT INTO ` + referenceTable + ` (source, event_id, id_from_hash, event_type, occurred_at,
		body, headers, received_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
	ON CONFLICT (source, event_id) DO NOTHING RETURNING id`

// referencePool opens a pgx pool of n connections on the scenario database,
// creates the reference table, and reports synchronous_commit.
func (r *runner) referencePool(ctx context.Context, e *env, n int) (*pgxpool.Pool, string, error) {
	cfg, err := pgxpool.ParseConfig(e.dsn)
	if err != nil {
		return nil, "", err
	}
	cfg.MaxConns = int32(max(n, 4))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	r.onCleanup(pool.Close)
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+referenceTable+` (LIKE inbound_events INCLUDING ALL)`); err != nil {
		return nil, "", fmt.Errorf("create reference table: %w", err)
	}
	var sync string
	if err := pool.QueryRow(ctx, "SHOW synchronous_commit").Scan(&sync); err != nil {
		return nil, "", err
	}
	return pool, sync, nil
}

// insertReference stores body the way ingest does, minus HTTP, signature,
// JSON envelope and wake-up.
func insertReference(ctx context.Context, pool *pgxpool.Pool, id string, body []byte, hdr []byte, at time.Time) error {
	var rowID int64
	return pool.QueryRow(ctx, referenceInsert, "generic", id, false, "case.updated", at, body, hdr, at).Scan(&rowID)
}

// referenceHeaders is the stored-headers JSON of a typical webhook.
func referenceHeaders(body []byte) []byte {
	h := map[string]string{}
	for k, v := range signedHeader(body) {
		h[k] = v[0]
	}
	h["user-agent"] = "Go-http-client/1.1"
	h["content-length"] = strconv.Itoa(len(body))
	b, _ := json.Marshal(h)
	return b
}

func httpClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}}
}

// runIngest is the saturation scenario.
func runIngest(ctx context.Context, r *runner) (*Report, error) {
	resetPeakRSS()
	conc := pick(r.o.Concurrency, r.o.Quick, 4, 16)
	d := pick(r.o.Duration, r.o.Quick, 2*time.Second, 20*time.Second)
	e, err := r.newEnv(ctx)
	if err != nil {
		return nil, err
	}
	h, err := r.startInProcess(ctx, heraldEnv(e, r.newFakes(), nil), true, 0)
	if err != nil {
		return nil, err
	}
	pool, syncCommit, err := r.referencePool(ctx, e, conc)
	if err != nil {
		return nil, err
	}
	client := httpClient(conc)
	url := h.url + "/webhooks/cms/generic"
	var acked, other atomic.Int64
	var runs []run
	for round := range r.rounds() {
		r.logf("ingest: round %d reference (raw pgx INSERT, %d goroutines, %s)", round+1, conc, d)
		ref := closedLoop(ctx, conc, d, func(ctx context.Context, seq int64) error {
			id := fmt.Sprintf("ref-%d-%d", round, seq)
			body := eventBody(id, caseKey(seq), seq, time.Now())
			return insertReference(ctx, pool, id, body, referenceHeaders(body), time.Now())
		})
		runs = append(runs, closedRun("reference: raw pgx INSERT", "one INSERT … RETURNING (synchronous_commit "+syncCommit+")", ref))
		r.logf("ingest: round %d herald (%d clients, %s)", round+1, conc, d)
		her := closedLoop(ctx, conc, d, func(ctx context.Context, seq int64) error {
			id := fmt.Sprintf("ingest-%d-%d", round, seq)
			code, err := postWebhook(ctx, client, url, eventBody(id, caseKey(seq), seq, time.Now()))
			switch {
			case err != nil:
				return err
			case code == http.StatusAccepted:
				acked.Add(1)
				return nil
			default:
				other.Add(1)
				return fmt.Errorf("webhook answered %d", code)
			}
		})
		runs = append(runs, closedRun("herald", "signed POST /webhooks/cms/generic over loopback → 202", her))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	rep := &Report{Params: map[string]string{"concurrency": strconv.Itoa(conc), "duration": d.String(), "rounds": strconv.Itoa(r.rounds())}}
	rep.setRuns(runs, "reference: raw pgx INSERT")
	rep.Herald.PeakRSSMB, rep.Herald.RSSOf = h.peakRSSMB(), h.rssOf
	var rows int64
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM inbound_events WHERE source = 'generic' AND event_id LIKE 'ingest-%'`).Scan(&rows); err != nil {
		return nil, err
	}
	rep.Targets = append(rep.Targets, check("herald / reference throughput", "≥ 0.60", fmt.Sprintf("%.2f", rep.Ratio), rep.Ratio >= 0.60))
	rep.Checks = append(rep.Checks,
		check("non-2xx answers", "0", strconv.FormatInt(rep.Herald.Errors, 10), rep.Herald.Errors == 0),
		check("inbound_events rows == acknowledged (202)", strconv.FormatInt(acked.Load(), 10), strconv.FormatInt(rows, 10), rows == acked.Load() && rows > 0),
		check("reference synchronous_commit", "on", syncCommit, syncCommit == "on"),
		check("reference errors", "0", strconv.FormatInt(rep.Reference.Errors, 10), rep.Reference.Errors == 0),
	)
	return rep, nil
}

// caseKey spreads events over benchCases cases.
func caseKey(seq int64) string { return "C-" + strconv.FormatInt(seq%benchCases, 10) }

func closedRun(system, latencyOf string, c closed) run {
	m := Measurement{System: system, Model: "closed", Ops: c.ops, Seconds: c.elapsed.Seconds(), Errors: c.errs, LatencyOf: latencyOf}
	if m.Seconds > 0 {
		m.Throughput = float64(m.Ops) / m.Seconds
	}
	m.Latency = percentiles(c.latencies)
	return run{m: m, latencies: c.latencies}
}

// setRuns stores the runs and their per-system aggregates and ratio.
func (rep *Report) setRuns(runs []run, refSystem string) {
	for _, x := range runs {
		rep.Runs = append(rep.Runs, x.m)
	}
	rep.Herald = aggregate("herald", runs)
	if refSystem != "" {
		ref := aggregate(refSystem, runs)
		rep.Reference = &ref
		if ref.Throughput > 0 {
			rep.Ratio = rep.Herald.Throughput / ref.Throughput
		}
	}
}

// runIngestLatency is the fixed-rate scenario against a `herald run` child.
func runIngestLatency(ctx context.Context, r *runner) (*Report, error) {
	resetPeakRSS()
	rate := pick(r.o.Rate, r.o.Quick, 100, 2000)
	d := pick(r.o.Duration, r.o.Quick, 2*time.Second, 30*time.Second)
	e, err := r.newEnv(ctx)
	if err != nil {
		return nil, err
	}
	envm := heraldEnv(e, r.newFakes(), nil)
	var h *herald
	if r.o.InProcess {
		h, err = r.startInProcess(ctx, envm, true, r.workers())
	} else {
		h, err = r.startChild(ctx, envm, r.workers())
	}
	if err != nil {
		return nil, err
	}
	pool, syncCommit, err := r.referencePool(ctx, e, 64)
	if err != nil {
		return nil, err
	}
	refURL, err := r.referenceServer(pool)
	if err != nil {
		return nil, err
	}
	var acked atomic.Int64
	var runs []run
	var checks []Check
	for round := range r.rounds() {
		r.logf("ingest-latency: round %d reference (net/http + raw pgx INSERT) at %.0f/s for %s", round+1, rate, d)
		ref := openLoad(ctx, rate, d, webhookTargeter(refURL, fmt.Sprintf("lref-%d-", round), nil), nil)
		runs = append(runs, openRun("reference: net/http + raw pgx INSERT", "POST → INSERT committed → 202 (synchronous_commit "+syncCommit+")", rate, ref))
		checks = append(checks, rateCheck("reference", rate, ref.achieved))
		r.logf("ingest-latency: round %d herald at %.0f/s for %s", round+1, rate, d)
		her := openLoad(ctx, rate, d, webhookTargeter(h.url+"/webhooks/cms/generic", fmt.Sprintf("lat-%d-", round), nil), func(res *vegeta.Result) {
			if res.Code == http.StatusAccepted {
				acked.Add(1)
			}
		})
		runs = append(runs, openRun("herald", "signed POST /webhooks/cms/generic → 202, sent on schedule (open model)", rate, her))
		checks = append(checks, rateCheck("herald", rate, her.achieved))
		if her.errs > 0 {
			r.logf("ingest-latency: first error: %s", her.firstErr)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	peak := h.peakRSSMB()
	if err := h.stop(); err != nil {
		checks = append(checks, check("herald run stops cleanly on SIGTERM", "exit 0", err.Error(), false))
	}
	rep := &Report{Params: map[string]string{"rate": fmt.Sprintf("%.0f/s", rate), "duration": d.String(), "workers": strconv.Itoa(r.workers()), "rounds": strconv.Itoa(r.rounds())}}
	rep.setRuns(runs, "reference: net/http + raw pgx INSERT")
	rep.Ratio = 0 // both run at the requested rate: the latencies compare, not the throughput
	rep.Herald.PeakRSSMB, rep.Herald.RSSOf = peak, h.rssOf
	var rows int64
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM inbound_events WHERE source = 'generic' AND event_id LIKE 'lat-%'`).Scan(&rows); err != nil {
		return nil, err
	}
	p := rep.Herald.Latency
	if p == nil {
		p = &Percentiles{}
	}
	rep.Targets = append(rep.Targets,
		check("p99 latency", "≤ 25 ms", ms(p.P99)+" ms", p.Samples > 0 && p.P99 <= 25),
		check("p99.9 latency", "≤ 100 ms", ms(p.P999)+" ms", p.Samples > 0 && p.P999 <= 100),
		check("peak RSS of "+h.rssOf, "≤ 200 MB", fmt.Sprintf("%.0f MB", peak), peak > 0 && peak <= 200),
	)
	rep.Checks = append(checks,
		check("non-2xx answers", "0", strconv.FormatInt(rep.Herald.Errors, 10), rep.Herald.Errors == 0),
		check("inbound_events rows == acknowledged (202)", strconv.FormatInt(acked.Load(), 10), strconv.FormatInt(rows, 10), rows == acked.Load() && rows > 0),
	)
	return rep, nil
}

// webhookTargeter builds a fresh signed webhook per request with event id
// prefix+n; sent, when not nil, records when event n was built (sent).
func webhookTargeter(url, prefix string, sent func(n int64, at time.Time)) vegeta.Targeter {
	var seq atomic.Int64
	return func(t *vegeta.Target) error {
		n := seq.Add(1)
		now := time.Now()
		body := eventBody(prefix+strconv.FormatInt(n, 10), caseKey(n), n, now)
		t.Method, t.URL, t.Body, t.Header = http.MethodPost, url, body, signedHeader(body)
		t.Header.Set(eventIDHeader, prefix+strconv.FormatInt(n, 10))
		if sent != nil {
			sent(n, now)
		}
		return nil
	}
}

func openRun(system, latencyOf string, rate float64, o open) run {
	m := Measurement{System: system, Model: "open", Ops: o.ok, Seconds: o.elapsed.Seconds(), Errors: o.errs,
		RequestedRate: rate, AchievedRate: o.achieved, LatencyOf: latencyOf}
	if m.Seconds > 0 {
		m.Throughput = float64(m.Ops) / m.Seconds
	}
	m.Latency = percentiles(o.latencies)
	return run{m: m, latencies: o.latencies}
}

// eventIDHeader tells the reference server the event id, so it need not
// parse the body.
const eventIDHeader = "X-Bench-Event-Id"

// referenceServer is the floor for webhook latency on this machine: plain
// net/http that reads the body, runs the raw INSERT and answers 202.
func (r *runner) referenceServer(pool *pgxpool.Pool) (string, error) {
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		now := time.Now()
		if err := insertReference(req.Context(), pool, req.Header.Get(eventIDHeader), body, referenceHeaders(body), now); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"accepted"}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	r.onCleanup(func() { _ = srv.Close() })
	return "http://" + addr + "/webhooks/cms/generic", nil
}
