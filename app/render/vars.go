package render

import (
	"time"
)

// Date is a case date that remembers whether it is a calendar day (a filing
// deadline, a statute of limitations) or an instant (a hearing at 9:30).
//
// A date-only value is read by its calendar fields as stored (T.Date()) and is
// never shifted into another time zone; a datetime is shown in the client's
// time zone. The zero Date means "no date".
type Date struct {
	T        time.Time
	DateOnly bool
}

// Day returns a date-only Date for the given calendar day.
func Day(year int, month time.Month, day int) Date {
	return Date{T: time.Date(year, month, day, 0, 0, 0, 0, time.UTC), DateOnly: true}
}

// At returns a datetime Date for the instant t.
func At(t time.Time) Date {
	return Date{T: t}
}

// IsZero reports whether d holds no date.
func (d Date) IsZero() bool { return d.T.IsZero() }

// Vars are the values a message template can use. Field names map to
// template variables in snake_case (ClientFirstName → client_first_name);
// see VariableNames for the full list.
//
// Status, NewCaseStatus and OldCaseStatus hold the firm's display labels,
// not the canonical status keys.
type Vars struct {
	// Canonical case fields.
	CaseID               string
	CaseNumber           string
	ClientID             string
	ClientFirstName      string
	ClientLastName       string
	ClientEmail          string
	ClientMobilePhone    string
	PreferredLanguage    string
	Timezone             string // IANA name; empty means the firm's location
	Status               string
	NextCourtDate        Date
	NextCourtEventType   string
	FilingDeadline       Date
	StatuteOfLimitations Date
	AttorneyID           string
	ParalegalID          string

	// Event and firm values.
	NewCaseStatus         string
	OldCaseStatus         string
	EventType             string
	AssignedAttorneyName  string
	AssignedParalegalName string
	FirmName              string
	FirmPhone             string
	PortalLink            string
	// CheckinLink is the client's signed satisfaction check-in page
	// (https://<public url>/checkin/<token>); the planner sets it per
	// message. Empty when check-in links are not configured, so a template
	// that uses it fails strictly rather than sending a dead link.
	CheckinLink string

	// ConfirmInstructions is used by confirmation and check-in flows; it is
	// optional, so templates may use it without a default.
	ConfirmInstructions string
}

// variable describes one template variable and how to read it from Vars.
type variable struct {
	name     string
	optional bool // may be empty without guarding it in the template
	str      func(Vars) string
	date     func(Vars) Date
}

// variables is the one place that maps template names to Vars fields.
var variables = []variable{
	{name: "case_id", str: func(v Vars) string { return v.CaseID }},
	{name: "case_number", str: func(v Vars) string { return v.CaseNumber }},
	{name: "client_id", str: func(v Vars) string { return v.ClientID }},
	{name: "client_first_name", str: func(v Vars) string { return v.ClientFirstName }},
	{name: "client_last_name", str: func(v Vars) string { return v.ClientLastName }},
	{name: "client_email", str: func(v Vars) string { return v.ClientEmail }},
	{name: "client_mobile_phone", str: func(v Vars) string { return v.ClientMobilePhone }},
	{name: "preferred_language", str: func(v Vars) string { return v.PreferredLanguage }},
	{name: "timezone", str: func(v Vars) string { return v.Timezone }},
	{name: "status", str: func(v Vars) string { return v.Status }},
	{name: "next_court_date", date: func(v Vars) Date { return v.NextCourtDate }},
	{name: "next_court_event_type", str: func(v Vars) string { return v.NextCourtEventType }},
	{name: "filing_deadline", date: func(v Vars) Date { return v.FilingDeadline }},
	{name: "statute_of_limitations", date: func(v Vars) Date { return v.StatuteOfLimitations }},
	{name: "attorney_id", str: func(v Vars) string { return v.AttorneyID }},
	{name: "paralegal_id", str: func(v Vars) string { return v.ParalegalID }},
	{name: "new_case_status", str: func(v Vars) string { return v.NewCaseStatus }},
	{name: "old_case_status", str: func(v Vars) string { return v.OldCaseStatus }},
	{name: "event_type", str: func(v Vars) string { return v.EventType }},
	{name: "assigned_attorney_name", str: func(v Vars) string { return v.AssignedAttorneyName }},
	{name: "assigned_paralegal_name", str: func(v Vars) string { return v.AssignedParalegalName }},
	{name: "firm_name", str: func(v Vars) string { return v.FirmName }},
	{name: "firm_phone", str: func(v Vars) string { return v.FirmPhone }},
	{name: "portal_link", str: func(v Vars) string { return v.PortalLink }},
	{name: "checkin_link", str: func(v Vars) string { return v.CheckinLink }},
	{name: "confirm_instructions", optional: true, str: func(v Vars) string { return v.ConfirmInstructions }},
}

