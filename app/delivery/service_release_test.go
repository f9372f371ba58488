package delivery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
)

// nightHold puts an SMS on hold for the window: 22:30 in Chicago.
func nightHold(t *testing.T, h *harness) int64 {
	t.Helper()
	h.clk.Set(time.Date(2026, 3, 3, 4, 30, 0, 0, time.UTC))
	id := h.sms(t)
	h.deliver(t, id)
	if m := h.get(t, id); m.Status != ledger.StatusHeld || !strings.HasPrefix(m.HoldReason, ledger.HoldQuietHours) {
		t.Fatalf("setup: sms = %s %q, want held for the window", m.Status, m.HoldReason)
	}
	return id
}

func TestSendNowBypassesOnlyTheWindow(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	admin := ledger.Actor{Name: "ada@firm.test", Role: "admin"}
	id := nightHold(t, h)
	if _, err := h.svc.Release(ctx, id, admin); !errors.Is(err, derrors.Conflict) || !strings.Contains(err.Error(), "SMS window") {
		t.Errorf("Release of a window hold = %v, want a conflict naming the SMS window", err)
	}
	if _, err := h.svc.SendNow(ctx, id, admin, " "); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("SendNow without a reason = %v, want InvalidArgument", err)
	}
	m, err := h.svc.SendNow(ctx, id, admin, "hearing moved to 8am")
	if err != nil {
		t.Fatal(err)
	}
	if w := h.enq.all(); len(w) == 0 || w[len(w)-1].ID != id || !w[len(w)-1].At.IsZero() {
		t.Errorf("wake-ups = %+v, want an immediate one for %d", w, id)
	}
	h.deliver(t, id) // still 22:30: the window is closed
	if got := h.get(t, id); got.Status != ledger.StatusSent || len(h.tw.Sends()) != 1 {
		t.Errorf("after SendNow: %s with %d sends, want sent once at night", got.Status, len(h.tw.Sends()))
	}
	if m.HoldReason != "window_released: hearing moved to 8am" {
		t.Errorf("released hold reason = %q", m.HoldReason)
	}

	// The override is for the window only: a pause pressed after it holds
	// the message at send time, and SendNow refuses under a pause or an
	// opt-out.
	id2 := nightHold(t, h)
	if _, err := h.svc.SendNow(ctx, id2, admin, "urgent"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pauses.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: h.client.CaseID, Reason: "settlement talks", Actor: "att@firm.test"}); err != nil {
		t.Fatal(err)
	}
	h.deliver(t, id2)
	if got := h.get(t, id2); got.Status != ledger.StatusHeld || !strings.HasPrefix(got.HoldReason, ledger.HoldPaused) {
		t.Errorf("window-released message under a pause = %s %q, want held for the pause", got.Status, got.HoldReason)
	}
	if err := h.pauses.Resume(ctx, pause.ScopeCase, h.client.CaseID, 0, "att@firm.test", "done"); err != nil {
		t.Fatal(err)
	}
	id3 := nightHold(t, h)
	if err := h.consent.Record(ctx, nil, consent.Event{Channel: "sms", Address: h.client.Phone, Action: consent.OptOut,
		Source: consent.SourceKeyword, Text: "STOP"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SendNow(ctx, id3, admin, "urgent"); !errors.Is(err, derrors.Conflict) || !strings.Contains(err.Error(), "opted out") {
		t.Errorf("SendNow after STOP = %v, want a conflict naming the opt-out", err)
	}
	if got := h.get(t, id3); got.Status != ledger.StatusHeld {
		t.Errorf("refused SendNow moved the message to %s", got.Status)
	}
	if len(h.tw.Sends()) != 1 {
		t.Errorf("sends = %d, want only the first", len(h.tw.Sends()))
	}
}

func TestReleasePausedHold(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	pat := ledger.Actor{Name: "pat@firm.test", Role: "paralegal"}
	if _, err := h.pauses.Pause(ctx, pause.Request{Scope: pause.ScopeClient, ClientID: h.client.ClientID, Reason: "fee dispute", Actor: "att@firm.test"}); err != nil {
		t.Fatal(err)
	}
	id := h.sms(t)
	h.deliver(t, id)
	_, err := h.svc.Release(ctx, id, pat)
	if !errors.Is(err, derrors.Conflict) || !strings.Contains(err.Error(), "fee dispute") {
		t.Errorf("Release under the pause = %v, want a conflict naming the pause", err)
	}
	if _, err := h.svc.SendNow(ctx, id, pat, "urgent"); !errors.Is(err, derrors.Conflict) {
		t.Errorf("SendNow of a pause hold = %v, want a conflict", err)
	}
	if err := h.pauses.Resume(ctx, pause.ScopeClient, 0, h.client.ClientID, "att@firm.test", "settled"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Release(ctx, id, pat); err != nil {
		t.Fatal(err)
	}
	h.deliver(t, id)
	if got := h.get(t, id); got.Status != ledger.StatusSent || len(h.tw.Sends()) != 1 {
		t.Errorf("released: %s with %d sends, want sent once", got.Status, len(h.tw.Sends()))
	}
	if _, err := h.svc.Release(ctx, id, pat); !errors.Is(err, derrors.Conflict) {
		t.Errorf("Release of a sent message = %v, want a conflict", err)
	}

	// Cancel needs a note and is audited.
	if _, err := h.pauses.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: h.client.CaseID, Reason: "hold on", Actor: "att@firm.test"}); err != nil {
		t.Fatal(err)
	}
	id2 := h.sms(t)
	h.deliver(t, id2)
	if _, err := h.svc.Cancel(ctx, id2, pat, ""); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("Cancel without a note = %v, want InvalidArgument", err)
	}
	if m, err := h.svc.Cancel(ctx, id2, pat, "called the client instead"); err != nil || m.Status != ledger.StatusCancelled {
		t.Errorf("Cancel = %s, %v; want cancelled", m.Status, err)
	}
	var n int
	if err := h.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('message.release', 'message.cancel') AND actor = $1`, pat.Name).Scan(&n); err != nil || n != 2 {
		t.Errorf("audit rows = %d, %v; want 2 (release, cancel)", n, err)
	}
}
