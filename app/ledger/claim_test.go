package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

func setup(t *testing.T) (*store.DB, *ledger.Store, *clock.Fake, ledgertest.Client) {
	t.Helper()
	db, _ := storetest.NewDB(t)
	clk := clock.NewFake(t0)
	c := ledgertest.SeedClient(t, db, "+13125550134", "ana@example.com", "America/Chicago")
	return db, ledger.New(db, clk), clk, c
}

func sms(c ledgertest.Client) ledger.NewMessage {
	return ledger.NewMessage{CaseID: &c.CaseID, ClientID: &c.ClientID, Channel: "sms", Recipient: c.Phone, DueAt: t0}
}

func TestClaimIsTheGuard(t *testing.T) {
	db, l, _, c := setup(t)
	ctx := context.Background()
	id := ledgertest.Message(t, db, sms(c))

	if _, err := l.Claim(ctx, id, t0.Add(-time.Second), time.Minute); !errors.Is(err, ledger.ErrNotClaimable) {
		t.Fatalf("claim before due: err = %v, want ErrNotClaimable", err)
	}
	got, err := l.Claim(ctx, id, t0, time.Minute)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	if got.Status != ledger.StatusSending || got.Attempt != 1 || got.ClientTimezone != "America/Chicago" {
		t.Errorf("claimed = status %s attempt %d tz %q, want sending 1 America/Chicago", got.Status, got.Attempt, got.ClientTimezone)
	}
	if got.ClaimedUntil == nil || !got.ClaimedUntil.Equal(t0.Add(time.Minute)) {
		t.Errorf("claimed_until = %v, want %v", got.ClaimedUntil, t0.Add(time.Minute))
	}
	if _, err := l.Claim(ctx, id, t0, time.Minute); !errors.Is(err, ledger.ErrNotClaimable) {
		t.Errorf("second claim: err = %v, want ErrNotClaimable", err)
	}
	atts, err := l.Attempts(ctx, []int64{id})
	if err != nil || len(atts) != 1 || atts[0].Outcome != "in_flight" {
		t.Errorf("attempts = %+v, %v; want one in_flight", atts, err)
	}
}

func TestFinishIsForwardOnlyAndGuardedByAttempt(t *testing.T) {
	db, l, _, c := setup(t)
	ctx := context.Background()
	id := ledgertest.Message(t, db, sms(c))
	cl, err := l.Claim(ctx, id, t0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := l.Finish(ctx, id, cl.Attempt+1, ledger.Outcome{Status: ledger.StatusSent, At: t0}); err != nil || ok {
		t.Errorf("finish with a wrong attempt = %v, %v; want false", ok, err)
	}
	if ok, err := l.Finish(ctx, id, cl.Attempt, ledger.Outcome{Status: ledger.StatusSent, At: t0, Provider: "twilio", ProviderID: "SM1", HTTPStatus: 201}); err != nil || !ok {
		t.Fatalf("finish sent = %v, %v; want true", ok, err)
	}
	if ok, err := l.Advance(ctx, id, ledger.StatusDelivered, t0.Add(time.Minute), "", ""); err != nil || !ok {
		t.Errorf("advance to delivered = %v, %v; want true", ok, err)
	}
	// A late "sent" callback must not move delivered back.
	if ok, err := l.Advance(ctx, id, ledger.StatusSent, t0.Add(2*time.Minute), "", ""); err != nil || ok {
		t.Errorf("advance delivered→sent = %v, %v; want false", ok, err)
	}
	// Nor may a stale worker's outcome.
	if ok, err := l.Finish(ctx, id, cl.Attempt, ledger.Outcome{Status: ledger.StatusDead, At: t0}); err != nil || ok {
		t.Errorf("finish dead after delivered = %v, %v; want false", ok, err)
	}
	m, err := l.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != ledger.StatusDelivered || m.ProviderMessageID != "SM1" || m.SentAt == nil || m.DeliveredAt == nil {
		t.Errorf("message = %s provider id %q sent %v delivered %v; want delivered SM1 with both times", m.Status, m.ProviderMessageID, m.SentAt, m.DeliveredAt)
	}
	atts, _ := l.Attempts(ctx, []int64{id})
	if len(atts) != 1 || atts[0].Outcome != "sent" || atts[0].HTTPStatus == nil || *atts[0].HTTPStatus != 201 {
		t.Errorf("attempt = %+v, want sent with http 201", atts)
	}
}

func TestExpireLeasesAndDuePage(t *testing.T) {
	db, l, _, c := setup(t)
	ctx := context.Background()
	stuck := ledgertest.Message(t, db, sms(c))
	due := ledgertest.Message(t, db, sms(c))
	later := ledgertest.Message(t, db, ledger.NewMessage{Channel: "email", Recipient: c.Email, DueAt: t0.Add(time.Hour)})
	paused := ledgertest.Message(t, db, ledger.NewMessage{Channel: "sms", Recipient: c.Phone, DueAt: t0, Status: "held", HoldReason: "paused: case"})
	quiet := ledgertest.Message(t, db, ledger.NewMessage{Channel: "sms", Recipient: c.Phone, DueAt: t0, Status: "held", HoldReason: "quiet_hours: until 08:00"})
	if _, err := l.Claim(ctx, stuck, t0, time.Minute); err != nil {
		t.Fatal(err)
	}

	page, err := l.DuePage(ctx, t0, time.Time{}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, d := range page {
		got = append(got, d.ID)
	}
	want := []int64{due, quiet}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("due page = %v, want %v (not the sending %d, the later %d or the paused %d)", got, want, stuck, later, paused)
	}
	if page[0].NextAttempt != 1 {
		t.Errorf("next attempt = %d, want 1", page[0].NextAttempt)
	}
	// Paging resumes after the cursor.
	page2, err := l.DuePage(ctx, t0, page[0].DueAt, page[0].ID, 10)
	if err != nil || len(page2) != 1 || page2[0].ID != quiet {
		t.Errorf("second page = %+v, %v; want only %d", page2, err, quiet)
	}

	if ids, err := l.ExpireLeases(ctx, t0.Add(30*time.Second), 10); err != nil || len(ids) != 0 {
		t.Errorf("expire within lease = %v, %v; want none", ids, err)
	}
	ids, err := l.ExpireLeases(ctx, t0.Add(2*time.Minute), 10)
	if err != nil || len(ids) != 1 || ids[0] != stuck {
		t.Fatalf("expire after lease = %v, %v; want [%d]", ids, err, stuck)
	}
	m, _ := l.Get(ctx, stuck)
	atts, _ := l.Attempts(ctx, []int64{stuck})
	if m.Status != ledger.StatusOutcomeUnknown || atts[0].Outcome != "outcome_unknown" {
		t.Errorf("stuck message = %s / attempt %s, want outcome_unknown for both", m.Status, atts[0].Outcome)
	}
	if _, err := l.Claim(ctx, stuck, t0.Add(time.Hour), time.Minute); !errors.Is(err, ledger.ErrNotClaimable) {
		t.Errorf("claim of outcome_unknown: err = %v, want ErrNotClaimable (never re-sent automatically)", err)
	}
}
