package normalize

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/sanitize"
)

// ErrMissingCaseID is returned when an event has no case_id: without it the
// event cannot be attached to any case.
var ErrMissingCaseID = errors.New("case_id is missing")

// Normalizer turns raw event bodies from one source into canonical cases.
// It is safe for concurrent use once built.
type Normalizer struct {
	src      Source
	statuses *sanitize.StatusMap
	region   string
	dateOpts sanitize.DateOptions
	fields   map[string]Path
	meta     struct{ eventID, eventType, occurredAt, updatedAt, previous Path }
}

// Result is one normalized event.
type Result struct {
	// EventID is "" when the source sends none; the caller then dedupes on
	// a hash of the body.
	EventID    string     `json:"event_id"`
	EventType  string     `json:"event_type"`
	OccurredAt *time.Time `json:"occurred_at"`
	UpdatedAt  *time.Time `json:"updated_at"`
	// Previous is the CMS's previous_attributes hint, raw. It is for display
	// only: changes are computed by Diff from stored snapshots.
	Previous map[string]any `json:"previous_attributes"`
	Case     Case           `json:"case"`

	fields map[string]fieldOutcome
}

// fieldOutcome records how one canonical field fared, for the audit.
type fieldOutcome struct {
	present bool   // a real value was sent (not empty, not a placeholder)
	invalid bool   // present but unusable, so the canonical value is nil
	raw     string // the raw value as text
	format  string // the detected format
}

// NewNormalizer builds a Normalizer for src. The source's status_aliases are
// added to a copy of statuses. region is the default phone region ("US"),
// loc the firm's time zone for times without an offset, order the numeric
// date order; "" uses the source's date_order, then MDY.
func NewNormalizer(src Source, statuses *sanitize.StatusMap, region string, loc *time.Location, order sanitize.DateOrder) (*Normalizer, error) {
	if err := src.Validate(); err != nil {
		return nil, err
	}
	if statuses == nil {
		return nil, errors.New("normalize: status map is required")
	}
	if loc == nil {
		return nil, errors.New("normalize: firm time zone is required")
	}
	if order == "" {
		order, _ = sanitize.ParseDateOrder(src.DateOrder)
	}
	n := &Normalizer{src: src, statuses: statuses.Clone(), region: region,
		dateOpts: sanitize.DateOptions{Location: loc, Order: order}, fields: map[string]Path{}}
	for raw, key := range src.StatusAliases {
		if err := n.statuses.AddAlias(raw, key); err != nil {
			return nil, fmt.Errorf("normalize: source %q status_aliases: %w", src.Name, err)
		}
	}
	for field, p := range src.Fields {
		n.fields[field], _ = ParsePath(p) // Validate parsed every path
	}
	for _, m := range []struct {
		dst *Path
		p   string
	}{{&n.meta.eventID, src.EventID}, {&n.meta.eventType, src.EventType}, {&n.meta.occurredAt, src.OccurredAt},
		{&n.meta.updatedAt, src.UpdatedAt}, {&n.meta.previous, src.PreviousAttributes}} {
		if m.p != "" {
			*m.dst, _ = ParsePath(m.p)
		}
	}
	return n, nil
}

// Source returns the mapping the Normalizer was built with.
func (n *Normalizer) Source() Source { return n.src }

// Normalize decodes one event body and builds its canonical case. A body
// that is not a JSON object yields an error wrapping ErrNotJSON (a
// *SyntaxError with line and column when the JSON is malformed). A missing
// case_id yields the Result (with a missing_field finding) and an error
// wrapping ErrMissingCaseID; a missing client_id is only a finding, because
// the case can still be updated from a later event.
//
// Values whose problem has no finding code in the data_findings check
// constraint become nil without a finding: a preferred_language that names
// no ISO 639-1 language (messages then use the firm's default language), a
// timezone that time.LoadLocation rejects (the firm's zone is used), an
// is_automation_paused that is not a recognisable boolean, and objects or
// arrays where a scalar belongs. The audit (Auditor) still counts them as
// invalid, so they are visible. Only case_id and client_id produce
// missing_field when absent; other fields are optional.
func (n *Normalizer) Normalize(raw []byte) (Result, error) {
	body, err := decodeObject(raw)
	if err != nil {
		return Result{}, err
	}
	res := n.build(body)
	if res.Case.CaseID == "" {
		return res, fmt.Errorf("normalize: %w", ErrMissingCaseID)
	}
	return res, nil
}

func (n *Normalizer) build(body map[string]any) Result {
	res := Result{fields: map[string]fieldOutcome{}}
	c := &res.Case
	c.Findings = []sanitize.Finding{}
	res.EventID = n.metaText(n.meta.eventID, body)
	res.EventType = n.metaText(n.meta.eventType, body)
	res.OccurredAt = n.metaTime(n.meta.occurredAt, body, "occurred_at", c)
	res.UpdatedAt = n.metaTime(n.meta.updatedAt, body, "updated_at", c)
	if n.meta.previous != nil {
		if v, ok := n.meta.previous.Lookup(body); ok {
			res.Previous, _ = v.(map[string]any)
		}
	}
	for _, field := range CanonicalFields {
		p, mapped := n.fields[field]
		if !mapped {
			continue
		}
		raw, out := n.rawValue(p, body)
		findings := n.apply(c, field, raw, &out)
		c.Findings = append(c.Findings, sanitize.SetField(findings, field)...)
		res.fields[field] = out
	}
	for _, field := range []string{FieldCaseID, FieldClientID} {
		if !res.fields[field].present {
			c.Findings = append(c.Findings, sanitize.Finding{Field: field, Code: sanitize.CodeMissingField})
		}
	}
	return res
}

