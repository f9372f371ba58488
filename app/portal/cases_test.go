package portal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/portal"
)

// TestCasesKeysetPages walks every case exactly once, newest-updated
// first, even when several cases share an updated_at.
func TestCasesKeysetPages(t *testing.T) {
	db, exec := newDB(t)
	ctx := context.Background()
	exec(`INSERT INTO clients (source, external_id, first_name, last_name) VALUES ('generic', 'c1', 'Ana', 'Garcia')`)
	var want []string
	for i := 7; i >= 1; i-- { // ties on updated_at for i = 2..3 and 4..5
		want = append(want, fmt.Sprintf("N-%d", i))
	}
	for i := 1; i <= 7; i++ {
		exec(`INSERT INTO cases (source, external_id, client_id, case_number, snapshot, updated_at)
			SELECT 'generic', $1, id, $1, '{}', $2 FROM clients`, fmt.Sprintf("N-%d", i), now.Add(time.Duration(i/2)*time.Minute))
	}
	r := portal.New(db, clock.NewFake(now), time.UTC)
	var got []string
	f := portal.CaseFilter{Limit: 2}
	for pages := 0; pages < 10; pages++ {
		page, err := r.Cases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range page.Rows {
			got = append(got, row.CaseNumber)
		}
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	// Within a tie the higher id comes first, which is also insertion order reversed.
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages walked %v, want %v", got, want)
	}
	if _, err := r.Cases(ctx, portal.CaseFilter{After: "garbage"}); err == nil {
		t.Error("a malformed cursor was accepted")
	}
}

