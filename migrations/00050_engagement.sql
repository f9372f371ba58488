-- Engagement: what clients did with Herald's messages. Satisfaction check-in
-- scores per case, the bookkeeping of the "still sent" reconciliation (so a
-- message is looked up at the provider on a back-off, not every sweep), and
-- the write-back outbox that records every sent message and every client
-- reply in the CMS, retried and idempotent, with failures visible.

-- +goose Up
CREATE TABLE checkin_responses (
    id                 bigserial PRIMARY KEY,
    case_id            bigint REFERENCES cases (id) ON DELETE CASCADE,
    client_id          bigint REFERENCES clients (id),
    message_id         bigint REFERENCES messages (id) ON DELETE SET NULL,
    inbound_message_id bigint NOT NULL UNIQUE REFERENCES inbound_messages (id) ON DELETE CASCADE,
    score              integer NOT NULL CHECK (score BETWEEN 0 AND 10),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkin_responses_case ON checkin_responses (case_id, created_at DESC);

CREATE TABLE sms_status_checks (
    message_id  bigint PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    checks      integer NOT NULL DEFAULT 0,
    last_status text NOT NULL DEFAULT '',
    checked_at  timestamptz NOT NULL
);

CREATE TABLE writeback_outbox (
    id              bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    kind            text NOT NULL CHECK (kind IN ('message', 'reply')),
    message_id      bigint REFERENCES messages (id) ON DELETE CASCADE,
    inbound_id      bigint REFERENCES inbound_messages (id) ON DELETE CASCADE,
    case_id         bigint REFERENCES cases (id) ON DELETE CASCADE,
    target          text NOT NULL CHECK (target IN ('clio', 'webhook')),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_until   timestamptz,
    remote_id       text NOT NULL DEFAULT '',
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    done_at         timestamptz,
    CHECK ((kind = 'message' AND message_id IS NOT NULL) OR (kind = 'reply' AND inbound_id IS NOT NULL))
);
CREATE INDEX writeback_outbox_due ON writeback_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX writeback_outbox_failed ON writeback_outbox (created_at DESC) WHERE status = 'failed';

-- The write-back collector and the analytics read sent messages by send time.
CREATE INDEX messages_sent_at ON messages (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX inbound_messages_created ON inbound_messages (created_at);

-- +goose Down
DROP INDEX inbound_messages_created;
DROP INDEX messages_sent_at;
DROP TABLE writeback_outbox;
DROP TABLE sms_status_checks;
DROP TABLE checkin_responses;
