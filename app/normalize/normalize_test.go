package normalize

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/config"
)

func newTestNormalizer(t testing.TB, src Source) *Normalizer {
	t.Helper()
	sm, err := sanitize.NewStatusMap(sanitize.DefaultStatuses())
	if err != nil {
		t.Fatalf("NewStatusMap: %v", err)
	}
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatalf("load America/Chicago: %v (install tzdata)", err)
	}
	n, err := NewNormalizer(src, sm, "US", loc, "")
	if err != nil {
		t.Fatalf("NewNormalizer: %v", err)
	}
	return n
}

func loadSource(t testing.TB, name string) Source {
	t.Helper()
	src, err := LoadSource(config.SourcesFS, name)
	if err != nil {
		t.Fatalf("LoadSource(%q): %v", name, err)
	}
	return src
}

const fullEnvelope = `{"id": "evt_123", "type": "case.updated", "occurred_at": "2026-03-01T10:00:00Z",
 "data": {"case_id": "C-1", "client_id": "CL-1",
  "previous_attributes": {"status": "Intake Complete"},
  "current_attributes": {"status": "Discovery Initiated", "case_number": "2026-PI-0042",
   "client_first_name": " Jane ", "client_last_name": "Doe", "client_email": "Jane@Example.COM",
   "client_mobile_phone": "(312) 867-5309 (cell)", "preferred_language": "EN", "timezone": "America/Chicago",
   "next_court_date": "3/4/2026 9:00 AM", "next_court_event_type": "Hearing", "filing_deadline": "2026-04-01",
   "statute_of_limitations": "March 4, 2028", "attorney_id": "ATT-7", "paralegal_id": 12,
   "is_automation_paused": false}}}`