// TestCasesFilters checks each filter and the search against cases paused
// every way there is (CMS flag, case, client, lifted, expired, firm-wide).
func TestCasesFilters(t *testing.T) {
	db, exec := newDB(t)
	ctx := context.Background()
	exec(`INSERT INTO canonical_statuses (key, label) VALUES ('retained', 'Retained'), ('settled', 'Settled')`)
	exec(`INSERT INTO staff_users (email, name, role, cms_id) VALUES ('zoe@firm.test', 'Zoe Adams', 'attorney', 'att-2')`)
	exec(`INSERT INTO clients (source, external_id, first_name, last_name) VALUES
		('generic', 'c1', 'Ana', 'Garcia'), ('generic', 'c2', 'Ben', 'Okafor'), ('generic', 'c3', 'Cy', 'Lopez_%')`)
	// number, client, status, attorney, CMS paused, minutes after now
	for i, c := range []struct {
		number, client, status, attorney string
		cms                              bool
	}{
		{"2026-CV-0001", "c1", "retained", "att-1", false},
		{"2026-CV-0002", "c1", "settled", "att-2", true},
		{"2026-PI-0003", "c2", "retained", "att-1", false},
		{"2026-PI-0004", "c2", "retained", "att-2", false},
		{"2026-FA-0005", "c3", "settled", "att-1", false},
		{"2026-FA-0006", "c3", "retained", "att-1", false},
	} {
		exec(`INSERT INTO cases (source, external_id, client_id, case_number, status, attorney_id, cms_paused, snapshot, updated_at)
			SELECT 'generic', 'ext-' || $1, id, $1, $2, $3, $4, '{}', $5 FROM clients WHERE external_id = $6`,
			c.number, c.status, c.attorney, c.cms, now.Add(time.Duration(i)*time.Minute), c.client)
	}
	caseID := func(number string) any {
		var id int64
		if err := db.Pool.QueryRow(ctx, `SELECT id FROM cases WHERE case_number = $1`, number).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	exec(`INSERT INTO pauses (scope, case_id, reason, paused_by) VALUES ('case', $1, 'asked to wait', 'Alex')`, caseID("2026-PI-0003"))
	exec(`INSERT INTO pauses (scope, client_id, reason, paused_by) SELECT 'client', id, 'in hospital', 'Alex' FROM clients WHERE external_id = 'c3'`)
	exec(`INSERT INTO pauses (scope, case_id, reason, paused_by, lifted_at) VALUES ('case', $1, 'old', 'Alex', $2)`, caseID("2026-CV-0001"), now)
	exec(`INSERT INTO pauses (scope, case_id, reason, paused_by, expires_at) VALUES ('case', $1, 'short', 'Alex', $2)`, caseID("2026-PI-0004"), now.Add(-time.Minute))
	exec(`INSERT INTO data_findings (case_id, field, code) VALUES ($1, 'client_mobile_phone', 'invalid_phone')`, caseID("2026-PI-0004"))
	exec(`INSERT INTO data_findings (case_id, field, code, resolved_at) VALUES ($1, 'client_email', 'invalid_email', $2)`, caseID("2026-FA-0005"), now)

	r := portal.New(db, clock.NewFake(now.Add(time.Hour)), time.UTC)
	list := func(f portal.CaseFilter) string {
		t.Helper()
		page, err := r.Cases(ctx, f)
		if err != nil {
			t.Fatalf("cases %+v: %v", f, err)
		}
		var got []string
		for _, row := range page.Rows {
			s := row.CaseNumber[8:]
			if row.Paused {
				s += "p"
			}
			if row.OpenFindings > 0 {
				s += "f"
			}
			got = append(got, s)
		}
		return fmt.Sprint(got)
	}
	for _, tt := range []struct {
		name string
		f    portal.CaseFilter
		want string
	}{
		{"all, paused and findings marked", portal.CaseFilter{}, "[0006p 0005p 0004f 0003p 0002p 0001]"},
		{"client name substring", portal.CaseFilter{Q: "arci"}, "[0002p 0001]"},
		{"full name", portal.CaseFilter{Q: "ben okafor"}, "[0004f 0003p]"},
		{"LIKE characters are literal", portal.CaseFilter{Q: "z_%"}, "[0006p 0005p]"},
		{"case number prefix", portal.CaseFilter{Q: "2026-pi"}, "[0004f 0003p]"},
		{"number inside is not a prefix", portal.CaseFilter{Q: "PI-0003"}, "[]"},
		{"CMS id", portal.CaseFilter{Q: "ext-2026-FA-0005"}, "[0005p]"},
		{"status", portal.CaseFilter{Status: "settled"}, "[0005p 0002p]"},
		{"attorney", portal.CaseFilter{Attorney: "att-2"}, "[0004f 0002p]"},
		{"paused", portal.CaseFilter{Paused: "yes"}, "[0006p 0005p 0003p 0002p]"},
		{"not paused", portal.CaseFilter{Paused: "no"}, "[0004f 0001]"},
		{"has findings", portal.CaseFilter{HasFindings: true}, "[0004f]"},
		{"combined", portal.CaseFilter{Status: "retained", Attorney: "att-1", Paused: "yes"}, "[0006p 0003p]"},
	} {
		if got := list(tt.f); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
	page, err := r.Cases(ctx, portal.CaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(page.Attorneys); got != "[{att-1 att-1} {att-2 Zoe Adams}]" {
		t.Errorf("attorney choices = %s, want att-1 (no staff row) and Zoe Adams", got)
	}

	exec(`INSERT INTO pauses (scope, reason, paused_by) VALUES ('firm', 'system migration', 'Alex')`)
	if got := list(portal.CaseFilter{Paused: "yes"}); got != "[0006p 0005p 0004pf 0003p 0002p 0001p]" {
		t.Errorf("firm-wide pause, paused: got %s, want every case", got)
	}
	if got := list(portal.CaseFilter{Paused: "no"}); got != "[]" {
		t.Errorf("firm-wide pause, not paused: got %s, want none", got)
	}
}

// TestCasesSearchDenseAndSparse: a search matching more cases than
// searchDense (walked newest first) and one matching a few (collected)
// both list exactly their matches, page by page.
func TestCasesSearchDenseAndSparse(t *testing.T) {
	db, exec := newDB(t)
	ctx := context.Background()
	// 1,200 clients (1,197 Garcia: dense by name; 3 Okonkwo: sparse) and
	// 1,400 cases on client 1 + g % 1200 numbered 2026-CV-00001 … 01400.
	exec(`INSERT INTO clients (source, external_id, first_name, last_name)
		SELECT 'generic', 'c' || g, 'Ana', CASE WHEN g <= 3 THEN 'Okonkwo' ELSE 'Garcia' END FROM generate_series(1, 1200) g ORDER BY g`)
	exec(`INSERT INTO cases (source, external_id, client_id, case_number, snapshot, updated_at)
		SELECT 'generic', 'k' || g, 1 + g % 1200, '2026-CV-' || lpad(g::text, 5, '0'), '{}', $1::timestamptz - g * interval '1 second'
		FROM generate_series(1, 1400) g`, now)
	r := portal.New(db, clock.NewFake(now), time.UTC)
	walk := func(q string) (n int, pages int) {
		t.Helper()
		f := portal.CaseFilter{Q: q, Limit: 200}
		seen := map[int64]bool{}
		for ; pages < 20; pages++ {
			page, err := r.Cases(ctx, f)
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			for _, row := range page.Rows {
				if seen[row.ID] {
					t.Errorf("search %q lists case %d twice", q, row.ID)
				}
				seen[row.ID] = true
			}
			if page.Next == "" {
				return len(seen), pages + 1
			}
			f.After = page.Next
		}
		return len(seen), pages
	}
	for _, tt := range []struct {
		q            string
		cases, pages int
	}{
		{"garcia", 1395, 7},     // dense by name
		{"okonkwo", 5, 1},       // sparse by name
		{"2026-cv-0", 1400, 7},  // dense by number
		{"2026-cv-00", 999, 5},  // sparse by number: 00001 … 00999
		{"2026-CV-01400", 1, 1}, // one number
		{" k77 ", 1, 1},         // a CMS id, whole
	} {
		if n, pages := walk(tt.q); n != tt.cases || pages != tt.pages {
			t.Errorf("search %q: %d cases in %d pages, want %d in %d", tt.q, n, pages, tt.cases, tt.pages)
		}
	}
}
