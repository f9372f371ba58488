package ledger_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
)

func TestReleaseWindow(t *testing.T) {
	db, l, clk, c := setup(t)
	ctx := context.Background()
	window := ledgertest.Message(t, db, ledger.NewMessage{Channel: "sms", Recipient: c.Phone, DueAt: t0.Add(10 * time.Hour),
		Status: "held", HoldReason: "quiet_hours: outside the SMS window 08:00-21:00"})
	paused := ledgertest.Message(t, db, ledger.NewMessage{Channel: "sms", Recipient: c.Phone, DueAt: t0, Status: "held", HoldReason: "paused: case pause"})
	admin := ledger.Actor{Name: "ada", Role: "admin"}
	if _, err := l.ReleaseWindow(ctx, window, admin, "  "); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("release without a reason: %v, want InvalidArgument", err)
	}
	if _, err := l.ReleaseWindow(ctx, paused, admin, "urgent"); !errors.Is(err, derrors.Conflict) {
		t.Errorf("window release of a paused hold: %v, want Conflict", err)
	}
	clk.Advance(time.Minute)
	m, err := l.ReleaseWindow(ctx, window, admin, "hearing moved to 8am tomorrow")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != ledger.StatusPending || !m.DueAt.Equal(clk.Now()) || m.HoldReason != "window_released: hearing moved to 8am tomorrow" {
		t.Errorf("released = %s due %v hold %q; want pending, due now, marked window_released", m.Status, m.DueAt, m.HoldReason)
	}
	// The claim keeps the mark so delivery can see it; a normal claim clears
	// other hold reasons.
	got, err := l.Claim(ctx, window, clk.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.HoldReason, ledger.HoldWindowReleased) {
		t.Errorf("claimed hold reason = %q, want the window_released mark", got.HoldReason)
	}
	if _, err := l.Release(ctx, paused, admin); err != nil {
		t.Fatal(err)
	}
	if got, err := l.Claim(ctx, paused, clk.Now(), time.Minute); err != nil || got.HoldReason != "" {
		t.Errorf("claimed released pause hold: reason %q, %v; want empty", got.HoldReason, err)
	}
	var reason, details string
	if err := db.Pool.QueryRow(ctx, `SELECT reason, details::text FROM audit_log WHERE action = 'message.release_window'`).Scan(&reason, &details); err != nil {
		t.Fatalf("audit row for the window release: %v", err)
	}
	if reason != "hearing moved to 8am tomorrow" || !strings.Contains(details, "quiet_hours") {
		t.Errorf("audit = %q %s; want the reason and the hold it lifted", reason, details)
	}
}
