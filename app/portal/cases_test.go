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
