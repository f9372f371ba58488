-- Clio hardening.
--
-- 1. Clio webhook shared secrets are encrypted at rest (AES-256-GCM with a
--    key derived from HERALD_DATA_KEY, see app/clio/secrets.go). The column
--    holds "v1:<base64 nonce+ciphertext>"; secret_hash (hex SHA-256 of the
--    secret, safe because Clio's secrets are random) finds a row by its
--    secret, which a randomly-nonced ciphertext cannot. Rows written before
--    this migration keep their plaintext until `herald clio webhook reseal`
--    or the hourly renewal sweep seals them; both forms are read meanwhile.
-- 2. Finding code cms_deleted: the CMS deleted the case's record (Clio's
--    "deleted" webhook, or 404 when Herald fetches the matter). The event is
--    processed, not failed, and the next version of the case resolves it.

-- +goose Up
ALTER TABLE clio_webhooks RENAME COLUMN secret TO secret_sealed;
ALTER TABLE clio_webhooks DROP CONSTRAINT clio_webhooks_secret_key;
ALTER TABLE clio_webhooks ADD COLUMN secret_hash text;
UPDATE clio_webhooks SET secret_hash = encode(sha256(convert_to(secret_sealed, 'UTF8')), 'hex');
ALTER TABLE clio_webhooks ALTER COLUMN secret_hash SET NOT NULL,
    ADD CONSTRAINT clio_webhooks_secret_hash_key UNIQUE (secret_hash),
    ADD CONSTRAINT clio_webhooks_secret_hash_hex CHECK (secret_hash ~ '^[0-9a-f]{64}$');

ALTER TABLE data_findings DROP CONSTRAINT data_findings_code_check,
    ADD CONSTRAINT data_findings_code_check CHECK (code IN ('invalid_phone', 'not_mobile', 'invalid_email',
        'suspected_typo', 'multiple_values', 'unparseable_date', 'unknown_status', 'missing_field',
        'email_bounced', 'landline', 'cms_deleted'));

-- +goose Down
DELETE FROM data_findings WHERE code = 'cms_deleted';
ALTER TABLE data_findings DROP CONSTRAINT data_findings_code_check,
    ADD CONSTRAINT data_findings_code_check CHECK (code IN ('invalid_phone', 'not_mobile', 'invalid_email',
        'suspected_typo', 'multiple_values', 'unparseable_date', 'unknown_status', 'missing_field',
        'email_bounced', 'landline'));

-- Sealed secrets stay sealed: the previous code would take them for
-- plaintext, so webhooks sealed meanwhile must be registered again.
ALTER TABLE clio_webhooks DROP COLUMN secret_hash;
ALTER TABLE clio_webhooks RENAME COLUMN secret_sealed TO secret;
ALTER TABLE clio_webhooks ADD CONSTRAINT clio_webhooks_secret_key UNIQUE (secret);
