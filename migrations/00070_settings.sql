-- Firm settings an admin changes on the portal's Settings screen: firm info
-- used by templates and e-mails, the SMS sending window, the retry schedule
-- and who is alerted about dead letters. There is at most one row; a missing
-- row or a NULL column means "use the environment's value" (HERALD_FIRM_NAME,
-- HERALD_SMS_WINDOW, HERALD_SMS_DAYS, HERALD_RETRY_SCHEDULE,
-- HERALD_ALERT_EMAILS, HERALD_ALERT_WEBHOOK_URL, ...). Every save is audited
-- in audit_log (action settings.update). (The key/value table settings of the
-- foundation migration keeps internal state such as the alert batch; these
-- are typed columns so the database checks them too.)

-- +goose Up
CREATE TABLE firm_settings (
    id                     smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    firm_name              text CHECK (firm_name IS NULL OR btrim(firm_name) <> ''),
    firm_phone             text CHECK (firm_phone IS NULL OR btrim(firm_phone) <> ''),
    email_from_name        text,
    portal_url             text CHECK (portal_url IS NULL OR portal_url ~ '^https?://'),
    -- Minutes after local midnight; the end may be 1440 (24:00).
    sms_window_start       integer CHECK (sms_window_start IS NULL OR sms_window_start BETWEEN 0 AND 1439),
    sms_window_end         integer CHECK (sms_window_end IS NULL OR sms_window_end BETWEEN 1 AND 1440),
    -- Days of week SMS may go out, 0 = Sunday … 6 = Saturday.
    sms_days               smallint[] CHECK (sms_days IS NULL OR (cardinality(sms_days) > 0 AND sms_days <@ '{0,1,2,3,4,5,6}')),
    retry_schedule_seconds integer[] CHECK (retry_schedule_seconds IS NULL OR cardinality(retry_schedule_seconds) > 0),
    alert_emails           text[],
    -- '' (and an empty alert_emails) means "none", unlike NULL ("the environment's").
    alert_webhook_url      text CHECK (alert_webhook_url IS NULL OR alert_webhook_url = '' OR alert_webhook_url ~ '^https?://'),
    updated_by             text NOT NULL,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (sms_window_start IS NULL OR sms_window_end IS NULL OR sms_window_end > sms_window_start)
);

-- +goose Down
DROP TABLE firm_settings;
