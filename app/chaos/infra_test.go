package chaos

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisRestartedWithoutPersistence is scenario 4: redis-server killed
// and started empty while webhooks arrive and a backlog of sends is queued.
// Every wake-up Redis held is gone; the sweepers must find the stranded
// rows in PostgreSQL and re-enqueue them within one sweep interval of their
// grace (HERALD_SWEEP_GRACE for messages, ingest's 5s for events), and the
// ledger must balance with nothing lost or sent twice.
func TestRedisRestartedWithoutPersistence(t *testing.T) {
	s := newStack(t, stackOpts{})
	// Sends take ~100ms and four run at once, slower than webhooks arrive,
	// so a backlog of queued wake-ups is in Redis when it dies.
	s.sendgrid.SetLatency(80*time.Millisecond, 40*time.Millisecond)
	api := s.start("serve", nil)
	s.start("work", nil, "--concurrency", "4")
	w := newWebhooks(api.url)
	l := &load{w: w, prefix: "redis", status: statusDiscovery}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { l.run(ctx, 3, 30*time.Millisecond, true) })
	time.Sleep(3 * time.Second)

	if err := s.redis.restart(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	// What Redis was holding: events stored but not yet processed, and
	// messages due but not yet claimed.
	bg := context.Background()
	var strandedEvents, strandedMessages []int64
	rows, err := s.pool.Query(bg, `SELECT id FROM inbound_events WHERE status = 'received'`)
	if err == nil {
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			strandedEvents = append(strandedEvents, id)
		}
		rows.Close()
	}
	rows, err = s.pool.Query(bg, `SELECT id FROM messages WHERE status IN ('pending', 'scheduled', 'failed_retrying')`)
	if err == nil {
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			strandedMessages = append(strandedMessages, id)
		}
		rows.Close()
	}
	if len(strandedMessages)+len(strandedEvents) == 0 {
		t.Fatal("nothing was waiting in Redis when it restarted; the scenario proved nothing")
	}

	// Each stranded row must be re-enqueued (its wake-up back in Redis, or
	// already taken) within its grace plus one sweep interval, plus
	// scheduling slack on a busy 2-core machine.
	const sweep, messageGrace, eventAge, slack = time.Second, time.Second, 5 * time.Second, 2 * time.Second
	rdb := redis.NewClient(&redis.Options{Addr: s.redis.addr()})
	defer rdb.Close()
	pendingEvents := func() int {
		n := 0
		for _, id := range strandedEvents {
			var st string
			if err := s.pool.QueryRow(bg, `SELECT status FROM inbound_events WHERE id = $1`, id).Scan(&st); err != nil || st != "received" {
				continue
			}
			if rdb.Exists(bg, fmt.Sprintf("asynq:{ingest}:t:event:%d", id)).Val() == 0 {
				n++
			}
		}
		return n
	}
	pendingMessages := func() int {
		n := 0
		for _, id := range strandedMessages {
			var st string
			var attempts int
			if err := s.pool.QueryRow(bg, `SELECT status, attempts FROM messages WHERE id = $1`, id).Scan(&st, &attempts); err != nil ||
				(st != "pending" && st != "scheduled" && st != "failed_retrying") {
				continue
			}
			if rdb.Exists(bg, fmt.Sprintf("asynq:{delivery}:t:msg:%d:%d", id, attempts+1)).Val() == 0 {
				n++
			}
		}
		return n
	}
	var msgsLeft, evsLeft int
	// Both are measured from the restart, load still running.
	_, okMsgs := waitUntil(bg, 30*time.Second, 20*time.Millisecond, func() bool { msgsLeft = pendingMessages(); return msgsLeft == 0 })
	tookMsgs := time.Since(restarted)
	_, okEvents := waitUntil(bg, 30*time.Second, 20*time.Millisecond, func() bool { evsLeft = pendingEvents(); return evsLeft == 0 })
	tookEvents := time.Since(restarted)
	if !okMsgs {
		t.Errorf("%d of %d messages stranded by the Redis restart were never re-enqueued", msgsLeft, len(strandedMessages))
	}
	if !okEvents {
		t.Errorf("%d of %d events stranded by the Redis restart were never re-enqueued", evsLeft, len(strandedEvents))
	}
	time.Sleep(2 * time.Second)
	stop()
	wg.Wait()
	led, took := s.settle(t, w.ackedIDs(), 1, 90*time.Second)
	requireBalanced(t, led, 0)
	if tookMsgs > messageGrace+sweep+slack {
		t.Errorf("stranded messages took %s to be re-enqueued after the restart; want within grace %s + one sweep interval %s (+%s slack)",
			tookMsgs.Round(time.Millisecond), messageGrace, sweep, slack)
	}
	if tookEvents > eventAge+sweep+slack {
		t.Errorf("stranded events took %s to be re-enqueued; want within ingest's 5s age + one sweep interval %s (+%s slack)",
			tookEvents.Round(time.Millisecond), sweep, slack)
	}
	t.Logf("scenario 4: Redis restarted empty with %d events and %d messages waiting; sweeper re-enqueued the messages in %s and the events in %s "+
		"(both from the restart, under load); ledger settled %s after the load stopped; %s",
		len(strandedEvents), len(strandedMessages), tookMsgs.Round(time.Millisecond), tookEvents.Round(time.Millisecond),
		took.Round(time.Millisecond), led)
}

