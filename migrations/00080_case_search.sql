-- The case list at 100,000 cases. Search matches case numbers by prefix
-- (lower(case_number) LIKE 'q%', a btree range; a trigram index would
-- intersect the posting lists of "201", "000" and the like on every
-- search), client names by substring with ILIKE, which pg_trgm's GIN index
-- serves, and a CMS id by equality. Each filter (status, attorney, CMS pause) has an
-- index that also yields the list's order (updated_at DESC, id DESC), so a
-- filtered page reads about as many rows as it shows and the attorney
-- drop-down skips through attorney ids.
--
-- The client timeline pages each section newest first by (time, id) with a
-- keyset: the per-client indexes gain id so a page is an index range read in
-- order (no sort of a busy client's 10,000 messages), and a case's inbound
-- events get the same index.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX cases_number_prefix ON cases (lower(case_number) text_pattern_ops);
CREATE INDEX cases_external ON cases (external_id);
CREATE INDEX clients_name_trgm ON clients
    USING gin ((coalesce(first_name, '') || ' ' || coalesce(last_name, '')) gin_trgm_ops);
DROP INDEX cases_status;
CREATE INDEX cases_status ON cases (status, updated_at DESC, id DESC);
DROP INDEX cases_attorney;
CREATE INDEX cases_attorney ON cases (attorney_id, updated_at DESC, id DESC);
CREATE INDEX cases_cms_paused ON cases (updated_at DESC, id DESC) WHERE cms_paused;
CREATE INDEX inbound_events_case ON inbound_events (case_id, received_at DESC, id DESC) WHERE case_id IS NOT NULL;
DROP INDEX messages_client;
CREATE INDEX messages_client ON messages (client_id, created_at DESC, id DESC);
DROP INDEX rule_decisions_client;
CREATE INDEX rule_decisions_client ON rule_decisions (client_id, created_at DESC, id DESC);
DROP INDEX inbound_messages_client;
CREATE INDEX inbound_messages_client ON inbound_messages (client_id, created_at DESC, id DESC);
DROP INDEX consent_events_client;
CREATE INDEX consent_events_client ON consent_events (client_id, created_at DESC, id DESC);

-- +goose Down
-- pg_trgm stays: dropping an extension another schema object may use is
-- not this migration's call.
DROP INDEX consent_events_client;
CREATE INDEX consent_events_client ON consent_events (client_id, created_at);
DROP INDEX inbound_messages_client;
CREATE INDEX inbound_messages_client ON inbound_messages (client_id, created_at DESC);
DROP INDEX rule_decisions_client;
CREATE INDEX rule_decisions_client ON rule_decisions (client_id, created_at DESC);
DROP INDEX messages_client;
CREATE INDEX messages_client ON messages (client_id, created_at DESC);
DROP INDEX inbound_events_case;
DROP INDEX cases_cms_paused;
DROP INDEX cases_attorney;
CREATE INDEX cases_attorney ON cases (attorney_id);
DROP INDEX cases_status;
CREATE INDEX cases_status ON cases (status, updated_at DESC);
DROP INDEX clients_name_trgm;
DROP INDEX cases_external;
DROP INDEX cases_number_prefix;
