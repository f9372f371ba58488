// Package pause owns the big red button: pauses of automation for one case,
// one client or the whole firm (table pauses). A pause has a required reason,
// may expire by itself, and every press and release is audited. Check also
// honours the CMS's own is_automation_paused flag (cases.cms_paused).
//
// Rules check a pause before planning anything and delivery checks it again
// at the moment of sending.
package pause

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// Scopes of a pause. ScopeCMS is reported by Check when the CMS flag, not a
// Herald override, pauses the case.
const (
	ScopeCase   = "case"
	ScopeClient = "client"
	ScopeFirm   = "firm"
	ScopeCMS    = "cms"
)

// State is whether automation is paused for a case, and by what.
type State struct {
	Paused    bool
	Scope     string // case, client, firm or cms
	Reason    string
	By        string
	Since     time.Time
	ExpiresAt *time.Time
}

// Request presses the button.
type Request struct {
	Scope     string
	CaseID    int64 // for ScopeCase
	ClientID  int64 // for ScopeClient
	Reason    string
	ExpiresAt *time.Time // nil: until someone resumes
	Actor     string
}

// Pause is an active pause.
type Pause struct {
	ID        int64
	Scope     string
	CaseID    *int64
	ClientID  *int64
	Reason    string
	PausedBy  string
	ExpiresAt *time.Time
	CreatedAt time.Time
}

// Service presses and releases pauses and answers Check.
type Service struct {
	db    *store.DB
	clock clock.Clock
}

// New returns the pause service.
func New(db *store.DB, clk clock.Clock) *Service { return &Service{db: db, clock: clk} }

