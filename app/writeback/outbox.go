package writeback

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/tasks"
)

// Collect adds an outbox row for every message sent, and every inbound
// message received, within Lookback that has none yet. Cases from a Clio
// source go to Clio when it is configured; everything else goes to the
// webhook when it is configured; with neither, nothing is collected. It
// returns how many rows it added.
func (s *Service) Collect(ctx context.Context) (int, error) {
	if !s.enabled() {
		return 0, nil
	}
	now := s.d.Clock.Now()
	clio, hook := s.d.Clio != nil, s.cfg.WebhookURL != ""
	const target = `CASE WHEN src.kind = 'clio' AND $3 THEN 'clio' ELSE 'webhook' END`
	const eligible = `((src.kind = 'clio' AND $3) OR $4)`
	tag, err := s.d.DB.Pool.Exec(ctx, `INSERT INTO writeback_outbox (idempotency_key, kind, message_id, case_id, target, next_attempt_at, created_at)
		SELECT 'msg:' || m.id, 'message', m.id, m.case_id, `+target+`, $1, $1
		FROM messages m LEFT JOIN cases k ON k.id = m.case_id LEFT JOIN sources src ON src.name = k.source
		WHERE m.sent_at >= $2 AND `+eligible+`
		  AND NOT EXISTS (SELECT 1 FROM writeback_outbox o WHERE o.idempotency_key = 'msg:' || m.id)
		ON CONFLICT (idempotency_key) DO NOTHING`, now, now.Add(-s.cfg.Lookback), clio, hook)
	if err != nil {
		return 0, dbErr("collect sent messages", err)
	}
	n := int(tag.RowsAffected())
	tag, err = s.d.DB.Pool.Exec(ctx, `INSERT INTO writeback_outbox (idempotency_key, kind, inbound_id, case_id, target, next_attempt_at, created_at)
		SELECT 'in:' || i.id, 'reply', i.id, i.case_id, `+target+`, $1, $1
		FROM inbound_messages i LEFT JOIN cases k ON k.id = i.case_id LEFT JOIN sources src ON src.name = k.source
		WHERE i.created_at >= $2 AND `+eligible+`
		  AND NOT EXISTS (SELECT 1 FROM writeback_outbox o WHERE o.idempotency_key = 'in:' || i.id)
		ON CONFLICT (idempotency_key) DO NOTHING`, now, now.Add(-s.cfg.Lookback), clio, hook)
	if err != nil {
		return n, dbErr("collect replies", err)
	}
	return n + int(tag.RowsAffected()), nil
}

// item is one claimed outbox row.
type item struct {
	ID       int64
	Key      string
	Kind     string
	Message  *int64
	Inbound  *int64
	CaseID   *int64
	Target   string
	Attempts int
}

