package ledger_test

import (
	"context"
	"errors"
	"fmt"
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

// TestTimelineFiltersAndSections covers replies and consent changes, the
// channel and status filters (a filter on what an entry lacks leaves that
// kind out) and bad filter values.
func TestTimelineFiltersAndSections(t *testing.T) {
	db, l, _, c := setup(t)
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO inbound_events (source, event_id, event_type, body, case_id, status, received_at)
		VALUES ('test', 'e1', 'case.updated', '{}', $1, 'processed', $2)`, c.CaseID, t0)
	exec(`INSERT INTO rule_decisions (case_id, client_id, rule_key, trigger, result, channel, created_at) VALUES
		($1, $2, 'r', 'status_transition', 'skipped_opted_out', 'email', $3),
		($1, $2, 'r', 'status_transition', 'skipped_paused', '', $3)`, c.CaseID, c.ClientID, t0)
	smsID := ledgertest.Message(t, db, sms(c))
	ledgertest.Message(t, db, ledger.NewMessage{CaseID: &c.CaseID, ClientID: &c.ClientID, Channel: "email", Recipient: c.Email, DueAt: t0})
	exec(`UPDATE messages SET status = 'delivered' WHERE id = $1`, smsID)
	exec(`INSERT INTO inbound_messages (provider, provider_message_id, client_id, case_id, channel, from_address, body, intent, created_at)
		VALUES ('twilio', 'SMin1', $1, $2, 'sms', $3, 'STOP', 'opt_out', $4)`, c.ClientID, c.CaseID, c.Phone, t0.Add(time.Minute))
	exec(`INSERT INTO consent_events (client_id, channel, address, action, source, text, created_at)
		VALUES ($1, 'sms', $2, 'opt_out', 'keyword', 'STOP', $3)`, c.ClientID, c.Phone, t0.Add(time.Minute))

	count := func(tl ledger.Timeline) string {
		return fmt.Sprintf("events %d decisions %d messages %d replies %d consent %d",
			len(tl.Events), len(tl.Decisions), len(tl.Messages), len(tl.Replies), len(tl.Consent))
	}
	for _, tt := range []struct {
		name string
		f    ledger.TimelineFilter
		want string
	}{
		{"everything", ledger.TimelineFilter{}, "events 1 decisions 2 messages 2 replies 1 consent 1"},
		{"sms: no events, no email decision", ledger.TimelineFilter{Channel: "sms"}, "events 0 decisions 1 messages 1 replies 1 consent 1"},
		{"email", ledger.TimelineFilter{Channel: "email"}, "events 0 decisions 2 messages 1 replies 0 consent 0"},
		{"status: only messages", ledger.TimelineFilter{Status: "delivered"}, "events 0 decisions 0 messages 1 replies 0 consent 0"},
		{"case: no client-wide consent", ledger.TimelineFilter{CaseID: c.CaseID}, "events 1 decisions 2 messages 2 replies 1 consent 0"},
		{"another case", ledger.TimelineFilter{CaseID: c.CaseID + 1000}, "events 0 decisions 0 messages 0 replies 0 consent 0"},
	} {
		tl, err := l.Timeline(ctx, c.ClientID, tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := count(tl); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
	tl, err := l.Timeline(ctx, c.ClientID, ledger.TimelineFilter{Channel: "sms"})
	if err != nil {
		t.Fatal(err)
	}
	if r := tl.Replies[0]; r.Body != "STOP" || r.Intent != "opt_out" || r.FromAddress != c.Phone {
		t.Errorf("reply = %+v, want the STOP text", r)
	}
	if k := tl.Consent[0]; k.Action != "opt_out" || k.Source != "keyword" || k.Address != c.Phone {
		t.Errorf("consent = %+v, want the keyword opt-out", k)
	}

	for _, tt := range []struct {
		f     ledger.TimelineFilter
		field string
	}{
		{ledger.TimelineFilter{Channel: "fax"}, "channel"},
		{ledger.TimelineFilter{Status: "lost"}, "status"},
		{ledger.TimelineFilter{Limit: 1001}, "limit"},
		{ledger.TimelineFilter{After: ledger.TimelinePos{At: t0, Kind: "memo", ID: 1}}, "after"},
	} {
		_, err := l.Timeline(ctx, c.ClientID, tt.f)
		var fe *derrors.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("filter %+v: err = %v, want a field error on %s", tt.f, err, tt.field)
		}
	}
}

// TestTimelineAfterPosition checks the keyset: entries of one instant are
// listed effect before cause and highest id first, and After skips
// exactly the entries listed up to and including the position.
func TestTimelineAfterPosition(t *testing.T) {
	db, l, _, c := setup(t)
	ctx := context.Background()
	var ids []int64
	for range 3 {
		ids = append(ids, ledgertest.Message(t, db, sms(c)))
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE messages SET created_at = $1`, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO rule_decisions (case_id, client_id, rule_key, trigger, result, created_at)
		VALUES ($1, $2, 'r', 'status_transition', 'fired', $3)`, c.CaseID, c.ClientID, t0); err != nil {
		t.Fatal(err)
	}
	// The middle message of the instant: the higher id is listed before it,
	// the lower id and the decision (a cause) after it.
	tl, err := l.Timeline(ctx, c.ClientID, ledger.TimelineFilter{After: ledger.TimelinePos{At: t0, Kind: ledger.KindMessage, ID: ids[1]}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Messages) != 1 || tl.Messages[0].ID != ids[0] || len(tl.Decisions) != 1 {
		t.Errorf("after the middle message: messages %d (first %v), decisions %d; want message %d and the decision",
			len(tl.Messages), tl.Messages, len(tl.Decisions), ids[0])
	}
	pos := ledger.TimelinePos{At: t0, Kind: ledger.KindDecision, ID: 1}
	if back, err := ledger.ParseTimelinePos(pos.String()); err != nil || back != pos {
		t.Errorf("cursor round trip = %+v, %v; want %+v", back, err, pos)
	}
	if _, err := ledger.ParseTimelinePos("12-x-3"); err == nil {
		t.Error("a cursor with an unknown kind was accepted")
	}
	msg := ledger.TimelinePos{At: t0, Kind: ledger.KindMessage, ID: 5}
	for _, tt := range []struct {
		p    ledger.TimelinePos
		want bool
	}{
		{ledger.TimelinePos{At: t0.Add(-time.Microsecond), Kind: ledger.KindConsent, ID: 99}, true},
		{ledger.TimelinePos{At: t0, Kind: ledger.KindDecision, ID: 99}, true},
		{ledger.TimelinePos{At: t0, Kind: ledger.KindMessage, ID: 4}, true},
		{ledger.TimelinePos{At: t0, Kind: ledger.KindMessage, ID: 5}, false},
		{ledger.TimelinePos{At: t0, Kind: ledger.KindReply, ID: 1}, false},
	} {
		if got := tt.p.After(msg); got != tt.want {
			t.Errorf("%v after %v = %v, want %v", tt.p, msg, got, tt.want)
		}
	}
}
