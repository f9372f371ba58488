package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/app/normalize"
)

// errRaced means another transaction created the same case first; Apply
// starts over and takes the row lock instead.
var errRaced = errors.New("case created concurrently")

// Apply stores one normalized version of a case in a single transaction:
// it upserts the client and the case, locks the case row, computes the diff
// against the stored snapshot, records the version in case_versions, keeps
// the case's columns in sync with the snapshot, and opens or resolves data
// findings. occurredAt is when the CMS says this state was true (its
// updated_at, else the event time); an update older than the stored
// cms_updated_at is recorded with applied=false and changes nothing else.
//
// Apply is idempotent per inbound event: applying an event that already has
// a version returns the stored outcome with Replayed set. inboundEventID 0
// means the version has no inbound event (and no such protection).
func (s *Service) Apply(ctx context.Context, source string, inboundEventID int64, nc normalize.Case, occurredAt *time.Time) (Change, error) {
	if nc.CaseID == "" {
		return Change{}, ErrMissingCaseID
	}
	for attempt := 0; ; attempt++ {
		ch, err := s.applyTx(ctx, source, inboundEventID, nc, occurredAt)
		if attempt < 4 && Retryable(err) {
			continue
		}
		if err != nil {
			return Change{}, dbErr("apply case "+nc.CaseID, err)
		}
		return ch, nil
	}
}

// ApplyIn is Apply inside the caller's transaction, so the case, its
// version and findings commit (or roll back) with whatever else the caller
// writes for the same event. A deadlock or serialization failure aborts tx:
// Retryable reports them, and the caller starts a fresh transaction.
func (s *Service) ApplyIn(ctx context.Context, tx pgx.Tx, source string, inboundEventID int64, nc normalize.Case, occurredAt *time.Time) (Change, error) {
	if nc.CaseID == "" {
		return Change{}, ErrMissingCaseID
	}
	for attempt := 0; ; attempt++ {
		// A lost creation race leaves tx usable (the insert did nothing):
		// the case's creator has committed, so the next read locks its row.
		ch, err := s.apply(ctx, tx, source, inboundEventID, nc, occurredAt)
		if attempt < 4 && errors.Is(err, errRaced) {
			continue
		}
		if err != nil {
			return Change{}, dbErr("apply case "+nc.CaseID, err)
		}
		return ch, nil
	}
}

func (s *Service) applyTx(ctx context.Context, source string, eventID int64, nc normalize.Case, occurredAt *time.Time) (Change, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return Change{}, err
	}
	defer tx.Rollback(ctx)
	ch, err := s.apply(ctx, tx, source, eventID, nc, occurredAt)
	if err != nil {
		return Change{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Change{}, err
	}
	return ch, nil
}

// Retryable reports errors a fresh transaction resolves: a lost creation
// race, a deadlock, a serialization failure, or a duplicate version from a
// concurrent apply of the same event.
func Retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40P01" || pe.Code == "40001" || pe.Code == "23505"
	}
	return errors.Is(err, errRaced)
}

// locked is the stored state of a case, read under FOR UPDATE.
type locked struct {
	id, clientID int64
	snapshot     normalize.Case
	version      int
	cmsUpdatedAt *time.Time
}

