package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
)

func TestTimeline(t *testing.T) {
	db, l, _, c := setup(t)
	ctx := context.Background()
	var evID, decFired int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO inbound_events (source, event_id, event_type, body, case_id, status)
		VALUES ('test', 'e1', 'case.updated', '{}', $1, 'processed') RETURNING id`, c.CaseID).Scan(&evID); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `INSERT INTO rule_decisions (case_id, client_id, inbound_event_id, rule_key, trigger, result)
		VALUES ($1, $2, $3, 'settlement_sms', 'status_transition', 'fired') RETURNING id`, c.CaseID, c.ClientID, evID).Scan(&decFired); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO rule_decisions (case_id, client_id, inbound_event_id, rule_key, trigger, result, reason)
		VALUES ($1, $2, $3, 'settlement_email', 'status_transition', 'skipped_opted_out', 'client opted out of email')`, c.CaseID, c.ClientID, evID); err != nil {
		t.Fatal(err)
	}
	id := ledgertest.Message(t, db, ledger.NewMessage{CaseID: &c.CaseID, ClientID: &c.ClientID, DecisionID: &decFired, InboundEventID: &evID,
		Channel: "sms", Recipient: c.Phone, DueAt: t0})
	cl, err := l.Claim(ctx, id, t0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Finish(ctx, id, cl.Attempt, ledger.Outcome{Status: ledger.StatusSent, At: t0, Provider: "twilio", ProviderID: "SMabc"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO provider_events (provider, provider_event_id, message_id, event_type, occurred_at)
		VALUES ('twilio', 'SMabc:delivered', $1, 'delivered', $2)`, id, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	other := ledgertest.SeedClient(t, db, "+13125550199", "", "")
	ledgertest.Message(t, db, ledger.NewMessage{ClientID: &other.ClientID, Channel: "sms", Recipient: other.Phone, DueAt: t0})

	tl, err := l.Timeline(ctx, c.ClientID, ledger.TimelineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Events) != 1 || tl.Events[0].ID != evID {
		t.Errorf("events = %+v, want the one inbound event", tl.Events)
	}
	if len(tl.Decisions) != 2 {
		t.Errorf("decisions = %d, want 2 (fired and skipped)", len(tl.Decisions))
	}
	skipped := false
	for _, d := range tl.Decisions {
		skipped = skipped || (d.Result == "skipped_opted_out" && d.Reason != "")
	}
	if !skipped {
		t.Errorf("decisions %+v lack the skipped one with its reason", tl.Decisions)
	}
	if len(tl.Messages) != 1 {
		t.Fatalf("messages = %d, want only this client's 1", len(tl.Messages))
	}
	m := tl.Messages[0]
	if len(m.Attempts) != 1 || m.Attempts[0].ProviderMessageID != "SMabc" || len(m.ProviderEvents) != 1 || m.ProviderEvents[0].EventType != "delivered" {
		t.Errorf("message history = attempts %+v events %+v, want one sent attempt and the delivered event", m.Attempts, m.ProviderEvents)
	}

	if _, err := l.Timeline(ctx, 987654, ledger.TimelineFilter{}); !errors.Is(err, derrors.NotFound) {
		t.Errorf("unknown client: err = %v, want NotFound", err)
	}
	empty, err := l.Timeline(ctx, c.ClientID, ledger.TimelineFilter{Since: time.Now().Add(time.Hour)})
	if err != nil || len(empty.Events)+len(empty.Decisions)+len(empty.Messages) != 0 {
		t.Errorf("timeline since the future = %+v, %v; want empty", empty, err)
	}
}
