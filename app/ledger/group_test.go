package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
)

func probeDB(t *testing.T) *store.DB {
	t.Helper()
	db, _ := storetest.EmptyDB(t)
	if _, err := db.Pool.Exec(context.Background(), `CREATE TABLE group_probe (id bigint PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func insertOp(id int64) *groupOp {
	return &groupOp{id: id, sql: `INSERT INTO group_probe (id) VALUES ($1)`, args: []any{id},
		exec: func(pgconn.CommandTag) error { return nil }, done: make(chan error, 1)}
}

func probeIDs(t *testing.T, db *store.DB) []int64 {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT id FROM group_probe ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestGroupBatchIsOneTransaction(t *testing.T) {
	db := probeDB(t)
	g := newGroup(db.Pool)
	var tx [2]int64
	ops := []*groupOp{insertOp(1), insertOp(2)}
	for i := range tx {
		ops = append(ops, &groupOp{id: int64(10 + i), sql: `SELECT txid_current()`, done: make(chan error, 1),
			scan: func(row pgx.Row) error { return row.Scan(&tx[i]) }})
	}
	g.run(ops)
	for _, op := range ops {
		if err := <-op.done; err != nil {
			t.Fatal(err)
		}
	}
	if tx[0] == 0 || tx[0] != tx[1] {
		t.Fatalf("statements of one batch ran in transactions %d and %d, want one", tx[0], tx[1])
	}
	if got := probeIDs(t, db); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("rows %v, want [1 2]", got)
	}
}

func TestGroupFailedStatementFailsOnlyItsCaller(t *testing.T) {
	db := probeDB(t)
	g := newGroup(db.Pool)
	bad := &groupOp{id: 2, sql: `SELECT 1 / (id - id) FROM group_probe WHERE id = 1`, done: make(chan error, 1),
		scan: func(row pgx.Row) error { var n int; return row.Scan(&n) }}
	ops := []*groupOp{insertOp(1), bad, insertOp(3)}
	g.run(ops)
	var pgErr *pgconn.PgError
	if err := <-bad.done; !errors.As(err, &pgErr) || pgErr.Code != "22012" {
		t.Fatalf("the failing statement got %v, want division_by_zero", err)
	}
	for _, op := range []*groupOp{ops[0], ops[2]} {
		if err := <-op.done; err != nil {
			t.Fatalf("op %d: %v, want it committed on its own after the batch rolled back", op.id, err)
		}
	}
	// The batch was rolled back as a whole and each good statement re-run
	// once: no row twice, none lost.
	if got := probeIDs(t, db); fmt.Sprint(got) != "[1 3]" {
		t.Fatalf("rows %v, want [1 3]", got)
	}
}

func TestGroupCommitsEveryConcurrentCaller(t *testing.T) {
	db := probeDB(t)
	g := newGroup(db.Pool)
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			op := insertOp(int64(i + 1))
			op.done = nil // do makes it
			errs <- g.do(context.Background(), op)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(probeIDs(t, db)); got != n {
		t.Fatalf("%d rows committed, want %d", got, n)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running != 0 || len(g.queue) != 0 {
		t.Fatalf("after the burst: %d flushers running, %d queued; want none", g.running, len(g.queue))
	}
}

func TestGroupCancelledCallerIsNotRun(t *testing.T) {
	db := probeDB(t)
	g := newGroup(db.Pool)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.do(ctx, insertOp(1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// A withdrawn op that a flusher later finds is skipped.
	op := insertOp(2)
	op.state.Store(opWithdrawn)
	g.queue = append(g.queue, op)
	g.running++
	g.flush()
	if got := probeIDs(t, db); len(got) != 0 {
		t.Fatalf("rows %v, want none: cancelled callers' statements must not run", got)
	}
}

func TestRolledBack(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40P01"}, true},
		{fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "23505"}), true},
		{io.ErrUnexpectedEOF, false}, // the connection died: the commit may have happened
		{context.DeadlineExceeded, false},
	} {
		if got := rolledBack(c.err); got != c.want {
			t.Errorf("rolledBack(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
