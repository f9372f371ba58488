package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldhq/herald/jobs"
)

// These tests pin the batch enqueue path (batch.go), which writes asynq
// v0.26.0's internal storage format itself, to what asynq stores and reads.
// If one fails after an asynq upgrade, batch.go must follow asynq.

func rawRedis(t *testing.T, opt asynq.RedisClientOpt) *redis.Client {
	t.Helper()
	r := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	t.Cleanup(func() { r.Close() })
	return r
}

// TestBatchEnqueueStoresWhatAsynqStores: a wake-up enqueued by the batch path
// is byte for byte the task asynq's own client stores with the same options,
// and asynq's inspector reads it back as a pending task with them.
func TestBatchEnqueueStoresWhatAsynqStores(t *testing.T) {
	opt := redisOpt(t)
	ctx := context.Background()
	r := rawRedis(t, opt)
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	client := jobs.NewClient(opt)
	defer client.Close()

	ac := asynq.NewClient(opt)
	defer ac.Close()
	payload, _ := json.Marshal(jobs.IDPayload{ID: 5})
	if _, err := ac.Enqueue(asynq.NewTask(jobs.TypeProcessEvent, payload), asynq.TaskID("event:5"),
		asynq.Queue(jobs.QueueIngest), asynq.MaxRetry(3), asynq.Timeout(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	key := "asynq:{" + jobs.QueueIngest + "}:t:event:5"
	want, err := r.HGet(ctx, key, "msg").Bytes()
	if err != nil {
		t.Fatalf("read the task asynq stored: %v", err)
	}
	if err := insp.DeleteTask(jobs.QueueIngest, "event:5"); err != nil {
		t.Fatal(err)
	}
	if err := client.EnqueueEvent(ctx, 5); err != nil {
		t.Fatal(err)
	}
	got, err := r.HGet(ctx, key, "msg").Bytes()
	if err != nil {
		t.Fatalf("read the task the batch path stored: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("stored task message = %x, want asynq's %x", got, want)
	}

	// A due time already past is pending at once, as in asynq.
	if err := client.EnqueueMessage(ctx, 9, 2, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		queue, id, typ string
		payloadID      int64
	}{
		{jobs.QueueIngest, "event:5", jobs.TypeProcessEvent, 5},
		{jobs.QueueDelivery, "msg:9:2", jobs.TypeDeliverMessage, 9},
	} {
		info, err := insp.GetTaskInfo(tc.queue, tc.id)
		if err != nil {
			t.Fatalf("GetTaskInfo(%s, %s): %v", tc.queue, tc.id, err)
		}
		wantPayload, _ := json.Marshal(jobs.IDPayload{ID: tc.payloadID})
		if info.Type != tc.typ || !bytes.Equal(info.Payload, wantPayload) || info.Queue != tc.queue ||
			info.MaxRetry != 3 || info.Timeout != 2*time.Minute || !info.Deadline.IsZero() || info.State != asynq.TaskStatePending {
			t.Errorf("task %s = type %q payload %s queue %q max retry %d timeout %v deadline %v state %v, want %q %s %q 3 2m0s zero pending",
				tc.id, info.Type, info.Payload, info.Queue, info.MaxRetry, info.Timeout, info.Deadline, info.State, tc.typ, wantPayload, tc.queue)
		}
	}
	queues, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{jobs.QueueIngest, jobs.QueueDelivery} {
		found := false
		for _, x := range queues {
			found = found || x == q
		}
		if !found {
			t.Errorf("inspector queues = %v, want %s registered", queues, q)
		}
	}
}

// TestBatchEnqueueReadsTheHoldersState: a wake-up refused as a duplicate
// reads the state of the task holding its id from the task's hash; that
// field must say what asynq's inspector says, and the decision must follow
// it: a scheduled or pending holder keeps the id, an archived one gets a
// fresh id.
func TestBatchEnqueueReadsTheHoldersState(t *testing.T) {
	opt := redisOpt(t)
	ctx := context.Background()
	r := rawRedis(t, opt)
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	client := jobs.NewClient(opt)
	defer client.Close()

	if err := client.EnqueueMessage(ctx, 1, 1, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := client.EnqueueMessage(ctx, 2, 1, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := client.EnqueueMessage(ctx, 3, 1, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := insp.ArchiveTask(jobs.QueueDelivery, "msg:3:1"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id, state string
	}{{"msg:1:1", "scheduled"}, {"msg:2:1", "pending"}, {"msg:3:1", "archived"}} {
		info, err := insp.GetTaskInfo(jobs.QueueDelivery, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		field, err := r.HGet(ctx, "asynq:{"+jobs.QueueDelivery+"}:t:"+tc.id, "state").Result()
		if err != nil {
			t.Fatalf("read state of %s: %v", tc.id, err)
		}
		if info.State.String() != tc.state || field != tc.state {
			t.Errorf("%s: inspector state %v, hash state %q, want both %q", tc.id, info.State, field, tc.state)
		}
	}
	for id := int64(1); id <= 3; id++ {
		if err := client.EnqueueMessage(ctx, id, 1, time.Time{}); err != nil {
			t.Fatalf("wake message %d again: %v", id, err)
		}
	}
	info, err := insp.GetQueueInfo(jobs.QueueDelivery)
	if err != nil {
		t.Fatal(err)
	}
	// msg:1:1 stays scheduled, msg:2:1 pending, msg:3:1 archived, plus
	// one fresh msg:3:1:w… pending.
	if info.Scheduled != 1 || info.Pending != 2 || info.Archived != 1 {
		t.Errorf("after waking all three again: scheduled %d pending %d archived %d, want 1 2 1",
			info.Scheduled, info.Pending, info.Archived)
	}
}

// TestBatchEnqueuedTasksRunOnce: many concurrent wake-ups, each sent twice
// at once, are each run exactly once by the worker Herald runs.
func TestBatchEnqueuedTasksRunOnce(t *testing.T) {
	const n = 600
	opt := redisOpt(t)
	client := jobs.NewClient(opt)
	defer client.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for id := int64(1); id <= n; id++ {
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- client.EnqueueMessage(context.Background(), id, 1, time.Time{})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}

	var mu sync.Mutex
	runs := map[int64]int{}
	all := make(chan struct{})
	w := jobs.NewWorker(opt, 8, 5*time.Second, quiet)
	w.Handle(jobs.TypeDeliverMessage, func(ctx context.Context, task *asynq.Task) error {
		id, err := jobs.DecodeID(task)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		runs[id]++
		if len(runs) == n && runs[id] == 1 {
			close(all)
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		mu.Lock()
		t.Errorf("ran %d of %d tasks in 30s", len(runs), n)
		mu.Unlock()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for id := int64(1); id <= n; id++ {
		if runs[id] != 1 {
			t.Errorf("message %d ran %d times, want 1", id, runs[id])
		}
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	info, err := insp.GetQueueInfo(jobs.QueueDelivery)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != 0 {
		t.Errorf("delivery queue holds %d tasks after all ran (pending %d, active %d, retry %d, archived %d), want 0",
			info.Size, info.Pending, info.Active, info.Retry, info.Archived)
	}
}

// TestBatchEnqueueRedisDown: with Redis unreachable every concurrent caller
// gets its own error, none is left waiting, and a caller whose context ends
// first gets its context's error.
func TestBatchEnqueueRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	client := jobs.NewClient(asynq.RedisClientOpt{Addr: addr, DialTimeout: 200 * time.Millisecond})
	defer client.Close()

	const n = 100
	var errs []error
	finished := make(chan struct{})
	go func() { errs = enqueueConcurrently(client, n, 10); close(finished) }()
	select {
	case <-finished:
	case <-time.After(15 * time.Second):
		t.Fatal("callers still waiting 15s after enqueueing against a closed port")
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("caller %d: err = nil with Redis down, want an error", i)
		}
		if i%10 == 0 && !errors.Is(err, context.Canceled) {
			t.Errorf("caller %d (cancelled): err = %v, want context.Canceled", i, err)
		}
	}
}

// TestBatchEnqueueCancelledCallerDoesNotBreakOthers: callers whose context is
// cancelled are refused alone and not stored; every other caller in the
// same gathering is stored.
func TestBatchEnqueueCancelledCallerDoesNotBreakOthers(t *testing.T) {
	opt := redisOpt(t)
	client := jobs.NewClient(opt)
	defer client.Close()
	insp := asynq.NewInspector(opt)
	defer insp.Close()

	const n = 300
	errs := enqueueConcurrently(client, n, 7)
	for i, err := range errs {
		id := fmt.Sprintf("event:%d", i+1)
		_, infoErr := insp.GetTaskInfo(jobs.QueueIngest, id)
		if i%7 == 0 {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s (cancelled): err = %v, want context.Canceled", id, err)
			}
			if !errors.Is(infoErr, asynq.ErrTaskNotFound) {
				t.Errorf("%s (cancelled): GetTaskInfo err = %v, want not found", id, infoErr)
			}
			continue
		}
		if err != nil || infoErr != nil {
			t.Errorf("%s: enqueue err = %v, GetTaskInfo err = %v, want both nil", id, err, infoErr)
		}
	}
}

// TestBatchEnqueueAfterScriptFlush: after Redis lost its script cache (a
// restart) the first batch loads the script again instead of failing.
func TestBatchEnqueueAfterScriptFlush(t *testing.T) {
	opt := redisOpt(t)
	ctx := context.Background()
	client := jobs.NewClient(opt)
	defer client.Close()
	if err := client.EnqueueEvent(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := rawRedis(t, opt).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.EnqueueEvent(ctx, 2); err != nil {
		t.Fatalf("enqueue after SCRIPT FLUSH: %v", err)
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	if _, err := insp.GetTaskInfo(jobs.QueueIngest, "event:2"); err != nil {
		t.Errorf("GetTaskInfo(event:2) after SCRIPT FLUSH: %v", err)
	}
}

// TestCloseSendsWaitingCallers: Close answers every caller that is waiting
// (stored, or an error, never stuck), and Enqueue after Close is an error.
func TestCloseSendsWaitingCallers(t *testing.T) {
	opt := redisOpt(t)
	client := jobs.NewClient(opt)
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = client.EnqueueEvent(context.Background(), int64(i+1))
		}()
	}
	if err := client.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	wg.Wait()
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	for i, err := range errs {
		id := fmt.Sprintf("event:%d", i+1)
		_, infoErr := insp.GetTaskInfo(jobs.QueueIngest, id)
		if (err == nil) != (infoErr == nil) {
			t.Errorf("%s: enqueue err = %v but GetTaskInfo err = %v: an answer that does not match what was stored", id, err, infoErr)
		}
	}
	if err := client.EnqueueEvent(context.Background(), n+1); err == nil {
		t.Error("EnqueueEvent after Close = nil, want an error")
	}
}

// BenchmarkEnqueueParallel measures concurrent immediate wake-ups through
// the batch path (go test -bench EnqueueParallel -cpu 1,2 ./jobs/; the
// goroutine count is 32×GOMAXPROCS, as many as the sweeper's wakeParallel).
func BenchmarkEnqueueParallel(b *testing.B) {
	opt := redisOpt(b)
	client := jobs.NewClient(opt)
	defer client.Close()
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := client.EnqueueMessage(context.Background(), next.Add(1), 1, time.Time{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkReenqueueQueued measures waking ids whose tasks are still queued,
// as the periodic sweeper does over a backlog: each is refused as a
// duplicate and the task holding the id is checked.
func BenchmarkReenqueueQueued(b *testing.B) {
	opt := redisOpt(b)
	client := jobs.NewClient(opt)
	defer client.Close()
	const ids = 10_000
	for id := int64(1); id <= ids; id++ {
		if err := client.EnqueueMessage(context.Background(), id, 1, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := client.EnqueueMessage(context.Background(), next.Add(1)%ids+1, 1, time.Time{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// enqueueConcurrently wakes events 1..n from n goroutines at once, every
// cancelEvery-th (from the first) with a context already cancelled, and
// returns each caller's error.
func enqueueConcurrently(client *jobs.Client, n, cancelEvery int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx := context.Background()
			if i%cancelEvery == 0 {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			errs[i] = client.EnqueueEvent(ctx, int64(i+1))
		})
	}
	wg.Wait()
	return errs
}
