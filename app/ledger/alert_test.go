package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
)

func TestSendAlertBatchesPerMinute(t *testing.T) {
	db, l, _, c := setup(t)
	ctx := context.Background()
	var sent []ledger.AlertBatch
	send := func(_ context.Context, b ledger.AlertBatch) error { sent = append(sent, b); return nil }

	for range 2 {
		kill(t, l, ledgertest.Message(t, db, sms(c)), ledger.StatusDead, "21211")
	}
	// An unknown outcome not yet handed to a human is not alerted.
	kill(t, l, ledgertest.Message(t, db, sms(c)), ledger.StatusOutcomeUnknown, "")

	ok, b, err := l.SendAlert(ctx, t0, time.Minute, send)
	if err != nil || !ok || b.Dead != 2 || b.OutcomeUnknown != 0 || b.ByCode["21211"] != 2 {
		t.Fatalf("first alert = %v %+v %v; want sent with 2 dead", ok, b, err)
	}
	kill(t, l, ledgertest.Message(t, db, sms(c)), ledger.StatusDead, "30006")
	if ok, _, _ := l.SendAlert(ctx, t0.Add(30*time.Second), time.Minute, send); ok {
		t.Errorf("alert within the minute went out")
	}
	// A failing channel leaves the batch for the next call.
	if ok, _, err := l.SendAlert(ctx, t0.Add(61*time.Second), time.Minute, func(context.Context, ledger.AlertBatch) error {
		return errors.New("smtp down")
	}); ok || err == nil {
		t.Errorf("failed send = %v, %v; want not sent with an error", ok, err)
	}
	ok, b, err = l.SendAlert(ctx, t0.Add(62*time.Second), time.Minute, send)
	if err != nil || !ok || b.Total() != 1 || b.ByCode["30006"] != 1 {
		t.Errorf("second alert = %v %+v %v; want the one new dead letter", ok, b, err)
	}
	if len(sent) != 2 {
		t.Errorf("alerts sent = %d, want 2", len(sent))
	}
}
