package rules

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/derrors"
)

// snapshot is what every plan reads and staff rarely change: the enabled
// rules, per template key the channels it exists on, per key and channel
// the language variants with their current versions, and the status labels.
type snapshot struct {
	fingerprint string
	rules       []Rule
	channels    map[string][]string
	variants    map[[2]string][]content.Template
	// labels are the canonical statuses' labels by key.
	labels map[string]string
}

// template returns the variant of template key on channel to send in
// language, as content.Store.Current chooses it (content.Pick).
func (s *snapshot) template(key, language, channel, firmDefault string) (content.Template, error) {
	return content.Pick(s.variants[[2]string{key, channel}], key, language, channel, firmDefault)
}

// snapshotCache keeps the last snapshot a planner loaded. It is shared by
// every plan of the process and read-only once stored.
type snapshotCache struct {
	mu   sync.Mutex
	last *snapshot
}

// fingerprintSQL changes whenever a row of rules, message_templates or
// canonical_statuses is inserted, updated or deleted, in any process: every
// write gives the row a new xmin (freezing keeps it), so the count and the
// sum of xmins move. It reads three small tables, where loading the
// snapshot reads every rule and every template with its current version's
// bodies.
const fingerprintSQL = `SELECT (SELECT count(*) || ':' || COALESCE(sum(xmin::text::bigint), 0) FROM rules)
	|| '/' || (SELECT count(*) || ':' || COALESCE(sum(xmin::text::bigint), 0) FROM message_templates)
	|| '/' || (SELECT count(*) || ':' || COALESCE(sum(xmin::text::bigint), 0) FROM canonical_statuses)`

// current returns the rules and templates as of now: the cached
// snapshot when nothing changed since it was loaded (one small query),
// otherwise a fresh one. The fingerprint is read before the load, so a
// change racing the load makes the next call load again; a plan never uses
// a snapshot older than the fingerprint it checked.
func (p *Planner) current(ctx context.Context) (*snapshot, error) {
	var fp string
	if err := p.db.Pool.QueryRow(ctx, fingerprintSQL).Scan(&fp); err != nil {
		return nil, fmt.Errorf("%w: check rules and templates: %w", derrors.Unavailable, err)
	}
	p.snap.mu.Lock()
	last := p.snap.last
	p.snap.mu.Unlock()
	if last != nil && last.fingerprint == fp {
		return last, nil
	}
	rules, err := Load(ctx, p.db.Pool)
	if err != nil {
		return nil, err
	}
	fams, err := p.templates.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	labels, err := statusLabels(ctx, p.db.Pool)
	if err != nil {
		return nil, err
	}
	s := &snapshot{fingerprint: fp, rules: rules, channels: map[string][]string{}, variants: map[[2]string][]content.Template{},
		labels: labels}
	for _, f := range fams {
		if !slices.Contains(s.channels[f.Key], f.Channel) {
			s.channels[f.Key] = append(s.channels[f.Key], f.Channel)
		}
		k := [2]string{f.Key, f.Channel}
		s.variants[k] = append(s.variants[k], f.Variants...)
	}
	p.snap.mu.Lock()
	p.snap.last = s
	p.snap.mu.Unlock()
	return s, nil
}
