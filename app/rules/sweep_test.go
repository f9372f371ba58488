package rules_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/pause"
)

func TestRemindersFollowTheCourtDate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Court on March 20 (all day) in Chicago: reminders at 09:00 CDT on the 13th and 19th.
	e.plan(e.apply(maria("discovery_initiated", day(2026, 3, 20))))
	eq(t, "scheduled", e.rows(`SELECT r.key, m.status, m.due_at FROM reminders m JOIN rules r ON r.id = m.rule_id ORDER BY m.due_at`),
		[]string{"court_reminder_7d|scheduled|2026-03-13T14:00", "court_reminder_1d|scheduled|2026-03-19T14:00"})

	// Moved to March 27: the same rows move.
	e.clk.Advance(time.Hour)
	e.plan(e.apply(maria("discovery_initiated", day(2026, 3, 27))))
	eq(t, "rescheduled", e.rows(`SELECT r.key, m.status, m.due_at, m.reason FROM reminders m JOIN rules r ON r.id = m.rule_id ORDER BY m.id`),
		[]string{"court_reminder_7d|scheduled|2026-03-20T14:00|rescheduled: date moved", "court_reminder_1d|scheduled|2026-03-26T14:00|rescheduled: date moved"})
	eq(t, "change notices", e.rows(`SELECT r.key, m.channel FROM messages m JOIN rules r ON r.id = m.rule_id WHERE r.key = 'court_date_moved' ORDER BY m.channel`),
		[]string{"court_date_moved|email", "court_date_moved|sms"})

	// Nothing is due yet.
	if n, err := e.planner.SweepReminders(ctx); err != nil || n != 0 {
		t.Fatalf("SweepReminders before due = %d, %v; want 0", n, err)
	}
	// The 7-day reminder comes due: it becomes two reminder messages, once.
	e.clk.Set(time.Date(2026, 3, 20, 14, 0, 0, 0, time.UTC))
	if n, err := e.planner.SweepReminders(ctx); err != nil || n != 1 {
		t.Fatalf("SweepReminders at due = %d, %v; want 1", n, err)
	}
	if n, err := e.planner.SweepReminders(ctx); err != nil || n != 0 {
		t.Fatalf("second SweepReminders = %d, %v; want 0", n, err)
	}
	eq(t, "reminder messages", e.rows(`SELECT channel, status, kind FROM messages WHERE kind = 'reminder' ORDER BY channel`),
		[]string{"email|pending|reminder", "sms|pending|reminder"})
	var body string
	e.db.Pool.QueryRow(ctx, `SELECT body_text FROM messages WHERE kind = 'reminder' AND channel = 'sms'`).Scan(&body)
	if body == "" {
		t.Errorf("reminder sms body is empty")
	}
	eq(t, "7-day reminder", e.rows(`SELECT m.status, m.message_id IS NOT NULL FROM reminders m JOIN rules r ON r.id = m.rule_id WHERE r.key = 'court_reminder_7d'`),
		[]string{"fired|true"})

	// The date is removed: the 1-day reminder is cancelled.
	e.plan(e.apply(maria("discovery_initiated", nil)))
	eq(t, "1-day reminder", e.rows(`SELECT m.status, m.reason FROM reminders m JOIN rules r ON r.id = m.rule_id WHERE r.key = 'court_reminder_1d'`),
		[]string{"cancelled|date removed"})
}

func TestReminderExpiresWhenTheDateHasPassed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.plan(e.apply(maria("discovery_initiated", day(2026, 3, 20))))
	// The worker was down for weeks: the reminders come due after the date.
	e.clk.Set(time.Date(2026, 3, 22, 12, 0, 0, 0, time.UTC))
	if n, err := e.planner.SweepReminders(ctx); err != nil || n != 2 {
		t.Fatalf("SweepReminders = %d, %v; want 2", n, err)
	}
	eq(t, "reminders", e.rows(`SELECT status, reason FROM reminders ORDER BY id`),
		[]string{"expired|the date has passed", "expired|the date has passed"})
	if n := len(e.rows(`SELECT 1 FROM messages WHERE kind = 'reminder'`)); n != 0 {
		t.Errorf("reminder messages = %d, want none for a past date", n)
	}
}

func TestReminderRechecksPauseWhenDue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch := e.apply(maria("discovery_initiated", day(2026, 3, 20)))
	e.plan(ch)
	if _, err := e.pauses.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: ch.CaseID, Reason: "settlement talks", Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Set(time.Date(2026, 3, 13, 14, 0, 0, 0, time.UTC))
	if _, err := e.planner.SweepReminders(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(e.rows(`SELECT 1 FROM messages WHERE kind = 'reminder'`)); n != 0 {
		t.Errorf("reminder messages = %d, want none while paused", n)
	}
	eq(t, "paused reminder", e.rows(`SELECT m.status FROM reminders m JOIN rules r ON r.id = m.rule_id WHERE r.key = 'court_reminder_7d'`),
		[]string{"cancelled"})
	eq(t, "decision", e.rows(`SELECT rule_key, result, actor FROM rule_decisions WHERE result = 'skipped_paused'`),
		[]string{"court_reminder_7d|skipped_paused|ann"})
}

