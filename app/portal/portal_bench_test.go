package portal_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/portal/portaltest"
)

// BenchmarkCases times the case list read model over 100,000 cases: the
// first page, searches, each filter and a page 90,000 cases deep.
func BenchmarkCases(b *testing.B) {
	db, fx := portaltest.BenchDB(b)
	ctx := context.Background()
	r := portal.New(db, clock.NewFake(portaltest.Now), time.UTC)
	var deep portal.CaseRow
	if err := db.Pool.QueryRow(ctx, `SELECT id, updated_at FROM cases ORDER BY updated_at DESC, id DESC OFFSET 90000 LIMIT 1`).
		Scan(&deep.ID, &deep.UpdatedAt); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		f    portal.CaseFilter
	}{
		{"first-page", portal.CaseFilter{}},
		{"search-common-name", portal.CaseFilter{Q: fx.CommonName}},
		{"search-rare-name", portal.CaseFilter{Q: fx.RareName}},
		{"search-case-number", portal.CaseFilter{Q: fx.CaseNumberPrefix}},
		{"status", portal.CaseFilter{Status: fx.Status}},
		{"attorney", portal.CaseFilter{Attorney: fx.Attorney}},
		{"paused", portal.CaseFilter{Paused: "yes"}},
		{"not-paused", portal.CaseFilter{Paused: "no"}},
		{"has-findings", portal.CaseFilter{HasFindings: true}},
		{"deep-page", portal.CaseFilter{After: deep.Cursor()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat portaltest.Latencies
			for b.Loop() {
				lat.Time(func() {
					page, err := r.Cases(ctx, bc.f)
					if err != nil || len(page.Rows) == 0 {
						b.Fatalf("cases %+v: %d rows, %v", bc.f, len(page.Rows), err)
					}
				})
			}
			portaltest.Report(b, lat, nil)
		})
	}
}

// BenchmarkTimeline times the newest page and a page deep into the
// timeline of a client with 10,000 messages.
func BenchmarkTimeline(b *testing.B) {
	db, fx := portaltest.BenchDB(b)
	ctx := context.Background()
	r := portal.New(db, clock.NewFake(portaltest.Now), time.UTC)
	first, err := r.Timeline(ctx, fx.BusyClientID, portal.TimelineFilter{})
	if err != nil || first.Next == "" {
		b.Fatalf("timeline: next %q, %v", first.Next, err)
	}
	for _, bc := range []struct {
		name string
		f    portal.TimelineFilter
	}{
		{"newest", portal.TimelineFilter{}},
		{"older", portal.TimelineFilter{After: first.Next}},
		{"sms-delivered", portal.TimelineFilter{Channel: "sms", Status: "delivered"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat portaltest.Latencies
			for b.Loop() {
				lat.Time(func() {
					t, err := r.Timeline(ctx, fx.BusyClientID, bc.f)
					if err != nil || len(t.Entries) != portal.TimelinePageSize {
						b.Fatalf("timeline %+v: %d entries, %v", bc.f, len(t.Entries), err)
					}
				})
			}
			portaltest.Report(b, lat, nil)
		})
	}
}
