package ingest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/pause"
)

// gone is an Enricher that reports the record deleted while deleted is set
// and otherwise fetches case C-1 (or the case the webhook names).
type gone struct{ deleted map[string]bool }

func (g gone) Enrich(_ context.Context, _ string, raw []byte) ([]byte, error) {
	id := "C-1"
	if strings.Contains(string(raw), `"C-2"`) {
		id = "C-2"
	}
	if g.deleted[id] {
		return nil, &ingest.DeletedError{CaseID: id, Detail: "the CMS answers 404; restore it in the CMS if that was a mistake"}
	}
	return event("", "", id, map[string]any{"status": "Retained", "case_number": "N-" + id}), nil
}

func TestProcessDeletedRecordIsAFindingNotAFailure(t *testing.T) {
	g := gone{deleted: map[string]bool{}}
	e := newEnv(t, ingest.Options{Enricher: g})
	pauses := pause.New(e.db, e.clock)
	e.svc = e.build(t, e.db, ingest.Options{Enricher: g, Enqueuer: e.enq, Pauser: pauses})
	ctx := context.Background()
	first, err := e.process(t, e.accept(t, event("evt_1", "", "C-1", nil)))
	if err != nil || first.Result != ingest.ResultProcessed {
		t.Fatalf("first event = %+v, %v; want processed", first, err)
	}

	g.deleted["C-1"] = true
	for i, evt := range []string{"evt_2", "evt_3"} { // a deletion, then a redelivered webhook about it
		id := e.accept(t, event(evt, "", "C-1", nil))
		out, err := e.process(t, id)
		if err != nil || out.Result != ingest.ResultDeleted || out.CaseID != first.CaseID {
			t.Fatalf("event %d about the deleted case = %+v, %v; want deleted on case %d, no error", i, out, err, first.CaseID)
		}
		r := e.row(t, id)
		if r.Status != "processed" || r.RetryAt != nil || r.CaseID == nil || *r.CaseID != first.CaseID ||
			!strings.Contains(r.Error, "was deleted in the CMS") {
			t.Errorf("event row = %+v, want processed on the case with the deletion as its note and no retry", r)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM data_findings WHERE case_id = $1 AND code = $2 AND field = 'case_id'
		AND resolved_at IS NULL AND raw = 'C-1' AND suggestion LIKE '%restore it%'`, first.CaseID, cases.CodeCMSDeleted); n != 1 {
		t.Errorf("open cms_deleted findings = %d, want 1", n)
	}
	st, err := pauses.Check(ctx, first.CaseID, 0)
	if err != nil || !st.Paused || st.Scope != pause.ScopeCase || st.By != "herald" || !strings.Contains(st.Reason, "C-1 was deleted") {
		t.Errorf("pause state = %+v, %v; want the case paused by herald naming the deletion", st, err)
	}

	// A deletion Herald never saw the case for: processed, nothing recorded.
	g.deleted["C-2"] = true
	id := e.accept(t, event("evt_4", "", "C-2", nil))
	if out, err := e.process(t, id); err != nil || out.Result != ingest.ResultDeleted || out.CaseID != 0 {
		t.Errorf("deleted unknown case = %+v, %v; want deleted with no case", out, err)
	}
	if r := e.row(t, id); r.Status != "processed" || r.CaseID != nil {
		t.Errorf("event row = %+v, want processed without a case", r)
	}

	// Restored in the CMS: the next version resolves the finding; the pause
	// waits for a human.
	delete(g.deleted, "C-1")
	if out, err := e.process(t, e.accept(t, event("evt_5", "", "C-1", nil))); err != nil || out.Result != ingest.ResultProcessed {
		t.Fatalf("event after restore = %+v, %v; want processed", out, err)
	}
	if n := e.count(t, `SELECT count(*) FROM data_findings WHERE code = 'cms_deleted' AND resolved_at IS NULL`); n != 0 {
		t.Errorf("open cms_deleted findings after restore = %d, want 0", n)
	}
	if st, _ := pauses.Check(ctx, first.CaseID, 0); !st.Paused {
		t.Errorf("pause lifted by itself after restore; want it kept for staff to resume")
	}
	if _, err := e.cases.Get(ctx, first.CaseID); err != nil {
		t.Errorf("case after restore: %v", err)
	}
}
