// Package portaltest gives the portal's benchmarks a database the size of a
// large firm's: 100,000 cases over 80,000 clients, with pauses, open and
// resolved data findings, an inbound event and a message per case, and one
// client whose timeline holds 10,000 messages with their attempts and
// provider statuses, 10,000 rule decisions, 5,000 inbound events, replies and
// consent changes. The seeded database is built once per schema and kept
// as a template (herald_portalbench_<fingerprint>); each benchmark process
// gets a clone, so a run takes seconds after the first.
package portaltest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/bench"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store"
)

// Sizes of the seeded firm.
const (
	Cases            = 100_000
	Clients          = 80_000
	TimelineMessages = 10_000
)

// seedVersion changes whenever seed's data changes, so a stale cached
// template is rebuilt.
const seedVersion = "v2"

// Now is the seed's "now": every seeded time is before it.
var Now = time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)

// Fixture names what benchmarks look up in the seeded database.
type Fixture struct {
	// BusyClientID is the client with TimelineMessages messages.
	BusyClientID int64
	// CommonName is the last name of about 1,600 clients with 2,000 cases;
	// RareName that of five clients with RareNameCases cases.
	CommonName, RareName string
	RareNameCases        int
	// CaseNumberPrefix matches about ten case numbers.
	CaseNumberPrefix string
	Status, Attorney string
}

// surnames are the seeded clients' last names (RareName is added apart).
var surnames = []string{"Garcia", "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Rodriguez",
	"Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
	"Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
	"Rivera", "Campbell", "Mitchell", "Carter", "Roberts"}

var firstNames = []string{"Ana", "Luis", "Maria", "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael",
	"Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
	"Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark"}

func sqlArray(ss []string) string {
	return "ARRAY['" + strings.Join(ss, "','") + "']"
}

