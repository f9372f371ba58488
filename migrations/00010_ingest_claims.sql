-- Ingest bookkeeping on inbound_events: a processing claim that expires, so a
-- crashed worker's event is retried by the sweeper, and a retry time for
-- events that failed for a reason that can pass (the CMS or the rules engine
-- was down). A failed event with no retry_at is a data error for a human.
-- Each inbound event produces at most one case version.

-- +goose Up
ALTER TABLE inbound_events
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN retry_at      timestamptz;

CREATE INDEX inbound_events_retry ON inbound_events (retry_at) WHERE status = 'failed' AND retry_at IS NOT NULL;
CREATE UNIQUE INDEX case_versions_event ON case_versions (inbound_event_id) WHERE inbound_event_id IS NOT NULL;

-- +goose Down
DROP INDEX case_versions_event;
DROP INDEX inbound_events_retry;
ALTER TABLE inbound_events
    DROP COLUMN retry_at,
    DROP COLUMN claimed_until;