// Push writes every due outbox row once: done on success, rescheduled on a
// failure that may pass, failed (with a staff task) on a permanent failure
// or after the last retry. It returns how many rows it wrote.
func (s *Service) Push(ctx context.Context) (int, error) {
	now := s.d.Clock.Now()
	rows, err := s.d.DB.Pool.Query(ctx, `UPDATE writeback_outbox SET claimed_until = $3, attempts = attempts + 1
		WHERE id IN (SELECT id FROM writeback_outbox WHERE status = 'pending' AND next_attempt_at <= $1
		             AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING id, idempotency_key, kind, message_id, inbound_id, case_id, target, attempts`, now, s.cfg.Batch, now.Add(s.cfg.Lease))
	if err != nil {
		return 0, dbErr("claim outbox", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (item, error) {
		var it item
		return it, r.Scan(&it.ID, &it.Key, &it.Kind, &it.Message, &it.Inbound, &it.CaseID, &it.Target, &it.Attempts)
	})
	if err != nil {
		return 0, dbErr("claim outbox", err)
	}
	done := 0
	var errs []error
	for _, it := range items {
		remote, werr := s.write(ctx, it)
		if err := s.finish(ctx, it, remote, werr); err != nil {
			errs = append(errs, err)
			continue
		}
		if werr == nil {
			done++
		}
	}
	return done, errors.Join(errs...)
}

// write sends one item to its target.
func (s *Service) write(ctx context.Context, it item) (string, error) {
	rec, err := s.load(ctx, it)
	if err != nil {
		return "", err
	}
	switch it.Target {
	case TargetClio:
		if s.d.Clio == nil {
			return "", fmt.Errorf("%w: Clio is not configured (CLIO_ACCESS_TOKEN)", ErrPermanent)
		}
		return s.toClio(ctx, it, rec)
	default:
		if s.cfg.WebhookURL == "" {
			return "", fmt.Errorf("%w: HERALD_WRITEBACK_URL is not configured", ErrPermanent)
		}
		return "", s.toWebhook(ctx, rec)
	}
}

// finish records the outcome of one push.
func (s *Service) finish(ctx context.Context, it item, remote string, werr error) error {
	now := s.d.Clock.Now()
	if werr == nil {
		_, err := s.d.DB.Pool.Exec(ctx, `UPDATE writeback_outbox SET status = 'done', done_at = $2, remote_id = $3,
			claimed_until = NULL, last_error = '' WHERE id = $1`, it.ID, now, remote)
		s.d.Log.InfoContext(ctx, "writeback", "event_type", "writeback."+it.Kind, "outbox_id", it.ID, "target", it.Target,
			"case_id", deref(it.CaseID), "result", "done", "attempt", it.Attempts)
		return dbErr("finish outbox row", err)
	}
	if !errors.Is(werr, ErrPermanent) && it.Attempts <= len(s.cfg.Schedule) {
		next := now.Add(s.cfg.Schedule[it.Attempts-1])
		_, err := s.d.DB.Pool.Exec(ctx, `UPDATE writeback_outbox SET next_attempt_at = $2, last_error = $3, claimed_until = NULL
			WHERE id = $1`, it.ID, next, werr.Error())
		s.d.Log.WarnContext(ctx, "writeback", "event_type", "writeback."+it.Kind, "outbox_id", it.ID, "target", it.Target,
			"case_id", deref(it.CaseID), "result", "retry", "attempt", it.Attempts, "next_attempt_at", next, "error", werr.Error())
		return dbErr("reschedule outbox row", err)
	}
	tx, err := s.d.DB.Pool.Begin(ctx)
	if err != nil {
		return dbErr("fail outbox row", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE writeback_outbox SET status = 'failed', last_error = $2, claimed_until = NULL WHERE id = $1`,
		it.ID, werr.Error()); err != nil {
		return dbErr("fail outbox row", err)
	}
	what := map[string]string{"message": "a message Herald sent", "reply": "a client's reply"}[it.Kind]
	_, _, err = tasks.Create(ctx, tx, tasks.NewTask{DedupeKey: fmt.Sprintf("writeback:%d", it.ID), Kind: tasks.KindNotify,
		Title: "Could not record a client message in the CMS", CaseID: it.CaseID, MessageID: it.Message,
		Body: fmt.Sprintf("Herald could not write %s to the %s after %d attempts: %s. Add it to the client file by hand, or fix the cause and retry it.",
			what, it.Target, it.Attempts, werr.Error())})
	if err != nil {
		return dbErr("create write-back task", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return dbErr("fail outbox row", err)
	}
	s.d.Log.ErrorContext(ctx, "writeback", "event_type", "writeback."+it.Kind, "outbox_id", it.ID, "target", it.Target,
		"case_id", deref(it.CaseID), "result", "failed", "attempt", it.Attempts, "error", werr.Error())
	return nil
}

// Failure is an outbox row that could not be written.
type Failure struct {
	ID        int64     `json:"id"`
	Key       string    `json:"idempotency_key"`
	Kind      string    `json:"kind"`
	MessageID *int64    `json:"message_id"`
	InboundID *int64    `json:"inbound_id"`
	CaseID    *int64    `json:"case_id"`
	Target    string    `json:"target"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	CreatedAt time.Time `json:"created_at"`
}

const failureCols = `id, idempotency_key, kind, message_id, inbound_id, case_id, target, status, attempts, last_error, created_at`

func scanFailure(r pgx.CollectableRow) (Failure, error) {
	var f Failure
	return f, r.Scan(&f.ID, &f.Key, &f.Kind, &f.MessageID, &f.InboundID, &f.CaseID, &f.Target, &f.Status, &f.Attempts, &f.LastError, &f.CreatedAt)
}

// Failures lists failed rows, newest first (limit 1-500, default 100).
func (s *Service) Failures(ctx context.Context, limit int) ([]Failure, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.d.DB.Pool.Query(ctx, `SELECT `+failureCols+`
		FROM writeback_outbox WHERE status = 'failed' ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, dbErr("list failures", err)
	}
	out, err := pgx.CollectRows(rows, scanFailure)
	return out, dbErr("list failures", err)
}

// Retry puts failed row id back in the queue, due now, with a fresh retry
// schedule, and audits who asked. A row that does not exist is NotFound;
// one that is not failed (pending or done) is a Conflict naming its status.
func (s *Service) Retry(ctx context.Context, id int64, actor string) (Failure, error) {
	now := s.d.Clock.Now()
	tx, err := s.d.DB.Pool.Begin(ctx)
	if err != nil {
		return Failure{}, dbErr("retry outbox row", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `UPDATE writeback_outbox SET status = 'pending', attempts = 0, next_attempt_at = $2, claimed_until = NULL
		WHERE id = $1 AND status = 'failed' RETURNING `+failureCols, id, now)
	if err != nil {
		return Failure{}, dbErr("retry outbox row", err)
	}
	fs, err := pgx.CollectRows(rows, scanFailure)
	if err != nil {
		return Failure{}, dbErr("retry outbox row", err)
	}
	if len(fs) == 0 {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM writeback_outbox WHERE id = $1`, id).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return Failure{}, fmt.Errorf("write-back %d: %w", id, derrors.NotFound)
		}
		if err != nil {
			return Failure{}, dbErr("read outbox row", err)
		}
		return Failure{}, fmt.Errorf("%w: write-back %d is %s, not failed; only failed write-backs can be retried", derrors.Conflict, id, status)
	}
	f := fs[0]
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, details, created_at)
		VALUES ($1, 'writeback.retry', 'writeback', $2, jsonb_build_object('target', $3::text, 'last_error', $4::text), $5)`,
		actor, fmt.Sprint(id), f.Target, f.LastError, now); err != nil {
		return Failure{}, dbErr("audit write-back retry", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Failure{}, dbErr("retry outbox row", err)
	}
	s.d.Log.InfoContext(ctx, "writeback", "event_type", "writeback.retry", "outbox_id", id, "case_id", deref(f.CaseID),
		"target", f.Target, "actor", actor, "result", "requeued")
	return f, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
