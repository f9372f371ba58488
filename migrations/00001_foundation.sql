-- Herald's schema for the whole flow in DESIGN.md. Constraints live here, not
-- only in Go: unique keys, foreign keys and check constraints on statuses.

-- +goose Up
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT 'system'
);

CREATE TABLE sources (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]*$'),
    kind        text NOT NULL CHECK (kind IN ('webhook', 'clio', 'poll')),
    config      jsonb NOT NULL DEFAULT '{}',
    poll_cursor text,
    polled_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inbound_events (
    id           bigserial PRIMARY KEY,
    source       text NOT NULL REFERENCES sources (name),
    event_id     text NOT NULL CHECK (event_id <> ''),
    id_from_hash boolean NOT NULL DEFAULT false,
    event_type   text NOT NULL DEFAULT '',
    occurred_at  timestamptz,
    body         bytea NOT NULL,
    headers      jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'received'
                 CHECK (status IN ('received', 'processing', 'processed', 'stale', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT '',
    case_id      bigint,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    UNIQUE (source, event_id)
);
CREATE INDEX inbound_events_pending ON inbound_events (received_at) WHERE status IN ('received', 'processing');
CREATE INDEX inbound_events_received ON inbound_events (received_at DESC);

CREATE TABLE canonical_statuses (
    key      text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    label    text NOT NULL,
    position integer NOT NULL DEFAULT 0,
    active   boolean NOT NULL DEFAULT true
);

CREATE TABLE status_aliases (
    id           bigserial PRIMARY KEY,
    status_key   text NOT NULL REFERENCES canonical_statuses (key) ON UPDATE CASCADE,
    alias        text NOT NULL,
    alias_folded text NOT NULL UNIQUE,
    created_by   text NOT NULL DEFAULT 'seed',
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_users (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%@%'),
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'attorney', 'paralegal', 'ops')),
    cms_id        text UNIQUE,
    provider      text NOT NULL DEFAULT 'dev',
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('admin', 'attorney', 'paralegal', 'ops')),
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE clients (
    id                 bigserial PRIMARY KEY,
    source             text NOT NULL REFERENCES sources (name),
    external_id        text NOT NULL,
    first_name         text,
    last_name          text,
    email              text,
    email_invalid      boolean NOT NULL DEFAULT false,
    mobile_phone       text CHECK (mobile_phone IS NULL OR mobile_phone ~ '^\+[1-9][0-9]{6,14}$'),
    preferred_language text,
    timezone           text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, external_id)
);
CREATE INDEX clients_phone ON clients (mobile_phone) WHERE mobile_phone IS NOT NULL;
CREATE INDEX clients_email ON clients (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE cases (
    id                    bigserial PRIMARY KEY,
    source                text NOT NULL REFERENCES sources (name),
    external_id           text NOT NULL,
    client_id             bigint NOT NULL REFERENCES clients (id),
    case_number           text,
    case_type             text,
    status                text REFERENCES canonical_statuses (key) ON UPDATE CASCADE,
    status_raw            text,
    attorney_id           text,
    paralegal_id          text,
    cms_paused            boolean NOT NULL DEFAULT false,
    next_court_at         timestamptz,
    hearing_confirmed_at  timestamptz,
    snapshot              jsonb NOT NULL,
    version               integer NOT NULL DEFAULT 1,
    cms_updated_at        timestamptz,
    status_changed_at     timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, external_id)
);
CREATE INDEX cases_status ON cases (status, updated_at DESC);
CREATE INDEX cases_client ON cases (client_id);
CREATE INDEX cases_attorney ON cases (attorney_id);
CREATE INDEX cases_updated ON cases (updated_at DESC, id DESC);
CREATE INDEX cases_number ON cases (case_number);

CREATE TABLE case_versions (
    id               bigserial PRIMARY KEY,
    case_id          bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    version          integer NOT NULL,
    inbound_event_id bigint REFERENCES inbound_events (id),
    snapshot         jsonb NOT NULL,
    diff             jsonb NOT NULL DEFAULT '{}',
    applied          boolean NOT NULL DEFAULT true,
    occurred_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, version)
);
CREATE INDEX case_versions_case ON case_versions (case_id, created_at DESC);

