package delivery

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/store/storetest"
)

type noWake struct{}

func (noWake) EnqueueMessage(context.Context, int64, int, time.Time) error { return nil }

type noSend struct{}

func (noSend) Send(context.Context, Outgoing) (Receipt, error) {
	return Receipt{}, errors.New("the unclaim test sends nothing")
}

// TestUnclaimUndoesOnlyThisRunsAmbiguousClaim: a claim that committed but
// whose answer was lost goes back to failed_retrying (due now, attempt
// cancelled) instead of waiting in sending for its lease to expire into
// outcome_unknown; a claim from another time, and an error that proves the
// statement never ran, leave the row alone.
func TestUnclaimUndoesOnlyThisRunsAmbiguousClaim(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 15, 0, 0, 123456789, time.UTC)
	clk := clock.NewFake(now)
	led := ledger.New(db, clk)
	s, err := NewService(Deps{Ledger: led, Senders: map[string]Sender{ChannelEmail: noSend{}, ChannelSMS: noSend{}},
		Pauses: pause.New(db, clk), Consent: consent.New(db, clk), Reads: db.Pool, Enqueuer: noWake{}, Clock: clk},
		Config{RetrySchedule: []time.Duration{time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	insert := func(key string) int64 {
		var id int64
		if err := db.Pool.QueryRow(ctx, `INSERT INTO messages (idempotency_key, channel, recipient, due_at)
			VALUES ($1, 'email', 'ana@example.com', $2) RETURNING id`, key, now.Add(-time.Minute)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	lost := io.ErrUnexpectedEOF // what pgx reports when the server dies mid-answer

	ours := insert("unclaim-ours")
	if _, err := led.Claim(ctx, ours, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	s.unclaim(ctx, ours, now, lost)
	m, err := led.Get(ctx, ours)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != ledger.StatusFailedRetrying || m.LastErrorCode != "claim_unconfirmed" || m.DueAt.After(now) {
		t.Errorf("after unclaim: status %s, code %q, due %s; want failed_retrying, claim_unconfirmed, due now", m.Status, m.LastErrorCode, m.DueAt)
	}
	var outcome string
	if err := db.Pool.QueryRow(ctx, `SELECT outcome FROM delivery_attempts WHERE message_id = $1`, ours).Scan(&outcome); err != nil || outcome != "cancelled" {
		t.Errorf("attempt outcome %q (%v), want cancelled", outcome, err)
	}

	other := insert("unclaim-other")
	if _, err := led.Claim(ctx, other, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	s.unclaim(ctx, other, now.Add(time.Millisecond), lost) // a different run's claim time
	if m, _ := led.Get(ctx, other); m.Status != ledger.StatusSending {
		t.Errorf("another run's claim: status %s, want it left in sending", m.Status)
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	s.unclaim(ctx, other, now, pgconnSafe{refused})
	if m, _ := led.Get(ctx, other); m.Status != ledger.StatusSending {
		t.Errorf("an error that proves the claim never ran: status %s, want the row untouched", m.Status)
	}
}

// pgconnSafe is an error pgconn.SafeToRetry recognises, like a failed dial.
type pgconnSafe struct{ error }

func (pgconnSafe) SafeToRetry() bool { return true }
