package delivery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/pause"
)

func TestDeliverHeldWhenPaused(t *testing.T) {
	tests := []struct {
		name  string
		press func(h *harness) pause.Request
	}{
		{"case paused before", func(h *harness) pause.Request {
			return pause.Request{Scope: pause.ScopeCase, CaseID: h.client.CaseID, Reason: "client in hospital", Actor: "pat@firm.test"}
		}},
		{"client paused after queueing", func(h *harness) pause.Request {
			return pause.Request{Scope: pause.ScopeClient, ClientID: h.client.ClientID, Reason: "dispute over fees", Actor: "pat@firm.test"}
		}},
		{"firm-wide pause", func(h *harness) pause.Request {
			return pause.Request{Scope: pause.ScopeFirm, Reason: "template bug", Actor: "admin@firm.test"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			id := h.sms(t) // queued first: the pause is pressed after planning
			if _, err := h.pauses.Pause(ctx, tt.press(h)); err != nil {
				t.Fatal(err)
			}
			h.deliver(t, id)
			m := h.get(t, id)
			if m.Status != ledger.StatusHeld || !strings.HasPrefix(m.HoldReason, ledger.HoldPaused) {
				t.Fatalf("message = %s %q, want held for the pause", m.Status, m.HoldReason)
			}
			if got := h.tw.Stats().Requests; got != 0 {
				t.Errorf("twilio requests = %d, want 0", got)
			}
			// Lifting the pause does not send it silently later.
			scope, caseID, clientID := tt.press(h).Scope, tt.press(h).CaseID, tt.press(h).ClientID
			if err := h.pauses.Resume(ctx, scope, caseID, clientID, "pat@firm.test", "resolved"); err != nil {
				t.Fatal(err)
			}
			h.clk.Advance(24 * time.Hour)
			if n, err := h.svc.Wake(ctx); err != nil || n != 0 {
				t.Errorf("Wake = %d, %v; want 0 (a paused hold waits for a human)", n, err)
			}
			h.deliver(t, id)
			if got := h.tw.Stats().Requests; got != 0 {
				t.Errorf("twilio requests after resume = %d, want 0 until a human releases it", got)
			}
			if _, err := h.ledger.Release(ctx, id, ledger.Actor{Name: "pat@firm.test", Role: "paralegal"}); err != nil {
				t.Fatal(err)
			}
			h.deliver(t, id)
			if got := len(h.tw.Sends()); got != 1 {
				t.Errorf("sends after release = %d, want 1", got)
			}
		})
	}
}

func TestDeliverOptedOutIsNotSent(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.consent.Record(ctx, nil, consent.Event{Channel: "sms", Address: h.client.Phone, Action: consent.OptOut,
		Source: consent.SourceKeyword, Text: "STOP"}); err != nil {
		t.Fatal(err)
	}
	id := h.sms(t)
	email := h.email(t)
	h.deliver(t, id)
	h.deliver(t, email)
	if m := h.get(t, id); m.Status != ledger.StatusCancelled || !strings.Contains(m.LastError, "opted out") {
		t.Errorf("sms = %s %q, want cancelled because opted out", m.Status, m.LastError)
	}
	if got := h.tw.Stats().Requests; got != 0 {
		t.Errorf("twilio requests = %d, want 0", got)
	}
	if m := h.get(t, email); m.Status != ledger.StatusSent {
		t.Errorf("email = %s, want sent (the opt-out was for SMS)", m.Status)
	}
}

func TestDeliverSMSWindowHoldsUntilOpen(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// 22:30 in Chicago (CST) on 2 March: after the 21:00 close.
	h.clk.Set(time.Date(2026, 3, 3, 4, 30, 0, 0, time.UTC))
	id := h.sms(t)
	email := h.email(t)
	h.deliver(t, id)
	h.deliver(t, email)
	opens := time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC) // 08:00 CST
	m := h.get(t, id)
	if m.Status != ledger.StatusHeld || !m.DueAt.Equal(opens) || !strings.HasPrefix(m.HoldReason, ledger.HoldQuietHours) {
		t.Fatalf("sms = %s due %v %q, want held for quiet hours until %v", m.Status, m.DueAt, m.HoldReason, opens)
	}
	if e := h.get(t, email); e.Status != ledger.StatusSent {
		t.Errorf("email = %s, want sent (the window is for SMS)", e.Status)
	}
	if w := h.enq.all(); len(w) != 1 || w[0].ID != id || w[0].Attempt != 2 || !w[0].At.Equal(opens) {
		t.Errorf("wake-ups = %+v, want one for %d attempt 2 at %v", w, id, opens)
	}
	h.clk.Set(opens.Add(-time.Minute))
	h.deliver(t, id)
	if got := h.tw.Stats().Requests; got != 0 {
		t.Fatalf("requests before the window opens = %d, want 0", got)
	}
	// Redis lost the wake-up: the sweep finds the held row once due.
	h.clk.Set(opens.Add(time.Minute))
	if n, err := h.svc.Wake(ctx); err != nil || n != 1 {
		t.Errorf("Wake at opening = %d, %v; want 1", n, err)
	}
	h.deliver(t, id)
	if m := h.get(t, id); m.Status != ledger.StatusSent || len(h.tw.Sends()) != 1 {
		t.Errorf("after opening: %s with %d sends, want sent once", m.Status, len(h.tw.Sends()))
	}
	if got := h.outcomes(t, id); !equal(got, []string{"held", "sent"}) {
		t.Errorf("attempts = %v, want [held sent]", got)
	}
}

func TestDeliverStaleReminderIsCancelled(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var ruleID int64
	if err := h.db.Pool.QueryRow(ctx, `INSERT INTO rules (key, name, trigger, date_field, offset_minutes)
		VALUES ('court_reminder_1d', 'Court reminder', 'date_reminder', 'next_court_date', -1440) RETURNING id`).Scan(&ruleID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		target time.Time
		want   string
	}{
		{"event passed", t0.Add(-time.Hour), ledger.StatusCancelled},
		{"event ahead", t0.Add(24 * time.Hour), ledger.StatusSent},
	}
	for _, tt := range tests {
		id := ledgertest.Message(t, h.db, ledger.NewMessage{Kind: "reminder", CaseID: &h.client.CaseID, ClientID: &h.client.ClientID,
			RuleID: &ruleID, Channel: "sms", Recipient: h.client.Phone, DueAt: t0})
		if _, err := h.db.Pool.Exec(ctx, `INSERT INTO reminders (case_id, rule_id, date_field, target_at, due_at, status, message_id)
			VALUES ($1, $2, 'next_court_date', $3, $4, 'fired', $5)`, h.client.CaseID, ruleID, tt.target, t0, id); err != nil {
			t.Fatal(err)
		}
		h.deliver(t, id)
		if m := h.get(t, id); m.Status != tt.want {
			t.Errorf("%s: status = %s (%q), want %s", tt.name, m.Status, m.LastError, tt.want)
		}
	}
	if got := len(h.tw.Sends()); got != 1 {
		t.Errorf("sends = %d, want 1 (only the reminder whose event is ahead)", got)
	}
}
