package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/sandbox"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/store/storetest"
)

// BenchmarkDeliver measures the claim → checks → send → commit path with the
// sandbox sender: one Deliver per pre-inserted SMS.
func BenchmarkDeliver(b *testing.B) {
	db, _ := storetest.NewDB(b)
	clk := clock.NewFake(t0)
	c := ledgertest.SeedClient(b, db, "+13125550134", "ana@example.com", "America/Chicago")
	sb := sandbox.New(clk.Now)
	l := ledger.New(db, clk)
	chicago, _ := time.LoadLocation("America/Chicago")
	svc, err := delivery.NewService(delivery.Deps{
		Ledger:   l,
		Senders:  map[string]delivery.Sender{delivery.ChannelEmail: sb, delivery.ChannelSMS: sb},
		Pauses:   pause.New(db, clk),
		Consent:  consent.New(db, clk),
		Reads:    db.Pool,
		Enqueuer: &recorder{},
		Clock:    clk,
	}, delivery.Config{
		RetrySchedule: []time.Duration{time.Minute},
		Window:        delivery.DefaultWindowPolicy(delivery.Window{Start: 8 * time.Hour, End: 21 * time.Hour}, chicago),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var first int64
	err = db.Pool.QueryRow(ctx, `WITH ins AS (
		INSERT INTO messages (idempotency_key, kind, case_id, client_id, channel, recipient, body_text, status, due_at)
		SELECT 'bench:' || g, 'rule', $1, $2, 'sms', $3, 'Your case has an update.', 'pending', $4
		FROM generate_series(1, $5::int) g RETURNING id)
		SELECT min(id) FROM ins`, c.CaseID, c.ClientID, c.Phone, t0.Add(-time.Minute), b.N).Scan(&first)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if err := svc.Deliver(ctx, first+int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got := len(sb.Sent()); got != b.N || sb.Duplicates() != 0 {
		b.Fatalf("sandbox sent %d (duplicates %d), want %d", got, sb.Duplicates(), b.N)
	}
}
