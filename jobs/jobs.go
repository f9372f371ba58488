// Package jobs adapts asynq to Herald's domain: task names and payloads,
// the enqueuer the domain calls, and the worker that runs handlers, the
// periodic scheduler and the sweeper. Redis only wakes workers; every task
// stands for a row in PostgreSQL that the handler re-reads.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Task types.
const (
	TypeProcessEvent   = "event:process"
	TypeDeliverMessage = "message:deliver"
)

// Queues, with weights in NewWorker.
const (
	QueueIngest   = "ingest"
	QueueDelivery = "delivery"
	QueueDefault  = "default"
)

// IDPayload is the payload of every task: an id, never the data.
type IDPayload struct {
	ID int64 `json:"id"`
}

// Client enqueues wake-ups. Enqueuing a task id that is already queued is
// not an error: the wake-up is already there. Wake-ups due now are batched:
// concurrent calls share one pipelined Redis round trip (batch.go); ones due
// later go through asynq's client.
type Client struct {
	c     *asynq.Client
	insp  *asynq.Inspector
	rdb   redis.UniversalClient
	batch *batcher
}

// NewClient wraps an asynq client.
func NewClient(opt asynq.RedisConnOpt) *Client {
	rdb := opt.MakeRedisClient().(redis.UniversalClient)
	return &Client{c: asynq.NewClient(opt), insp: asynq.NewInspector(opt), rdb: rdb, batch: newBatcher(rdb)}
}

// Close sends the wake-ups callers are waiting on, then releases the Redis
// connections. Enqueue after Close returns an error.
func (c *Client) Close() error {
	c.batch.close()
	return errors.Join(c.c.Close(), c.insp.Close(), c.rdb.Close())
}

// Enqueue schedules typ for id under a caller-chosen unique task id; the
// zero time, or one already past, means now.
func (c *Client) Enqueue(ctx context.Context, typ, queue, taskID string, id int64, at time.Time) error {
	b, _ := json.Marshal(IDPayload{ID: id})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := c.store(ctx, typ, queue, taskID, b, at)
	var taken *idTakenError
	if errors.As(err, &taken) {
		if willRun(taken.state) {
			return nil
		}
		// The id is held by a task that will not run again: archived, or
		// left active by a worker that lost Redis mid-task (the chaos
		// suite's toxic Redis link left an acknowledged event behind one
		// for good, the sweeper's re-enqueue refused as a duplicate every
		// second). Wake under a fresh id; the row's claim makes a second
		// run a no-op.
		err = c.store(ctx, typ, queue, fmt.Sprintf("%s:w%d", taskID, time.Now().UnixNano()), b, at)
	}
	if err != nil {
		return fmt.Errorf("enqueue %s %s: %w", typ, taskID, err)
	}
	return nil
}

// store enqueues one task; a task id already stored is an *idTakenError.
// Like asynq, a time not after now is pending at once (the batch path); a
// later one is scheduled through asynq's client.
func (c *Client) store(ctx context.Context, typ, queue, taskID string, payload []byte, at time.Time) error {
	if !at.After(time.Now()) {
		return c.batch.enqueue(ctx, queue, taskID, encodeTaskMessage(typ, payload, taskID, queue))
	}
	_, err := c.c.EnqueueContext(ctx, asynq.NewTask(typ, payload), asynq.TaskID(taskID), asynq.Queue(queue),
		asynq.MaxRetry(taskMaxRetry), asynq.Timeout(taskTimeout), asynq.ProcessAt(at))
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return &idTakenError{state: c.taskState(queue, taskID)}
	}
	return err
}

// taskState is the state of the task holding taskID as an idTakenError
// carries it.
func (c *Client) taskState(queue, taskID string) string {
	info, err := c.insp.GetTaskInfo(queue, taskID)
	if errors.Is(err, asynq.ErrTaskNotFound) {
		return "" // gone since the conflict
	}
	if err != nil {
		return stateUnknown
	}
	return info.State.String()
}

// willRun reports whether a task in state is waiting to run (pending,
// scheduled or retry). An active task may be running, or may be a zombie;
// either way its row is due again (the callers wake only rows that are), so
// a second wake-up is safe. When the state cannot be read (Redis is
// failing) the wake-up that is there is kept.
func willRun(state string) bool {
	switch state {
	case "pending", "scheduled", "retry", stateUnknown:
		return true
	}
	return false
}

// EnqueueEvent wakes the processor for a stored inbound event.
func (c *Client) EnqueueEvent(ctx context.Context, eventID int64) error {
	return c.Enqueue(ctx, TypeProcessEvent, QueueIngest, fmt.Sprintf("event:%d", eventID), eventID, time.Time{})
}

// EnqueueMessage wakes delivery for a ledger message at its due time. The
// attempt number is part of the task id so a retry's wake-up never collides
// with the attempt that scheduled it.
func (c *Client) EnqueueMessage(ctx context.Context, messageID int64, attempt int, at time.Time) error {
	return c.Enqueue(ctx, TypeDeliverMessage, QueueDelivery, fmt.Sprintf("msg:%d:%d", messageID, attempt), messageID, at)
}

// DecodeID reads an IDPayload; a bad payload is never retried.
func DecodeID(t *asynq.Task) (int64, error) {
	var p IDPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ID <= 0 {
		return 0, fmt.Errorf("bad %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p.ID, nil
}