CREATE TABLE data_findings (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    field         text NOT NULL,
    code          text NOT NULL CHECK (code IN ('invalid_phone', 'not_mobile', 'invalid_email', 'suspected_typo',
                                               'multiple_values', 'unparseable_date', 'unknown_status', 'missing_field',
                                               'email_bounced', 'landline')),
    raw           text NOT NULL DEFAULT '',
    suggestion    text NOT NULL DEFAULT '',
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz
);
CREATE UNIQUE INDEX data_findings_open ON data_findings (case_id, field, code) WHERE resolved_at IS NULL;
CREATE INDEX data_findings_code ON data_findings (code) WHERE resolved_at IS NULL;

CREATE TABLE pauses (
    id         bigserial PRIMARY KEY,
    scope      text NOT NULL CHECK (scope IN ('case', 'client', 'firm')),
    case_id    bigint REFERENCES cases (id),
    client_id  bigint REFERENCES clients (id),
    reason     text NOT NULL CHECK (btrim(reason) <> ''),
    paused_by  text NOT NULL,
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    lifted_at  timestamptz,
    lifted_by  text,
    CHECK ((scope = 'case' AND case_id IS NOT NULL AND client_id IS NULL)
        OR (scope = 'client' AND client_id IS NOT NULL AND case_id IS NULL)
        OR (scope = 'firm' AND case_id IS NULL AND client_id IS NULL))
);
CREATE UNIQUE INDEX pauses_one_active_case ON pauses (case_id) WHERE scope = 'case' AND lifted_at IS NULL;
CREATE UNIQUE INDEX pauses_one_active_client ON pauses (client_id) WHERE scope = 'client' AND lifted_at IS NULL;
CREATE UNIQUE INDEX pauses_one_active_firm ON pauses (scope) WHERE scope = 'firm' AND lifted_at IS NULL;

CREATE TABLE message_templates (
    id                 bigserial PRIMARY KEY,
    key                text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    language           text NOT NULL CHECK (language ~ '^[a-z]{2}$'),
    channel            text NOT NULL CHECK (channel IN ('email', 'sms')),
    name               text NOT NULL,
    description        text NOT NULL DEFAULT '',
    current_version_id bigint,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (key, language, channel)
);

CREATE TABLE template_versions (
    id          bigserial PRIMARY KEY,
    template_id bigint NOT NULL REFERENCES message_templates (id) ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version > 0),
    subject     text NOT NULL DEFAULT '',
    body_html   text NOT NULL DEFAULT '',
    body_text   text NOT NULL DEFAULT '',
    body_sms    text NOT NULL DEFAULT '',
    change_note text NOT NULL DEFAULT '',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (template_id, version)
);
ALTER TABLE message_templates
    ADD CONSTRAINT message_templates_current_fk FOREIGN KEY (current_version_id) REFERENCES template_versions (id);

CREATE TABLE rules (
    id                   bigserial PRIMARY KEY,
    key                  text NOT NULL UNIQUE CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    name                 text NOT NULL,
    enabled              boolean NOT NULL DEFAULT true,
    trigger              text NOT NULL CHECK (trigger IN ('status_transition', 'date_reminder', 'date_changed',
                                                         'contact_changed', 'case_created', 'inactivity')),
    from_status          text REFERENCES canonical_statuses (key) ON UPDATE CASCADE,
    to_status            text REFERENCES canonical_statuses (key) ON UPDATE CASCADE,
    date_field           text CHECK (date_field IN ('next_court_date', 'filing_deadline', 'statute_of_limitations')),
    offset_minutes       integer,
    at_local_time        text CHECK (at_local_time IS NULL OR at_local_time ~ '^[0-2][0-9]:[0-5][0-9]$'),
    inactivity_days      integer CHECK (inactivity_days IS NULL OR inactivity_days > 0),
    conditions           jsonb NOT NULL DEFAULT '{}',
    actions              jsonb NOT NULL DEFAULT '[]',
    settle_delay_seconds integer CHECK (settle_delay_seconds IS NULL OR settle_delay_seconds >= 0),
    requires_approval    boolean NOT NULL DEFAULT false,
    approval_ttl_seconds integer NOT NULL DEFAULT 172800,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (trigger <> 'status_transition' OR to_status IS NOT NULL),
    CHECK (trigger NOT IN ('date_reminder', 'date_changed') OR date_field IS NOT NULL),
    CHECK (trigger <> 'inactivity' OR inactivity_days IS NOT NULL)
);