// seed fills an empty, migrated database. The busy client is clients.id 1
// (external id cl-1) with two cases; busyCase picks one by g.
func seed(ctx context.Context, db *store.DB) error {
	if _, err := statuses.Seed(ctx, db); err != nil {
		return err
	}
	steps := []string{
		`INSERT INTO sources (name, kind) VALUES ('generic', 'webhook') ON CONFLICT DO NOTHING`,
		`INSERT INTO staff_users (email, name, role, cms_id)
		 SELECT 'attorney' || g || '@firm.test', (` + sqlArray(firstNames) + `)[1 + g % 30] || ' ' || (` + sqlArray(surnames) + `)[1 + (g * 7) % 50],
			'attorney', 'att-' || g FROM generate_series(1, 25) g`,
		`INSERT INTO clients (source, external_id, first_name, last_name, email, mobile_phone, preferred_language, timezone, created_at, updated_at)
		 SELECT 'generic', 'cl-' || g, (` + sqlArray(firstNames) + `)[1 + g % 30],
			CASE WHEN g % 16000 = 7 THEN 'Okonkwo' ELSE (` + sqlArray(surnames) + `)[1 + (g * 7) % 50] END,
			'client' || g || '@example.com', '+1312' || lpad((g % 10000000)::text, 7, '0'),
			CASE WHEN g % 5 = 0 THEN 'es' ELSE 'en' END, 'America/Chicago', $1::timestamptz - g * interval '1 minute', $1::timestamptz
		 FROM generate_series(1, 80000) g`,
		// Cases: statuses round-robin, 1% unmapped, 25 attorneys, a CMS
		// pause every 997th, pairs sharing updated_at (keyset ties).
		`WITH st AS (SELECT array_agg(key ORDER BY position) AS keys FROM canonical_statuses)
		 INSERT INTO cases (source, external_id, client_id, case_number, case_type, status, status_raw, attorney_id, paralegal_id,
			cms_paused, snapshot, version, created_at, updated_at, status_changed_at)
		 SELECT 'generic', 'case-' || g, c.id, c.number, c.typ, c.status, coalesce(c.status, 'Waiting on docs'), 'att-' || (1 + g % 25),
			'par-' || (1 + g % 40), g % 997 = 0,
			jsonb_build_object('case_id', 'case-' || g, 'case_number', c.number, 'client_id', 'cl-' || c.id, 'status', c.status,
				'status_raw', coalesce(c.status, 'Waiting on docs'), 'case_type', c.typ, 'attorney_id', 'att-' || (1 + g % 25),
				'paralegal_id', 'par-' || (1 + g % 40), 'is_automation_paused', g % 997 = 0,
				'client', jsonb_build_object('first_name', cl.first_name, 'last_name', cl.last_name, 'email', cl.email,
					'mobile_phone', cl.mobile_phone, 'preferred_language', cl.preferred_language, 'timezone', cl.timezone),
				'dates', jsonb_build_object('next_court_date', to_char(DATE '2026-04-01' + g % 200, 'YYYY-MM-DD')),
				'findings', '[]'::jsonb),
			1 + g % 7, $1::timestamptz - interval '2 years' + g * interval '1 minute', $1::timestamptz - (g / 2) * interval '31 seconds',
			$1::timestamptz - (g / 2) * interval '31 seconds'
		 FROM generate_series(1, 100000) g
		 CROSS JOIN st
		 CROSS JOIN LATERAL (SELECT 1 + (g - 1) % 80000 AS id,
			(2015 + g % 11) || '-' || (ARRAY['CV','PI','FA','CR','WC'])[1 + g % 5] || '-' || lpad(g::text, 6, '0') AS number,
			(ARRAY['personal_injury','family','criminal','workers_comp','civil'])[1 + g % 5] AS typ,
			CASE WHEN g % 100 = 0 THEN NULL ELSE st.keys[1 + g % array_length(st.keys, 1)] END AS status) c
		 JOIN clients cl ON cl.id = c.id
		 ORDER BY g`,
		// Pauses in force (150 cases, 50 clients) and lifted ones.
		`INSERT INTO pauses (scope, case_id, reason, paused_by, created_at)
		 SELECT 'case', id, 'client asked us to wait', 'seed', $1::timestamptz - interval '1 day' FROM cases WHERE id % 661 = 0`,
		`INSERT INTO pauses (scope, client_id, reason, paused_by, created_at)
		 SELECT 'client', id, 'client in hospital', 'seed', $1::timestamptz - interval '1 day' FROM clients WHERE id % 1597 = 0`,
		`INSERT INTO pauses (scope, case_id, reason, paused_by, created_at, lifted_at, lifted_by)
		 SELECT 'case', id, 'settlement talks', 'seed', $1::timestamptz - interval '9 days', $1::timestamptz - interval '2 days', 'seed'
		 FROM cases WHERE id % 509 = 0`,
		// Findings: open on about 9% of cases, resolved on 6%.
		`INSERT INTO data_findings (case_id, field, code, raw, suggestion)
		 SELECT id, 'client_mobile_phone', 'invalid_phone', '555-01', '' FROM cases WHERE id % 13 = 0`,
		`INSERT INTO data_findings (case_id, field, code, raw) SELECT id, 'status', 'unknown_status', status_raw FROM cases WHERE status IS NULL`,
		`INSERT INTO data_findings (case_id, field, code, raw, resolved_at)
		 SELECT id, 'client_email', 'invalid_email', 'ana@@example', $1 FROM cases WHERE id % 17 = 0`,
		// One inbound event, decision and delivered SMS per case.
		`INSERT INTO inbound_events (source, event_id, event_type, body, case_id, status, received_at, processed_at)
		 SELECT 'generic', 'ev-' || id, 'case.updated', '{"seed":true}', id, 'processed', updated_at, updated_at FROM cases`,
		`INSERT INTO rule_decisions (case_id, client_id, rule_key, trigger, result, created_at)
		 SELECT id, client_id, 'status_update_sms', 'status_transition', 'fired', updated_at FROM cases`,
		`INSERT INTO messages (idempotency_key, case_id, client_id, channel, recipient, body_text, status, provider,
			provider_message_id, sent_at, created_at, updated_at)
		 SELECT 'case:' || id, id, client_id, 'sms', '+13125550100', 'Your case has an update.', 'delivered', 'twilio', 'SMc' || id,
			updated_at, updated_at, updated_at FROM cases`,
		// The busy client: 5,000 events, 10,000 decisions (a tenth skipped),
		// 10,000 messages (a third email), their attempts and provider
		// statuses, 500 replies and 20 consent changes.
		`INSERT INTO inbound_events (source, event_id, event_type, body, case_id, status, received_at, processed_at)
		 SELECT 'generic', 'busy-' || g, 'case.updated', '{"seed":true}', bc.ids[1 + g % 2], 'processed',
			$1::timestamptz - g * interval '53 minutes', $1::timestamptz - g * interval '53 minutes' + interval '2 seconds'
		 FROM generate_series(1, 5000) g, ` + busyCases,
		`INSERT INTO rule_decisions (case_id, client_id, rule_key, trigger, result, reason, channel, created_at)
		 SELECT bc.ids[1 + g % 2], 1, 'status_update', 'status_transition',
			CASE WHEN g % 10 = 0 THEN 'skipped_quiet_hours' ELSE 'fired' END,
			CASE WHEN g % 10 = 0 THEN 'outside the SMS window' ELSE '' END, CASE WHEN g % 3 = 0 THEN 'email' ELSE 'sms' END,
			$1::timestamptz - g * interval '26 minutes'
		 FROM generate_series(1, 10000) g, ` + busyCases,
		`INSERT INTO messages (idempotency_key, kind, case_id, client_id, channel, recipient, subject, body_text, body_html, status,
			attempts, provider, provider_message_id, sent_at, delivered_at, due_at, created_at, updated_at)
		 SELECT 'busy:' || g, CASE WHEN g % 4 = 0 THEN 'reminder' ELSE 'rule' END, bc.ids[1 + g % 2], 1,
			ch, CASE WHEN ch = 'email' THEN 'client1@example.com' ELSE '+13120000001' END,
			CASE WHEN ch = 'email' THEN 'An update on your case' ELSE '' END,
			'Hi Luis, this is Test Law. Your case 2016-PI-000001 moved to a new stage: discovery has started. '
				|| 'Your attorney will call you this week. Reply STOP to opt out. (' || g || ')',
			CASE WHEN ch = 'email' THEN repeat('<p>Hi Luis, your case moved to a new stage.</p>', 20) ELSE '' END,
			(ARRAY['delivered','delivered','delivered','opened','sent','dead','held','replied'])[1 + g % 8],
			1 + g % 2, CASE WHEN ch = 'email' THEN 'sendgrid' ELSE 'twilio' END, 'busy-' || g,
			$1::timestamptz - g * interval '26 minutes', $1::timestamptz - g * interval '26 minutes' + interval '5 seconds',
			$1::timestamptz - g * interval '26 minutes', $1::timestamptz - g * interval '26 minutes', $1::timestamptz - g * interval '26 minutes'
		 FROM generate_series(1, 10000) g CROSS JOIN ` + busyCases + ` CROSS JOIN LATERAL (SELECT CASE WHEN g % 3 = 0 THEN 'email' ELSE 'sms' END AS ch) c`,
		`INSERT INTO delivery_attempts (message_id, attempt, started_at, finished_at, outcome, provider, provider_message_id, http_status,
			error_code, error_message)
		 SELECT m.id, a, m.created_at + (a - 1) * interval '1 minute', m.created_at + (a - 1) * interval '1 minute' + interval '300 ms',
			CASE WHEN a < m.attempts THEN 'transient_error' ELSE 'sent' END, m.provider,
			CASE WHEN a = m.attempts THEN m.provider_message_id END, CASE WHEN a < m.attempts THEN 503 ELSE 201 END,
			CASE WHEN a < m.attempts THEN '503' ELSE '' END, CASE WHEN a < m.attempts THEN 'service unavailable' ELSE '' END
		 FROM messages m CROSS JOIN LATERAL generate_series(1, m.attempts) a WHERE m.client_id = 1`,
		`INSERT INTO provider_events (provider, provider_event_id, message_id, event_type, occurred_at, received_at)
		 SELECT m.provider, m.provider_message_id || ':' || e, m.id, e, m.created_at + interval '5 seconds', m.created_at + interval '6 seconds'
		 FROM messages m CROSS JOIN LATERAL unnest(CASE WHEN m.channel = 'email' THEN ARRAY['delivered','open'] ELSE ARRAY['sent','delivered'] END) e
		 WHERE m.client_id = 1`,
		`INSERT INTO inbound_messages (provider, provider_message_id, client_id, case_id, channel, from_address, body, intent, unread, created_at)
		 SELECT 'twilio', 'SMin' || g, 1, bc.ids[1], 'sms', '+13120000001', 'Thanks, when is my next court date?', 'reply', false,
			$1::timestamptz - g * interval '521 minutes' FROM generate_series(1, 500) g, ` + busyCases,
		`INSERT INTO consent_events (client_id, channel, address, action, source, text, created_at)
		 SELECT 1, 'sms', '+13120000001', CASE WHEN g % 2 = 0 THEN 'opt_in' ELSE 'opt_out' END, 'keyword',
			CASE WHEN g % 2 = 0 THEN 'START' ELSE 'STOP' END, $1::timestamptz - g * interval '9 days' FROM generate_series(1, 20) g`,
	}
	for i, q := range steps {
		var err error
		if strings.Contains(q, "$1") {
			_, err = db.Pool.Exec(ctx, q, Now)
		} else {
			_, err = db.Pool.Exec(ctx, q)
		}
		if err != nil {
			return fmt.Errorf("seed step %d: %w", i+1, err)
		}
	}
	_, err := db.Pool.Exec(ctx, `VACUUM ANALYZE`)
	return err
}

