package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/jobs"
)

func redisOpt(t testing.TB) asynq.RedisClientOpt {
	u, _ := storetest.Redis(t)
	o, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	return asynq.RedisClientOpt{Addr: o.Addr, DB: o.DB}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestWorkerShutdownFinishesInFlight: on shutdown the worker stops pulling
// new tasks, lets the running one finish, and leaves the rest queued.
func TestWorkerShutdownFinishesInFlight(t *testing.T) {
	opt := redisOpt(t)
	client := jobs.NewClient(opt)
	defer client.Close()
	w := jobs.NewWorker(opt, 1, 10*time.Second, quiet)
	started := make(chan int64, 10)
	var finished atomic.Int64
	w.Handle(jobs.TypeProcessEvent, func(ctx context.Context, task *asynq.Task) error {
		id, err := jobs.DecodeID(task)
		if err != nil {
			return err
		}
		started <- id
		time.Sleep(400 * time.Millisecond) // simulated in-flight work, not time logic
		finished.Add(1)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for id := int64(1); id <= 3; id++ {
		if err := client.EnqueueEvent(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("no task started")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("worker did not stop")
	}
	if got := finished.Load(); got < 1 {
		t.Fatalf("finished = %d, want the in-flight task to finish before shutdown", got)
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	info, err := insp.GetQueueInfo(jobs.QueueIngest)
	if err != nil {
		t.Fatal(err)
	}
	if got := int64(info.Pending+info.Active) + finished.Load(); got != 3 {
		t.Errorf("finished %d + pending %d + active %d = %d, want all 3 tasks accounted for", finished.Load(), info.Pending, info.Active, got)
	}
	if info.Active != 0 {
		t.Errorf("active = %d after shutdown, want 0", info.Active)
	}
}

// TestEnqueueTwiceIsHarmless: the same task id enqueued twice is one task.
func TestEnqueueTwiceIsHarmless(t *testing.T) {
	opt := redisOpt(t)
	client := jobs.NewClient(opt)
	defer client.Close()
	for i := 0; i < 2; i++ {
		if err := client.EnqueueMessage(context.Background(), 42, 1, time.Time{}); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	info, err := insp.GetQueueInfo(jobs.QueueDelivery)
	if err != nil {
		t.Fatal(err)
	}
	if info.Pending != 1 {
		t.Errorf("pending = %d, want 1", info.Pending)
	}
}

func TestSweepRunsPeriodically(t *testing.T) {
	opt := redisOpt(t)
	w := jobs.NewWorker(opt, 1, time.Second, quiet)
	var runs atomic.Int64
	w.AddSweep(jobs.Sweep{Name: "count", Every: 20 * time.Millisecond, Run: func(ctx context.Context) (int, error) {
		runs.Add(1)
		return 0, nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if runs.Load() < 3 {
		t.Errorf("sweep ran %d times, want >= 3", runs.Load())
	}
}
