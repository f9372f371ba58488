package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/rules"
)

// Process errors. An error from Process that wraps neither was not recorded
// (the database was unreachable); the event's claim expires and the sweeper
// retries it.
var (
	// ErrPermanent means the event was marked failed for good: bad data
	// (no case_id, not JSON) or too many attempts. A human looks at it.
	ErrPermanent = errors.New("event failed permanently")
	// ErrWillRetry means the event was marked failed with a retry time;
	// the sweeper re-enqueues it then.
	ErrWillRetry = errors.New("event failed; the sweeper retries it")
)

// Event results reported in Outcome.Result.
const (
	ResultProcessed = "processed"
	ResultStale     = "stale"
	ResultSkipped   = "skipped"
	ResultFailed    = "failed"
	// ResultDeleted is an event about a case the CMS deleted: recorded as a
	// finding (and a pause), the event itself processed.
	ResultDeleted = "deleted"
)

// Outcome describes one Process call, for the log line at the job edge.
type Outcome struct {
	InboundEventID int64
	Source         string
	EventType      string
	CaseID         int64
	Attempt        int
	// Result is processed, stale, skipped (done already or claimed by
	// another worker) or failed.
	Result string
	Change *cases.Change
	// WakeErr is set when the event committed but delivery could not be woken
	// for its new messages; the delivery sweeper finds them by due time.
	WakeErr error
}

// claimed is an inbound event this worker owns until its claim expires.
type claimed struct {
	id         int64
	source     string
	body       []byte
	eventType  string
	occurredAt *time.Time
	attempts   int
}

// Process turns a stored event into a case version and plans messages for
// it. It is idempotent: it claims the row first (received → processing, or a
// processing row whose claim expired, or a failed row due for retry), and
// an event already processed, stale, failed for good or claimed by a live
// worker is skipped. The case version, its findings, the planned messages
// and the event's processed mark commit in one transaction: if anything
// fails nothing of it is kept, the event is marked failed and retried.
func (s *Service) Process(ctx context.Context, inboundEventID int64) (Outcome, error) {
	out := Outcome{InboundEventID: inboundEventID, Result: ResultSkipped}
	ev, ok, err := s.claim(ctx, inboundEventID)
	if err != nil || !ok {
		return out, err
	}
	out.Source, out.EventType, out.Attempt = ev.source, ev.eventType, ev.attempts
	// Never work past the claim: after it another worker may take over.
	ctx, cancel := context.WithTimeout(ctx, s.opt.ClaimTimeout)
	defer cancel()
	done, err := s.handle(ctx, ev)
	if del := (*DeletedError)(nil); errors.As(err, &del) {
		return s.deleted(ctx, ev, del, out)
	}
	if err != nil {
		out.Result = ResultFailed
		return out, s.fail(ctx, ev, err)
	}
	out.Change, out.CaseID, out.Result = &done.change, done.change.CaseID, done.result
	if s.opt.Planner != nil {
		out.WakeErr = s.opt.Planner.Wake(ctx, done.planned)
	}
	return out, nil
}

// deleted resolves an event about a case the CMS deleted: an open
// cms_deleted finding and a pause on the case when Herald has it, and the
// event marked processed with the detail as its note. Every step is
// idempotent, so a retry after a crash repeats it harmlessly.
func (s *Service) deleted(ctx context.Context, ev claimed, del *DeletedError, out Outcome) (Outcome, error) {
	caseID, found, err := s.cases.MarkDeleted(ctx, ev.source, del.CaseID, del.Detail)
	if err == nil && found && s.opt.Pauser != nil {
		_, err = s.opt.Pauser.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: caseID, Actor: "herald",
			Reason: fmt.Sprintf("%s record %s was deleted; resume when it is restored or the client has been told", ev.source, del.CaseID)})
		if errors.Is(err, derrors.Conflict) {
			err = nil // already paused, by staff or by an earlier delivery of this event
		}
	}
	if err != nil {
		out.Result = ResultFailed
		return out, s.fail(ctx, ev, fmt.Errorf("record deleted case %s: %w", del.CaseID, err))
	}
	out.Result = ResultDeleted
	var stored *int64
	if found {
		out.CaseID, stored = caseID, &caseID
	}
	err = s.record(ctx, `UPDATE inbound_events SET status = 'processed', case_id = $2, error = $3, retry_at = NULL,
		claimed_until = NULL, processed_at = $4 WHERE id = $1`, ev.id, stored, del.Error(), s.clock.Now())
	if err != nil {
		return out, fmt.Errorf("%w: mark inbound event %d processed: %w", derrors.Unavailable, ev.id, err)
	}
	return out, nil
}

