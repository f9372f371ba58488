package sanitize

import (
	"fmt"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Status is one canonical case status a firm uses.
type Status struct {
	Key     string   `yaml:"key" json:"key"`
	Label   string   `yaml:"label" json:"label"`
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
}

// StatusMap matches raw CMS status values to canonical status keys. Matching
// ignores case, whitespace and punctuation and is otherwise exact: a raw value
// matches a status only through its key, its label or a configured alias.
// Nothing is guessed.
type StatusMap struct {
	statuses []Status
	index    map[string]string // matchKey → status key
}

// NewStatusMap builds a StatusMap. It fails on an empty or duplicate key and
// on an alias (or label) that would match two different statuses.
func NewStatusMap(statuses []Status) (*StatusMap, error) {
	m := &StatusMap{index: map[string]string{}}
	for _, st := range statuses {
		if st.Key == "" {
			return nil, fmt.Errorf("sanitize: status with label %q has no key", st.Label)
		}
		for _, have := range m.statuses {
			if have.Key == st.Key {
				return nil, fmt.Errorf("sanitize: status %q is listed twice", st.Key)
			}
		}
		m.statuses = append(m.statuses, Status{Key: st.Key, Label: st.Label})
		for _, name := range append([]string{st.Key, st.Label}, st.Aliases...) {
			if err := m.AddAlias(name, st.Key); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// ParseStatuses reads the statuses YAML format (config/statuses.yaml): a
// top-level "statuses" list of {key, label, aliases}.
func ParseStatuses(data []byte) ([]Status, error) {
	var doc struct {
		Statuses []Status `yaml:"statuses"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("sanitize: parse statuses: %w", err)
	}
	if len(doc.Statuses) == 0 {
		return nil, fmt.Errorf("sanitize: parse statuses: no statuses listed")
	}
	return doc.Statuses, nil
}

// AddAlias makes raw values matching alias map to the status key. Adding an
// alias that already maps to key is a no-op; one that maps to another status
// is an error. An alias that is empty after dropping case, spaces and
// punctuation is ignored.
func (m *StatusMap) AddAlias(alias, key string) error {
	i := m.find(key)
	if i < 0 {
		return fmt.Errorf("sanitize: alias %q names unknown status %q", alias, key)
	}
	k := matchKey(alias)
	if k == "" {
		return nil
	}
	if have, ok := m.index[k]; ok {
		if have != key {
			return fmt.Errorf("sanitize: alias %q matches both %q and %q", alias, have, key)
		}
		return nil
	}
	m.index[k] = key
	if alias != key && alias != m.statuses[i].Label {
		m.statuses[i].Aliases = append(m.statuses[i].Aliases, alias)
	}
	return nil
}

// Match returns the canonical key for raw.
func (m *StatusMap) Match(raw string) (key string, ok bool) {
	key, ok = m.index[matchKey(raw)]
	return key, ok
}

// Sanitize matches raw and reports an unknown_status finding when it does not
// match. Empty input yields "" and no finding.
func (m *StatusMap) Sanitize(raw string) (key string, findings []Finding) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	if key, ok := m.Match(raw); ok {
		return key, nil
	}
	return "", []Finding{{Code: CodeUnknownStatus, Raw: raw}}
}

// Statuses returns the statuses with every alias added so far.
func (m *StatusMap) Statuses() []Status {
	out := make([]Status, len(m.statuses))
	for i, st := range m.statuses {
		st.Aliases = append([]string(nil), st.Aliases...)
		out[i] = st
	}
	return out
}

// Label returns the label of the status key, or "" when there is none.
func (m *StatusMap) Label(key string) string {
	if i := m.find(key); i >= 0 {
		return m.statuses[i].Label
	}
	return ""
}

// Clone returns an independent copy, so per-source aliases can be added
// without changing the firm-wide map.
func (m *StatusMap) Clone() *StatusMap {
	c := &StatusMap{statuses: m.Statuses(), index: make(map[string]string, len(m.index))}
	for k, v := range m.index {
		c.index[k] = v
	}
	return c
}

func (m *StatusMap) find(key string) int {
	for i, st := range m.statuses {
		if st.Key == key {
			return i
		}
	}
	return -1
}

// matchKey lower-cases s and keeps only letters and digits, so
// "Settlement Offer Rec'd", "settlement_offer_recd" and " SETTLEMENT-OFFER RECD "
// compare equal.
func matchKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
