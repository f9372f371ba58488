-- Clio Manage webhooks Herald has registered or been handshaken by. Clio
-- signs every delivery with the webhook's shared secret (X-Hook-Signature:
-- hex HMAC-SHA256 of the raw body), so the secret must be kept readable;
-- it is never logged nor shown by any API. Webhooks expire (Clio allows at
-- most 31 days), so the renewal sweep extends any that expire soon.

-- +goose Up
CREATE TABLE clio_webhooks (
    id              bigserial PRIMARY KEY,
    clio_webhook_id bigint UNIQUE,
    url             text NOT NULL DEFAULT '',
    model           text NOT NULL DEFAULT 'matter',
    events          text[] NOT NULL DEFAULT '{}',
    secret          text NOT NULL UNIQUE CHECK (secret <> ''),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'enabled', 'disabled')),
    expires_at      timestamptz,
    renewed_at      timestamptz,
    renew_error     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clio_webhooks_expiry ON clio_webhooks (expires_at) WHERE status <> 'disabled';

-- +goose Down
DROP TABLE clio_webhooks;