func TestInactivityRepeatsOncePerPeriod(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.plan(e.apply(maria("discovery_initiated", nil)))
	sweep := func() int {
		t.Helper()
		n, err := e.planner.SweepInactivity(ctx)
		if err != nil {
			t.Fatalf("SweepInactivity: %v", err)
		}
		return n
	}
	steps := []struct {
		advance time.Duration
		want    int
		msgs    int
	}{
		{29 * 24 * time.Hour, 0, 0}, // day 29: still in the first period
		{24 * time.Hour, 1, 1},      // day 30: check in (mode first: sms only)
		{time.Hour, 0, 1},           // same period: nothing
		{10 * 24 * time.Hour, 0, 1}, // day 40: same period
		{20 * 24 * time.Hour, 1, 2}, // day 60: second period
	}
	for i, s := range steps {
		e.clk.Advance(s.advance)
		if got := sweep(); got != s.want {
			t.Errorf("step %d: SweepInactivity = %d, want %d", i, got, s.want)
		}
		if got := len(e.rows(`SELECT 1 FROM messages WHERE kind = 'checkin'`)); got != s.msgs {
			t.Errorf("step %d: check-in messages = %d, want %d", i, got, s.msgs)
		}
	}
	eq(t, "check-in channel", e.rows(`SELECT DISTINCT channel FROM messages WHERE kind = 'checkin'`), []string{"sms"})
}

func TestApprovalFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.db.Pool.Exec(ctx, `UPDATE rules SET requires_approval = true, approval_ttl_seconds = 3600 WHERE key = 'settlement_offer'`); err != nil {
		t.Fatal(err)
	}
	e.plan(e.apply(maria("settlement_offer_received", nil)))
	ids := e.rows(`SELECT id FROM messages WHERE status = 'awaiting_approval' ORDER BY channel`)
	if len(ids) != 2 {
		t.Fatalf("awaiting approval = %v, want email and sms", ids)
	}
	if len(e.wake.ids) != 0 {
		t.Errorf("wake-ups = %v, want none before approval", e.wake.ids)
	}
	var emailID, smsID int64
	e.db.Pool.QueryRow(ctx, `SELECT id FROM messages WHERE channel = 'email'`).Scan(&emailID)
	e.db.Pool.QueryRow(ctx, `SELECT id FROM messages WHERE channel = 'sms'`).Scan(&smsID)

	if err := e.planner.Discard(ctx, smsID, "ann", " "); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("Discard without note error = %v, want InvalidArgument", err)
	}
	if err := e.planner.Approve(ctx, emailID, "ann"); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if err := e.planner.Approve(ctx, emailID, "ann"); !errors.Is(err, derrors.Conflict) {
		t.Errorf("second Approve error = %v, want Conflict", err)
	}
	if err := e.planner.Discard(ctx, smsID, "ann", "I will call her"); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	eq(t, "after decisions", e.rows(`SELECT channel, status, COALESCE(approved_by, '') FROM messages ORDER BY channel`),
		[]string{"email|scheduled|ann", "sms|cancelled|"})
	if len(e.wake.ids) != 1 || e.wake.ids[0] != emailID {
		t.Errorf("wake-ups = %v, want the approved email %d", e.wake.ids, emailID)
	}

	// A second offer nobody approves lapses after the TTL.
	e.clk.Advance(time.Hour)
	e.plan(e.apply(maria("discovery_initiated", nil)))
	e.plan(e.apply(maria("settlement_offer_received", nil)))
	if n, err := e.planner.SweepApprovals(ctx); err != nil || n != 0 {
		t.Fatalf("SweepApprovals before expiry = %d, %v; want 0", n, err)
	}
	e.clk.Advance(time.Hour)
	var lateID int64
	e.db.Pool.QueryRow(ctx, `SELECT id FROM messages WHERE status = 'awaiting_approval' LIMIT 1`).Scan(&lateID)
	if err := e.planner.Approve(ctx, lateID, "ann"); !errors.Is(err, derrors.Conflict) {
		t.Errorf("Approve after the window error = %v, want Conflict", err)
	}
	if n, err := e.planner.SweepApprovals(ctx); err != nil || n != 2 {
		t.Fatalf("SweepApprovals after expiry = %d, %v; want 2", n, err)
	}
	eq(t, "audit", e.rows(`SELECT actor, action FROM audit_log WHERE target_type = 'message' ORDER BY id`),
		[]string{"ann|message.approve", "ann|message.discard", "system|message.approval_expired", "system|message.approval_expired"})
}
