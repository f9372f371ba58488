package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/jobs"
)

// messageClients is how many clients (each with one case) the seeded
// messages are spread over, so the send-time pause and opt-out checks look
// at many rows.
const messageClients = 1000

// seedMessages inserts n pending email messages due dueAt, keyed
// "<batch>:<i>", spread over messageClients clients and cases.
func seedMessages(ctx context.Context, db *store.DB, batch string, n int, dueAt time.Time) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO clients (source, external_id, first_name, last_name, email, timezone)
		SELECT 'generic', 'bench-cl-' || g, 'Ana', 'Lopez', 'client' || g || '@example.com', 'America/Chicago'
		FROM generate_series(1, $1::int) g ON CONFLICT (source, external_id) DO NOTHING`, messageClients)
	if err != nil {
		return fmt.Errorf("seed clients: %w", err)
	}
	_, err = db.Pool.Exec(ctx, `INSERT INTO cases (source, external_id, client_id, case_number, status, snapshot)
		SELECT 'generic', 'bench-case-' || c.id, c.id, 'PI-2026-' || c.id, 'discovery_initiated', '{}'
		FROM clients c WHERE c.external_id LIKE 'bench-cl-%' ON CONFLICT (source, external_id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("seed cases: %w", err)
	}
	_, err = db.Pool.Exec(ctx, `WITH cs AS (
			SELECT row_number() OVER (ORDER BY cs.id) - 1 AS k, cs.id, cs.client_id, cl.email
			FROM cases cs JOIN clients cl ON cl.id = cs.client_id WHERE cs.external_id LIKE 'bench-case-%')
		INSERT INTO messages (idempotency_key, kind, case_id, client_id, channel, recipient, subject, body_text, body_html, status, due_at)
		SELECT $1 || ':' || g, 'rule', cs.id, cs.client_id, 'email', cs.email, 'An update on your case PI-2026-' || cs.id,
			$3, $4, 'pending', $5
		FROM generate_series(1, $2::int) g JOIN cs ON cs.k = g % $6`,
		batch, n, messageText, messageHTML, dueAt, messageClients)
	if err != nil {
		return fmt.Errorf("seed messages: %w", err)
	}
	return nil
}

const messageText = "Hi Ana, discovery has started in your case. This is the stage where both sides exchange documents and information. " +
	"Your legal team will contact you if they need anything from you. Questions? Call us at +1 312 555 0100. Reply STOP to opt out."

const messageHTML = `<!doctype html><html><body style="font-family:sans-serif"><p>Hi Ana,</p><p>Discovery has started in your case. ` +
	`This is the stage where both sides exchange documents and information.</p><p>Your legal team will contact you if they need ` +
	`anything from you.</p><p>Questions? Call us at <a href="tel:+13125550100">+1 312 555 0100</a>.</p><p>Herald Bench Law</p></body></html>`