// Pause starts a pause. A pause already active for the same target is a
// derrors.Conflict; an expired one is lifted first, as the sweep would.
func (s *Service) Pause(ctx context.Context, r Request) (Pause, error) {
	now := s.clock.Now()
	if err := r.validate(now); err != nil {
		return Pause{}, err
	}
	caseID, clientID := target(r.Scope, r.CaseID, r.ClientID)
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return Pause{}, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	if _, err := s.liftExpired(ctx, tx, now, &r.Scope, caseID, clientID); err != nil {
		return Pause{}, err
	}
	p := Pause{Scope: r.Scope, CaseID: caseID, ClientID: clientID, Reason: strings.TrimSpace(r.Reason), PausedBy: r.Actor, ExpiresAt: r.ExpiresAt, CreatedAt: now}
	err = tx.QueryRow(ctx, `INSERT INTO pauses (scope, case_id, client_id, reason, paused_by, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		p.Scope, p.CaseID, p.ClientID, p.Reason, p.PausedBy, p.ExpiresAt, now).Scan(&p.ID)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return Pause{}, fmt.Errorf("%w: %s is already paused; resume it first to change the reason or expiry", derrors.Conflict, describe(r.Scope, caseID, clientID))
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return Pause{}, fmt.Errorf("%w: %s does not exist", derrors.NotFound, describe(r.Scope, caseID, clientID))
	case err != nil:
		return Pause{}, fmt.Errorf("insert pause: %w", err)
	}
	details := map[string]any{"scope": p.Scope, "pause_id": p.ID}
	if p.ExpiresAt != nil {
		details["expires_at"] = p.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if err := audit(ctx, tx, now, r.Actor, "pause."+r.Scope, r.Scope, targetID(caseID, clientID), p.Reason, details); err != nil {
		return Pause{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Pause{}, fmt.Errorf("commit pause: %w", err)
	}
	return p, nil
}

// Resume lifts the active pause of a target. reason is optional but kept in
// the audit log. Nothing active is derrors.NotFound.
func (s *Service) Resume(ctx context.Context, scope string, caseID, clientID int64, actor, reason string) error {
	now := s.clock.Now()
	if err := validScope(scope, caseID, clientID); err != nil {
		return err
	}
	if strings.TrimSpace(actor) == "" {
		return derrors.Invalid("actor", "is empty", "say who resumes")
	}
	cid, clid := target(scope, caseID, clientID)
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	if _, err := s.liftExpired(ctx, tx, now, &scope, cid, clid); err != nil {
		return err
	}
	var id int64
	err = tx.QueryRow(ctx, `UPDATE pauses SET lifted_at = $1, lifted_by = $2
		WHERE lifted_at IS NULL AND scope = $3 AND case_id IS NOT DISTINCT FROM $4 AND client_id IS NOT DISTINCT FROM $5
		RETURNING id`, now, actor, scope, cid, clid).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s is not paused", derrors.NotFound, describe(scope, cid, clid))
	}
	if err != nil {
		return fmt.Errorf("lift pause: %w", err)
	}
	if err := audit(ctx, tx, now, actor, "resume."+scope, scope, targetID(cid, clid), strings.TrimSpace(reason), map[string]any{"pause_id": id}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Check reports whether automation is paused for a case: a case override,
// then a client override, then a firm-wide one, then the CMS flag. Expired
// overrides count as lifted. clientID 0 means the case's client.
func (s *Service) Check(ctx context.Context, caseID, clientID int64) (State, error) {
	// One round trip: the first override in force (case, client, firm) and
	// the case's CMS flag. Planning and every send ask this.
	return scanCheck(s.db.Pool.QueryRow(ctx, checkSQL, caseID, clientID, s.clock.Now()))
}

// QueueCheck queues Check's query on b, for a caller that sends it with
// other reads in one round trip (the planner, through the transaction that
// has just written the case, so the CMS flag it reads is this event's).
// When b's results are read, st is set, or the error is returned from
// closing them.
func (s *Service) QueueCheck(b *pgx.Batch, caseID, clientID int64, st *State) {
	b.Queue(checkSQL, caseID, clientID, s.clock.Now()).QueryRow(func(row pgx.Row) (err error) {
		*st, err = scanCheck(row)
		return err
	})
}

// checkSQL reads the first override in force for case $1 (client $2, or
// the case's when 0) at $3, and the case's CMS flag.
const checkSQL = `
		SELECT p.scope, p.reason, p.paused_by, p.created_at, p.expires_at, c.cms_paused, COALESCE(c.cms_updated_at, c.updated_at)
		FROM (SELECT 1) one
		LEFT JOIN LATERAL (
			SELECT scope, reason, paused_by, created_at, expires_at FROM pauses
			WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > $3)
			  AND ((scope = 'case' AND case_id = $1)
			    OR (scope = 'client' AND client_id = COALESCE(NULLIF($2::bigint, 0), (SELECT client_id FROM cases WHERE id = $1)))
			    OR scope = 'firm')
			ORDER BY CASE scope WHEN 'case' THEN 0 WHEN 'client' THEN 1 ELSE 2 END, created_at
			LIMIT 1) p ON true
		LEFT JOIN cases c ON c.id = $1`

func scanCheck(row pgx.Row) (State, error) {
	var (
		scope, reason, by *string
		created, expires  *time.Time
		cms               *bool
		cmsSince          *time.Time
	)
	err := row.Scan(&scope, &reason, &by, &created, &expires, &cms, &cmsSince)
	if err != nil {
		return State{}, fmt.Errorf("%w: check pause: %w", derrors.Unavailable, err)
	}
	if scope != nil {
		return State{Paused: true, Scope: *scope, Reason: *reason, By: *by, Since: *created, ExpiresAt: expires}, nil
	}
	if cms == nil || !*cms {
		return State{}, nil
	}
	st := State{Paused: true, Scope: ScopeCMS, Reason: "automation is paused in the CMS (is_automation_paused)", By: "cms"}
	if cmsSince != nil {
		st.Since = *cmsSince
	}
	return st, nil
}

// Active lists the pauses in force, firm first.
func (s *Service) Active(ctx context.Context) ([]Pause, error) {
	rows, err := s.db.Pool.Query(ctx, `
		SELECT id, scope, case_id, client_id, reason, paused_by, expires_at, created_at FROM pauses
		WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > $1)
		ORDER BY CASE scope WHEN 'firm' THEN 0 WHEN 'client' THEN 1 ELSE 2 END, created_at DESC`, s.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("list pauses: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Pause, error) {
		var p Pause
		err := r.Scan(&p.ID, &p.Scope, &p.CaseID, &p.ClientID, &p.Reason, &p.PausedBy, &p.ExpiresAt, &p.CreatedAt)
		return p, err
	})
}

// SweepExpired marks pauses whose expiry has passed as lifted by "expiry"
// and audits each; it returns how many it lifted.
func (s *Service) SweepExpired(ctx context.Context) (int, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	n, err := s.liftExpired(ctx, tx, s.clock.Now(), nil, nil, nil)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit(ctx)
}

// liftExpired lifts expired pauses (of one target when scope is set).
func (s *Service) liftExpired(ctx context.Context, tx pgx.Tx, now time.Time, scope *string, caseID, clientID *int64) (int, error) {
	rows, err := tx.Query(ctx, `UPDATE pauses SET lifted_at = expires_at, lifted_by = 'expiry'
		WHERE lifted_at IS NULL AND expires_at <= $1
		  AND ($2::text IS NULL OR (scope = $2 AND case_id IS NOT DISTINCT FROM $3 AND client_id IS NOT DISTINCT FROM $4))
		RETURNING id, scope, case_id, client_id, reason, expires_at`, now, scope, caseID, clientID)
	if err != nil {
		return 0, fmt.Errorf("lift expired pauses: %w", err)
	}
	type lifted struct {
		id               int64
		scope, reason    string
		caseID, clientID *int64
		expiresAt        time.Time
	}
	ls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifted, error) {
		var l lifted
		err := r.Scan(&l.id, &l.scope, &l.caseID, &l.clientID, &l.reason, &l.expiresAt)
		return l, err
	})
	if err != nil {
		return 0, fmt.Errorf("lift expired pauses: %w", err)
	}
	for _, l := range ls {
		details := map[string]any{"pause_id": l.id, "expired_at": l.expiresAt.UTC().Format(time.RFC3339), "paused_for": l.reason}
		if err := audit(ctx, tx, now, "system", "resume."+l.scope, l.scope, targetID(l.caseID, l.clientID), "expired", details); err != nil {
			return 0, err
		}
	}
	return len(ls), nil
}

func (r Request) validate(now time.Time) error {
	var fs derrors.Fields
	if err := validScope(r.Scope, r.CaseID, r.ClientID); err != nil {
		var fe *derrors.FieldError
		errors.As(err, &fe)
		fs = append(fs, fe)
	}
	if strings.TrimSpace(r.Reason) == "" {
		fs = append(fs, &derrors.FieldError{Field: "reason", Problem: "is required", Fix: "say why automation is paused, e.g. \"client in hospital, attorney calling personally\""})
	}
	if r.ExpiresAt != nil && !r.ExpiresAt.After(now) {
		fs = append(fs, &derrors.FieldError{Field: "expires_at", Problem: "is not in the future", Fix: "give a future time or leave it out to pause until resumed"})
	}
	if strings.TrimSpace(r.Actor) == "" {
		fs = append(fs, &derrors.FieldError{Field: "actor", Problem: "is empty", Fix: "say who pauses"})
	}
	return fs.Err()
}

func validScope(scope string, caseID, clientID int64) error {
	switch {
	case scope == ScopeCase && caseID <= 0:
		return derrors.Invalid("case_id", "is required for a case pause", "pass the case")
	case scope == ScopeClient && clientID <= 0:
		return derrors.Invalid("client_id", "is required for a client pause", "pass the client")
	case scope != ScopeCase && scope != ScopeClient && scope != ScopeFirm:
		return derrors.Invalid("scope", fmt.Sprintf("%q is not a pause scope", scope), "use case, client or firm")
	}
	return nil
}

// target keeps only the id the scope uses, as the table's check requires.
func target(scope string, caseID, clientID int64) (*int64, *int64) {
	switch scope {
	case ScopeCase:
		return &caseID, nil
	case ScopeClient:
		return nil, &clientID
	}
	return nil, nil
}

func targetID(caseID, clientID *int64) string {
	switch {
	case caseID != nil:
		return fmt.Sprint(*caseID)
	case clientID != nil:
		return fmt.Sprint(*clientID)
	}
	return "firm"
}

func describe(scope string, caseID, clientID *int64) string {
	if scope == ScopeFirm {
		return "the firm"
	}
	return scope + " " + targetID(caseID, clientID)
}

func audit(ctx context.Context, tx pgx.Tx, now time.Time, actor, action, targetType, targetID, reason string, details map[string]any) error {
	b, _ := json.Marshal(details)
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, reason, details, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, actor, action, targetType, targetID, reason, b, now)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
