package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/store"
)

func TestAcceptRejects(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	ctx := context.Background()
	good := event("evt_1", "2026-03-01T16:00:00Z", "C-1", map[string]any{"status": "Retained"})
	big := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), 4096)...), `"}`...)
	malformed := []byte("{\"id\": \"evt_2\",\n \"data\": {\"case_id\": \"C-1\",}\n}")
	tests := []struct {
		name    string
		source  string
		headers map[string]string
		body    []byte
		want    error
		wantMsg string
	}{
		{"unknown source", "nope", e.signed(good), good, derrors.NotFound, `no webhook source named "nope"`},
		{"polled source takes no webhooks", "poll-example", e.signed(good), good, derrors.NotFound, "poll-example"},
		{"oversized body", "generic", e.signed(big), big, derrors.TooLarge, "body is 4106 bytes; the limit is 4096"},
		{"missing signature", "generic", map[string]string{}, good, derrors.Unauthorized, "header is missing"},
		{"malformed signature", "generic", map[string]string{"Herald-Signature": "v1=abc"}, good, derrors.Unauthorized, "is not 64 hex digits"},
		{"bad signature", "generic", map[string]string{"Herald-Signature": ingest.Sign("wrong", t0, good)}, good,
			derrors.Unauthorized, "does not match"},
		{"stale signature", "generic", map[string]string{"herald-signature": ingest.Sign(secret, t0.Add(-412*time.Second), good)}, good,
			derrors.Unauthorized, "signature timestamp 412s old; replay window is 300s"},
		{"body swapped under a valid signature", "generic", e.signed(good), event("evt_1", "", "C-2", nil), derrors.Unauthorized, "does not match"},
		{"malformed JSON", "generic", e.signed(malformed), malformed, derrors.InvalidArgument,
			"invalid JSON at line 2, column 28 (byte offset 43)"},
		{"JSON array", "generic", e.signed([]byte(`[1]`)), []byte(`[1]`), derrors.InvalidArgument, "is a JSON array, not an object"},
		{"trailing data", "generic", e.signed([]byte(`{} {}`)), []byte(`{} {}`), derrors.InvalidArgument, "unexpected data after the JSON object"},
		{"empty body", "generic", e.signed(nil), nil, derrors.InvalidArgument, "body: is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Accept(ctx, tt.source, tt.headers, tt.body)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Accept = %v, want %v mentioning %q", err, tt.want, tt.wantMsg)
			}
		})
	}
	if n := e.count(t, `SELECT count(*) FROM inbound_events`); n != 0 {
		t.Errorf("%d inbound events stored after only rejected requests, want 0", n)
	}
	if got := e.enq.got(); len(got) != 0 {
		t.Errorf("wake-ups enqueued for rejected requests: %v", got)
	}
}

