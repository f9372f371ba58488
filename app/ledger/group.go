package ledger

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Group commit for the delivery hot path. Every claim and every outcome must
// be durable before delivery goes on (before the provider is called, before
// the task is acknowledged), and with synchronous_commit on each of those
// is a WAL flush: the deliver benchmark spent most of its time in
// LWLock:WALWrite and IO:WALSync with one commit per claim and per outcome.
// Claims and outcomes of concurrent workers are instead gathered and sent as
// one pipelined batch that PostgreSQL runs as one implicit transaction (pgx
// SendBatch): one round trip and one commit for the batch, and each caller
// is answered only after that commit. Nothing is delayed on purpose: a batch
// is whatever queued while the previous one was in flight.

// groupMaxBatch bounds the statements sharing one commit; groupFlushers
// bounds the batches in flight at once.
const (
	groupMaxBatch = 64
	groupFlushers = 4
)

// groupTimeout bounds one batch, and its statements re-run one by one after
// a rolled-back batch.
const groupTimeout = 10 * time.Second

// groupOp is one statement for the group: a claim (scan set, one row) or an
// outcome (exec set).
type groupOp struct {
	id   int64 // the message id: batches lock rows in id order
	sql  string
	args []any
	scan func(pgx.Row) error
	exec func(pgconn.CommandTag) error

	state atomic.Int32 // opQueued, opTaken or opWithdrawn
	done  chan error
}

const (
	opQueued int32 = iota
	opTaken
	opWithdrawn
)

// group gathers ops into batches; the zero value is not usable, see newGroup.
type group struct {
	pool *pgxpool.Pool

	mu      sync.Mutex
	queue   []*groupOp
	running int // flusher goroutines
}

func newGroup(pool *pgxpool.Pool) *group { return &group{pool: pool} }

// do runs op in the next batch and returns once that batch committed (nil)
// or failed. A caller whose ctx ends while op is still queued withdraws it:
// op never runs and ctx's error is returned. Once a batch has taken op, do
// waits for the batch's answer (at most twice groupTimeout), because only
// then is it known whether op was committed.
func (g *group) do(ctx context.Context, op *groupOp) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op.done = make(chan error, 1)
	g.mu.Lock()
	g.queue = append(g.queue, op)
	if g.running < groupFlushers {
		g.running++
		go g.flush()
	}
	g.mu.Unlock()
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		if op.state.CompareAndSwap(opQueued, opWithdrawn) {
			return ctx.Err()
		}
		return <-op.done
	}
}

// flush runs batches until the queue is empty, then exits.
func (g *group) flush() {
	for {
		g.mu.Lock()
		n := min(len(g.queue), groupMaxBatch)
		if n == 0 {
			g.running--
			g.queue = nil // let a burst's backing array go
			g.mu.Unlock()
			return
		}
		taken := slices.Clone(g.queue[:n])
		g.queue = g.queue[n:]
		g.mu.Unlock()
		ops := taken[:0]
		for _, op := range taken {
			if op.state.CompareAndSwap(opQueued, opTaken) {
				ops = append(ops, op)
			}
		}
		if len(ops) > 0 {
			g.run(ops)
		}
	}
}

// run sends ops as one batch and answers each. When the batch fails with
// an error that proves nothing was committed (the server rejected a
// statement, which rolls the whole implicit transaction back, or nothing
// reached the server), each op is re-run alone so that one bad statement
// fails only its own caller. Any other failure (the connection died after
// the batch was sent) leaves the outcome unknown, and every caller gets the
// error as it would for a statement of its own.
func (g *group) run(ops []*groupOp) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	slices.SortStableFunc(ops, func(a, b *groupOp) int { return cmp.Compare(a.id, b.id) })
	err := g.send(ctx, ops)
	if err == nil || len(ops) == 1 || !rolledBack(err) {
		for _, op := range ops {
			op.done <- err
		}
		return
	}
	for _, op := range ops {
		op.done <- g.send(ctx, []*groupOp{op})
	}
}

// send runs ops in one implicit transaction; nil means it committed.
func (g *group) send(ctx context.Context, ops []*groupOp) error {
	b := &pgx.Batch{}
	for _, op := range ops {
		q := b.Queue(op.sql, op.args...)
		if op.scan != nil {
			q.QueryRow(op.scan)
		} else {
			q.Exec(op.exec)
		}
	}
	// Close reads every result and then the ReadyForQuery that follows the
	// commit, so a nil error means the batch is durable.
	return g.pool.SendBatch(ctx, b).Close()
}

// rolledBack reports whether err proves a batch's implicit transaction did
// not commit: the server answered with an error, or nothing was sent.
func rolledBack(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) || pgconn.SafeToRetry(err)
}