// rawValue looks a field up and renders it as text. Objects and arrays count
// as absent (format "object/array"): no canonical field holds one.
func (n *Normalizer) rawValue(p Path, body map[string]any) (string, fieldOutcome) {
	v, ok := p.Lookup(body)
	if !ok || v == nil {
		return "", fieldOutcome{}
	}
	s, ok := scalarString(v)
	if !ok {
		return "", fieldOutcome{format: "object/array"}
	}
	s = strings.TrimSpace(s)
	return s, fieldOutcome{present: s != "", raw: s}
}

// apply sanitizes raw into field of c and returns the findings.
func (n *Normalizer) apply(c *Case, field, raw string, out *fieldOutcome) []sanitize.Finding {
	if raw == "" {
		return nil
	}
	var findings []sanitize.Finding
	switch field {
	case FieldClientEmail:
		r := sanitize.Email(raw)
		c.Client.Email, out.format, findings = r.Address, r.Format, r.Findings
		out.present = r.Format != sanitize.EmailFormatPlaceholder
	case FieldClientMobilePhone:
		r := sanitize.Phone(raw, n.region)
		c.Client.MobilePhone, out.format, findings = r.E164, r.Format, r.Findings
		out.present = r.Format != sanitize.PhoneFormatPlaceholder
	case FieldNextCourtDate, FieldFilingDeadline, FieldStatuteOfLimitations:
		r := sanitize.ParseDate(raw, n.dateOpts)
		*n.dateField(c, field), out.format, findings = r.Date, r.Format, r.Findings
	case FieldStatus:
		c.StatusRaw = text(raw)
		key, fs := n.statuses.Sanitize(raw)
		findings = fs
		out.format = "unmapped"
		if key != "" {
			c.Status, out.format = &key, "mapped"
		}
	case FieldPreferredLanguage:
		code, ok := language(raw)
		out.format = languageFormat(raw, code, ok)
		if ok {
			c.Client.PreferredLanguage = &code
		}
	case FieldTimezone:
		name, ok := timezone(raw)
		switch {
		case !ok:
			out.format = "unrecognised"
		case name == raw:
			out.format = "IANA name"
		default:
			out.format = "informal name"
		}
		if ok {
			c.Client.Timezone = &name
		}
	case FieldIsAutomationPaused:
		b, ok := parseFlag(raw)
		out.format = "boolean"
		if ok {
			c.IsAutomationPaused = &b
		}
	case FieldCaseID:
		if t := text(raw); t != nil {
			c.CaseID = *t
		}
	case FieldNextCourtEventType:
		c.NextCourtEventType = text(strings.ToLower(raw))
	default:
		*n.textField(c, field) = text(raw)
	}
	out.invalid = out.present && n.isNil(c, field)
	return findings
}

func languageFormat(raw, code string, ok bool) string {
	switch {
	case !ok:
		return "unrecognised"
	case raw == code:
		return "ISO 639-1"
	case len(raw) == 2:
		return "ISO 639-1 (upper case)"
	case strings.ContainsAny(raw, "-_"):
		return "locale tag"
	}
	return "language name"
}

func (n *Normalizer) dateField(c *Case, field string) **sanitize.Date {
	switch field {
	case FieldNextCourtDate:
		return &c.Dates.NextCourtDate
	case FieldFilingDeadline:
		return &c.Dates.FilingDeadline
	}
	return &c.Dates.StatuteOfLimitations
}

func (n *Normalizer) textField(c *Case, field string) **string {
	switch field {
	case FieldCaseNumber:
		return &c.CaseNumber
	case FieldClientID:
		return &c.ClientID
	case FieldClientFirstName:
		return &c.Client.FirstName
	case FieldClientLastName:
		return &c.Client.LastName
	case FieldCaseType:
		return &c.CaseType
	case FieldAttorneyID:
		return &c.AttorneyID
	case FieldParalegalID:
		return &c.ParalegalID
	}
	var unused *string // FieldCaseID is a plain string, handled by apply
	return &unused
}

// isNil reports whether the canonical value of field is absent.
func (n *Normalizer) isNil(c *Case, field string) bool {
	switch field {
	case FieldCaseID:
		return c.CaseID == ""
	case FieldClientEmail:
		return c.Client.Email == nil
	case FieldClientMobilePhone:
		return c.Client.MobilePhone == nil
	case FieldNextCourtDate, FieldFilingDeadline, FieldStatuteOfLimitations:
		return *n.dateField(c, field) == nil
	case FieldStatus:
		return c.Status == nil
	case FieldPreferredLanguage:
		return c.Client.PreferredLanguage == nil
	case FieldTimezone:
		return c.Client.Timezone == nil
	case FieldIsAutomationPaused:
		return c.IsAutomationPaused == nil
	case FieldNextCourtEventType:
		return c.NextCourtEventType == nil
	}
	return *n.textField(c, field) == nil
}

func (n *Normalizer) metaText(p Path, body map[string]any) string {
	if p == nil {
		return ""
	}
	v, _ := p.Lookup(body)
	s, _ := scalarString(v)
	return strings.TrimSpace(s)
}

// metaTime parses an event timestamp; an unparseable one is reported as a
// finding on the pseudo-field name (occurred_at, updated_at).
func (n *Normalizer) metaTime(p Path, body map[string]any, name string, c *Case) *time.Time {
	s := n.metaText(p, body)
	if s == "" {
		return nil
	}
	r := sanitize.ParseDate(s, n.dateOpts)
	c.Findings = append(c.Findings, sanitize.SetField(r.Findings, name)...)
	if r.Date == nil {
		return nil
	}
	t := r.Date.Time
	if r.Date.DateOnly {
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, n.dateOpts.Location)
	}
	return &t
}