// busyCases is the busy client's case ids as bc.ids.
const busyCases = `(SELECT array_agg(id ORDER BY id) AS ids FROM cases WHERE client_id = 1) bc`

// fixture reads what the benchmarks need from a seeded database.
func fixture(ctx context.Context, db *store.DB) (Fixture, error) {
	f := Fixture{CommonName: "Garcia", RareName: "Okonkwo", CaseNumberPrefix: "2016-PI-0001", Attorney: "att-7"}
	var msgs, events int
	err := db.Pool.QueryRow(ctx, `SELECT (SELECT id FROM clients WHERE external_id = 'cl-1'),
		(SELECT key FROM canonical_statuses ORDER BY position OFFSET 3 LIMIT 1),
		(SELECT count(*) FROM messages WHERE client_id = 1),
		(SELECT count(*) FROM inbound_events e JOIN cases c ON c.id = e.case_id WHERE c.client_id = 1),
		(SELECT count(*) FROM cases c JOIN clients n ON n.id = c.client_id WHERE n.last_name = $1)`, f.RareName).
		Scan(&f.BusyClientID, &f.Status, &msgs, &events, &f.RareNameCases)
	if err != nil {
		return f, fmt.Errorf("read bench fixture: %w", err)
	}
	if f.BusyClientID != 1 || msgs < TimelineMessages || events < 5000 {
		return f, fmt.Errorf("bench seed: client %d has %d messages and %d events, want client 1 with %d and 5000", f.BusyClientID, msgs, events, TimelineMessages)
	}
	return f, nil
}

// Latencies collects per-iteration durations of a benchmark.
type Latencies []time.Duration

// Time runs op and records how long it took.
func (l *Latencies) Time(op func()) {
	start := time.Now()
	op()
	*l = append(*l, time.Since(start))
}

// Millis returns the samples in milliseconds.
func (l Latencies) Millis() []float64 {
	out := make([]float64, len(l))
	for i, d := range l {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}

// conn opens an admin connection to the maintenance database at url.
func conn(ctx context.Context, tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("PostgreSQL is not reachable at %s: %v (start it with `make services`)", url, err)
	}
	return c
}

// Report reports the p95 of lat in milliseconds (p95-ms) and, when ref
// holds latencies of a reference measured in the same run, its p95
// (ref-p95-ms) and how many times slower lat is (x-ref).
func Report(b *testing.B, lat, ref Latencies) {
	b.Helper()
	p := bench.PercentilesOf(lat.Millis())
	if p == nil {
		return
	}
	b.ReportMetric(p.P95, "p95-ms")
	if r := bench.PercentilesOf(ref.Millis()); r != nil && r.P95 > 0 {
		b.ReportMetric(r.P95, "ref-p95-ms")
		b.ReportMetric(p.P95/r.P95, "x-ref")
	}
}