func (s *Service) apply(ctx context.Context, tx pgx.Tx, source string, eventID int64, nc normalize.Case, occurredAt *time.Time) (Change, error) {
	now := s.clock.Now()
	var cur locked
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT id, client_id, snapshot, version, cms_updated_at FROM cases
		WHERE source = $1 AND external_id = $2 FOR UPDATE`, source, nc.CaseID).
		Scan(&cur.id, &cur.clientID, &raw, &cur.version, &cur.cmsUpdatedAt)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Change{}, err
	}
	if exists && eventID > 0 {
		if ch, ok, err := replay(ctx, tx, eventID); err != nil || ok {
			return ch, err
		}
	}
	ch := Change{InboundEventID: eventID, New: nc, OccurredAt: occurredAt}
	if !exists {
		if err := s.create(ctx, tx, source, &ch, now); err != nil {
			return Change{}, err
		}
	} else {
		if err := json.Unmarshal(raw, &cur.snapshot); err != nil {
			return Change{}, fmt.Errorf("decode stored snapshot of case %d: %w", cur.id, err)
		}
		if err := s.update(ctx, tx, source, cur, &ch, now); err != nil {
			return Change{}, err
		}
	}
	return ch, nil
}

// create inserts a case seen for the first time: the client, the case and
// its first version in one statement.
func (s *Service) create(ctx context.Context, tx pgx.Tx, source string, ch *Change, now time.Time) error {
	nc := ch.New
	if nc.ClientID == nil {
		return ErrMissingClient
	}
	ch.Created, ch.Version = true, 1
	ch.Diff = normalize.Diff(nil, &nc)
	snap, err := json.Marshal(nc)
	if err != nil {
		return err
	}
	diff, err := json.Marshal(ch.Diff)
	if err != nil {
		return err
	}
	col := s.columns(nc)
	var statusChangedAt *time.Time
	if nc.Status != nil {
		statusChangedAt = &now
	}
	c := nc.Client
	// The case insert does nothing when another transaction created the
	// case first: then no version is inserted and no row returned.
	err = tx.QueryRow(ctx, `WITH cl AS (`+upsertClientSQL+` RETURNING id),
		c AS (INSERT INTO cases (source, external_id, client_id, case_number, case_type, status,
				status_raw, attorney_id, paralegal_id, cms_paused, next_court_at, snapshot, version, cms_updated_at,
				status_changed_at, created_at, updated_at)
			VALUES ($1, $10, (SELECT id FROM cl), $11, $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $21, $9, $9)
			ON CONFLICT (source, external_id) DO NOTHING RETURNING id, client_id)
		INSERT INTO case_versions (case_id, version, inbound_event_id, snapshot, diff, applied, occurred_at, created_at)
		SELECT c.id, 1, $22::bigint, $19, $23::jsonb, true, $20, $9 FROM c
		RETURNING case_id, (SELECT client_id FROM c)`,
		source, *nc.ClientID, c.FirstName, c.LastName, c.Email, c.MobilePhone, c.PreferredLanguage, c.Timezone, now,
		nc.CaseID, nc.CaseNumber, nc.CaseType, nc.Status, nc.StatusRaw, nc.AttorneyID, nc.ParalegalID,
		col.paused, col.nextCourtAt, snap, ch.OccurredAt, statusChangedAt,
		nullEventID(ch.InboundEventID), diff).Scan(&ch.CaseID, &ch.ClientID)
	if errors.Is(err, pgx.ErrNoRows) {
		return errRaced
	}
	if err != nil {
		return fmt.Errorf("insert case: %w", err)
	}
	return syncFindings(ctx, tx, ch.CaseID, nc, true, now)
}

// update applies (or, when stale, only records) a new version of a case.
func (s *Service) update(ctx context.Context, tx pgx.Tx, source string, cur locked, ch *Change, now time.Time) error {
	nc := ch.New
	old := cur.snapshot
	ch.CaseID, ch.ClientID, ch.Old, ch.Version = cur.id, cur.clientID, &old, cur.version+1
	ch.Diff = normalize.Diff(&old, &nc)
	if ch.OccurredAt != nil && cur.cmsUpdatedAt != nil && ch.OccurredAt.Before(*cur.cmsUpdatedAt) {
		ch.Stale = true
		if _, err := tx.Exec(ctx, `UPDATE cases SET version = $2 WHERE id = $1`, cur.id, ch.Version); err != nil {
			return err
		}
		return insertVersion(ctx, tx, ch, false, now)
	}
	if nc.ClientID != nil {
		id, err := upsertClient(ctx, tx, source, nc, now)
		if err != nil {
			return err
		}
		ch.ClientID = id
	}
	snap, err := json.Marshal(nc)
	if err != nil {
		return err
	}
	col := s.columns(nc)
	cmsUpdatedAt := cur.cmsUpdatedAt
	if ch.OccurredAt != nil {
		cmsUpdatedAt = ch.OccurredAt
	}
	courtMoved := false
	for _, d := range ch.Diff.Dates {
		courtMoved = courtMoved || d.Field == normalize.FieldNextCourtDate
	}
	_, err = tx.Exec(ctx, `UPDATE cases SET client_id = $2, case_number = $3, case_type = $4, status = $5,
			status_raw = $6, attorney_id = $7, paralegal_id = $8, cms_paused = $9, next_court_at = $10,
			snapshot = $11, version = $12, cms_updated_at = $13,
			status_changed_at = CASE WHEN $14 THEN $15 ELSE status_changed_at END,
			hearing_confirmed_at = CASE WHEN $16 THEN NULL ELSE hearing_confirmed_at END,
			updated_at = $15
		WHERE id = $1`,
		cur.id, ch.ClientID, nc.CaseNumber, nc.CaseType, nc.Status, nc.StatusRaw, nc.AttorneyID, nc.ParalegalID,
		col.paused, col.nextCourtAt, snap, ch.Version, cmsUpdatedAt, ch.Diff.Status != nil, now, courtMoved)
	if err != nil {
		return err
	}
	if err := insertVersion(ctx, tx, ch, true, now); err != nil {
		return err
	}
	return syncFindings(ctx, tx, cur.id, nc, false, now)
}

// derived are case columns computed from the snapshot.
type derived struct {
	paused      bool
	nextCourtAt *time.Time
}

// columns derives the indexed columns. A date-only court date is stored as
// local midnight in the client's time zone, else the firm's.
func (s *Service) columns(nc normalize.Case) derived {
	d := derived{paused: nc.IsAutomationPaused != nil && *nc.IsAutomationPaused}
	if nd := nc.Dates.NextCourtDate; nd != nil {
		t := nd.Time
		if nd.DateOnly {
			loc := s.loc
			if nc.Client.Timezone != nil {
				if l, err := time.LoadLocation(*nc.Client.Timezone); err == nil {
					loc = l
				}
			}
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		}
		d.nextCourtAt = &t
	}
	return d
}

// upsertClientSQL creates or refreshes the client from the case's contact
// details ($1 source, $2 the client's external id, $3-$8 first and last
// name, email, mobile phone, language, time zone, $9 now). A changed email
// clears the bounce flag: the new address has not bounced.
const upsertClientSQL = `INSERT INTO clients (source, external_id, first_name, last_name, email, mobile_phone,
			preferred_language, timezone, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		ON CONFLICT (source, external_id) DO UPDATE SET first_name = EXCLUDED.first_name,
			last_name = EXCLUDED.last_name, email = EXCLUDED.email, mobile_phone = EXCLUDED.mobile_phone,
			preferred_language = EXCLUDED.preferred_language, timezone = EXCLUDED.timezone,
			email_invalid = CASE WHEN clients.email IS DISTINCT FROM EXCLUDED.email THEN false ELSE clients.email_invalid END,
			updated_at = EXCLUDED.updated_at`

// upsertClient creates or refreshes the client (upsertClientSQL).
func upsertClient(ctx context.Context, tx pgx.Tx, source string, nc normalize.Case, now time.Time) (int64, error) {
	c := nc.Client
	var id int64
	err := tx.QueryRow(ctx, upsertClientSQL+` RETURNING id`,
		source, *nc.ClientID, c.FirstName, c.LastName, c.Email, c.MobilePhone, c.PreferredLanguage, c.Timezone, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("upsert client: %w", err)
	}
	return id, nil
}

// nullEventID is the inbound_event_id column's value: NULL for a version
// with no inbound event.
func nullEventID(id int64) *int64 {
	if id > 0 {
		return &id
	}
	return nil
}

func insertVersion(ctx context.Context, tx pgx.Tx, ch *Change, applied bool, now time.Time) error {
	snap, err := json.Marshal(ch.New)
	if err != nil {
		return err
	}
	diff, err := json.Marshal(ch.Diff)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_versions (case_id, version, inbound_event_id, snapshot, diff, applied,
			occurred_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ch.CaseID, ch.Version, nullEventID(ch.InboundEventID), snap, diff, applied, ch.OccurredAt, now)
	if err != nil {
		return fmt.Errorf("insert case version: %w", err)
	}
	return nil
}

// replay returns the stored outcome of an inbound event already applied.
func replay(ctx context.Context, tx pgx.Tx, eventID int64) (Change, bool, error) {
	ch := Change{InboundEventID: eventID, Replayed: true}
	var snap, diff []byte
	var applied bool
	err := tx.QueryRow(ctx, `SELECT v.case_id, c.client_id, v.version, v.snapshot, v.diff, v.applied, v.occurred_at
		FROM case_versions v JOIN cases c ON c.id = v.case_id WHERE v.inbound_event_id = $1`, eventID).
		Scan(&ch.CaseID, &ch.ClientID, &ch.Version, &snap, &diff, &applied, &ch.OccurredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Change{}, false, nil
	}
	if err != nil {
		return Change{}, false, err
	}
	ch.Stale, ch.Created = !applied, ch.Version == 1
	if err := json.Unmarshal(snap, &ch.New); err != nil {
		return Change{}, false, fmt.Errorf("decode version snapshot: %w", err)
	}
	if err := json.Unmarshal(diff, &ch.Diff); err != nil {
		return Change{}, false, fmt.Errorf("decode version diff: %w", err)
	}
	var prev []byte
	err = tx.QueryRow(ctx, `SELECT snapshot FROM case_versions WHERE case_id = $1 AND version < $2 AND applied
		ORDER BY version DESC LIMIT 1`, ch.CaseID, ch.Version).Scan(&prev)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return Change{}, false, err
	default:
		var old normalize.Case
		if err := json.Unmarshal(prev, &old); err != nil {
			return Change{}, false, fmt.Errorf("decode previous snapshot: %w", err)
		}
		ch.Old = &old
	}
	return ch, true, nil
}
