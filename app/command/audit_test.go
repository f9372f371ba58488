package command_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app/store/storetest"
)

// TestAuditFromDBUsesAliasesAndSkipsClio audits the raw events Herald stored, with the status
// aliases staff added, and leaves out stored Clio webhooks (which name a
// matter but hold none of its fields) with a note saying so.
func TestAuditFromDBUsesAliasesAndSkipsClio(t *testing.T) {
	db, dsn := storetest.NewDB(t)
	ctx := context.Background()
	env := map[string]string{"HERALD_DATABASE_URL": dsn}
	if r := run(ctx, env, "seed"); r.code != 0 {
		t.Fatalf("seed = %d: %s", r.code, r.stderr)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO status_aliases (status_key, alias, alias_folded, created_by)
		VALUES ('investigation', 'Pre-Lit', 'prelit', 'pat@firm.example')`); err != nil {
		t.Fatal(err)
	}
	bodies := []struct{ source, id, body string }{
		{"generic", "e1", `{"id":"e1","data":{"case_id":"C-1","current_attributes":{"status":"Pre-Lit","client_email":"a@gmial.com"}}}`},
		{"generic", "e2", `{"id":"e2","data":{"case_id":"C-2","current_attributes":{"status":"Retained","client_email":"b@example.com"}}}`},
		{"generic", "e3", `{"id":"e3","data":{"case_id":"C-3","current_attributes":{"status":"Waiting on client"}}}`},
		{"clio", "c1", `{"data":{"id":1,"etag":"\"a\""},"meta":{"event":"updated"}}`},
	}
	for _, b := range bodies {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO inbound_events (source, event_id, body) VALUES ($1, $2, $3)`,
			b.source, b.id, []byte(b.body)); err != nil {
			t.Fatal(err)
		}
	}
	r := run(ctx, env, "audit", "--from-db", "--json")
	if r.code != 0 {
		t.Fatalf("audit --from-db --json = %d: %s", r.code, r.stderr)
	}
	var reports []struct {
		Source   string
		Records  int
		Statuses []struct {
			Raw    string
			Count  int
			Mapped bool
			Key    string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &reports); err != nil {
		t.Fatalf("audit --json output: %v\n%s", err, r.stdout)
	}
	if len(reports) != 1 || reports[0].Source != "generic" || reports[0].Records != 3 {
		t.Fatalf("reports = %+v, want one for generic with 3 records (clio left out)", reports)
	}
	got := map[string]string{}
	for _, s := range reports[0].Statuses {
		got[s.Raw] = s.Key
		if s.Mapped != (s.Key != "") {
			t.Errorf("status %q mapped = %v with key %q", s.Raw, s.Mapped, s.Key)
		}
	}
	want := map[string]string{"Pre-Lit": "investigation", "Retained": "retained", "Waiting on client": ""}
	for raw, key := range want {
		if k, ok := got[raw]; !ok || k != key {
			t.Errorf("status %q = %q (present %v), want %q; the portal's alias must count", raw, k, ok, key)
		}
	}
	if !strings.Contains(r.stderr, "skipped 1 stored clio event(s)") || !strings.Contains(r.stderr, "herald audit --source clio FILE") {
		t.Errorf("stderr = %q, want a note that the clio event was left out and how to audit Clio", r.stderr)
	}
	md := run(ctx, env, "audit", "--from-db", "--source", "generic")
	if md.code != 0 || !strings.Contains(md.stdout, "Pre-Lit") || !strings.Contains(md.stdout, "|") {
		t.Errorf("audit --from-db markdown = %d\n%s", md.code, md.stdout)
	}
}