// variableIndex looks variables up by template name.
var variableIndex = func() map[string]variable {
	m := make(map[string]variable, len(variables))
	for _, v := range variables {
		m[v.name] = v
	}
	return m
}()

// VariableNames returns the names templates may use, in a stable order
// (for the editor's autocomplete and documentation).
func VariableNames() []string {
	names := make([]string, len(variables))
	for i, v := range variables {
		names[i] = v.name
	}
	return names
}

// hasValue reports whether the named variable is set in v.
func (v Vars) hasValue(name string) bool {
	def, ok := variableIndex[name]
	if !ok {
		return false
	}
	if def.date != nil {
		return !def.date(v).IsZero()
	}
	return def.str(v) != ""
}

// context builds the pongo2 context. Dates become dateValue so the filters
// know the client's zone, the language and "now"; missing values are nil so
// that `default` and `{% if %}` treat them as empty.
func (v Vars) context(fc formatContext) map[string]any {
	ctx := make(map[string]any, len(variables))
	for _, def := range variables {
		if def.date != nil {
			d := def.date(v)
			if d.IsZero() {
				ctx[def.name] = nil
				continue
			}
			ctx[def.name] = dateValue{d: d, fc: fc}
			continue
		}
		ctx[def.name] = def.str(v)
	}
	return ctx
}

// SampleVars returns realistic data for previews, lint estimates and
// development. Court and deadline dates are fixed so golden files are stable.
func SampleVars() Vars {
	ny, _ := time.LoadLocation("America/New_York")
	return Vars{
		CaseID:                "8f14e45f-ceea-4e7a-9c1b-2f4c8d0e6a11",
		CaseNumber:            "2026-CV-01482",
		ClientID:              "c-20931",
		ClientFirstName:       "Maria",
		ClientLastName:        "Alvarez",
		ClientEmail:           "maria.alvarez@example.com",
		ClientMobilePhone:     "+15555550123",
		PreferredLanguage:     "en",
		Timezone:              "America/New_York",
		Status:                "Discovery",
		NextCourtDate:         At(time.Date(2026, time.March, 16, 9, 30, 0, 0, ny)),
		NextCourtEventType:    "Status Conference",
		FilingDeadline:        Day(2026, time.April, 3),
		StatuteOfLimitations:  Day(2027, time.June, 30),
		AttorneyID:            "a-17",
		ParalegalID:           "p-42",
		NewCaseStatus:         "Discovery",
		OldCaseStatus:         "Intake Complete",
		EventType:             "Status Conference",
		AssignedAttorneyName:  "Jordan Reyes",
		AssignedParalegalName: "Sam Lee",
		FirmName:              "Reyes & Partners Law",
		FirmPhone:             "(555) 555-0100",
		PortalLink:            "https://portal.example.com/c/2026-CV-01482",
		CheckinLink:           "https://portal.example.com/checkin/AQAAAAAAAAAqAAAAAAAAAAc",
		ConfirmInstructions:   "",
	}
}
