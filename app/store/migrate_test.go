package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
)

func tableCount(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	err := db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigrationsRoundTrip applies every migration, rolls every one back, and
// applies them again: down migrations must undo their up exactly.
func TestMigrationsRoundTrip(t *testing.T) {
	db, _ := storetest.EmptyDB(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := store.Migrate(ctx, db.SQL, "up", &out); err != nil {
		t.Fatalf("up: %v", err)
	}
	full := tableCount(t, db)
	if full < 20 {
		t.Fatalf("after up: %d tables, want the whole schema (>= 20)", full)
	}
	if err := store.Migrate(ctx, db.SQL, "reset", &out); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if got := tableCount(t, db); got != 0 {
		t.Fatalf("after reset: %d tables remain, want 0", got)
	}
	if err := store.Migrate(ctx, db.SQL, "up", &out); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if got := tableCount(t, db); got != full {
		t.Fatalf("after second up: %d tables, want %d", got, full)
	}
	out.Reset()
	if err := store.Migrate(ctx, db.SQL, "status", &out); err != nil {
		t.Fatalf("status: %v", err)
	}
	if strings.Contains(out.String(), " pending\n") {
		t.Errorf("status after up shows pending migrations:\n%s", out.String())
	}
	// One step down then up again leaves the schema intact.
	if err := store.Migrate(ctx, db.SQL, "down", &out); err != nil {
		t.Fatalf("down: %v", err)
	}
	if err := store.Migrate(ctx, db.SQL, "up", &out); err != nil {
		t.Fatalf("up after down: %v", err)
	}
	if got := tableCount(t, db); got != full {
		t.Fatalf("after down+up: %d tables, want %d", got, full)
	}
}

func TestMigrateUnknownCommand(t *testing.T) {
	db, _ := storetest.EmptyDB(t)
	err := store.Migrate(context.Background(), db.SQL, "sideways", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "use up, down, status or reset") {
		t.Fatalf("Migrate(sideways) error = %v, want usage hint", err)
	}
}

// TestSchemaConstraints proves the database itself refuses bad rows.
func TestSchemaConstraints(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	mustExec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	mustExec(`INSERT INTO sources (name, kind) VALUES ('generic', 'webhook')`)
	mustExec(`INSERT INTO inbound_events (source, event_id, body) VALUES ('generic', 'e1', '{}')`)
	mustExec(`INSERT INTO clients (id, source, external_id) VALUES (1, 'generic', 'CL-1')`)
	mustExec(`INSERT INTO cases (id, source, external_id, client_id, snapshot) VALUES (1, 'generic', 'C-1', 1, '{}')`)
	mustExec(`INSERT INTO data_findings (case_id, field, code) VALUES (1, 'client_email', 'invalid_email')`)
	bad := []struct {
		name, sql string
	}{
		{"duplicate inbound event", `INSERT INTO inbound_events (source, event_id, body) VALUES ('generic', 'e1', '{}')`},
		{"unknown source", `INSERT INTO inbound_events (source, event_id, body) VALUES ('nope', 'e2', '{}')`},
		{"bad message status", `INSERT INTO messages (idempotency_key, channel, recipient, status) VALUES ('k', 'sms', '+13125550100', 'lost')`},
		{"bad channel", `INSERT INTO messages (idempotency_key, channel, recipient) VALUES ('k2', 'fax', 'x')`},
		{"non-E.164 phone", `INSERT INTO clients (source, external_id, mobile_phone) VALUES ('generic', 'c1', '312-555-0100')`},
		{"pause without reason", `INSERT INTO pauses (scope, reason, paused_by) VALUES ('firm', ' ', 'a')`},
		{"bad finding code", `INSERT INTO data_findings (case_id, field, code) VALUES (1, 'x', 'guessed')`},
		{"second open finding for the same field and code", `INSERT INTO data_findings (case_id, field, code) VALUES (1, 'client_email', 'invalid_email')`},
		{"bad role", `INSERT INTO staff_users (email, name, role) VALUES ('a@b.c', 'A', 'intern')`},
	}
	for _, b := range bad {
		if _, err := db.Pool.Exec(ctx, b.sql); err == nil {
			t.Errorf("%s: insert succeeded, want a constraint violation", b.name)
		}
	}
	mustExec(`INSERT INTO messages (idempotency_key, channel, recipient) VALUES ('same', 'sms', '+13125550100')`)
	if _, err := db.Pool.Exec(ctx, `INSERT INTO messages (idempotency_key, channel, recipient) VALUES ('same', 'sms', '+13125550100')`); err == nil {
		t.Errorf("duplicate idempotency key accepted")
	}
}