// statusCounts counts a batch's messages by status.
func statusCounts(ctx context.Context, db *store.DB, batch string) (map[string]int64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT status, count(*) FROM messages WHERE idempotency_key LIKE $1 || ':%' GROUP BY status`, batch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

func sentOf(c map[string]int64) int64 { return c["sent"] + c["delivered"] }

// inFlight is what is neither delivered nor given up on.
func inFlight(c map[string]int64) int64 {
	return c["pending"] + c["scheduled"] + c["sending"] + c["failed_retrying"] + c["held"] + c["outcome_unknown"]
}

// attemptLatencies returns each sent attempt's claim → commit time of a
// batch, in milliseconds.
func attemptLatencies(ctx context.Context, db *store.DB, batch string) ([]float64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT extract(epoch FROM a.finished_at - a.started_at) * 1000
		FROM delivery_attempts a JOIN messages m ON m.id = a.message_id
		WHERE m.idempotency_key LIKE $1 || ':%' AND a.outcome = 'sent' AND a.finished_at IS NOT NULL`, batch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []float64
	for rows.Next() {
		var v float64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// waitFor polls cond every 50ms until it holds, ctx ends or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error)) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil || ok {
			return ok, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// deliverTimeout bounds how long n messages may take to deliver.
func deliverTimeout(n int) time.Duration {
	return 60*time.Second + time.Duration(n)*10*time.Millisecond
}

// heraldDeliver seeds n due messages as batch, wakes them with the
// delivery sweeper (not timed), then runs the real worker until the fake
// provider has accepted all n. It returns the run and the worker time.
func (r *runner) heraldDeliver(ctx context.Context, e *env, f *fakes, envm map[string]string, batch string, n int) (run, error) {
	if err := seedMessages(ctx, e.db, batch, n, time.Now().Add(-time.Minute)); err != nil {
		return run{}, err
	}
	h, err := r.startInProcess(ctx, envm, false, 0)
	if err != nil {
		return run{}, err
	}
	woken, err := h.sys.Wake(ctx)
	if err != nil {
		return run{}, fmt.Errorf("wake %s: %w", batch, err)
	}
	if woken < n {
		return run{}, fmt.Errorf("the sweeper woke %d of %d messages", woken, n)
	}
	_ = h.stop()
	// Due now, not a minute ago: the worker's own sweeper re-enqueues rows
	// overdue by more than its grace (30s), and at start it would find
	// the whole batch "lost" when it is merely queued.
	if _, err := e.db.Pool.Exec(ctx, `UPDATE messages SET due_at = now() WHERE idempotency_key LIKE $1 || ':%'`, batch); err != nil {
		return run{}, err
	}
	before := int64(f.sendgrid.Stats().Accepted)
	start := time.Now()
	w, err := r.startInProcess(ctx, envm, false, r.workers())
	if err != nil {
		return run{}, err
	}
	done, err := waitFor(ctx, deliverTimeout(n), func() (bool, error) {
		return int64(f.sendgrid.Stats().Accepted)-before >= int64(n), nil
	})
	elapsed := time.Since(start)
	if err := w.stop(); err != nil {
		return run{}, err
	}
	if err != nil {
		return run{}, err
	}
	if !done {
		r.logf("%s: only %d of %d messages reached the provider in %s", batch, int64(f.sendgrid.Stats().Accepted)-before, n, elapsed.Round(time.Second))
	}
	lat, err := attemptLatencies(ctx, e.db, batch)
	if err != nil {
		return run{}, err
	}
	m := Measurement{System: "herald", Model: "batch", Ops: int64(f.sendgrid.Stats().Accepted) - before, Seconds: elapsed.Seconds(),
		LatencyOf: "one delivery attempt, claim → provider → commit", Latency: percentiles(lat),
		RSSOf: "bench process (Herald in-process)"}
	m.Throughput = float64(m.Ops) / m.Seconds
	pk, _ := peakRSSMB(w.pid)
	m.PeakRSSMB = pk
	return run{m: m, latencies: lat}, nil
}

// rawAsynq is the reference: n no-op tasks enqueued (not timed), then an
// asynq server with the same concurrency and queues as Herald's worker
// runs them; it returns the run.
func (r *runner) rawAsynq(ctx context.Context, e *env, n int) (run, error) {
	opt := asynq.RedisClientOpt{Addr: e.ropt.Addr, DB: e.ropt.DB, Username: e.ropt.Username, Password: e.ropt.Password, TLSConfig: e.ropt.TLSConfig}
	if err := enqueueNoop(ctx, opt, n, "noop"); err != nil {
		return run{}, err
	}
	var count atomic.Int64
	all := make(chan struct{})
	var once sync.Once
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency: r.workers(),
		Queues:      map[string]int{jobs.QueueIngest: 5, jobs.QueueDelivery: 5, jobs.QueueDefault: 1},
		LogLevel:    asynq.ErrorLevel,
		// The same polling as Herald's worker (jobs.NewWorker).
		TaskCheckInterval:        jobs.TaskCheckInterval,
		DelayedTaskCheckInterval: jobs.DelayedTaskCheckInterval,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc("bench:noop", func(ctx context.Context, t *asynq.Task) error {
		if count.Add(1) >= int64(n) {
			once.Do(func() { close(all) })
		}
		return nil
	})
	start := time.Now()
	if err := srv.Start(mux); err != nil {
		return run{}, err
	}
	select {
	case <-all:
	case <-ctx.Done():
	case <-time.After(deliverTimeout(n)):
	}
	elapsed := time.Since(start)
	srv.Shutdown()
	m := Measurement{System: "reference: raw asynq no-op", Model: "batch", Ops: count.Load(), Seconds: elapsed.Seconds(),
		RSSOf: "bench process"}
	m.Throughput = float64(m.Ops) / m.Seconds
	m.PeakRSSMB, _ = peakRSSMB(os.Getpid())
	return run{m: m}, ctx.Err()
}

// enqueueNoop enqueues n bench:noop tasks on the delivery queue, 32 at a
// time (as the sweeper does), each with a task id like Herald's.
func enqueueNoop(ctx context.Context, opt asynq.RedisClientOpt, n int, prefix string) error {
	c := asynq.NewClient(opt)
	defer c.Close()
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) || ctx.Err() != nil {
					return
				}
				b, _ := json.Marshal(jobs.IDPayload{ID: i})
				_, err := c.EnqueueContext(ctx, asynq.NewTask("bench:noop", b), asynq.TaskID(prefix+":"+strconv.FormatInt(i, 10)),
					asynq.Queue(jobs.QueueDelivery), asynq.MaxRetry(3), asynq.Timeout(2*time.Minute))
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// runDeliver is the delivery throughput scenario.
func runDeliver(ctx context.Context, r *runner) (*Report, error) {
	resetPeakRSS()
	n := pick(r.o.Messages, r.o.Quick, 300, 50000)
	e, err := r.newEnv(ctx)
	if err != nil {
		return nil, err
	}
	f := r.newFakes()
	envm := heraldEnv(e, f, nil)
	var runs []run
	var batches []string
	for round := range r.rounds() {
		r.logf("deliver: round %d reference (raw asynq no-op, %d tasks, concurrency %d)", round+1, n, r.workers())
		ref, err := r.rawAsynq(ctx, e, n)
		if err != nil {
			return nil, err
		}
		runs = append(runs, ref)
		if err := e.rdb.FlushDB(ctx).Err(); err != nil {
			return nil, err
		}
		batch := fmt.Sprintf("bench:deliver:%d", round)
		batches = append(batches, batch)
		r.logf("deliver: round %d herald (%d messages, concurrency %d)", round+1, n, r.workers())
		her, err := r.heraldDeliver(ctx, e, f, envm, batch, n)
		if err != nil {
			return nil, err
		}
		runs = append(runs, her)
		if err := e.rdb.FlushDB(ctx).Err(); err != nil {
			return nil, err
		}
	}
	rep := &Report{Params: map[string]string{"messages": strconv.Itoa(n), "workers": strconv.Itoa(r.workers()), "rounds": strconv.Itoa(r.rounds()), "provider": "fake SendGrid answering at once"}}
	rep.setRuns(runs, "reference: raw asynq no-op")
	rep.Targets = append(rep.Targets, check("herald / raw asynq throughput", "≥ 0.40", fmt.Sprintf("%.2f", rep.Ratio), rep.Ratio >= 0.40))
	checks, err := ledgerChecks(ctx, e, f, batches, int64(n)*int64(len(batches)))
	if err != nil {
		return nil, err
	}
	rep.Checks = checks
	return rep, nil
}

// ledgerChecks checks that every message of the batches was sent exactly
// once: accepted == sent + dead + in flight, sent == the provider's
// accepted count, and no duplicate sends.
func ledgerChecks(ctx context.Context, e *env, f *fakes, batches []string, want int64) ([]Check, error) {
	var total, sent, dead, flying int64
	for _, b := range batches {
		c, err := statusCounts(ctx, e.db, b)
		if err != nil {
			return nil, err
		}
		for _, v := range c {
			total += v
		}
		sent += sentOf(c)
		dead += c["dead"]
		flying += inFlight(c)
	}
	accepted := int64(f.sendgrid.Stats().Accepted + f.twilio.Stats().Accepted)
	dups := f.sendgrid.Duplicates() + f.twilio.Duplicates()
	lost := total - sent - dead - flying
	return []Check{
		check("messages in the ledger", strconv.FormatInt(want, 10), strconv.FormatInt(total, 10), total == want),
		check("lost = ledger − sent − dead − in flight", "0", strconv.FormatInt(lost, 10), lost == 0),
		check("sent (all delivered)", strconv.FormatInt(want, 10), fmt.Sprintf("%d sent, %d dead, %d in flight", sent, dead, flying), sent == want),
		check("provider accepted == ledger sent", strconv.FormatInt(sent, 10), strconv.FormatInt(accepted, 10), accepted == sent),
		check("duplicate sends at the provider", "0", strconv.Itoa(dups), dups == 0),
	}, nil
}
