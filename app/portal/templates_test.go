package portal_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/sanitize"
)

// TestPreviewVarsAreThePlannersVars: the preview renders with what a send
// would (status label, staff names, client time zone, firm values, dates).
func TestPreviewVarsAreThePlannersVars(t *testing.T) {
	db, exec := newDB(t)
	ctx := context.Background()
	exec(`INSERT INTO canonical_statuses (key, label) VALUES ('discovery_initiated', 'Discovery has started')`)
	exec(`INSERT INTO staff_users (email, name, role, cms_id) VALUES ('alex@firm.test', 'Alex Attorney', 'attorney', 'att-1'),
		('gone@firm.test', 'Gone Paralegal', 'paralegal', 'par-9')`)
	exec(`UPDATE staff_users SET active = false WHERE cms_id = 'par-9'`)
	s := func(v string) *string { return &v }
	court := time.Date(2026, 4, 7, 0, 0, 0, 0, time.UTC)
	snap := normalize.Case{CaseID: "K-1", CaseNumber: s("2026-CV-0042"), ClientID: s("cl-1"), Status: s("discovery_initiated"),
		AttorneyID: s("att-1"), ParalegalID: s("par-9"),
		Client: normalize.Client{FirstName: s("Ana"), LastName: s("Garcia"), Timezone: s("America/Denver")},
		Dates:  normalize.Dates{NextCourtDate: &sanitize.Date{Time: court, DateOnly: true}}}
	b, _ := json.Marshal(snap)
	var caseID int64
	if err := db.Pool.QueryRow(ctx, `WITH cl AS (INSERT INTO clients (source, external_id) VALUES ('generic', 'cl-1') RETURNING id)
		INSERT INTO cases (source, external_id, client_id, snapshot) SELECT 'generic', 'K-1', id, $1 FROM cl RETURNING id`, b).Scan(&caseID); err != nil {
		t.Fatal(err)
	}
	r := portal.New(db, clock.NewFake(now), time.UTC)
	v, err := r.PreviewVars(ctx, caseID, portal.FirmVars{Name: "Test Law", Phone: "+1 312 555 0100", PortalURL: "http://herald.test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, got, want string }{
		{"case number", v.CaseNumber, "2026-CV-0042"},
		{"status", v.Status, "Discovery has started"},
		{"new status", v.NewCaseStatus, "Discovery has started"},
		{"old status", v.OldCaseStatus, "Discovery has started"},
		{"attorney", v.AssignedAttorneyName, "Alex Attorney"},
		{"inactive paralegal", v.AssignedParalegalName, ""},
		{"time zone", v.Timezone, "America/Denver"},
		{"event type", v.EventType, "preview"},
		{"firm", v.FirmName + " " + v.FirmPhone + " " + v.PortalLink, "Test Law +1 312 555 0100 http://herald.test"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if !v.NextCourtDate.T.Equal(court) || !v.NextCourtDate.DateOnly {
		t.Errorf("next court date = %+v, want date-only %v", v.NextCourtDate, court)
	}
	if _, err := r.PreviewVars(ctx, caseID+99, portal.FirmVars{}); !errors.Is(err, portal.ErrCaseNotFound) {
		t.Errorf("unknown case: err = %v, want ErrCaseNotFound", err)
	}
}