// TestPostgresStoppedDuringIngest is scenario 5: PostgreSQL stopped with
// `pg_ctl stop -m immediate` (every backend killed, no checkpoint) while
// webhooks arrive, then restarted. While it is down every webhook must get
// 503 — never 2xx; within 10s of it coming back webhooks must be accepted
// again; and every event acknowledged before the crash must still be there
// and delivered.
func TestPostgresStoppedDuringIngest(t *testing.T) {
	s := newStack(t, stackOpts{})
	api := s.start("serve", nil)
	s.start("work", nil, "--concurrency", "4")
	w := newWebhooks(api.url)
	l := &load{w: w, prefix: "pg-stop", status: statusDiscovery}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// Each event is posted once: the answers are the measurement.
	wg.Go(func() { l.run(ctx, 4, 20*time.Millisecond, false) })
	time.Sleep(2 * time.Second)

	c := suiteState.cluster
	if err := c.stopImmediate(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	time.Sleep(4 * time.Second)
	upFrom := time.Now()
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	time.Sleep(4 * time.Second)
	stop()
	wg.Wait()

	whileDown := w.between(down, upFrom)
	codes := map[int]int{}
	for _, a := range whileDown {
		codes[a.code]++
		if a.code >= 200 && a.code < 300 {
			t.Errorf("webhook %s answered %d while PostgreSQL was down", a.id, a.code)
		}
	}
	if len(whileDown) == 0 || codes[503] != len(whileDown) {
		t.Errorf("answers while PostgreSQL was down: %v; want every one 503 (and some)", codes)
	}
	var firstOK time.Time
	for _, a := range w.between(up, time.Now()) {
		if a.code == 202 && (firstOK.IsZero() || a.at.Before(firstOK)) {
			firstOK = a.at
		}
	}
	if firstOK.IsZero() {
		t.Fatalf("no webhook was accepted after PostgreSQL came back: %v", w.codes(up, time.Time{}))
	}
	recovery := firstOK.Sub(up)
	if recovery > 10*time.Second {
		t.Errorf("first 202 came %s after PostgreSQL was back; want within 10s", recovery.Round(time.Millisecond))
	}
	led, took := s.settle(t, w.ackedIDs(), 1, 60*time.Second)
	requireBalanced(t, led, 0)
	t.Logf("scenario 5: PostgreSQL down %s; answers while down %v; first 202 %s after restart; answers overall %v; settled in %s; %s",
		upFrom.Sub(down).Round(time.Millisecond), codes, recovery.Round(time.Millisecond), w.codes(time.Time{}, time.Time{}),
		took.Round(time.Millisecond), led)
}
