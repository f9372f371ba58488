package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
)

// RecordAs stores an event a trusted internal caller fetched itself (the
// poller) under an explicit event id such as "<record id>@<updated_at>",
// so fetching the same record version again dedupes even when the CMS
// serialises it differently. An empty eventID falls back to Record's body
// hash. Like Record it checks no signature; like Accept it answers only
// after the row is committed and wakes a worker.
//
// It repeats store's insert with the id overridden; the ingest owner may
// fold the two together.
func (s *Service) RecordAs(ctx context.Context, sourceName, eventID string, body []byte) (Result, error) {
	if eventID == "" {
		return s.Record(ctx, sourceName, body)
	}
	src, ok := s.sources[sourceName]
	if !ok {
		return Result{}, fmt.Errorf("%w: no source named %q", derrors.NotFound, sourceName)
	}
	env, err := readEnvelope(body, src.paths, s.cfg.Location())
	if err != nil {
		return Result{}, err
	}
	env.eventID, env.idFromHash = eventID, false
	if len(eventID) > maxEventIDLen {
		sum := sha256.Sum256([]byte(eventID))
		env.eventID = "sha256:" + hex.EncodeToString(sum[:])
	}
	name := src.mapping.Name
	var res Result
	err = s.db.Pool.QueryRow(ctx, `INSERT INTO inbound_events (source, event_id, id_from_hash, event_type, occurred_at,
			body, headers, received_at)
		VALUES ($1, $2, false, $3, $4, $5, '{}', $6)
		ON CONFLICT (source, event_id) DO NOTHING RETURNING id`,
		name, env.eventID, env.eventType, env.occurredAt, body, s.clock.Now()).Scan(&res.EventID)
	if errors.Is(err, pgx.ErrNoRows) {
		res.Duplicate = true
		err = s.db.Pool.QueryRow(ctx, `SELECT id FROM inbound_events WHERE source = $1 AND event_id = $2`,
			name, env.eventID).Scan(&res.EventID)
	}
	if err != nil {
		return Result{}, s.dbError(name, err)
	}
	if !res.Duplicate && s.opt.Enqueuer != nil {
		ectx, cancel := context.WithTimeout(ctx, s.opt.EnqueueTimeout)
		defer cancel()
		if err := s.opt.Enqueuer.EnqueueEvent(ectx, res.EventID); err != nil {
			s.log.Warn("event stored but wake-up not enqueued; the sweeper will pick it up",
				"inbound_event_id", res.EventID, "source", name, "event_type", env.eventType, "error", err)
		}
	}
	return res, nil
}