// claim takes ownership of the event for ClaimTimeout. ok is false when
// there is nothing to do; a missing event is derrors.NotFound. Like the
// event's transaction (commitTx), the claim commits without waiting for the
// WAL flush (set_config is local to the statement's own transaction): a
// claim lost in a crash leaves the event as it was, for the sweeper, and
// the event's transaction or its recorded failure, later in the WAL, flush
// it anyway.
func (s *Service) claim(ctx context.Context, id int64) (claimed, bool, error) {
	now := s.clock.Now()
	ev := claimed{id: id}
	err := s.db.Pool.QueryRow(ctx, `UPDATE inbound_events SET status = 'processing', attempts = attempts + 1,
			claimed_until = $2
		FROM (SELECT set_config('synchronous_commit', 'off', true)) async
		WHERE id = $1 AND (status = 'received'
			OR (status = 'processing' AND coalesce(claimed_until, received_at) < $3)
			OR (status = 'failed' AND retry_at <= $3))
		RETURNING source, body, event_type, occurred_at, attempts`, id, now.Add(s.opt.ClaimTimeout), now).
		Scan(&ev.source, &ev.body, &ev.eventType, &ev.occurredAt, &ev.attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		var exists bool
		if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inbound_events WHERE id = $1)`, id).Scan(&exists); err != nil {
			return ev, false, fmt.Errorf("%w: look up inbound event %d: %w", derrors.Unavailable, id, err)
		}
		if !exists {
			return ev, false, fmt.Errorf("%w: inbound event %d", derrors.NotFound, id)
		}
		return ev, false, nil
	}
	if err != nil {
		return ev, false, fmt.Errorf("%w: claim inbound event %d: %w", derrors.Unavailable, id, err)
	}
	return ev, true, nil
}

// committed is what handle committed for an event.
type committed struct {
	change  cases.Change
	planned rules.Planned
	result  string
}

// maxTxAttempts bounds how often handle starts the event's transaction
// over after a deadlock or serialization failure.
const maxTxAttempts = 4

// handle runs enrich → normalize, then apply → plan → mark the event done
// in one transaction (commit).
func (s *Service) handle(ctx context.Context, ev claimed) (committed, error) {
	src, ok := s.sources[ev.source]
	if !ok {
		return committed{}, permanent(fmt.Errorf("source %q has no mapping in config/sources", ev.source))
	}
	raw := ev.body
	if s.opt.Enricher != nil {
		enriched, err := s.opt.Enricher.Enrich(ctx, ev.source, raw)
		if del := (*DeletedError)(nil); errors.As(err, &del) {
			return committed{}, err
		}
		if err != nil {
			if errors.Is(err, derrors.InvalidArgument) || errors.Is(err, derrors.NotFound) {
				err = permanent(err)
			}
			return committed{}, fmt.Errorf("enrich: %w", err)
		}
		raw = enriched
	}
	n, err := s.normalizer(ctx, src.mapping)
	if err != nil {
		return committed{}, err
	}
	res, err := n.Normalize(raw)
	if errors.Is(err, normalize.ErrNotJSON) || errors.Is(err, normalize.ErrMissingCaseID) {
		return committed{}, permanent(err)
	}
	if err != nil {
		return committed{}, err
	}
	at := res.UpdatedAt
	if at == nil {
		at = res.OccurredAt
	}
	if at == nil {
		at = ev.occurredAt
	}
	// What the planner reads through the pool is read before the
	// transaction, which then needs no second connection.
	var prep rules.Prepared
	if s.opt.Planner != nil {
		if prep, err = s.opt.Planner.Prepare(ctx); err != nil {
			return committed{}, fmt.Errorf("prepare plan: %w", err)
		}
	}
	for attempt := 1; ; attempt++ {
		done, err := s.commit(ctx, ev, res.Case, at, prep)
		if attempt < maxTxAttempts && cases.Retryable(err) {
			continue
		}
		if errors.Is(err, derrors.InvalidArgument) {
			return committed{}, permanent(err)
		}
		return done, err
	}
}

// commitTx begins the event's transaction with synchronous_commit off: the
// commit returns without waiting for the WAL flush (PostgreSQL flushes it
// within three wal_writer_delay). Nothing is lost by that. The event itself
// was committed durably when it was accepted, and this transaction only
// writes what is derived from it; a crash that loses the commit leaves the
// event unprocessed, and the sweeper processes it again under the same
// idempotency keys. Nothing leaves Herald on the strength of this commit: a
// message is sent only after delivery's claim on it commits synchronously,
// which flushes the WAL up to and past this commit. A delivery wake-up is
// only a hint: for a message lost that way delivery finds no row (or, its
// id reused, another message it handles by that message's own status).
var commitTx = pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL synchronous_commit = off"}

// commit applies the case, plans its messages and marks the event processed
// (or stale) in one transaction, so the event is done exactly when its
// effects are committed.
func (s *Service) commit(ctx context.Context, ev claimed, nc normalize.Case, at *time.Time, prep rules.Prepared) (committed, error) {
	tx, err := s.db.Pool.BeginTx(ctx, commitTx)
	if err != nil {
		return committed{}, fmt.Errorf("%w: begin: %w", derrors.Unavailable, err)
	}
	defer tx.Rollback(ctx)
	done := committed{result: ResultProcessed}
	if done.change, err = s.cases.ApplyIn(ctx, tx, ev.source, ev.id, nc, at); err != nil {
		return committed{}, err
	}
	if s.opt.Planner != nil {
		if done.planned, err = s.opt.Planner.PlanIn(ctx, tx, prep, done.change); err != nil {
			return committed{}, err
		}
	}
	if done.change.Stale {
		done.result = ResultStale
	}
	_, err = tx.Exec(ctx, `UPDATE inbound_events SET status = $2, case_id = $3, error = '', retry_at = NULL,
		claimed_until = NULL, processed_at = $4 WHERE id = $1`, ev.id, done.result, done.change.CaseID, s.clock.Now())
	if err != nil {
		return committed{}, fmt.Errorf("%w: mark inbound event %d %s: %w", derrors.Unavailable, ev.id, done.result, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return committed{}, fmt.Errorf("%w: commit inbound event %d: %w", derrors.Unavailable, ev.id, err)
	}
	return done, nil
}

// permanentError marks a failure no retry can fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

// fail records the failure. Data errors and events out of attempts fail for
// good; others get a retry time with exponential backoff (30s doubling,
// capped at an hour).
func (s *Service) fail(ctx context.Context, ev claimed, cause error) error {
	now := s.clock.Now()
	var retryAt *time.Time
	kind := ErrPermanent
	var pe permanentError
	msg := cause.Error()
	switch {
	case errors.As(cause, &pe):
	case ev.attempts >= s.opt.MaxAttempts:
		msg = fmt.Sprintf("gave up after %d attempts: %s", ev.attempts, msg)
	default:
		kind = ErrWillRetry
		t := now.Add(min(30*time.Second<<(ev.attempts-1), time.Hour))
		retryAt = &t
	}
	err := s.record(ctx, `UPDATE inbound_events SET status = 'failed', error = $2, retry_at = $3,
		claimed_until = NULL, processed_at = $4 WHERE id = $1 AND status = 'processing'`, ev.id, msg, retryAt, now)
	if err != nil {
		return fmt.Errorf("%w: record failure of inbound event %d (%s): %w", derrors.Unavailable, ev.id, msg, err)
	}
	return fmt.Errorf("%w: %w", kind, cause)
}

// recordWindow is how long record keeps trying.
const recordWindow = 15 * time.Second

// record writes an event's outcome. The processing context may have run out
// or been cancelled; recording must not be. The failure being recorded is
// often the database itself going away: record keeps trying with backoff
// (100ms doubling to 2s) for recordWindow, or the event would wait out its
// whole claim (ClaimTimeout, 2m) before the sweeper retried it — what the
// chaos suite's PostgreSQL restart found when this was a single try.
func (s *Service) record(ctx context.Context, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordWindow)
	defer cancel()
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		_, err := s.db.Pool.Exec(ctx, sql, args...)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// maxSweep bounds one sweep; the next tick takes the rest.
const maxSweep = 500

// Sweep re-enqueues events a worker should have taken but did not: received
// for longer than SweepAge (Redis lost the wake-up), processing past their
// claim (a worker crashed), and failed events due for retry. It returns how
// many it enqueued.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	if s.opt.Enqueuer == nil {
		return 0, errors.New("ingest: sweep needs an Enqueuer")
	}
	now := s.clock.Now()
	rows, err := s.db.Pool.Query(ctx, `(SELECT id FROM inbound_events
			WHERE status IN ('received', 'processing')
			AND ((status = 'received' AND received_at < $1) OR (status = 'processing' AND coalesce(claimed_until, received_at) < $2))
			ORDER BY received_at LIMIT $3)
		UNION ALL
		(SELECT id FROM inbound_events WHERE status = 'failed' AND retry_at IS NOT NULL AND retry_at <= $2
			ORDER BY retry_at LIMIT $3)`, now.Add(-s.opt.SweepAge), now, maxSweep)
	if err != nil {
		return 0, fmt.Errorf("%w: sweep inbound events: %w", derrors.Unavailable, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("%w: sweep inbound events: %w", derrors.Unavailable, err)
	}
	for i, id := range ids {
		if err := s.opt.Enqueuer.EnqueueEvent(ctx, id); err != nil {
			return i, fmt.Errorf("sweep: enqueue inbound event %d: %w", id, err)
		}
	}
	return len(ids), nil
}
