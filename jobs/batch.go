package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"
)

// This file enqueues immediate wake-ups the way asynq v0.26.0's
// Client.EnqueueContext does (no ProcessAt in the future, no uniqueness, no
// group), but many at once: concurrent callers are gathered and sent as one
// pipelined Redis round trip. asynq has no batch enqueue, and one EVALSHA
// round trip per wake-up capped the sweeper's re-enqueue after a Redis flush
// and cost ~40% of ingest's CPU.
//
// It writes asynq's internal storage format, pinned to asynq v0.26.0:
// internal/rdb/rdb.go (enqueueCmd, RDB.Enqueue), internal/base/base.go
// (TaskKey, PendingKey, AllQueues, EncodeMessage, TaskState's strings, kept
// in the task hash's "state" field) and
// internal/proto/asynq.proto (TaskMessage). batch_test.go fails if a newer
// asynq stores or reads tasks differently; re-read those files when
// upgrading.

// enqueueScript is asynq v0.26.0's enqueueCmd, byte for byte, so its SHA is
// the one asynq's own client has already loaded.
//
// KEYS[1] -> asynq:{<qname>}:t:<task_id>
// KEYS[2] -> asynq:{<qname>}:pending
// ARGV[1] -> task message data
// ARGV[2] -> task ID
// ARGV[3] -> current unix time in nsec
//
// It returns 1 if the task was enqueued, 0 if the task id already exists.
var enqueueScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then
	return 0
end
redis.call("HSET", KEYS[1],
           "msg", ARGV[1],
           "state", "pending",
           "pending_since", ARGV[3])