CREATE TABLE rule_decisions (
    id               bigserial PRIMARY KEY,
    case_id          bigint REFERENCES cases (id) ON DELETE CASCADE,
    client_id        bigint REFERENCES clients (id),
    inbound_event_id bigint REFERENCES inbound_events (id),
    rule_id          bigint REFERENCES rules (id) ON DELETE SET NULL,
    rule_key         text NOT NULL DEFAULT '',
    trigger          text NOT NULL,
    result           text NOT NULL CHECK (result IN ('fired', 'skipped_paused', 'skipped_opted_out', 'skipped_condition',
                                                     'skipped_quiet_hours', 'skipped_stale', 'skipped_no_channel',
                                                     'unhandled', 'cancelled_settle')),
    reason           text NOT NULL DEFAULT '',
    actor            text NOT NULL DEFAULT 'system',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rule_decisions_client ON rule_decisions (client_id, created_at DESC);
CREATE INDEX rule_decisions_case ON rule_decisions (case_id, created_at DESC);
CREATE INDEX rule_decisions_unhandled ON rule_decisions (created_at DESC) WHERE result = 'unhandled';

CREATE TABLE messages (
    id                  bigserial PRIMARY KEY,
    idempotency_key     text NOT NULL UNIQUE,
    kind                text NOT NULL DEFAULT 'rule'
                        CHECK (kind IN ('rule', 'reminder', 'staff_reply', 'test', 'confirmation', 'checkin', 'alert')),
    case_id             bigint REFERENCES cases (id),
    client_id           bigint REFERENCES clients (id),
    rule_id             bigint REFERENCES rules (id) ON DELETE SET NULL,
    decision_id         bigint REFERENCES rule_decisions (id),
    inbound_event_id    bigint REFERENCES inbound_events (id),
    template_version_id bigint REFERENCES template_versions (id),
    channel             text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient           text NOT NULL,
    subject             text NOT NULL DEFAULT '',
    body_text           text NOT NULL DEFAULT '',
    body_html           text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'scheduled', 'awaiting_approval', 'held', 'sending', 'sent',
                                          'delivered', 'opened', 'clicked', 'replied', 'failed_retrying',
                                          'outcome_unknown', 'dead', 'cancelled')),
    due_at              timestamptz NOT NULL DEFAULT now(),
    hold_reason         text NOT NULL DEFAULT '',
    attempts            integer NOT NULL DEFAULT 0,
    claimed_until       timestamptz,
    provider            text NOT NULL DEFAULT '',
    provider_message_id text,
    last_error_code     text NOT NULL DEFAULT '',
    last_error          text NOT NULL DEFAULT '',
    dead_reason         text NOT NULL DEFAULT '',
    suggested_fix       text NOT NULL DEFAULT '',
    approval_expires_at timestamptz,
    approved_by         text,
    resolved_at         timestamptz,
    resolved_by         text,
    resolution_note     text,
    sent_at             timestamptz,
    delivered_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX messages_provider_id ON messages (provider, provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_due ON messages (due_at) WHERE status IN ('pending', 'scheduled', 'failed_retrying');
CREATE INDEX messages_dead ON messages (updated_at DESC) WHERE status IN ('dead', 'outcome_unknown') AND resolved_at IS NULL;
CREATE INDEX messages_client ON messages (client_id, created_at DESC);
CREATE INDEX messages_case ON messages (case_id, created_at DESC);
CREATE INDEX messages_status_created ON messages (status, created_at DESC);
CREATE INDEX messages_template ON messages (template_version_id, channel);

CREATE TABLE delivery_attempts (
    id                  bigserial PRIMARY KEY,
    message_id          bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    attempt             integer NOT NULL CHECK (attempt > 0),
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    outcome             text NOT NULL DEFAULT 'in_flight'
                        CHECK (outcome IN ('in_flight', 'sent', 'transient_error', 'permanent_error', 'outcome_unknown',
                                           'held', 'cancelled')),
    provider            text NOT NULL DEFAULT '',
    provider_message_id text,
    http_status         integer,
    error_code          text NOT NULL DEFAULT '',
    error_message       text NOT NULL DEFAULT '',
    UNIQUE (message_id, attempt)
);

CREATE TABLE provider_events (
    id                bigserial PRIMARY KEY,
    provider          text NOT NULL CHECK (provider IN ('sendgrid', 'twilio', 'sandbox')),
    provider_event_id text NOT NULL,
    message_id        bigint REFERENCES messages (id) ON DELETE CASCADE,
    event_type        text NOT NULL,
    machine_open      boolean NOT NULL DEFAULT false,
    payload           jsonb NOT NULL DEFAULT '{}',
    occurred_at       timestamptz,
    received_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, provider_event_id)
);
CREATE INDEX provider_events_message ON provider_events (message_id, occurred_at);

