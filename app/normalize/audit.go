package normalize

import (
	"cmp"
	"errors"
	"slices"

	"github.com/heraldhq/herald/app/sanitize"
)

// Auditor measures the quality of a source's data: per canonical field how
// often it is filled, how often the value is unusable, which formats appear,
// and every raw status value. Feed it event bodies with Add (from files, or
// from stored inbound_events rows), then call Report. It is not safe for
// concurrent use.
type Auditor struct {
	n        *Normalizer
	records  int
	rejected int
	fields   map[string]*fieldTally
	statuses map[string]*StatusAudit
}

type fieldTally struct {
	filled, invalid int
	formats         map[string]int
	findings        map[string]int
}

// AuditReport is the outcome of an audit.
type AuditReport struct {
	Source string `json:"source"`
	// Records counts event bodies that were JSON objects; Rejected counts
	// the others.
	Records  int           `json:"records"`
	Rejected int           `json:"rejected"`
	Fields   []FieldAudit  `json:"fields"`
	Statuses []StatusAudit `json:"statuses"`
}

// FieldAudit describes one canonical field across all records.
type FieldAudit struct {
	Field  string `json:"field"`
	Mapped bool   `json:"mapped"`
	// Filled counts records with a real value (placeholders such as "N/A"
	// do not count); Invalid counts filled values that could not be used.
	Filled      int     `json:"filled"`
	Invalid     int     `json:"invalid"`
	FillRate    float64 `json:"fill_rate"`    // Filled / Records
	InvalidRate float64 `json:"invalid_rate"` // Invalid / Filled
	// Formats are the shapes seen, most frequent first.
	Formats []FormatCount `json:"formats"`
	// Findings counts finding codes for this field.
	Findings map[string]int `json:"findings"`
}

// FormatCount is how many values had one format.
type FormatCount struct {
	Format string `json:"format"`
	Count  int    `json:"count"`
}

// StatusAudit is one distinct raw status value.
type StatusAudit struct {
	Raw    string `json:"raw"`
	Count  int    `json:"count"`
	Mapped bool   `json:"mapped"`
	Key    string `json:"key,omitempty"`
}

// NewAuditor returns an Auditor that normalizes with n.
func NewAuditor(n *Normalizer) *Auditor {
	a := &Auditor{n: n, fields: map[string]*fieldTally{}, statuses: map[string]*StatusAudit{}}
	for _, f := range CanonicalFields {
		a.fields[f] = &fieldTally{formats: map[string]int{}, findings: map[string]int{}}
	}
	return a
}

// Add audits one event body. A body that is not a JSON object is counted as
// rejected and its error returned; a missing case_id is audited like any
// other missing field and is not an error here.
func (a *Auditor) Add(raw []byte) error {
	res, err := a.n.Normalize(raw)
	if err != nil && !errors.Is(err, ErrMissingCaseID) {
		a.rejected++
		return err
	}
	a.records++
	for field, out := range res.fields {
		t := a.fields[field]
		if out.present {
			t.filled++
		}
		if out.invalid {
			t.invalid++
		}
		if out.format != "" {
			t.formats[out.format]++
		}
	}
	for _, f := range res.Case.Findings {
		if t, ok := a.fields[f.Field]; ok {
			t.findings[f.Code]++
		}
	}
	if out := res.fields[FieldStatus]; out.raw != "" {
		s := a.statuses[out.raw]
		if s == nil {
			s = &StatusAudit{Raw: out.raw}
			if key, ok := a.n.statuses.Match(out.raw); ok {
				s.Mapped, s.Key = true, key
			}
			a.statuses[out.raw] = s
		}
		s.Count++
	}
	return nil
}

// Report summarises everything added so far.
func (a *Auditor) Report() AuditReport {
	r := AuditReport{Source: a.n.src.Name, Records: a.records, Rejected: a.rejected,
		Fields: []FieldAudit{}, Statuses: []StatusAudit{}}
	for _, f := range CanonicalFields {
		t := a.fields[f]
		_, mapped := a.n.fields[f]
		fa := FieldAudit{Field: f, Mapped: mapped, Filled: t.filled, Invalid: t.invalid,
			Formats: []FormatCount{}, Findings: map[string]int{}}
		if a.records > 0 {
			fa.FillRate = float64(t.filled) / float64(a.records)
		}
		if t.filled > 0 {
			fa.InvalidRate = float64(t.invalid) / float64(t.filled)
		}
		for format, n := range t.formats {
			fa.Formats = append(fa.Formats, FormatCount{format, n})
		}
		slices.SortFunc(fa.Formats, func(x, y FormatCount) int {
			return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Format, y.Format))
		})
		for code, n := range t.findings {
			fa.Findings[code] = n
		}
		r.Fields = append(r.Fields, fa)
	}
	for _, s := range a.statuses {
		r.Statuses = append(r.Statuses, *s)
	}
	slices.SortFunc(r.Statuses, func(x, y StatusAudit) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Raw, y.Raw))
	})
	return r
}

// findingCodes lists the codes a field audit can show, in a stable order.
var findingCodes = []string{
	sanitize.CodeMissingField, sanitize.CodeInvalidPhone, sanitize.CodeNotMobile, sanitize.CodeInvalidEmail,
	sanitize.CodeSuspectedTypo, sanitize.CodeMultipleValues, sanitize.CodeUnparseableDate, sanitize.CodeUnknownStatus,
}
