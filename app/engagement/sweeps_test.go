package engagement_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/ledger"
)

func TestReconcileSentUpdatesStuckMessage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	stuck := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	quiet := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	sids := map[int64]string{stuck: e.msg(t, stuck).ProviderMessageID, quiet: e.msg(t, quiet).ProviderMessageID}
	e.tw.SetStatus(sids[stuck], "undelivered", 30006)
	e.tw.SetStatus(sids[quiet], "sent", 0)

	// Too early: callbacks may still come.
	if n, err := e.svc.ReconcileSent(ctx); err != nil || n != 0 {
		t.Fatalf("ReconcileSent at once = %d, %v; want 0", n, err)
	}
	if got := e.count(t, `SELECT count(*) FROM sms_status_checks`); got != 0 {
		t.Fatalf("looked up %d messages before ReconcileSentAfter", got)
	}
	e.clk.Advance(90 * time.Minute)
	n, err := e.svc.ReconcileSent(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ReconcileSent = %d, %v; want 1", n, err)
	}
	if m := e.msg(t, stuck); m.Status != ledger.StatusDead || m.DeadReason == "" {
		t.Errorf("stuck message: %s %q, want dead with Twilio's reason", m.Status, m.DeadReason)
	}
	if got := e.count(t, `SELECT count(*) FROM data_findings WHERE code = 'landline' AND case_id = $1`, e.client.CaseID); got != 1 {
		t.Errorf("landline findings = %d, want 1", got)
	}
	if got := e.msg(t, quiet).Status; got != ledger.StatusSent {
		t.Errorf("message Twilio still reports sent: %s, want sent", got)
	}
	// The next run does not look it up again until ReconcileSentAfter passes.
	if _, err := e.svc.ReconcileSent(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.count(t, `SELECT checks FROM sms_status_checks WHERE message_id = $1`, quiet); got != 1 {
		t.Errorf("checks right after = %d, want 1", got)
	}
	e.tw.SetStatus(sids[quiet], "delivered", 0)
	e.clk.Advance(61 * time.Minute)
	if n, err := e.svc.ReconcileSent(ctx); err != nil || n != 1 {
		t.Fatalf("second ReconcileSent = %d, %v; want 1", n, err)
	}
	if got := e.msg(t, quiet).Status; got != ledger.StatusDelivered {
		t.Errorf("after the second lookup: %s, want delivered", got)
	}
	// Past ReconcileMaxAge nothing is looked up any more.
	old := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	e.clk.Advance(73 * time.Hour)
	if _, err := e.svc.ReconcileSent(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.count(t, `SELECT count(*) FROM sms_status_checks WHERE message_id = $1`, old); got != 0 {
		t.Errorf("a 73h old message was looked up")
	}
}

func TestEscalation(t *testing.T) {
	hearing := t0.Add(72 * time.Hour)
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env, rid int64)
		// at is how long after t0 the sweep runs; wantTask whether a
		// "call the client" task exists afterwards.
		at       time.Duration
		wantTask bool
	}{
		{"email unopened, 3 days out", func(t *testing.T, e *env, rid int64) { e.remind(t, rid, "email") }, 0, false},
		{"email unopened, 23h out", func(t *testing.T, e *env, rid int64) { e.remind(t, rid, "email") }, 49 * time.Hour, true},
		{"email opened by a human", func(t *testing.T, e *env, rid int64) {
			id := e.remind(t, rid, "email")
			e.sendgrid(t, sgEvent(id, "o1", "open", nil))
		}, 49 * time.Hour, false},
		{"email opened only by a machine", func(t *testing.T, e *env, rid int64) {
			id := e.remind(t, rid, "email")
			e.sendgrid(t, sgEvent(id, "o1", "open", map[string]any{"sg_machine_open": true}))
		}, 49 * time.Hour, true},
		{"hearing confirmed", func(t *testing.T, e *env, rid int64) {
			e.remind(t, rid, "email")
			e.exec(t, `UPDATE cases SET hearing_confirmed_at = $2 WHERE id = $1`, e.client.CaseID, t0)
		}, 49 * time.Hour, false},
		{"sms reminder undelivered, 3 days out", func(t *testing.T, e *env, rid int64) {
			id := e.remind(t, rid, "sms")
			e.status(t, id, e.msg(t, id).ProviderMessageID, "undelivered", "30003")
		}, 0, true},
		{"sms undelivered but email opened", func(t *testing.T, e *env, rid int64) {
			id := e.remind(t, rid, "sms")
			e.status(t, id, e.msg(t, id).ProviderMessageID, "undelivered", "30003")
			e.sendgrid(t, sgEvent(e.remind(t, rid, "email"), "o1", "open", nil))
		}, 0, false},
		{"hearing passed", func(t *testing.T, e *env, rid int64) { e.remind(t, rid, "email") }, 73 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			rid := e.reminder(t)
			tt.setup(t, e, rid)
			e.clk.Set(t0.Add(tt.at))
			n, err := e.svc.Escalate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := e.count(t, `SELECT count(*) FROM staff_tasks t JOIN staff_users u ON u.id = t.assignee_staff_id
				WHERE t.title = 'Call the client about their court date' AND u.cms_id = 'P-7' AND t.case_id = $1 AND t.due_at = $2`,
				e.client.CaseID, hearing)
			if (got == 1) != tt.wantTask || n != got {
				t.Errorf("tasks = %d (created %d), want task %v", got, n, tt.wantTask)
			}
			// The sweep runs every few seconds: one task per hearing.
			if n, err := e.svc.Escalate(ctx); err != nil || n != 0 {
				t.Errorf("second Escalate = %d, %v; want 0", n, err)
			}
		})
	}
}

// remind sends a court-date reminder for reminder rid on channel.
func (e *env) remind(t testing.TB, rid int64, channel string) int64 {
	t.Helper()
	return e.send(t, channel, "court_reminder_1d/"+channel, ledger.NewMessage{Kind: "reminder",
		IdempotencyKey: fmt.Sprintf("rem:%d:court_reminder_1d:%s:x", rid, channel)})
}
