package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
)

// Actor is the person or token acting on the ledger, for the audit log.
type Actor struct {
	Name string
	Role string
}

// DeadFilter selects dead letters: dead messages and outcome_unknown ones,
// not yet resolved. Zero fields do not filter.
type DeadFilter struct {
	// Status is StatusDead or StatusOutcomeUnknown; "" means both.
	Status   string
	Channel  string
	CaseID   int64
	ClientID int64
	// Code is the provider error code (last_error_code), e.g. "21211".
	Code string
	// Since and Until bound when the message last changed.
	Since, Until time.Time
	// IDs restricts to these messages (bulk actions on a selection).
	IDs []int64
	// Limit caps the result (default 100, at most 1000).
	Limit int
}

// Validate checks the filter's enumerations.
func (f DeadFilter) Validate() error {
	var fs derrors.Fields
	if f.Status != "" && f.Status != StatusDead && f.Status != StatusOutcomeUnknown {
		fs = append(fs, &derrors.FieldError{Field: "status", Problem: fmt.Sprintf("%q is not a dead-letter status", f.Status), Fix: "use dead or outcome_unknown"})
	}
	if f.Channel != "" && f.Channel != "email" && f.Channel != "sms" {
		fs = append(fs, &derrors.FieldError{Field: "channel", Problem: fmt.Sprintf("%q is not a channel", f.Channel), Fix: "use email or sms"})
	}
	if f.Limit < 0 || f.Limit > 1000 {
		fs = append(fs, &derrors.FieldError{Field: "limit", Problem: fmt.Sprintf("%d is out of range", f.Limit), Fix: "use 1 to 1000"})
	}
	return fs.Err()
}

