package ingest

import (
	"context"
	"testing"

	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/config"
)

// statusList is a Statuses whose list a test changes, counting loads.
type statusList struct {
	list  []sanitize.Status
	loads int
}

func (s *statusList) Load(context.Context) ([]sanitize.Status, error) {
	s.loads++
	out := make([]sanitize.Status, len(s.list))
	for i, st := range s.list { // a fresh copy, as a database read is
		st.Aliases = append([]string(nil), st.Aliases...)
		out[i] = st
	}
	return out, nil
}

func TestNormalizerIsBuiltOncePerSourceUntilStatusesChange(t *testing.T) {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	st := &statusList{list: sanitize.DefaultStatuses()}
	svc, err := New(nil, cfg, nil, st, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	generic, clio := svc.sources["generic"].mapping, svc.sources["clio"].mapping
	first, err := svc.normalizer(ctx, generic)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := svc.normalizer(ctx, generic)
	if again != first {
		t.Errorf("second event of the same source built a new normalizer; want the cached one")
	}
	other, _ := svc.normalizer(ctx, clio)
	if other == first || other.Source().Name != "clio" {
		t.Errorf("clio normalizer = %p for source %q; want its own", other, other.Source().Name)
	}
	if st.loads != 3 {
		t.Errorf("status map loads = %d, want one per event (3) so another process's change is seen", st.loads)
	}

	body := []byte(`{"id":"e1","data":{"case_id":"C-1","current_attributes":{"status":"Pre-Lit"}}}`)
	if res, _ := first.Normalize(body); res.Case.Status != nil {
		t.Fatalf("Pre-Lit before the alias = %q, want unmapped", *res.Case.Status)
	}
	st.list[3].Aliases = append(st.list[3].Aliases, "Pre-Lit") // staff map it in the portal
	after, err := svc.normalizer(ctx, generic)
	if err != nil {
		t.Fatal(err)
	}
	if after == first {
		t.Fatal("normalizer was not rebuilt after an alias was added")
	}
	if res, _ := after.Normalize(body); res.Case.Status == nil || *res.Case.Status != st.list[3].Key {
		t.Errorf("Pre-Lit after the alias = %v, want %s", res.Case.Status, st.list[3].Key)
	}
	if c, _ := svc.normalizer(ctx, clio); c == other {
		t.Errorf("clio normalizer survived the status change; want every source rebuilt")
	}
	st.list[0].Label = "Intake done" // a relabel changes matching too
	if n, _ := svc.normalizer(ctx, generic); n == after {
		t.Errorf("normalizer was not rebuilt after a label changed")
	}
}
