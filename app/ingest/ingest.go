// Package ingest is the CMS webhook path: it authenticates a webhook, stores
// its raw bytes in inbound_events exactly once per (source, event id), wakes
// a worker, and later processes the stored event into a case version
// (enrich → normalize → cases.Apply → rules). Postgres is the record: the
// sweeper re-enqueues anything Redis lost, and every step is idempotent.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/config"
)

// Enqueuer wakes the worker for a stored event. jobs.Client implements it;
// enqueuing an event twice is harmless.
type Enqueuer interface {
	EnqueueEvent(ctx context.Context, inboundEventID int64) error
}

// Enricher turns a source's webhook body into the document its mapping
// reads (Clio's webhook only names the matter; the enricher fetches it).
// It returns raw unchanged for sources it does not handle. An error that
// wraps derrors.InvalidArgument or derrors.NotFound is permanent; any other
// is retried.
type Enricher interface {
	Enrich(ctx context.Context, source string, raw []byte) ([]byte, error)
}

// Planner decides what the client should hear about a change, inside the
// transaction that applies it (rules.Planner): Prepare before the
// transaction, PlanIn in it, Wake after the commit. It must be idempotent:
// a failed or crashed event is planned again.
type Planner interface {
	Prepare(ctx context.Context) (rules.Prepared, error)
	PlanIn(ctx context.Context, tx pgx.Tx, prep rules.Prepared, change cases.Change) (rules.Planned, error)
	Wake(ctx context.Context, planned rules.Planned) error
}

// Statuses loads the firm's status map (statuses.Service).
type Statuses interface {
	Load(ctx context.Context) ([]sanitize.Status, error)
}

// Cases applies a normalized case and records a case the CMS deleted
// (cases.Service).
type Cases interface {
	ApplyIn(ctx context.Context, tx pgx.Tx, source string, inboundEventID int64, nc normalize.Case, occurredAt *time.Time) (cases.Change, error)
	MarkDeleted(ctx context.Context, source, externalID, detail string) (caseID int64, found bool, err error)
}

// Pauser holds automation for a case whose CMS record was deleted, so no
// reminder goes out about it until staff look (pause.Service).
type Pauser interface {
	Pause(ctx context.Context, r pause.Request) (pause.Pause, error)
}

// DeletedError is what an Enricher returns when the CMS record an event is
// about no longer exists (Clio's "deleted" event, or a 404 when fetching
// it). Process does not fail or retry such an event: it opens a cms_deleted
// finding on the case, pauses the case (with Options.Pauser) and marks the
// event processed with Detail as its note.
type DeletedError struct {
	// CaseID is the CMS's id of the case (cases.external_id).
	CaseID string
	// Detail says what the CMS answered and what staff can do.
	Detail string
}

func (e *DeletedError) Error() string {
	return "case " + e.CaseID + " was deleted in the CMS: " + e.Detail
}

// Options are the optional collaborators and tunables of a Service.
type Options struct {
	Enqueuer Enqueuer
	Enricher Enricher
	Planner  Planner
	// Pauser, when set, pauses a case whose CMS record was deleted.
	Pauser Pauser
	// Verifiers replaces the Herald-Signature check for a source (a CMS
	// with its own signing scheme).
	Verifiers map[string]Verifier
	// Sources replaces the mappings shipped in config/sources.
	Sources []normalize.Source
	Log     *slog.Logger
	// ClaimTimeout is how long a worker owns an event before the sweeper
	// hands it to another (default 2m, the asynq task timeout).
	ClaimTimeout time.Duration
	// SweepAge is how old a received event must be before the sweeper
	// re-enqueues it (default 5s), so it does not race the first wake-up.
	SweepAge time.Duration
	// MaxAttempts bounds retries of an event that keeps failing (default 8).
	MaxAttempts int
	// EnqueueTimeout bounds the wake-up after a webhook is stored
	// (default 500ms); a slower Redis is left to the sweeper.
	EnqueueTimeout time.Duration
}

// Service accepts and processes CMS events.
type Service struct {
	db       *store.DB
	cfg      config.Config
	clock    clock.Clock
	statuses Statuses
	cases    Cases
	opt      Options
	log      *slog.Logger
	sources  map[string]source
	norms    normalizers
}

type source struct {
	mapping  normalize.Source
	paths    paths
	verifier Verifier
}

// Result is the outcome of Accept.
type Result struct {
	EventID   int64
	Duplicate bool
}

// New builds the Service, loading and validating every source mapping.
func New(db *store.DB, cfg config.Config, clk clock.Clock, st Statuses, cs Cases, opt Options) (*Service, error) {
	if opt.ClaimTimeout <= 0 {
		opt.ClaimTimeout = 2 * time.Minute
	}
	if opt.SweepAge <= 0 {
		opt.SweepAge = 5 * time.Second
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 8
	}
	if opt.EnqueueTimeout <= 0 {
		opt.EnqueueTimeout = 500 * time.Millisecond
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srcs := opt.Sources
	if srcs == nil {
		var err error
		if srcs, err = shippedSources(); err != nil {
			return nil, err
		}
	}
	s := &Service{db: db, cfg: cfg, clock: clk, statuses: st, cases: cs, opt: opt, log: log, sources: map[string]source{}}
	for _, m := range srcs {
		p, err := compilePaths(m)
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		var v Verifier = HMACVerifier{Source: m.Name, Secrets: cfg.WebhookSecrets[strings.ToLower(m.Name)]}
		if ov, ok := opt.Verifiers[m.Name]; ok {
			v = ov
		}
		s.sources[m.Name] = source{mapping: m, paths: p, verifier: v}
	}
	return s, nil
}

func shippedSources() ([]normalize.Source, error) {
	entries, err := fs.ReadDir(config.SourcesFS, "sources")
	if err != nil {
		return nil, fmt.Errorf("ingest: read config/sources: %w", err)
	}
	var out []normalize.Source
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		src, err := normalize.LoadSource(config.SourcesFS, name)
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		out = append(out, src)
	}
	return out, nil
}

