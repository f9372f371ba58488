-- Delivery bookkeeping on the message ledger: how many transient failures the
-- retry schedule has consumed, when an unknown outcome was settled (or handed
-- to a human), and whether a dead letter has been included in an alert yet.

-- +goose Up
ALTER TABLE messages
    ADD COLUMN retries       integer NOT NULL DEFAULT 0,
    ADD COLUMN reconciled_at timestamptz,
    ADD COLUMN alerted_at    timestamptz;

-- Messages held for the SMS window wake up by themselves at due_at; messages
-- held for a pause wait for a human and are not in this index.
CREATE INDEX messages_held_window ON messages (due_at)
    WHERE status = 'held' AND hold_reason LIKE 'quiet_hours%';

-- Work lists of the reconciliation and alert sweeps.
CREATE INDEX messages_sending ON messages (claimed_until) WHERE status = 'sending';
CREATE INDEX messages_unreconciled ON messages (updated_at) WHERE status = 'outcome_unknown' AND reconciled_at IS NULL;
CREATE INDEX messages_unalerted ON messages (updated_at)
    WHERE status IN ('dead', 'outcome_unknown') AND alerted_at IS NULL AND resolved_at IS NULL;

-- +goose Down
DROP INDEX messages_unalerted;
DROP INDEX messages_unreconciled;
DROP INDEX messages_sending;
DROP INDEX messages_held_window;
ALTER TABLE messages
    DROP COLUMN alerted_at,
    DROP COLUMN reconciled_at,
    DROP COLUMN retries;
