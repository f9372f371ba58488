// Package demo builds the demo firm that `herald seed --demo` loads: about
// fifty cases whose client data is deliberately messy, the staff who work
// them, and messages in every state, all pushed through the real ingest,
// rules and delivery paths so every portal page has something true to show.
package demo

import (
	"encoding/json"
	"fmt"
	"time"
)

// Staff is one demo staff member; CMSID links cases to them.
type Staff struct {
	Email, Name, Role, CMSID string
}

// StaffList is the demo firm's staff.
var StaffList = []Staff{
	{"avery.admin@herald-demo.law", "Avery Admin", "admin", ""},
	{"maria.lopez@herald-demo.law", "Maria Lopez", "attorney", "ATT-1"},
	{"james.chen@herald-demo.law", "James Chen", "attorney", "ATT-2"},
	{"priya.shah@herald-demo.law", "Priya Shah", "paralegal", "PL-1"},
	{"tom.becker@herald-demo.law", "Tom Becker", "paralegal", "PL-2"},
	{"olivia.ops@herald-demo.law", "Olivia Ops", "ops", ""},
}

var firstNames = []string{"Jane", "Carlos", "Aisha", "Robert", "Mei", "Luis", "Fatima", "Daniel", "Sofia", "Marcus",
	"Elena", "Kwame", "Hannah", "Diego", "Grace", "Omar", "Lucia", "Ethan", "Nadia", "Samuel"}
var lastNames = []string{"Doe", "Ramirez", "Khan", "Johnson", "Wong", "Hernandez", "Ali", "Murphy", "Garcia", "Brown",
	"Petrova", "Mensah", "Schmidt", "Torres", "Kim", "Haddad", "Moreno", "Walsh", "Ibrahim", "Okafor"}

// emails are written the way a busy intake team types them.
var emailShapes = []string{
	"%s.%s@gmail.com", "%s.%s@gmial.com", " %s%s@Yahoo.COM ", "mailto:%s.%s@outlook.com", "%s.%s@hotmial.com",
	"%s.%s@gmail,com", "%s_%s@icloud.com", "", "%s.%s@example.com; %s@work.example.com", "N/A",
	// The sandbox sender fails these on purpose, so the dead-letter inbox
	// and retries have something to show in the demo.
	"%s.%s.fail-permanent@example.com", "%s.%s.fail-transient@example.com", "%s.%s.fail-unknown@example.com",
}

// phones mix formats, annotations, extensions and non-mobile numbers.
var phoneShapes = []string{
	"(312) 555-01%02d (cell)", "312.555.01%02d", "+1 773 555 01%02d", "Cell: 847-555-01%02d x12", "N/A",
	"555-01%02d", "1-800-555-01%02d", "(312) 555-01%02d / (773) 555-02%02d", "mobile 630 555 01%02d", "",
	"+15005550001", "+15005550009",
}

// statusSteps is the progression a demo case walks through, in free text.
var statusSteps = [][]string{
	{"Intake Complete", "intake completed", "INTAKE - complete"},
	{"Discovery Initiated", "discovery initiated", "Discovery: initiated"},
	{"Settlement Offer Rec'd", "Settlement Offer Received", "settlement offer received"},
	{"Waiting on medical records", "Negotiation", "Trial Scheduled"},
}

// dateShapes render one instant in the formats CMS exports use.
var dateShapes = []func(t time.Time) string{
	func(t time.Time) string { return t.Format(time.RFC3339) },
	func(t time.Time) string { return t.Format("1/2/2006 3:04 PM") },
	func(t time.Time) string { return t.Format("January 2, 2006") },
	func(t time.Time) string { return "TBD" },
	func(t time.Time) string { return t.Format("20060102") },
	func(t time.Time) string { return fmt.Sprintf("/Date(%d)/", t.UnixMilli()) },
	func(t time.Time) string { return t.Format("Jan 2 2006 3:04 PM") },
}

// Event is one demo CMS webhook: its id and generic-envelope body.
type Event struct {
	ID     string
	CaseID string
	Body   []byte
}

// Events returns the demo firm's webhooks in delivery order: every case is
// created, and most then move on through later stages. now anchors court
// dates so reminders fall in the coming weeks.
func Events(now time.Time, cases int) []Event {
	var out []Event
	loc, _ := time.LoadLocation("America/Chicago")
	for i := 0; i < cases; i++ {
		steps := 1 + i%len(statusSteps)
		for step := 0; step < steps; step++ {
			out = append(out, event(i, step, now.In(loc)))
		}
	}
	return out
}

func event(i, step int, now time.Time) Event {
	first, last := firstNames[i%len(firstNames)], lastNames[(i*7)%len(lastNames)]
	caseID := fmt.Sprintf("C-%d", 1001+i)
	email := emailShapes[i%len(emailShapes)]
	switch countVerbs(email) {
	case 2:
		email = fmt.Sprintf(email, lower(first), lower(last))
	case 3:
		email = fmt.Sprintf(email, lower(first), lower(last), lower(first))
	}
	phone := phoneShapes[(i*5)%len(phoneShapes)]
	switch countVerbs(phone) {
	case 1:
		phone = fmt.Sprintf(phone, i%100)
	case 2:
		phone = fmt.Sprintf(phone, i%100, (i+1)%100)
	}
	variants := statusSteps[step]
	status := variants[i%len(variants)]
	court := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, now.Location()).AddDate(0, 0, 3+i%40+step*2)
	lang := "en"
	if i%4 == 1 {
		lang = "es"
	}
	attrs := map[string]any{
		"status":                 status,
		"case_number":            fmt.Sprintf("2026-PI-%04d", 310+i),
		"client_first_name":      first,
		"client_last_name":       last,
		"client_email":           email,
		"client_mobile_phone":    phone,
		"preferred_language":     lang,
		"timezone":               []string{"America/Chicago", "America/New_York", "", "America/Denver"}[i%4],
		"next_court_date":        dateShapes[(i+step)%len(dateShapes)](court),
		"next_court_event_type":  []string{"hearing", "status conference", "deposition", "mediation"}[i%4],
		"filing_deadline":        court.AddDate(0, 1, 0).Format("2006-01-02"),
		"statute_of_limitations": court.AddDate(1, 0, 0).Format("01/02/2006"),
		"attorney_id":            []string{"ATT-1", "ATT-2"}[i%2],
		"paralegal_id":           []string{"PL-1", "PL-2"}[(i/2)%2],
		"is_automation_paused":   i == 7,
		"case_type":              []string{"personal_injury", "workers_comp", "employment"}[i%3],
	}
	occurred := now.Add(-time.Duration(48-step*12) * time.Hour).Add(time.Duration(i) * time.Minute)
	env := map[string]any{
		"id":          fmt.Sprintf("demo-%s-%d", caseID, step),
		"type":        map[bool]string{true: "case.created", false: "case.updated"}[step == 0],
		"occurred_at": occurred.UTC().Format(time.RFC3339),
		"data": map[string]any{
			"case_id":            caseID,
			"client_id":          fmt.Sprintf("CL-%d", 2001+i),
			"current_attributes": attrs,
		},
	}
	b, _ := json.Marshal(env)
	return Event{ID: env["id"].(string), CaseID: caseID, Body: b}
}

func countVerbs(s string) int {
	n := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] != '%' {
			n++
		}
	}
	return n
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
