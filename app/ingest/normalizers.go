package ingest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/sanitize"
)

// normalizers keeps one Normalizer per source, built over the status map
// they were last built with. Staff change that map from the portal ("map to
// canonical status" adds an alias), possibly in another process, so every
// event reads the stored statuses (one small query) and the cache is
// rebuilt only when they differ from the ones it was built with. An alias
// staff just added therefore applies to the very next event.
type normalizers struct {
	mu       sync.Mutex
	statuses []sanitize.Status
	statMap  *sanitize.StatusMap
	bySource map[string]*normalize.Normalizer
}

// normalizer returns the source's normalizer over the current status map.
func (s *Service) normalizer(ctx context.Context, src normalize.Source) (*normalize.Normalizer, error) {
	list, err := s.statuses.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load statuses: %w", err)
	}
	c := &s.norms
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.statMap == nil || !sameStatuses(c.statuses, list) {
		m, err := sanitize.NewStatusMap(list)
		if err != nil {
			return nil, fmt.Errorf("status map: %w", err)
		}
		c.statuses, c.statMap, c.bySource = list, m, map[string]*normalize.Normalizer{}
	}
	if n, ok := c.bySource[src.Name]; ok {
		return n, nil
	}
	n, err := normalize.NewNormalizer(src, c.statMap, s.cfg.DefaultRegion, s.cfg.Location(), "")
	if err != nil {
		return nil, fmt.Errorf("normalizer for %s: %w", src.Name, err)
	}
	c.bySource[src.Name] = n
	return n, nil
}

func sameStatuses(a, b []sanitize.Status) bool {
	return slices.EqualFunc(a, b, func(x, y sanitize.Status) bool {
		return x.Key == y.Key && x.Label == y.Label && slices.Equal(x.Aliases, y.Aliases)
	})
}