func TestAcceptStoresAndDedupes(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	ctx := context.Background()
	body := event("evt_1", "2026-03-01T15:59:00Z", "C-1", map[string]any{"status": "Retained"})
	headers := e.signed(body)
	headers["Authorization"] = "Bearer do-not-store"
	first, err := e.svc.Accept(ctx, "generic", headers, body)
	if err != nil || first.Duplicate || first.EventID == 0 {
		t.Fatalf("first Accept = %+v, %v; want a new event", first, err)
	}
	// The same event id with a re-signed (later) request is still a duplicate.
	e.clock.Advance(time.Minute)
	again, err := e.svc.Accept(ctx, "generic", e.signed(body), body)
	if err != nil || !again.Duplicate || again.EventID != first.EventID {
		t.Fatalf("second Accept = %+v, %v; want duplicate of %d", again, err, first.EventID)
	}
	if got := e.enq.got(); len(got) != 1 || got[0] != first.EventID {
		t.Errorf("wake-ups = %v, want exactly one for event %d", got, first.EventID)
	}
	var eventType, auth string
	var occurred time.Time
	err = e.db.Pool.QueryRow(ctx, `SELECT event_type, occurred_at, coalesce(headers->>'authorization', '') FROM inbound_events WHERE id = $1`,
		first.EventID).Scan(&eventType, &occurred, &auth)
	if err != nil {
		t.Fatal(err)
	}
	if eventType != "case.updated" || !occurred.Equal(time.Date(2026, 3, 1, 15, 59, 0, 0, time.UTC)) || auth != "" {
		t.Errorf("stored event_type %q occurred_at %v authorization %q; want case.updated, 15:59Z, not stored", eventType, occurred, auth)
	}

	// No event id: the body hash dedupes.
	noID := event("", "", "C-2", map[string]any{"status": "Closed"})
	a, err := e.svc.Accept(ctx, "generic", e.signed(noID), noID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Accept(ctx, "generic", e.signed(noID), noID)
	if err != nil || !b.Duplicate || b.EventID != a.EventID {
		t.Errorf("same body without id = %+v, %v; want duplicate of %d", b, err, a.EventID)
	}
	if r := e.row(t, a.EventID); !r.IDFromHash || !strings.HasPrefix(r.EventID, "sha256:") || len(r.EventID) != 71 {
		t.Errorf("hashed event id = %q (from hash %v), want sha256:<64 hex>", r.EventID, r.IDFromHash)
	}
	other := event("", "", "C-2", map[string]any{"status": "Settled"})
	c, err := e.svc.Accept(ctx, "generic", e.signed(other), other)
	if err != nil || c.Duplicate {
		t.Errorf("different body without id = %+v, %v; want a new event", c, err)
	}
}

func TestAcceptConcurrentCopiesProcessOnce(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	ctx := context.Background()
	body := event("evt_same", "2026-03-01T15:59:00Z", "C-1", map[string]any{"status": "Retained"})
	const n = 50
	results := make([]ingest.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.svc.Accept(ctx, "generic", e.signed(body), body)
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("copy %d: %v", i, errs[i])
		}
		if results[i].EventID != results[0].EventID {
			t.Errorf("copy %d got event %d, copy 0 got %d", i, results[i].EventID, results[0].EventID)
		}
		if !results[i].Duplicate {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d copies were accepted as new, want exactly 1", fresh)
	}
	// Every copy's worker tries to process it at once.
	outcomes := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := e.svc.Process(ctx, results[0].EventID)
			if err != nil {
				t.Errorf("Process: %v", err)
			}
			outcomes <- out.Result
		}()
	}
	wg.Wait()
	close(outcomes)
	processed := 0
	for r := range outcomes {
		if r == ingest.ResultProcessed {
			processed++
		}
	}
	if processed != 1 {
		t.Errorf("%d Process calls did the work, want 1", processed)
	}
	if got := e.count(t, `SELECT count(*) FROM inbound_events`); got != 1 {
		t.Errorf("inbound_events rows = %d, want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM case_versions`); got != 1 {
		t.Errorf("case_versions rows = %d, want 1", got)
	}
}

func TestAcceptPostgresDownIsUnavailable(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	// store.Open pings through GORM; a lazily connecting pool is what a
	// running server holds when PostgreSQL goes away.
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/herald?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	down := &store.DB{Pool: pool}
	closed := newEnv(t, ingest.Options{})
	closed.db.Close()
	body := event("evt_1", "", "C-1", nil)
	for name, svc := range map[string]*ingest.Service{"closed port": e.build(t, down, ingest.Options{Enqueuer: e.enq}), "closed pool": closed.svc} {
		t.Run(name, func(t *testing.T) {
			_, err := svc.Accept(context.Background(), "generic", e.signed(body), body)
			if !errors.Is(err, derrors.Unavailable) {
				t.Errorf("Accept with Postgres down = %v, want derrors.Unavailable", err)
			}
		})
	}
	if got := e.enq.got(); len(got) != 0 {
		t.Errorf("wake-ups enqueued without a stored row: %v", got)
	}
}

func TestAcceptUnregisteredSourceIsNotFound(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	ctx := context.Background()
	if _, err := e.db.Pool.Exec(ctx, `DELETE FROM sources WHERE name = 'generic'`); err != nil {
		t.Fatal(err)
	}
	body := event("evt_1", "", "C-1", nil)
	_, err := e.svc.Accept(ctx, "generic", e.signed(body), body)
	if !errors.Is(err, derrors.NotFound) || !strings.Contains(err.Error(), "herald seed") {
		t.Errorf("Accept for a source missing from the sources table = %v, want NotFound telling to run herald seed", err)
	}
}

