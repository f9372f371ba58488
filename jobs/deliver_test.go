package jobs_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/sandbox"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/jobs"
)

func TestDeliverHandlerRejectsBadPayload(t *testing.T) {
	h := jobs.DeliverMessage(nil)
	err := h(context.Background(), asynq.NewTask(jobs.TypeDeliverMessage, []byte(`{"id":0}`)))
	if err == nil {
		t.Fatal("bad payload accepted")
	}
}

// TestRedisFlushMidFlightLosesNothing: Redis loses every queued wake-up
// while some messages are already sent; the sweep re-enqueues the rest from
// PostgreSQL and every message is sent exactly once, even though the sweep
// also enqueues duplicates of wake-ups that still exist.
func TestRedisFlushMidFlightLosesNothing(t *testing.T) {
	opt := redisOpt(t)
	ctx := context.Background()
	db, _ := storetest.NewDB(t)
	t0 := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC) // 09:00 in Chicago
	clk := clock.NewFake(t0)
	client := jobs.NewClient(opt)
	defer client.Close()
	sb := sandbox.New(clk.Now)
	chicago, _ := time.LoadLocation("America/Chicago")
	svc, err := delivery.NewService(delivery.Deps{
		Ledger:   ledger.New(db, clk),
		Senders:  map[string]delivery.Sender{delivery.ChannelEmail: sb, delivery.ChannelSMS: sb},
		Pauses:   pause.New(db, clk),
		Consent:  consent.New(db, clk),
		Reads:    db.Pool,
		Enqueuer: client,
		Clock:    clk,
	}, delivery.Config{
		RetrySchedule: []time.Duration{time.Minute},
		Window:        delivery.DefaultWindowPolicy(delivery.Window{Start: 8 * time.Hour, End: 21 * time.Hour}, chicago),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := ledgertest.SeedClient(t, db, "+13125550134", "ana@example.com", "")
	var ids []int64
	for range 6 {
		id := ledgertest.Message(t, db, ledger.NewMessage{CaseID: &c.CaseID, ClientID: &c.ClientID, Channel: "sms", Recipient: c.Phone, DueAt: t0})
		ids = append(ids, id)
		if err := client.EnqueueMessage(ctx, id, 1, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	// Two are delivered before Redis goes away.
	deliver := jobs.DeliverMessage(svc)
	for _, id := range ids[:2] {
		if err := deliver(ctx, asynq.NewTask(jobs.TypeDeliverMessage, []byte(`{"id":`+strconv.FormatInt(id, 10)+`}`))); err != nil {
			t.Fatal(err)
		}
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	rdb := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := insp.GetQueueInfo(jobs.QueueDelivery); err == nil {
		t.Fatal("queue still exists after the flush")
	}

	clk.Advance(time.Minute)
	n, err := svc.Wake(ctx)
	if err != nil || n != 4 {
		t.Fatalf("Wake = %d, %v; want the 4 unsent messages re-enqueued", n, err)
	}
	// A second sweep while they are still queued is harmless.
	if _, err := svc.Wake(ctx); err != nil {
		t.Fatal(err)
	}
	// The asynq client remembers it registered the queue, so after a flush
	// the inspector does not list it; the pending list is what workers read.
	pending, err := rdb.LLen(ctx, "asynq:{"+jobs.QueueDelivery+"}:pending").Result()
	if err != nil || pending != 4 {
		t.Fatalf("pending wake-ups = %d, %v; want 4", pending, err)
	}

	w := jobs.NewWorker(opt, 2, 5*time.Second, quiet)
	w.Handle(jobs.TypeDeliverMessage, deliver)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for len(sb.Sent()) < len(ids) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // waiting for the real worker, not time logic
	}
	cancel()
	<-done
	if got := len(sb.Sent()); got != len(ids) || sb.Duplicates() != 0 {
		t.Fatalf("sent %d (duplicates %d), want each of %d messages exactly once", got, sb.Duplicates(), len(ids))
	}
	for _, id := range ids {
		var status string
		if err := db.Pool.QueryRow(ctx, `SELECT status FROM messages WHERE id = $1`, id).Scan(&status); err != nil || status != "delivered" {
			t.Errorf("message %d = %s, %v; want delivered (sandbox)", id, status, err)
		}
	}
}
