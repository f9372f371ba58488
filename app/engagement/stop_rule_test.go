package engagement_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/rules"
)

// TestStopHoldsLaterRuleSMSAndStartRestores proves STOP with what the
// issue asks for: a rule firing after the STOP sends the number nothing,
// and after START the same rule's SMS is sent.
func TestStopHoldsLaterRuleSMSAndStartRestores(t *testing.T) {
	e := newCheckinEnv(t)
	ctx := context.Background()
	if _, err := rules.Seed(ctx, e.db, []byte(`rules:
  - key: sms_on_discovery
    name: Text when discovery starts
    trigger: status_transition
    to_status: discovery_initiated
    actions:
      - {type: send, template: case_update_checkin, channels: [sms]}
`)); err != nil {
		t.Fatal(err)
	}
	const mobile = "+13125550177"
	events := 0
	move := func(status string) {
		t.Helper()
		s := func(v string) *string { return &v }
		events++
		var evID int64
		if err := e.db.Pool.QueryRow(ctx, `INSERT INTO inbound_events (source, event_id, body) VALUES ('test', $1, '{}') RETURNING id`,
			fmt.Sprintf("stop-ev-%d", events)).Scan(&evID); err != nil {
			t.Fatal(err)
		}
		at := e.clk.Now()
		ch, err := e.cases.Apply(ctx, "test", evID, normalize.Case{CaseID: "STOP-1", ClientID: s("cl-stop"), CaseNumber: s("PI-7"),
			Status: s(status), Client: normalize.Client{FirstName: s("Luz"), MobilePhone: s(mobile), Timezone: s("America/Chicago")}}, &at)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.planner.Plan(ctx, ch); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(11 * time.Minute) // past the settle window
		rows, err := e.db.Pool.Query(ctx, `SELECT id FROM messages WHERE recipient = $1 AND status IN ('pending', 'scheduled')`, mobile)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if err := e.delivery.Deliver(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	sentTo := func() int {
		n := 0
		for _, s := range e.tw.Sends() {
			if s.To == mobile {
				n++
			}
		}
		return n
	}

	move("intake_complete")
	e.inboundSID(t, "SMstop1", mobile, "STOP", "")
	move("discovery_initiated")
	if got := sentTo(); got != 0 {
		t.Fatalf("Twilio received %d SMS for the number after STOP, want 0", got)
	}
	// The planner saw the opt-out: the rule's decision is a recorded skip,
	// and no message to the number exists.
	if got := e.count(t, `SELECT count(*) FROM rule_decisions d JOIN rules r ON r.id = d.rule_id
		WHERE r.key = 'sms_on_discovery' AND d.result <> 'fired'`); got != 1 {
		t.Errorf("skipped decisions for the SMS rule after STOP = %d, want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM messages WHERE recipient = $1`, mobile); got != 0 {
		t.Errorf("messages to the number after STOP = %d, want 0", got)
	}

	e.inboundSID(t, "SMstart1", mobile, "START", "")
	move("intake_complete")
	move("discovery_initiated")
	if got := sentTo(); got != 1 {
		t.Errorf("Twilio received %d SMS for the number after START, want 1 (the rule fired again)", got)
	}
}
