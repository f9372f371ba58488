-- Rule decisions get an idempotency key, so planning the same change twice
-- (a retried job) records each decision once, and the channel a per-channel
-- decision (skipped_opted_out, skipped_no_channel) is about.

-- +goose Up
ALTER TABLE rule_decisions ADD COLUMN dedupe_key text;
ALTER TABLE rule_decisions ADD COLUMN channel text NOT NULL DEFAULT '' CHECK (channel IN ('', 'email', 'sms'));
CREATE UNIQUE INDEX rule_decisions_dedupe ON rule_decisions (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX rule_decisions_event ON rule_decisions (inbound_event_id) WHERE inbound_event_id IS NOT NULL;

-- +goose Down
DROP INDEX rule_decisions_event;
DROP INDEX rule_decisions_dedupe;
ALTER TABLE rule_decisions DROP COLUMN channel;
ALTER TABLE rule_decisions DROP COLUMN dedupe_key;
