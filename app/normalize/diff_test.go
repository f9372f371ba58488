package normalize

import (
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/sanitize"
)

func TestDiff(t *testing.T) {
	str := func(s string) *string { return &s }
	boolp := func(b bool) *bool { return &b }
	date := func(s string) *sanitize.Date {
		var d sanitize.Date
		if err := d.UnmarshalText([]byte(s)); err != nil {
			t.Fatalf("date %q: %v", s, err)
		}
		return &d
	}
	base := func() *Case {
		return &Case{CaseID: "C-1", ClientID: str("CL-1"), Status: str("intake_complete"), StatusRaw: str("Intake Complete"),
			Client:             Client{Email: str("a@example.com"), MobilePhone: str("+13128675309")},
			Dates:              Dates{NextCourtDate: date("2026-03-04T09:00:00-06:00"), FilingDeadline: date("2026-04-01")},
			IsAutomationPaused: boolp(false)}
	}
	tests := []struct {
		name       string
		old        *Case
		mutate     func(c *Case)
		wantFields []string
		check      func(t *testing.T, ch Changes)
	}{
		{"identical", base(), func(c *Case) {}, nil, func(t *testing.T, ch Changes) {
			if !ch.Empty() {
				t.Errorf("Empty() = false, want true: %+v", ch)
			}
		}},
		{"raw status respelt is no change", base(), func(c *Case) { c.StatusRaw = str("intake completed") }, nil, nil},
		{"same instant other offset is no change", base(), func(c *Case) { c.Dates.NextCourtDate = date("2026-03-04T15:00:00Z") }, nil, nil},
		{"status", base(), func(c *Case) { c.Status = str("discovery_initiated") }, []string{FieldStatus}, func(t *testing.T, ch Changes) {
			if ch.Status == nil || *ch.Status.From != "intake_complete" || *ch.Status.To != "discovery_initiated" {
				t.Errorf("Status = %+v, want intake_complete → discovery_initiated", ch.Status)
			}
		}},
		{"status cleared", base(), func(c *Case) { c.Status = nil }, []string{FieldStatus}, func(t *testing.T, ch Changes) {
			if ch.Status == nil || ch.Status.To != nil {
				t.Errorf("Status = %+v, want a change to nil", ch.Status)
			}
		}},
		{"court date moved", base(), func(c *Case) { c.Dates.NextCourtDate = date("2026-03-05T09:00:00-06:00") }, []string{FieldNextCourtDate},
			func(t *testing.T, ch Changes) {
				if len(ch.Dates) != 1 || ch.Dates[0].Field != FieldNextCourtDate || ch.Dates[0].New.Time.Day() != 5 {
					t.Errorf("Dates = %+v, want next_court_date moved to the 5th", ch.Dates)
				}
			}},
		{"date-only to datetime", base(), func(c *Case) { c.Dates.FilingDeadline = date("2026-04-01T00:00:00Z") }, []string{FieldFilingDeadline}, nil},
		{"deadline added", base(), func(c *Case) { c.Dates.StatuteOfLimitations = date("2028-03-04") }, []string{FieldStatuteOfLimitations}, nil},
		{"contact", base(), func(c *Case) { c.Client.Email = str("b@example.com"); c.Client.MobilePhone = nil },
			[]string{FieldClientEmail, FieldClientMobilePhone}, func(t *testing.T, ch Changes) {
				if len(ch.Contact) != 2 || ch.Contact[1].New != nil {
					t.Errorf("Contact = %+v, want email changed and phone removed", ch.Contact)
				}
			}},
		{"paused", base(), func(c *Case) { c.IsAutomationPaused = boolp(true) }, []string{FieldIsAutomationPaused}, func(t *testing.T, ch Changes) {
			if ch.Pause == nil || *ch.Pause.Old || !*ch.Pause.New {
				t.Errorf("Pause = %+v, want false → true", ch.Pause)
			}
		}},
		{"other fields", base(), func(c *Case) { c.AttorneyID = str("ATT-2"); c.Client.Timezone = str("America/Denver") },
			[]string{FieldTimezone, FieldAttorneyID}, nil},
		{"created", nil, func(c *Case) {}, []string{FieldCaseID, FieldClientID, FieldClientEmail, FieldClientMobilePhone, FieldStatus,
			FieldNextCourtDate, FieldFilingDeadline, FieldIsAutomationPaused}, func(t *testing.T, ch Changes) {
			if !ch.Created || ch.Status == nil || ch.Status.From != nil {
				t.Errorf("Created = %v, Status = %+v; want created with status from nil", ch.Created, ch.Status)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nw := base()
			tt.mutate(nw)
			ch := Diff(tt.old, nw)
			if !slices.Equal(ch.Fields, tt.wantFields) && !(len(ch.Fields) == 0 && len(tt.wantFields) == 0) {
				t.Errorf("Fields = %v, want %v", ch.Fields, tt.wantFields)
			}
			if tt.check != nil {
				tt.check(t, ch)
			}
		})
	}
}

func TestDiffFromNormalizedSnapshots(t *testing.T) {
	n := newTestNormalizer(t, loadSource(t, "generic"))
	oldRes, err := n.Normalize([]byte(`{"data":{"case_id":"C-1","client_id":"CL-1","current_attributes":{"status":"Intake Complete","next_court_date":"3/4/2026 9:00 AM"}}}`))
	if err != nil {
		t.Fatalf("Normalize old: %v", err)
	}
	// previous_attributes lies; Diff must ignore it.
	newRes, err := n.Normalize([]byte(`{"data":{"case_id":"C-1","client_id":"CL-1","previous_attributes":{"status":"Retained"},
		"current_attributes":{"status":"intake_complete","next_court_date":"2026-03-04T15:00:00Z"}}}`))
	if err != nil {
		t.Fatalf("Normalize new: %v", err)
	}
	if ch := Diff(&oldRes.Case, &newRes.Case); !ch.Empty() {
		t.Errorf("Diff of equivalent snapshots = %+v, want empty", ch)
	}
	_ = time.UTC
}