// Accept authenticates and durably stores one webhook, then wakes a worker.
// It returns only after the row is committed. Errors wrap derrors:
// NotFound (unknown source), TooLarge, Unauthorized (signature), a
// FieldError (malformed JSON, with its position) and Unavailable (database).
// A Redis failure is not an error: the sweeper finds the stored row.
func (s *Service) Accept(ctx context.Context, sourceName string, headers map[string]string, body []byte) (Result, error) {
	src, ok := s.sources[sourceName]
	if !ok || src.mapping.Kind == normalize.KindPoll {
		return Result{}, fmt.Errorf("%w: no webhook source named %q (config/sources/<name>.yaml)", derrors.NotFound, sourceName)
	}
	if len(body) > s.cfg.WebhookMaxBody {
		return Result{}, fmt.Errorf("%w: body is %d bytes; the limit is %d (HERALD_WEBHOOK_MAX_BODY)",
			derrors.TooLarge, len(body), s.cfg.WebhookMaxBody)
	}
	lower := lowerKeys(headers)
	// Authenticate before reading the body: an unsigned caller learns nothing
	// about how its bytes parse.
	if err := src.verifier.Verify(lower, body, s.clock.Now()); err != nil {
		return Result{}, err
	}
	return s.store(ctx, src, lower, "", body)
}

// Record stores an event a trusted internal caller fetched itself (a poller),
// with the same dedupe and wake-up as Accept but no signature check.
func (s *Service) Record(ctx context.Context, sourceName string, body []byte) (Result, error) {
	return s.RecordAs(ctx, sourceName, "", body)
}

// RecordAs is Record under an explicit event id such as
// "<record id>@<updated_at>" (the poller's), so fetching the same record
// version again dedupes even when the CMS serialises it differently. An
// empty eventID uses the source's event id path, then the body hash, as
// Accept does. Like Accept it answers only after the row is committed and
// wakes a worker.
func (s *Service) RecordAs(ctx context.Context, sourceName, eventID string, body []byte) (Result, error) {
	src, ok := s.sources[sourceName]
	if !ok {
		return Result{}, fmt.Errorf("%w: no source named %q", derrors.NotFound, sourceName)
	}
	return s.store(ctx, src, nil, eventID, body)
}

// store inserts the raw event once per (source, event id) and wakes a
// worker for a new row. eventID, when not empty, replaces the id read from
// the body.
func (s *Service) store(ctx context.Context, src source, headers map[string]string, eventID string, body []byte) (Result, error) {
	env, err := readEnvelope(body, src.paths, s.cfg.Location())
	if err != nil {
		return Result{}, err
	}
	if eventID != "" {
		env.eventID, env.idFromHash = boundEventID(eventID), false
	}
	hdr, _ := json.Marshal(keptHeaders(headers))
	name := src.mapping.Name
	var res Result
	err = s.db.Pool.QueryRow(ctx, `INSERT INTO inbound_events (source, event_id, id_from_hash, event_type, occurred_at,
			body, headers, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (source, event_id) DO NOTHING RETURNING id`,
		name, env.eventID, env.idFromHash, env.eventType, env.occurredAt, body, hdr, s.clock.Now()).Scan(&res.EventID)
	if errors.Is(err, pgx.ErrNoRows) {
		res.Duplicate = true
		err = s.db.Pool.QueryRow(ctx, `SELECT id FROM inbound_events WHERE source = $1 AND event_id = $2`,
			name, env.eventID).Scan(&res.EventID)
	}
	if err != nil {
		return Result{}, s.dbError(name, err)
	}
	if res.Duplicate {
		return res, nil
	}
	if s.opt.Enqueuer != nil {
		// A Redis outage must not make every webhook slow: the sweeper is
		// the safety net, so give the wake-up little time.
		ectx, cancel := context.WithTimeout(ctx, s.opt.EnqueueTimeout)
		defer cancel()
		if err := s.opt.Enqueuer.EnqueueEvent(ectx, res.EventID); err != nil {
			s.log.Warn("event stored but wake-up not enqueued; the sweeper will pick it up",
				"inbound_event_id", res.EventID, "source", name, "event_type", env.eventType, "error", err)
		}
	}
	return res, nil
}

// dbError turns a failed insert into Unavailable, except a source that the
// database does not know (herald seed not run), which is NotFound.
func (s *Service) dbError(name string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" && pe.ConstraintName == "inbound_events_source_fkey" {
		return fmt.Errorf("%w: source %q is not registered in the database; run `herald seed`", derrors.NotFound, name)
	}
	return fmt.Errorf("%w: store inbound event: %w", derrors.Unavailable, err)
}

func lowerKeys(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}

// keptHeaders drops credentials before headers are stored for debugging.
func keptHeaders(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		switch k {
		case "authorization", "cookie", "proxy-authorization", "x-api-key":
			continue
		}
		out[k] = v
	}
	return out
}