func TestNormalizeGeneric(t *testing.T) {
	n := newTestNormalizer(t, loadSource(t, "generic"))
	tests := []struct {
		name, body, wantCase string
	}{
		{"full envelope", fullEnvelope,
			`{"case_id":"C-1","client_id":"CL-1","case_number":"2026-PI-0042","status":"discovery_initiated","status_raw":"Discovery Initiated",` +
				`"client":{"first_name":"Jane","last_name":"Doe","email":"Jane@example.com","mobile_phone":"+13128675309","preferred_language":"en","timezone":"America/Chicago"},` +
				`"dates":{"next_court_date":"2026-03-04T09:00:00-06:00","filing_deadline":"2026-04-01","statute_of_limitations":"2028-03-04"},` +
				`"next_court_event_type":"hearing","case_type":null,"attorney_id":"ATT-7","paralegal_id":"12","is_automation_paused":false,"findings":[]}`},
		{"messy values", `{"data":{"case_id":"C-2","client_id":"CL-2","current_attributes":{"status":"Pre-Lit",
			"client_email":"jane@gmial.com","client_mobile_phone":"1-800-275-2273","preferred_language":"Klingon",
			"timezone":"Mars/Olympus","next_court_date":"2/30/2026","is_automation_paused":"yes"}}}`,
			`{"case_id":"C-2","client_id":"CL-2","case_number":null,"status":null,"status_raw":"Pre-Lit",` +
				`"client":{"first_name":null,"last_name":null,"email":"jane@gmial.com","mobile_phone":null,"preferred_language":null,"timezone":null},` +
				`"dates":{"next_court_date":null,"filing_deadline":null,"statute_of_limitations":null},` +
				`"next_court_event_type":null,"case_type":null,"attorney_id":null,"paralegal_id":null,"is_automation_paused":true,"findings":[` +
				`{"field":"client_email","code":"suspected_typo","raw":"jane@gmial.com","suggestion":"jane@gmail.com"},` +
				`{"field":"client_mobile_phone","code":"not_mobile","raw":"1-800-275-2273","suggestion":"+18002752273"},` +
				`{"field":"status","code":"unknown_status","raw":"Pre-Lit","suggestion":""},` +
				`{"field":"next_court_date","code":"unparseable_date","raw":"2/30/2026","suggestion":""}]}`},
		{"missing client", `{"data":{"case_id":42,"current_attributes":{"client_mobile_phone":"N/A"}}}`,
			`{"case_id":"42","client_id":null,"case_number":null,"status":null,"status_raw":null,` +
				`"client":{"first_name":null,"last_name":null,"email":null,"mobile_phone":null,"preferred_language":null,"timezone":null},` +
				`"dates":{"next_court_date":null,"filing_deadline":null,"statute_of_limitations":null},` +
				`"next_court_event_type":null,"case_type":null,"attorney_id":null,"paralegal_id":null,"is_automation_paused":null,"findings":[` +
				`{"field":"client_id","code":"missing_field","raw":"","suggestion":""}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := n.Normalize([]byte(tt.body))
			if err != nil {
				t.Fatalf("Normalize error: %v", err)
			}
			got, err := json.Marshal(res.Case)
			if err != nil {
				t.Fatalf("marshal case: %v", err)
			}
			if string(got) != tt.wantCase {
				t.Errorf("case JSON:\n got %s\nwant %s", got, tt.wantCase)
			}
			var back Case
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("unmarshal case: %v", err)
			}
			if again, _ := json.Marshal(back); string(again) != string(got) {
				t.Errorf("case JSON does not round-trip:\n got %s\nwant %s", again, got)
			}
		})
	}
}

func TestNormalizeMetadata(t *testing.T) {
	n := newTestNormalizer(t, loadSource(t, "generic"))
	res, err := n.Normalize([]byte(fullEnvelope))
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	if res.EventID != "evt_123" || res.EventType != "case.updated" {
		t.Errorf("event id, type = %q, %q; want evt_123, case.updated", res.EventID, res.EventType)
	}
	if want := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC); res.OccurredAt == nil || !res.OccurredAt.Equal(want) {
		t.Errorf("OccurredAt = %v, want %v", res.OccurredAt, want)
	}
	if got := res.Previous["status"]; got != "Intake Complete" {
		t.Errorf("Previous[status] = %v, want Intake Complete", got)
	}
	res, err = n.Normalize([]byte(`{"data":{"case_id":"C-1"}}`))
	if err != nil || res.EventID != "" || res.OccurredAt != nil {
		t.Errorf("no metadata: EventID %q, OccurredAt %v, err %v; want empty, nil, nil", res.EventID, res.OccurredAt, err)
	}
}

func TestNormalizeErrors(t *testing.T) {
	n := newTestNormalizer(t, loadSource(t, "generic"))
	tests := []struct {
		name, body      string
		wantErr         error
		line, col       int // for syntax errors
		wantCaseFinding bool
	}{
		{"not json", `hello`, ErrNotJSON, 1, 1, false},
		{"bad value on line 2", "{\"id\": 1,\n \"data\": x}", ErrNotJSON, 2, 10, false},
		{"truncated", `{"id": "a"`, ErrNotJSON, 1, 10, false},
		{"trailing data", `{"id": "a"} {}`, ErrNotJSON, 1, 13, false},
		{"array", `[1,2]`, ErrNotJSON, 0, 0, false},
		{"empty", ``, ErrNotJSON, 1, 1, false},
		{"missing case id", `{"data":{"client_id":"CL-1"}}`, ErrMissingCaseID, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := n.Normalize([]byte(tt.body))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Normalize error = %v, want %v", err, tt.wantErr)
			}
			var se *SyntaxError
			if tt.line > 0 {
				if !errors.As(err, &se) {
					t.Fatalf("error %v is not a *SyntaxError", err)
				}
				if se.Line != tt.line || se.Column != tt.col {
					t.Errorf("position = %d:%d, want %d:%d (%v)", se.Line, se.Column, tt.line, tt.col, err)
				}
			}
			if got := res.Case.HasFinding(FieldCaseID, sanitize.CodeMissingField); got != tt.wantCaseFinding {
				t.Errorf("missing_field finding for case_id = %v, want %v", got, tt.wantCaseFinding)
			}
		})
	}
}

func TestNormalizeCustomMapping(t *testing.T) {
	src, err := ParseSource([]byte(`
name: custom
kind: webhook
event_id: meta.delivery
date_order: DMY
fields:
  case_id: matter.ref
  client_id: matter.people[role=client].id
  client_mobile_phone: matter.people[role=client].phones.1
  client_email: matter.people[role=client].emails[0]
  status: matter.stage
  next_court_date: matter.court.next
status_aliases:
  Pre-Lit: investigation
`))
	if err != nil {
		t.Fatalf("ParseSource: %v", err)
	}
	n := newTestNormalizer(t, src)
	body := `{"meta":{"delivery":"d-9"},"matter":{"ref":"M-1","stage":"pre lit","court":{"next":"04/03/2026"},
		"people":[{"role":"opponent","id":"X"},{"role":"client","id":"P-2","phones":["n/a","+44 7911 123456"],"emails":["a@b.co"]}]}}`
	res, err := n.Normalize([]byte(body))
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	c := res.Case
	checks := []struct{ name, got, want string }{
		{"event id", res.EventID, "d-9"},
		{"case id", c.CaseID, "M-1"},
		{"client id", deref(c.ClientID), "P-2"},
		{"phone", deref(c.Client.MobilePhone), "+447911123456"},
		{"email", deref(c.Client.Email), "a@b.co"},
		{"status via source alias", deref(c.Status), "investigation"},
		{"DMY date", fmtDate(c.Dates.NextCourtDate), "2026-03-04"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
}

func TestParseSourceErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "name: x\nkind: webhook\nfields: {case_id: a}\nbogus: 1\n", "bogus"},
		{"bad kind", "name: x\nkind: ftp\nfields: {case_id: a}\n", "kind"},
		{"no case id", "name: x\nkind: webhook\nfields: {client_id: a}\n", "case_id is required"},
		{"unknown field", "name: x\nkind: webhook\nfields: {case_id: a, shoe_size: b}\n", "shoe_size"},
		{"bad path", "name: x\nkind: webhook\nfields: {case_id: 'a..b'}\n", "empty segment"},
		{"bad date order", "name: x\nkind: webhook\ndate_order: YMD\nfields: {case_id: a}\n", "YMD"},
		{"poll without poll", "name: x\nkind: poll\nfields: {case_id: a}\n", "poll is required"},
	}
	for _, tt := range tests {
		_, err := ParseSource([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseSource error = %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestShippedSources(t *testing.T) {
	for _, name := range []string{"generic", "clio", "poll-example"} {
		src := loadSource(t, name)
		if src.Name != name {
			t.Errorf("sources/%s.yaml has name %q, want %q", name, src.Name, name)
		}
		newTestNormalizer(t, src)
	}
	if got := loadSource(t, "poll-example").Poll.Interval; got != 5*time.Minute {
		t.Errorf("poll-example interval = %v, want 5m", got)
	}
}

func TestNormalizeClio(t *testing.T) {
	n := newTestNormalizer(t, loadSource(t, "clio"))
	body := `{"data":{"id":123,"display_number":"00042-Smith","status":"Open","updated_at":"2026-03-01T10:00:00-06:00",
		"practice_area":{"name":"Personal Injury"},
		"custom_field_values":[{"id":"cf-1","field_name":"Next Court Date","value":"2026-03-04"},
			{"id":"cf-2","field_name":"Pause Client Messages","value":true}],
		"client":{"id":987,"first_name":"John","last_name":"Smith","primary_email_address":"john@example.com","primary_phone_number":"312-867-5309"},
		"responsible_attorney":{"id":555,"name":"A. Lawyer"},"originating_attorney":{"id":556,"name":"B. Lawyer"}}}`
	res, err := n.Normalize([]byte(body))
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	c := res.Case
	checks := []struct{ name, got, want string }{
		{"case id", c.CaseID, "123"},
		{"case number", deref(c.CaseNumber), "00042-Smith"},
		{"client id", deref(c.ClientID), "987"},
		{"phone", deref(c.Client.MobilePhone), "+13128675309"},
		{"attorney", deref(c.AttorneyID), "555"},
		{"case type", deref(c.CaseType), "Personal Injury"},
		{"court date", fmtDate(c.Dates.NextCourtDate), "2026-03-04"},
		{"status raw", deref(c.StatusRaw), "Open"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if c.IsAutomationPaused == nil || !*c.IsAutomationPaused {
		t.Errorf("is_automation_paused = %v, want true", c.IsAutomationPaused)
	}
	if !c.HasFinding(FieldStatus, sanitize.CodeUnknownStatus) {
		t.Errorf("Clio status Open: want an unknown_status finding, got %v", c.Findings)
	}
	if res.EventID != "" || res.UpdatedAt == nil {
		t.Errorf("EventID %q, UpdatedAt %v; want empty and set", res.EventID, res.UpdatedAt)
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func fmtDate(d *sanitize.Date) string {
	if d == nil {
		return "<nil>"
	}
	return d.String()
}

func TestNormalizeDropsNUL(t *testing.T) {
	n := newTestNormalizer(t, loadSource(t, "generic"))
	res, err := n.Normalize([]byte(`{"data":{"case_id":"C-\u00001","current_attributes":{"client_first_name":"An\u0000a","status":"Retained"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.Case.CaseID != "C-1" || res.Case.Client.FirstName == nil || *res.Case.Client.FirstName != "Ana" {
		t.Errorf("case_id %q first name %v; want NUL characters dropped (PostgreSQL refuses them)", res.Case.CaseID, res.Case.Client.FirstName)
	}
}
