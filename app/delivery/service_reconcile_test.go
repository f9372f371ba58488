package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/app/ledger"
)

func TestTimeoutAfterSendIsReconciledNotResent(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.sms(t)
	h.tw.Enqueue(providertest.Step{Behavior: providertest.AcceptThenHang})
	h.deliver(t, id)
	m := h.get(t, id)
	if m.Status != ledger.StatusOutcomeUnknown {
		t.Fatalf("after a timeout past the write: %s, want outcome_unknown", m.Status)
	}
	for range 3 {
		h.clk.Advance(time.Hour)
		h.deliver(t, id)
		if _, err := h.svc.Wake(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.tw.Stats().Requests; got != 1 {
		t.Fatalf("twilio requests = %d, want 1: an unknown outcome is never re-sent", got)
	}
	sends := h.tw.Sends()
	if len(sends) != 1 {
		t.Fatalf("fake recorded %d sends, want 1", len(sends))
	}
	// Twilio's status callback carries ?mid=<id> and the SID; the callback
	// handler attaches it, and reconciliation looks the message up.
	if ok, err := h.ledger.AttachProviderID(ctx, id, "twilio", sends[0].SID); err != nil || !ok {
		t.Fatalf("AttachProviderID = %v, %v", ok, err)
	}
	h.tw.SetStatus(sends[0].SID, "delivered", 0)
	n, err := h.svc.Reconcile(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want 1", n, err)
	}
	m = h.get(t, id)
	if m.Status != ledger.StatusDelivered || m.ReconciledAt == nil {
		t.Errorf("after reconcile: %s reconciled %v, want delivered and reconciled", m.Status, m.ReconciledAt)
	}
	if got := h.tw.Stats().Requests; got != 1 {
		t.Errorf("twilio send requests = %d, want still 1", got)
	}
}

func TestReconcileOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		sid         func(h *harness) string // "" = never learnt
		advance     time.Duration
		wantStatus  string
		wantHuman   bool
		wantSettled int
	}{
		{"unknown to twilio", func(*harness) string { return "SM00000000000000000000000000000000" }, 0, ledger.StatusDead, false, 1},
		{"failed at twilio", func(h *harness) string {
			sid := h.tw.Sends()[0].SID
			h.tw.SetStatus(sid, "undelivered", 30006)
			return sid
		}, 0, ledger.StatusDead, false, 1},
		{"no provider id yet, within grace", func(*harness) string { return "" }, time.Minute, ledger.StatusOutcomeUnknown, false, 0},
		{"no provider id after grace", func(*harness) string { return "" }, 11 * time.Minute, ledger.StatusOutcomeUnknown, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			id := h.sms(t)
			h.tw.Enqueue(providertest.Step{Behavior: providertest.AcceptThenReset})
			h.deliver(t, id)
			if m := h.get(t, id); m.Status != ledger.StatusOutcomeUnknown {
				t.Fatalf("status = %s, want outcome_unknown", m.Status)
			}
			if sid := tt.sid(h); sid != "" {
				if _, err := h.ledger.AttachProviderID(ctx, id, "twilio", sid); err != nil {
					t.Fatal(err)
				}
			}
			h.clk.Advance(tt.advance)
			n, err := h.svc.Reconcile(ctx)
			if err != nil || n != tt.wantSettled {
				t.Fatalf("Reconcile = %d, %v; want %d", n, err, tt.wantSettled)
			}
			m := h.get(t, id)
			if m.Status != tt.wantStatus || (m.ReconciledAt != nil) != (tt.wantSettled == 1) {
				t.Errorf("message = %s reconciled %v, want %s", m.Status, m.ReconciledAt, tt.wantStatus)
			}
			if tt.wantStatus == ledger.StatusDead && m.DeadReason == "" {
				t.Errorf("dead without a reason")
			}
			dl, _ := h.ledger.DeadLetters(ctx, ledger.DeadFilter{})
			if inInbox := len(dl.Items) == 1; inInbox != (tt.wantStatus != ledger.StatusSent) {
				t.Errorf("in dead-letter inbox = %v", inInbox)
			}
			if got := h.tw.Stats().Requests; got != 1 {
				t.Errorf("send requests = %d, want 1", got)
			}
		})
	}
}

func TestCrashedWorkerLeaseExpiresToOutcomeUnknown(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.sms(t)
	// A worker claims and dies before the provider answers.
	if _, err := h.ledger.Claim(ctx, id, h.clk.Now(), h.cfg.Lease+5*time.Minute); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Minute)
	if n, err := h.svc.Reconcile(ctx); err != nil || n != 0 {
		t.Fatalf("Reconcile within the lease = %d, %v; want 0", n, err)
	}
	h.clk.Advance(time.Hour)
	if n, err := h.svc.Reconcile(ctx); err != nil || n != 1 {
		t.Fatalf("Reconcile after the lease = %d, %v; want 1", n, err)
	}
	if m := h.get(t, id); m.Status != ledger.StatusOutcomeUnknown {
		t.Fatalf("status = %s, want outcome_unknown", m.Status)
	}
	if _, err := h.svc.Wake(ctx); err != nil {
		t.Fatal(err)
	}
	h.deliver(t, id)
	if got := h.tw.Stats().Requests; got != 0 {
		t.Errorf("twilio requests = %d, want 0: a crashed send is not re-sent automatically", got)
	}
	if w := h.enq.all(); len(w) != 0 {
		t.Errorf("wake-ups = %+v, want none", w)
	}
}