redis.call("LPUSH", KEYS[2], ARGV[2])
return 1
`)

// allQueues is the set of queue names asynq's inspector lists (base.AllQueues).
const allQueues = "asynq:queues"

// Task options every wake-up is enqueued with; Enqueue passes the same to
// asynq for scheduled ones.
const (
	taskMaxRetry = 3
	taskTimeout  = 2 * time.Minute
)

// flushers is how many pipelines may be in flight at once; 1, 2 and 4
// measured the same within noise (BenchmarkEnqueueParallel).
const flushers = 2

// maxBatch caps the wake-ups sent in one pipeline.
const maxBatch = 256

// idTakenError answers an enqueue refused because a task with the id is
// already stored. state is that task's asynq state as stored in its hash
// ("pending", "active", "archived", …), "" if it was gone by the time it was
// read, or stateUnknown if it could not be read.
type idTakenError struct{ state string }

const stateUnknown = "unknown"

func (e *idTakenError) Error() string {
	return fmt.Sprintf("task id already exists (state %q)", e.state)
}

// errClosed is returned to callers after Close.
var errClosed = errors.New("jobs client is closed: wake-up not enqueued")

// encodeTaskMessage encodes the TaskMessage asynq v0.26.0's EnqueueContext
// stores for NewTask(typ, payload) with TaskID, Queue, MaxRetry and Timeout:
// type=1, payload=2, id=3, queue=4, retry=5, timeout=8 (seconds). Every other
// field is zero (no headers, retries, deadline, unique key, group or
// retention) and proto3 leaves zero fields out.
func encodeTaskMessage(typ string, payload []byte, id, queue string) []byte {
	b := make([]byte, 0, 16+len(typ)+len(payload)+len(id)+len(queue))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, typ)
	if len(payload) > 0 {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, payload)
	}
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, id)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendString(b, queue)
	b = protowire.AppendTag(b, 5, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(taskMaxRetry))
	b = protowire.AppendTag(b, 8, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(taskTimeout/time.Second))
	return b
}

// enqueueReq is one caller's wake-up waiting for the flusher.
type enqueueReq struct {
	ctx   context.Context
	queue string
	id    string
	msg   []byte
	done  chan error // buffered: the flusher never waits for the caller
}

// batcher gathers concurrent immediate enqueues and sends each gathering as
// one pipeline: the flusher takes whatever callers are waiting (up to
// maxBatch), sends them, answers each, and repeats, so an idle client adds
// no delay and a busy one sends fewer, larger round trips.
type batcher struct {
	rdb     redis.UniversalClient
	reqs    chan *enqueueReq // unbuffered: a send is taken only by a running flusher
	quit    chan struct{}
	stop    sync.Once
	stopped chan struct{} // closed when every flusher has returned
}

func newBatcher(rdb redis.UniversalClient) *batcher {
	b := &batcher{rdb: rdb, reqs: make(chan *enqueueReq), quit: make(chan struct{}), stopped: make(chan struct{})}
	var wg sync.WaitGroup
	for range flushers {
		wg.Go(b.run)
	}
	go func() { wg.Wait(); close(b.stopped) }()
	return b
}

// enqueue stores one pending task and waits for its own result: nil, an
// *idTakenError, or the error that kept it from being stored. A caller
// whose ctx ends stops waiting; the others in its batch are not affected.
func (b *batcher) enqueue(ctx context.Context, queue, id string, msg []byte) error {
	r := &enqueueReq{ctx: ctx, queue: queue, id: id, msg: msg, done: make(chan error, 1)}
	select {
	case b.reqs <- r:
	case <-b.stopped:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// The pipeline may still store the task; reporting an error
		// for a stored wake-up only costs a harmless duplicate later.
		return ctx.Err()
	}
}

// close sends what callers are already waiting with, then stops the
// flushers. Callers arriving later get errClosed.
func (b *batcher) close() {
	b.stop.Do(func() { close(b.quit) })
	<-b.stopped
}

// run is one flusher: it waits for a caller, gathers whoever else is
// waiting, sends them as one pipeline, and repeats until close.
func (b *batcher) run() {
	batch := make([]*enqueueReq, 0, maxBatch)
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
		case <-b.quit:
			// Callers blocked on send are taken and sent before stopping.
			for {
				batch = b.gather(batch[:0])
				if len(batch) == 0 {
					return
				}
				b.flush(batch)
			}
		}
		b.flush(b.gather(batch))
	}
}

// gather appends the requests already waiting, without blocking.
func (b *batcher) gather(batch []*enqueueReq) []*enqueueReq {
	for len(batch) < maxBatch {
		select {
		case r := <-b.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// flush sends batch as one pipeline and answers every request in it.
func (b *batcher) flush(batch []*enqueueReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// No caller's ctx: one caller giving up must not fail the others.
	// Each caller still waits at most for its own ctx.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now().UnixNano()
	cmds := b.send(ctx, live, now, false)
	var retry, taken []*enqueueReq
	for i, r := range live {
		n, err := cmds[i].Int64()
		switch {
		case err != nil && isNoScript(err):
			retry = append(retry, r) // not run at all: safe to send again
		case err == nil && n == 0:
			taken = append(taken, r)
		default:
			r.done <- result(n, err)
		}
	}
	if len(retry) > 0 {
		// Redis restarted and lost its script cache: EVAL loads it again.
		cmds = b.send(ctx, retry, now, true)
		for i, r := range retry {
			n, err := cmds[i].Int64()
			if err == nil && n == 0 {
				taken = append(taken, r)
				continue
			}
			r.done <- result(n, err)
		}
	}
	if len(taken) > 0 {
		b.answerTaken(ctx, taken)
	}
}

// answerTaken reads the state of the tasks holding the ids in reqs, all in
// one round trip, and answers each with an idTakenError: asking asynq's
// inspector instead costs one round trip per id, and the periodic sweeper
// wakes every row of a backlog whose tasks are still queued.
func (b *batcher) answerTaken(ctx context.Context, reqs []*enqueueReq) {
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(reqs))
	for i, r := range reqs {
		cmds[i] = pipe.HGet(ctx, taskKey(r.queue, r.id), "state")
	}
	_, _ = pipe.Exec(ctx)
	for i, r := range reqs {
		state, err := cmds[i].Result()
		switch {
		case errors.Is(err, redis.Nil):
			state = "" // gone since the refusal
		case err != nil:
			state = stateUnknown
		}
		r.done <- &idTakenError{state: state}
	}
}

// send pipelines the SADD of each queue in reqs (asynq does it once per
// process; repeating it keeps the inspector seeing the queue after a Redis
// flush) and one enqueueScript per request, and returns the script commands
// in request order.
func (b *batcher) send(ctx context.Context, reqs []*enqueueReq, now int64, eval bool) []*redis.Cmd {
	pipe := b.rdb.Pipeline()
	var queues []string
	for _, r := range reqs {
		if !slices.Contains(queues, r.queue) {
			queues = append(queues, r.queue)
			pipe.SAdd(ctx, allQueues, r.queue)
		}
	}
	cmds := make([]*redis.Cmd, len(reqs))
	for i, r := range reqs {
		keys := []string{taskKey(r.queue, r.id), "asynq:{" + r.queue + "}:pending"}
		if eval {
			cmds[i] = enqueueScript.Eval(ctx, pipe, keys, r.msg, r.id, now)
		} else {
			cmds[i] = enqueueScript.EvalSha(ctx, pipe, keys, r.msg, r.id, now)
		}
	}
	// Exec's error is also on each command; results are read from those.
	_, _ = pipe.Exec(ctx)
	return cmds
}

// taskKey is the hash holding a task (base.TaskKey).
func taskKey(queue, id string) string { return "asynq:{" + queue + "}:t:" + id }

// result turns one script reply other than 0 (id taken) into a caller's
// answer.
func result(n int64, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("redis enqueue script: %w", err)
	case n != 1:
		return fmt.Errorf("redis enqueue script returned %d, want 0 or 1", n)
	}
	return nil
}

func isNoScript(err error) bool {
	return strings.HasPrefix(err.Error(), "NOSCRIPT")
}
