package chaos

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestKillAPIUnderLoad is scenario 1: `kill -9` of `herald serve` while a
// CMS posts webhooks and retries every one it got no 2xx for. Every
// acknowledged event must be in PostgreSQL, retries of requests the kill cut
// off must collapse on the event id (200 duplicate, one row), and every
// acknowledged event's message must be delivered exactly once.
func TestKillAPIUnderLoad(t *testing.T) {
	s := newStack(t, stackOpts{})
	api := s.start("serve", nil)
	s.start("work", nil, "--concurrency", "8")
	w := newWebhooks(api.url)
	l := &load{w: w, prefix: "kill-api", status: statusDiscovery}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { l.run(ctx, 6, 10*time.Millisecond, true) })
	const kills = 3
	for range kills {
		time.Sleep(1500 * time.Millisecond)
		api.kill9()
		// Right after the kill, before anything could repair it: every
		// event acknowledged so far is committed.
		l0, err := s.check(context.Background(), w.ackedIDs(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if l0.MissingRows != 0 {
			t.Errorf("after kill -9 of the API: %d acknowledged events missing from inbound_events", l0.MissingRows)
		}
		time.Sleep(300 * time.Millisecond)
		api = s.start("serve", nil)
	}
	time.Sleep(time.Second)
	stop()
	wg.Wait()

	acked := w.ackedIDs()
	led, took := s.settle(t, acked, 1, 60*time.Second)
	requireBalanced(t, led, 0)

	// One row per event id, however many times the CMS retried it.
	var rows, distinct int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT event_id) FROM inbound_events
		WHERE source = 'generic' AND event_id LIKE 'kill-api-%'`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct {
		t.Errorf("inbound_events has %d rows for %d event ids; retries must collapse on the dedupe key", rows, distinct)
	}
	codes := w.codes(time.Time{}, time.Time{})
	if codes[0] == 0 {
		t.Errorf("no webhook failed during %d kills of the API; the kills landed nowhere: %v", kills, codes)
	}
	t.Logf("scenario 1: %d kills; answers by code %v (0 = connection refused/reset); %d retries answered 200 duplicate; "+
		"%d rows for %d event ids; settled in %s; %s", kills, codes, codes[200], rows, distinct, took.Round(time.Millisecond), led)
}

// TestKillWorkerBetweenAcceptAndCommit is scenario 2: `kill -9` of `herald
// work` while sends are held between the provider's accept and Herald's
// commit (a tap holds every provider answer). Each interrupted send must end
// outcome_unknown — never re-sent blindly, so at most one send per message —
// and nothing may be lost.
func TestKillWorkerBetweenAcceptAndCommit(t *testing.T) {
	var tp *tap
	// A 5s settle delay plans every message before the first is due, so
	// the kills land on sends, not on event processing.
	s := newStack(t, stackOpts{sendgridURL: func(u string) string { tp = newTap(t, u); return tp.srv.URL },
		env: map[string]string{"HERALD_SETTLE_DELAY": "5s"}})
	tp.hold.Store(int64(1500 * time.Millisecond))
	api := s.start("serve", nil)
	const concurrency = 4
	worker := s.start("work", nil, "--concurrency", "4")
	w := newWebhooks(api.url)
	l := &load{w: w, prefix: "kill-worker", status: statusDiscovery}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l.postN(ctx, 40, 8)
	acked := w.ackedIDs()
	// Wait for every event to be planned, so the kills land on sends.
	if _, ok := waitUntil(ctx, 20*time.Second, 50*time.Millisecond, func() bool {
		led, err := s.check(ctx, acked, 1)
		return err == nil && led.Unprocessed == 0 && led.Messages == led.Expected
	}); !ok {
		t.Fatal("events were not planned into messages within 20s")
	}

	const kills = 3
	inFlight := map[int64]bool{} // messages in sending when a worker died
	for k := range kills {
		held := tp.held.Load()
		if _, ok := waitUntil(ctx, 10*time.Second, 10*time.Millisecond, func() bool { return tp.held.Load() > held }); !ok {
			t.Fatalf("kill %d: no send reached the provider within 10s", k+1)
		}
		time.Sleep(200 * time.Millisecond) // inside the 1.5s hold: accepted, not committed
		worker.kill9()
		rows, err := s.pool.Query(ctx, `SELECT id FROM messages WHERE status = 'sending'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			inFlight[id] = true
		}
		rows.Close()
		worker = s.start("work", nil, "--concurrency", "4")
	}
	interrupted := len(inFlight)
	if interrupted == 0 {
		t.Fatal("no kill landed while a send was in flight; the scenario proved nothing")
	}
	tp.hold.Store(0)

	led, took := s.settle(t, acked, 1, 60*time.Second)
	requireBalanced(t, led, interrupted)
	if got := led.Unknown + led.UnknownSent; got != interrupted {
		t.Errorf("%d sends were interrupted by the kills but %d messages are outcome_unknown; each must be", interrupted, got)
	}
	if interrupted > kills*concurrency {
		t.Errorf("%d sends interrupted by %d kills of a worker running %d at once", interrupted, kills, concurrency)
	}
	// Each unknown outcome is handed to a human once reconciliation cannot
	// confirm it (HERALD_RECONCILE_GRACE), and stays in the inbox.
	var handed int
	if _, ok := waitUntil(ctx, 15*time.Second, 100*time.Millisecond, func() bool {
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE status = 'outcome_unknown' AND reconciled_at IS NOT NULL
			AND dead_reason <> ''`).Scan(&handed)
		return err == nil && handed == interrupted
	}); !ok {
		t.Errorf("%d of %d outcome_unknown messages handed to a human", handed, interrupted)
	}
	t.Logf("scenario 2: %d kills interrupted %d sends (%d already accepted by the provider, %d not); extra sends %d; settled in %s; %s",
		kills, interrupted, led.UnknownSent, led.Unknown, led.Duplicates, took.Round(time.Millisecond), led)
}

// TestTermWorkerUnderLoad is scenario 3: SIGTERM of `herald work` while
// webhooks keep arriving and sends take 200ms. In-flight work must finish or
// be requeued: zero lost, zero duplicates, zero unknown outcomes.
func TestTermWorkerUnderLoad(t *testing.T) {
	s := newStack(t, stackOpts{})
	s.sendgrid.SetLatency(150*time.Millisecond, 100*time.Millisecond)
	api := s.start("serve", nil)
	worker := s.start("work", nil, "--concurrency", "8")
	w := newWebhooks(api.url)
	l := &load{w: w, prefix: "term-worker", status: statusDiscovery}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { l.run(ctx, 3, 50*time.Millisecond, true) })
	const terms = 3
	var shutdowns []time.Duration
	for range terms {
		time.Sleep(2 * time.Second)
		took, err := worker.term(30 * time.Second)
		if err != nil {
			t.Error(err)
		}
		shutdowns = append(shutdowns, took.Round(time.Millisecond))
		worker = s.start("work", nil, "--concurrency", "8")
	}
	time.Sleep(time.Second)
	stop()
	wg.Wait()
	led, took := s.settle(t, w.ackedIDs(), 1, 60*time.Second)
	requireBalanced(t, led, 0)
	t.Logf("scenario 3: %d SIGTERMs, shutdowns took %v; settled in %s; %s", terms, shutdowns, took.Round(time.Millisecond), led)
}
