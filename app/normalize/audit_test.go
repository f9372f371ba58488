package normalize

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

const auditInput = `{"data":{"case_id":"C-1","client_id":"CL-1","current_attributes":{"status":"Intake Complete","client_mobile_phone":"(312) 867-5309","client_email":"a@example.com","next_court_date":"3/4/2026"}}}
{"data":{"case_id":"C-2","client_id":"CL-2","current_attributes":{"status":"Pre-Lit","client_mobile_phone":"+13128675309","client_email":"b@gmial.com","next_court_date":"2026-03-04T09:00:00Z"}}}
{"data":{"case_id":"C-3","client_id":"CL-3","current_attributes":{"status":"intake complete","client_mobile_phone":"N/A","client_email":"nope","next_court_date":"TBD"}}}
not json
{"data":{"case_id":"C-4","current_attributes":{"status":"Pre-Lit","client_mobile_phone":"555-1234 (cell)"}}}
`

func TestAuditor(t *testing.T) {
	n := newTestNormalizer(t, loadSource(t, "generic"))
	a := NewAuditor(n)
	for _, l := range strings.Split(strings.TrimSpace(auditInput), "\n") {
		_ = a.Add([]byte(l))
	}
	r := a.Report()
	if r.Records != 4 || r.Rejected != 1 {
		t.Fatalf("records, rejected = %d, %d; want 4, 1", r.Records, r.Rejected)
	}
	byField := map[string]FieldAudit{}
	for _, f := range r.Fields {
		byField[f.Field] = f
	}
	tests := []struct {
		field           string
		filled, invalid int
		formats         string
	}{
		{FieldClientMobilePhone, 3, 1, "(ddd) ddd-dddd ×1, +E.164 ×1, ddd-dddd with annotation ×1, placeholder ×1"},
		{FieldClientEmail, 3, 1, "plain ×2, invalid ×1"},
		{FieldNextCourtDate, 3, 1, "RFC 3339 ×1, m/d/yyyy ×1, placeholder ×1"},
		{FieldClientID, 3, 0, ""},
		{FieldStatus, 4, 2, "mapped ×2, unmapped ×2"},
	}
	for _, tt := range tests {
		f := byField[tt.field]
		var formats []string
		for _, fc := range f.Formats {
			formats = append(formats, fc.Format+" ×"+itoa(fc.Count))
		}
		if f.Filled != tt.filled || f.Invalid != tt.invalid || strings.Join(formats, ", ") != tt.formats {
			t.Errorf("%s: filled %d invalid %d formats %q; want %d, %d, %q", tt.field, f.Filled, f.Invalid,
				strings.Join(formats, ", "), tt.filled, tt.invalid, tt.formats)
		}
	}
	if got := byField[FieldClientID].Findings["missing_field"]; got != 1 {
		t.Errorf("client_id missing_field count = %d, want 1", got)
	}
	wantStatuses := []StatusAudit{
		{Raw: "Pre-Lit", Count: 2}, {Raw: "Intake Complete", Count: 1, Mapped: true, Key: "intake_complete"},
		{Raw: "intake complete", Count: 1, Mapped: true, Key: "intake_complete"},
	}
	if len(r.Statuses) != len(wantStatuses) {
		t.Fatalf("statuses = %+v, want %+v", r.Statuses, wantStatuses)
	}
	for i := range wantStatuses {
		if r.Statuses[i] != wantStatuses[i] {
			t.Errorf("statuses[%d] = %+v, want %+v", i, r.Statuses[i], wantStatuses[i])
		}
	}
}

func TestRunAudit(t *testing.T) {
	file := writeFile(t, "events.jsonl", auditInput)
	var stdout, stderr bytes.Buffer
	code := RunAudit(context.Background(), []string{"--source", "generic", file}, nil, &stdout, &stderr, noEnv)
	if code != 0 {
		t.Fatalf("exit = %d, want 0 (stderr %s)", code, stderr.String())
	}
	md := stdout.String()
	for _, want := range []string{
		"# Data audit: generic",
		"4 records, 1 rejected",
		"| client_mobile_phone | 75.0% (3/4) | 33.3% (1/3) | (ddd) ddd-dddd ×1, +E.164 ×1, ddd-dddd with annotation ×1, placeholder ×1 | invalid_phone ×1 |",
		"| client_email | 75.0% (3/4) | 33.3% (1/3) | plain ×2, invalid ×1 | invalid_email ×1, suspected_typo ×1 |",
		"| Pre-Lit | 2 | unmapped |",
		"| Intake Complete | 1 | → intake_complete |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown report missing %q:\n%s", want, md)
		}
	}
	if !strings.Contains(stderr.String(), "events.jsonl:4:") {
		t.Errorf("stderr = %q, want the rejected line 4 named", stderr.String())
	}

	stdout.Reset()
	code = RunAudit(context.Background(), []string{"--json", "--source", "generic", "-"}, strings.NewReader(auditInput), &stdout, &stderr, noEnv)
	if code != 0 {
		t.Fatalf("--json exit = %d, want 0", code)
	}
	var r AuditReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("--json output is not an AuditReport: %v\n%s", err, stdout.String())
	}
	if r.Source != "generic" || r.Records != 4 || len(r.Fields) != len(CanonicalFields) || len(r.Statuses) != 3 {
		t.Errorf("JSON report = source %q, %d records, %d fields, %d statuses; want generic, 4, %d, 3",
			r.Source, r.Records, len(r.Fields), len(r.Statuses), len(CanonicalFields))
	}

	if code := RunAudit(context.Background(), []string{"--source", "generic"}, nil, &stdout, &stderr, noEnv); code != 2 {
		t.Errorf("no files: exit = %d, want 2", code)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
