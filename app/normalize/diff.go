package normalize

import (
	"github.com/heraldhq/herald/app/sanitize"
)

// Changes is what differs between two snapshots of a case. It is computed
// only from the snapshots, never from a CMS's previous_attributes hint.
type Changes struct {
	// Created is true when there was no previous snapshot.
	Created bool          `json:"created"`
	Status  *StatusChange `json:"status,omitempty"`
	Dates   []DateChange  `json:"dates,omitempty"`
	Contact []ValueChange `json:"contact,omitempty"`
	Pause   *PauseChange  `json:"pause,omitempty"`
	// Fields lists every changed canonical field name, in CanonicalFields
	// order (all mapped non-nil fields when Created).
	Fields []string `json:"fields"`
}

// StatusChange is a move between canonical status keys; nil is no status.
type StatusChange struct {
	From *string `json:"from"`
	To   *string `json:"to"`
}

// DateChange is a change of one of Case.Dates.
type DateChange struct {
	Field string         `json:"field"`
	Old   *sanitize.Date `json:"old"`
	New   *sanitize.Date `json:"new"`
}

// ValueChange is a change of a text value such as client_email.
type ValueChange struct {
	Field string  `json:"field"`
	Old   *string `json:"old"`
	New   *string `json:"new"`
}

// PauseChange is a change of is_automation_paused.
type PauseChange struct {
	Old *bool `json:"old"`
	New *bool `json:"new"`
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool { return !c.Created && len(c.Fields) == 0 }

// Diff compares two snapshots of the same case. old may be nil (first
// snapshot). Status compares canonical keys, so a raw value re-spelt
// ("Intake Completed" → "intake complete") is not a change; dates compare as
// dates or instants, so a re-formatted date with the same meaning is not a
// change either. Findings are not compared.
func Diff(old, new *Case) Changes {
	if new == nil {
		return Changes{Fields: []string{}}
	}
	ch := Changes{Fields: []string{}}
	if old == nil {
		ch.Created = true
		old = &Case{}
	}
	if !eqStr(old.Status, new.Status) {
		ch.Status = &StatusChange{From: old.Status, To: new.Status}
	}
	for _, d := range []struct {
		field    string
		old, new *sanitize.Date
	}{
		{FieldNextCourtDate, old.Dates.NextCourtDate, new.Dates.NextCourtDate},
		{FieldFilingDeadline, old.Dates.FilingDeadline, new.Dates.FilingDeadline},
		{FieldStatuteOfLimitations, old.Dates.StatuteOfLimitations, new.Dates.StatuteOfLimitations},
	} {
		if !eqDate(d.old, d.new) {
			ch.Dates = append(ch.Dates, DateChange{Field: d.field, Old: d.old, New: d.new})
		}
	}
	for _, v := range []ValueChange{
		{FieldClientEmail, old.Client.Email, new.Client.Email},
		{FieldClientMobilePhone, old.Client.MobilePhone, new.Client.MobilePhone},
	} {
		if !eqStr(v.Old, v.New) {
			ch.Contact = append(ch.Contact, v)
		}
	}
	if !eqBool(old.IsAutomationPaused, new.IsAutomationPaused) {
		ch.Pause = &PauseChange{Old: old.IsAutomationPaused, New: new.IsAutomationPaused}
	}
	oldV, newV := fieldValues(old), fieldValues(new)
	for _, f := range CanonicalFields {
		if oldV[f] != newV[f] {
			ch.Fields = append(ch.Fields, f)
		}
	}
	return ch
}

// fieldValues renders every canonical field of c as comparable text; nil is
// "\x00" so it differs from the empty string.
func fieldValues(c *Case) map[string]string {
	s := func(p *string) string {
		if p == nil {
			return "\x00"
		}
		return *p
	}
	d := func(p *sanitize.Date) string {
		if p == nil {
			return "\x00"
		}
		if p.DateOnly {
			return p.String()
		}
		return p.Time.UTC().Format("2006-01-02T15:04:05.999999999Z")
	}
	b := "\x00"
	if c.IsAutomationPaused != nil {
		b = map[bool]string{true: "true", false: "false"}[*c.IsAutomationPaused]
	}
	caseID := c.CaseID
	if caseID == "" {
		caseID = "\x00"
	}
	return map[string]string{
		FieldCaseID: caseID, FieldCaseNumber: s(c.CaseNumber), FieldClientID: s(c.ClientID),
		FieldClientFirstName: s(c.Client.FirstName), FieldClientLastName: s(c.Client.LastName),
		FieldClientEmail: s(c.Client.Email), FieldClientMobilePhone: s(c.Client.MobilePhone),
		FieldPreferredLanguage: s(c.Client.PreferredLanguage), FieldTimezone: s(c.Client.Timezone),
		FieldStatus: s(c.Status), FieldNextCourtDate: d(c.Dates.NextCourtDate),
		FieldNextCourtEventType: s(c.NextCourtEventType), FieldFilingDeadline: d(c.Dates.FilingDeadline),
		FieldStatuteOfLimitations: d(c.Dates.StatuteOfLimitations), FieldAttorneyID: s(c.AttorneyID),
		FieldParalegalID: s(c.ParalegalID), FieldIsAutomationPaused: b, FieldCaseType: s(c.CaseType),
	}
}

func eqStr(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func eqBool(a, b *bool) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func eqDate(a, b *sanitize.Date) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}