CREATE TABLE opt_outs (
    channel    text NOT NULL CHECK (channel IN ('email', 'sms')),
    address    text NOT NULL,
    opted_out  boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, address)
);

CREATE TABLE consent_events (
    id         bigserial PRIMARY KEY,
    client_id  bigint REFERENCES clients (id),
    channel    text NOT NULL CHECK (channel IN ('email', 'sms')),
    address    text NOT NULL,
    action     text NOT NULL CHECK (action IN ('opt_out', 'opt_in')),
    source     text NOT NULL CHECK (source IN ('keyword', 'natural_language', 'staff', 'provider_error', 'unsubscribe_event',
                                               'spamreport', 'cms')),
    text       text NOT NULL DEFAULT '',
    actor      text NOT NULL DEFAULT 'client',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_events_client ON consent_events (client_id, created_at);
CREATE INDEX consent_events_address ON consent_events (channel, address, created_at);

CREATE TABLE inbound_messages (
    id                  bigserial PRIMARY KEY,
    provider            text NOT NULL,
    provider_message_id text NOT NULL,
    client_id           bigint REFERENCES clients (id),
    case_id             bigint REFERENCES cases (id),
    channel             text NOT NULL CHECK (channel IN ('email', 'sms')),
    from_address        text NOT NULL,
    body                text NOT NULL,
    intent              text NOT NULL DEFAULT 'reply'
                        CHECK (intent IN ('reply', 'opt_out', 'opt_in', 'help', 'confirm', 'score')),
    unread              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, provider_message_id)
);
CREATE INDEX inbound_messages_client ON inbound_messages (client_id, created_at DESC);

CREATE TABLE staff_tasks (
    id                bigserial PRIMARY KEY,
    dedupe_key        text UNIQUE,
    kind              text NOT NULL DEFAULT 'follow_up',
    title             text NOT NULL,
    body              text NOT NULL DEFAULT '',
    case_id           bigint REFERENCES cases (id),
    client_id         bigint REFERENCES clients (id),
    message_id        bigint REFERENCES messages (id),
    assignee_staff_id bigint REFERENCES staff_users (id),
    assignee_cms_id   text,
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    due_at            timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    completed_at      timestamptz,
    completed_by      text
);
CREATE INDEX staff_tasks_open ON staff_tasks (created_at DESC) WHERE status = 'open';

CREATE TABLE reminders (
    id         bigserial PRIMARY KEY,
    case_id    bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    rule_id    bigint NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    date_field text NOT NULL,
    target_at  timestamptz NOT NULL,
    due_at     timestamptz NOT NULL,
    status     text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'fired', 'cancelled', 'expired')),
    message_id bigint REFERENCES messages (id),
    reason     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reminders_one_scheduled ON reminders (case_id, rule_id, date_field) WHERE status = 'scheduled';
CREATE INDEX reminders_due ON reminders (due_at) WHERE status = 'scheduled';

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    actor       text NOT NULL,
    actor_role  text NOT NULL DEFAULT '',
    action      text NOT NULL,
    target_type text NOT NULL DEFAULT '',
    target_id   text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created ON audit_log (created_at DESC);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, created_at DESC);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE reminders;
DROP TABLE staff_tasks;
DROP TABLE inbound_messages;
DROP TABLE consent_events;
DROP TABLE opt_outs;
DROP TABLE provider_events;
DROP TABLE delivery_attempts;
DROP TABLE messages;
DROP TABLE rule_decisions;
DROP TABLE rules;
ALTER TABLE message_templates DROP CONSTRAINT message_templates_current_fk;
DROP TABLE template_versions;
DROP TABLE message_templates;
DROP TABLE pauses;
DROP TABLE data_findings;
DROP TABLE case_versions;
DROP TABLE cases;
DROP TABLE clients;
DROP TABLE api_tokens;
DROP TABLE staff_users;
DROP TABLE status_aliases;
DROP TABLE canonical_statuses;
DROP TABLE inbound_events;
DROP TABLE sources;
DROP TABLE settings;