// where renders the filter as a SQL condition over messages m.
func (f DeadFilter) where() (string, []any) {
	conds := []string{"m.status IN ('dead', 'outcome_unknown')", "m.resolved_at IS NULL"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Status != "" {
		add("m.status = ?", f.Status)
	}
	if f.Channel != "" {
		add("m.channel = ?", f.Channel)
	}
	if f.CaseID != 0 {
		add("m.case_id = ?", f.CaseID)
	}
	if f.ClientID != 0 {
		add("m.client_id = ?", f.ClientID)
	}
	if f.Code != "" {
		add("m.last_error_code = ?", f.Code)
	}
	if !f.Since.IsZero() {
		add("m.updated_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		add("m.updated_at < ?", f.Until)
	}
	if f.IDs != nil {
		add("m.id = ANY(?)", f.IDs)
	}
	return strings.Join(conds, " AND "), args
}

func (f DeadFilter) limit() int {
	if f.Limit == 0 {
		return 100
	}
	return f.Limit
}

// DeadLetters is one page of the dead-letter inbox with the totals per kind:
// dead (failed for a known reason) and outcome_unknown (may have been sent).
type DeadLetters struct {
	Items          []Message `json:"items"`
	Dead           int       `json:"dead"`
	OutcomeUnknown int       `json:"outcome_unknown"`
}

// DeadLetters lists unresolved dead letters matching f, newest first.
func (s *Store) DeadLetters(ctx context.Context, f DeadFilter) (DeadLetters, error) {
	if err := f.Validate(); err != nil {
		return DeadLetters{}, err
	}
	where, args := f.where()
	rows, err := s.db.Pool.Query(ctx, `SELECT `+messageCols+` FROM messages m WHERE `+where+
		` ORDER BY m.updated_at DESC, m.id DESC LIMIT `+strconv.Itoa(f.limit()), args...)
	if err != nil {
		return DeadLetters{}, dbErr("list dead letters", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		return m, scanMessage(r, &m)
	})
	if err != nil {
		return DeadLetters{}, dbErr("list dead letters", err)
	}
	out := DeadLetters{Items: items}
	countF := f
	countF.Status = ""
	cwhere, cargs := countF.where()
	err = s.db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE m.status = 'dead'),
		count(*) FILTER (WHERE m.status = 'outcome_unknown') FROM messages m WHERE `+cwhere, cargs...).
		Scan(&out.Dead, &out.OutcomeUnknown)
	return out, dbErr("count dead letters", err)
}

// Retry puts dead letter id back to pending, due now, with a fresh retry
// schedule: the one way a dead or outcome_unknown message is sent again. It is
// audited. A message that is not an unresolved dead letter is a Conflict.
func (s *Store) Retry(ctx context.Context, id int64, actor Actor) (Message, error) {
	ms, err := s.RetryWhere(ctx, DeadFilter{IDs: []int64{id}}, actor)
	if err != nil {
		return Message{}, err
	}
	if len(ms) == 0 {
		return Message{}, s.notDeadLetter(ctx, id)
	}
	return ms[0], nil
}

// RetryWhere retries every dead letter matching f (up to its limit) and
// returns the messages now pending.
func (s *Store) RetryWhere(ctx context.Context, f DeadFilter, actor Actor) ([]Message, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := f.where()
	now := s.now()
	n := len(args)
	args = append(args, now, actor.Name, actor.Role)
	q := fmt.Sprintf(`WITH t AS (
		SELECT m.id, m.status, m.last_error_code FROM messages m WHERE %s
		ORDER BY m.updated_at DESC, m.id DESC LIMIT %d FOR UPDATE
	), m AS (
		UPDATE messages m SET status = 'pending', due_at = $%[3]d, updated_at = $%[3]d, retries = 0, claimed_until = NULL,
			dead_reason = '', suggested_fix = '', reconciled_at = NULL, alerted_at = NULL
		FROM t WHERE m.id = t.id RETURNING m.*
	), a AS (
		INSERT INTO audit_log (actor, actor_role, action, target_type, target_id, details, created_at)
		SELECT $%[4]d, $%[5]d, 'message.retry', 'message', t.id::text,
			jsonb_build_object('from_status', t.status, 'error_code', t.last_error_code), $%[3]d FROM t
	)
	SELECT %[6]s FROM m ORDER BY m.id`, where, f.limit(), n+1, n+2, n+3, messageCols)
	return s.collect(ctx, "retry dead letters", q, args...)
}

// Resolve closes dead letter id without sending it, with a required note
// saying what was done (called the client, fixed the number in the CMS…).
// It is audited; the message keeps its status.
func (s *Store) Resolve(ctx context.Context, id int64, actor Actor, note string) (Message, error) {
	ms, err := s.ResolveWhere(ctx, DeadFilter{IDs: []int64{id}}, actor, note)
	if err != nil {
		return Message{}, err
	}
	if len(ms) == 0 {
		return Message{}, s.notDeadLetter(ctx, id)
	}
	return ms[0], nil
}

// ResolveWhere resolves every dead letter matching f (up to its limit).
func (s *Store) ResolveWhere(ctx context.Context, f DeadFilter, actor Actor, note string) ([]Message, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, derrors.Invalid("note", "is required", "say what was done about the message, e.g. \"called the client\"")
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := f.where()
	n := len(args)
	args = append(args, s.now(), actor.Name, actor.Role, note)
	q := fmt.Sprintf(`WITH t AS (
		SELECT m.id, m.status FROM messages m WHERE %s
		ORDER BY m.updated_at DESC, m.id DESC LIMIT %d FOR UPDATE
	), m AS (
		UPDATE messages m SET resolved_at = $%[3]d, resolved_by = $%[4]d, resolution_note = $%[6]d, updated_at = $%[3]d
		FROM t WHERE m.id = t.id RETURNING m.*
	), a AS (
		INSERT INTO audit_log (actor, actor_role, action, target_type, target_id, reason, details, created_at)
		SELECT $%[4]d, $%[5]d, 'message.resolve', 'message', t.id::text, $%[6]d,
			jsonb_build_object('status', t.status), $%[3]d FROM t
	)
	SELECT %[7]s FROM m ORDER BY m.id`, where, f.limit(), n+1, n+2, n+3, n+4, messageCols)
	return s.collect(ctx, "resolve dead letters", q, args...)
}

func (s *Store) collect(ctx context.Context, op, q string, args ...any) ([]Message, error) {
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		return m, scanMessage(r, &m)
	})
	return ms, dbErr(op, err)
}

// notDeadLetter explains why id could not be retried or resolved.
func (s *Store) notDeadLetter(ctx context.Context, id int64) error {
	m, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if m.ResolvedAt != nil {
		return fmt.Errorf("%w: message %d was already resolved by %s", derrors.Conflict, id, m.ResolvedBy)
	}
	return fmt.Errorf("%w: message %d is %s, not a dead letter", derrors.Conflict, id, m.Status)
}

// audit writes one audit_log row outside the bulk statements.
func (s *Store) audit(ctx context.Context, tx pgx.Tx, actor Actor, action string, id int64, reason string, details map[string]any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor, actor_role, action, target_type, target_id, reason, details, created_at)
		VALUES ($1, $2, $3, 'message', $4, $5, $6, $7)`, actor.Name, actor.Role, action, strconv.FormatInt(id, 10), reason, b, s.now())
	return err
}
