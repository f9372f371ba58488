package command_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app/command"
	"github.com/heraldhq/herald/app/store/storetest"
)

const messyEvent = `{"id":"evt_1","type":"case.updated","occurred_at":"2026-03-01T10:00:00Z","data":{"case_id":"C-1","client_id":"CL-1","current_attributes":{"status":"settlement offer received","client_email":"jane@gmial.com","client_mobile_phone":"(312) 555-0134 (cell)","next_court_date":"March 4th, 2026 at 2:30pm"}}}`

func TestNormalizeCommand(t *testing.T) {
	var out, errb bytes.Buffer
	in := strings.NewReader(messyEvent + "\n{not json\n")
	code := command.Run(context.Background(), []string{"normalize"}, func(string) string { return "" }, in, &out, &errb)
	if code != 1 {
		t.Errorf("exit = %d, want 1 because line 2 is not JSON", code)
	}
	if !strings.Contains(errb.String(), "2") {
		t.Errorf("stderr %q does not name line 2", errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("stdout has %d lines, want 1 (the good event):\n%s", len(lines), out.String())
	}
	var got struct {
		Status string `json:"status"`
		Client struct {
			Email       string `json:"email"`
			MobilePhone string `json:"mobile_phone"`
		} `json:"client"`
		Dates struct {
			NextCourtDate string `json:"next_court_date"`
		} `json:"dates"`
		Findings []struct{ Field, Code string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "settlement_offer_received" || got.Client.MobilePhone != "+13125550134" ||
		got.Dates.NextCourtDate != "2026-03-04T14:30:00-06:00" {
		t.Errorf("normalized = %+v", got)
	}
	typo := false
	for _, f := range got.Findings {
		if f.Field == "client_email" && f.Code == "suspected_typo" {
			typo = true
		}
	}
	if !typo {
		t.Errorf("findings = %+v, want suspected_typo on client_email", got.Findings)
	}
}

func TestAuditFromDB(t *testing.T) {
	db, dsn := storetest.NewDB(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `INSERT INTO sources (name, kind) VALUES ('generic', 'webhook')`); err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{messyEvent, strings.Replace(messyEvent, "settlement offer received", "Waiting on client", 1)} {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO inbound_events (source, event_id, body) VALUES ('generic', $1, $2)`,
			[]string{"a", "b"}[i], []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	r := run(ctx, map[string]string{"HERALD_DATABASE_URL": dsn}, "audit", "--from-db", "--json")
	if r.code != 0 {
		t.Fatalf("audit --from-db = %d: %s", r.code, r.stderr)
	}
	var reports []struct {
		Source   string `json:"source"`
		Records  int    `json:"records"`
		Statuses []struct {
			Raw    string `json:"raw"`
			Count  int    `json:"count"`
			Mapped bool   `json:"mapped"`
		} `json:"statuses"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &reports); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(reports) != 1 || reports[0].Source != "generic" || reports[0].Records != 2 {
		t.Fatalf("reports = %+v, want one generic report over 2 records", reports)
	}
	unmapped := 0
	for _, s := range reports[0].Statuses {
		if !s.Mapped {
			unmapped++
		}
	}
	if unmapped != 1 {
		t.Errorf("statuses = %+v, want exactly one unmapped raw value", reports[0].Statuses)
	}
}