func TestRecordAsDedupesOnTheGivenID(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	ctx := context.Background()
	// The poller fetched record C-9 twice; the CMS serialised it differently.
	a := []byte(`{"data":{"case_id":"C-9","current_attributes":{"status":"Retained"}}}`)
	b := []byte(`{"data": {"current_attributes": {"status": "Retained"}, "case_id": "C-9"}}`)
	first, err := e.svc.RecordAs(ctx, "generic", "C-9@2026-03-01T10:00:00Z", a)
	if err != nil || first.Duplicate {
		t.Fatalf("first RecordAs = %+v, %v; want a new event", first, err)
	}
	again, err := e.svc.RecordAs(ctx, "generic", "C-9@2026-03-01T10:00:00Z", b)
	if err != nil || !again.Duplicate || again.EventID != first.EventID {
		t.Errorf("same record version, other serialisation = %+v, %v; want duplicate of %d", again, err, first.EventID)
	}
	if r := e.row(t, first.EventID); r.EventID != "C-9@2026-03-01T10:00:00Z" || r.IDFromHash {
		t.Errorf("stored event id = %q (from hash %v), want the given id", r.EventID, r.IDFromHash)
	}
	if got := e.enq.got(); len(got) != 1 || got[0] != first.EventID {
		t.Errorf("wake-ups = %v, want exactly one for event %d", got, first.EventID)
	}
	// An empty id falls back to the body: b has no "id", so its hash.
	h, err := e.svc.RecordAs(ctx, "generic", "", b)
	if r := e.row(t, h.EventID); err != nil || h.Duplicate || !r.IDFromHash {
		t.Errorf("RecordAs without an id = %+v, %v (from hash %v); want a new body-hashed event", h, err, r.IDFromHash)
	}
	if _, err := e.svc.RecordAs(ctx, "nosuch", "x", a); !errors.Is(err, derrors.NotFound) {
		t.Errorf("unknown source = %v, want NotFound", err)
	}
}

func TestLongEventIDsDedupeOnTheID(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	ctx := context.Background()
	long := "evt_" + strings.Repeat("x", 300)
	a := event(long, "", "C-1", map[string]any{"status": "Retained"})
	b := event(long, "2026-03-01T10:00:00Z", "C-1", map[string]any{"status": "Retained"}) // same id, other body
	first, err := e.svc.Accept(ctx, "generic", e.signed(a), a)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.Accept(ctx, "generic", e.signed(b), b)
	if err != nil || !again.Duplicate || again.EventID != first.EventID {
		t.Errorf("same long id, other body = %+v, %v; want duplicate of %d", again, err, first.EventID)
	}
	if r := e.row(t, first.EventID); r.IDFromHash || !strings.HasPrefix(r.EventID, "sha256:") || len(r.EventID) != 71 {
		t.Errorf("long id stored as %q (from hash %v), want sha256:<hash of the id>, not a body hash", r.EventID, r.IDFromHash)
	}
	viaRecord, err := e.svc.RecordAs(ctx, "generic", long, a)
	if err != nil || !viaRecord.Duplicate || viaRecord.EventID != first.EventID {
		t.Errorf("RecordAs with the same long id = %+v, %v; want duplicate of %d", viaRecord, err, first.EventID)
	}
}

// TestNULInEnvelopeIsStored: JSON may carry \u0000, which PostgreSQL text
// refuses; such an event id or type must still be stored (202), not turned
// into a 503 the CMS retries forever.
func TestNULInEnvelopeIsStored(t *testing.T) {
	e := newEnv(t, ingest.Options{})
	ctx := context.Background()
	body := []byte(`{"id":"evt_\u0000x","type":"case.\u0000updated","data":{"case_id":"C-1"}}`)
	first, err := e.svc.Accept(ctx, "generic", e.signed(body), body)
	if err != nil || first.Duplicate {
		t.Fatalf("Accept with NUL in id and type = %+v, %v; want stored", first, err)
	}
	again := []byte(`{"type":"case.updated","id":"evt_\u0000x","data":{"case_id":"C-1"}}`)
	dup, err := e.svc.Accept(ctx, "generic", e.signed(again), again)
	if err != nil || !dup.Duplicate || dup.EventID != first.EventID {
		t.Errorf("same NUL id, other body = %+v, %v; want duplicate of %d", dup, err, first.EventID)
	}
	var typ string
	if err := e.db.Pool.QueryRow(ctx, `SELECT event_type FROM inbound_events WHERE id = $1`, first.EventID).Scan(&typ); err != nil || typ != "case.updated" {
		t.Errorf("stored event_type = %q, %v; want the NUL dropped", typ, err)
	}
}
