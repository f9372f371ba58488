package portal

import (
	"strconv"

	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/sanitize"
)

// fieldLabels are the canonical fields as staff read them.
var fieldLabels = map[string]string{
	normalize.FieldCaseID: "CMS case id", normalize.FieldCaseNumber: "Case number", normalize.FieldClientID: "CMS client id",
	normalize.FieldClientFirstName: "Client first name", normalize.FieldClientLastName: "Client last name",
	normalize.FieldClientEmail: "Client e-mail", normalize.FieldClientMobilePhone: "Client mobile phone",
	normalize.FieldPreferredLanguage: "Preferred language", normalize.FieldTimezone: "Time zone",
	normalize.FieldStatus: "Status", normalize.FieldNextCourtDate: "Next court date",
	normalize.FieldNextCourtEventType: "Court event type", normalize.FieldFilingDeadline: "Filing deadline",
	normalize.FieldStatuteOfLimitations: "Statute of limitations", normalize.FieldAttorneyID: "Attorney",
	normalize.FieldParalegalID: "Paralegal", normalize.FieldIsAutomationPaused: "Paused in the CMS",
	normalize.FieldCaseType: "Case type",
}

// FieldLabel returns the display label of a canonical field.
func FieldLabel(f string) string {
	if l, ok := fieldLabels[f]; ok {
		return l
	}
	return f
}

// fieldText renders every canonical field of c for display; a missing value
// is "".
func fieldText(c normalize.Case) map[string]string {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	d := func(p *sanitize.Date) string {
		if p == nil {
			return ""
		}
		return p.String()
	}
	b := ""
	if c.IsAutomationPaused != nil {
		b = strconv.FormatBool(*c.IsAutomationPaused)
	}
	status := s(c.Status)
	if status == "" && c.StatusRaw != nil {
		status = "(unmapped) " + *c.StatusRaw
	}
	return map[string]string{
		normalize.FieldCaseID: c.CaseID, normalize.FieldCaseNumber: s(c.CaseNumber), normalize.FieldClientID: s(c.ClientID),
		normalize.FieldClientFirstName: s(c.Client.FirstName), normalize.FieldClientLastName: s(c.Client.LastName),
		normalize.FieldClientEmail: s(c.Client.Email), normalize.FieldClientMobilePhone: s(c.Client.MobilePhone),
		normalize.FieldPreferredLanguage: s(c.Client.PreferredLanguage), normalize.FieldTimezone: s(c.Client.Timezone),
		normalize.FieldStatus: status, normalize.FieldNextCourtDate: d(c.Dates.NextCourtDate),
		normalize.FieldNextCourtEventType: s(c.NextCourtEventType), normalize.FieldFilingDeadline: d(c.Dates.FilingDeadline),
		normalize.FieldStatuteOfLimitations: d(c.Dates.StatuteOfLimitations), normalize.FieldAttorneyID: s(c.AttorneyID),
		normalize.FieldParalegalID: s(c.ParalegalID), normalize.FieldIsAutomationPaused: b, normalize.FieldCaseType: s(c.CaseType),
	}
}

// FieldChange is one field that differs between two versions.
type FieldChange struct {
	Field, Label, Old, New string
}

// diffFields lists the canonical fields that differ between old and new, in
// display order.
func diffFields(old, new map[string]string) []FieldChange {
	var out []FieldChange
	for _, f := range normalize.CanonicalFields {
		if old[f] != new[f] {
			out = append(out, FieldChange{Field: f, Label: FieldLabel(f), Old: old[f], New: new[f]})
		}
	}
	return out
}
