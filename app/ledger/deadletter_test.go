package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/store"
)

// kill claims id and finishes it with status (dead or outcome_unknown).
func kill(t *testing.T, l *ledger.Store, id int64, status, code string) {
	t.Helper()
	ctx := context.Background()
	c, err := l.Claim(ctx, id, t0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := l.Finish(ctx, id, c.Attempt, ledger.Outcome{Status: status, At: t0, Code: code, Reason: "reason " + code, Fix: "fix"}); err != nil || !ok {
		t.Fatalf("finish %s: %v %v", status, ok, err)
	}
}

func auditCount(t *testing.T, db *store.DB, action string) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeadLettersListRetryResolve(t *testing.T) {
	db, l, clk, c := setup(t)
	ctx := context.Background()
	dead := ledgertest.Message(t, db, sms(c))
	unknown := ledgertest.Message(t, db, sms(c))
	email := ledgertest.Message(t, db, ledger.NewMessage{ClientID: &c.ClientID, Channel: "email", Recipient: c.Email, DueAt: t0})
	fine := ledgertest.Message(t, db, sms(c))
	kill(t, l, dead, ledger.StatusDead, "21211")
	kill(t, l, unknown, ledger.StatusOutcomeUnknown, "")
	kill(t, l, email, ledger.StatusDead, "bounce")
	_ = fine

	tests := []struct {
		name   string
		filter ledger.DeadFilter
		want   int
	}{
		{"all", ledger.DeadFilter{}, 3},
		{"dead only", ledger.DeadFilter{Status: "dead"}, 2},
		{"outcome unknown separately", ledger.DeadFilter{Status: "outcome_unknown"}, 1},
		{"by channel", ledger.DeadFilter{Channel: "email"}, 1},
		{"by code", ledger.DeadFilter{Code: "21211"}, 1},
		{"by case", ledger.DeadFilter{CaseID: c.CaseID}, 2},
		{"since later", ledger.DeadFilter{Since: t0.Add(time.Hour)}, 0},
	}
	for _, tt := range tests {
		got, err := l.DeadLetters(ctx, tt.filter)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(got.Items) != tt.want {
			t.Errorf("%s: %d items, want %d", tt.name, len(got.Items), tt.want)
		}
	}
	all, _ := l.DeadLetters(ctx, ledger.DeadFilter{})
	if all.Dead != 2 || all.OutcomeUnknown != 1 {
		t.Errorf("counts = %d dead %d unknown, want 2 and 1", all.Dead, all.OutcomeUnknown)
	}
	if _, err := l.DeadLetters(ctx, ledger.DeadFilter{Status: "sent"}); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("bad status filter: err = %v, want InvalidArgument", err)
	}

	clk.Advance(time.Hour)
	actor := ledger.Actor{Name: "ops@firm.test", Role: "ops"}
	m, err := l.Retry(ctx, dead, actor)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if m.Status != ledger.StatusPending || !m.DueAt.Equal(clk.Now()) || m.DeadReason != "" || m.Retries != 0 {
		t.Errorf("after retry = %s due %v reason %q retries %d; want pending due now, cleared", m.Status, m.DueAt, m.DeadReason, m.Retries)
	}
	if _, err := l.Retry(ctx, dead, actor); !errors.Is(err, derrors.Conflict) {
		t.Errorf("second retry: err = %v, want Conflict", err)
	}
	if _, err := l.Retry(ctx, fine, actor); !errors.Is(err, derrors.Conflict) {
		t.Errorf("retry of a pending message: err = %v, want Conflict", err)
	}
	if _, err := l.Retry(ctx, 999999, actor); !errors.Is(err, derrors.NotFound) {
		t.Errorf("retry of unknown id: err = %v, want NotFound", err)
	}
	if got := auditCount(t, db, "message.retry"); got != 1 {
		t.Errorf("retry audit rows = %d, want 1", got)
	}

	var fe *derrors.FieldError
	if _, err := l.Resolve(ctx, unknown, actor, "  "); !errors.As(err, &fe) || fe.Field != "note" {
		t.Errorf("resolve without note: err = %v, want a field error on note", err)
	}
	r, err := l.Resolve(ctx, unknown, actor, "called the client, she got it")
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if r.ResolvedAt == nil || r.ResolvedBy != actor.Name || r.Status != ledger.StatusOutcomeUnknown {
		t.Errorf("resolved = %+v, want resolved by %s keeping its status", r, actor.Name)
	}
	if _, err := l.Resolve(ctx, unknown, actor, "again"); !errors.Is(err, derrors.Conflict) {
		t.Errorf("second resolve: err = %v, want Conflict", err)
	}
	left, _ := l.DeadLetters(ctx, ledger.DeadFilter{})
	if len(left.Items) != 1 || left.Items[0].ID != email {
		t.Errorf("inbox after retry and resolve = %+v, want only %d", left.Items, email)
	}
}

func TestBulkRetryAndResolve(t *testing.T) {
	db, l, _, c := setup(t)
	ctx := context.Background()
	var ids []int64
	for range 3 {
		id := ledgertest.Message(t, db, sms(c))
		kill(t, l, id, ledger.StatusDead, "30003")
		ids = append(ids, id)
	}
	other := ledgertest.Message(t, db, sms(c))
	kill(t, l, other, ledger.StatusDead, "21211")
	actor := ledger.Actor{Name: "ops", Role: "ops"}
	got, err := l.RetryWhere(ctx, ledger.DeadFilter{Code: "30003"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("bulk retry moved %d, want 3", len(got))
	}
	for _, m := range got {
		if m.Status != ledger.StatusPending {
			t.Errorf("message %d = %s, want pending", m.ID, m.Status)
		}
	}
	if n := auditCount(t, db, "message.retry"); n != 3 {
		t.Errorf("audit rows = %d, want 3", n)
	}
	res, err := l.ResolveWhere(ctx, ledger.DeadFilter{IDs: []int64{other, ids[0]}}, actor, "number is a landline; asked staff to fix the CMS")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].ID != other {
		t.Errorf("bulk resolve = %+v, want only %d (the other is pending now)", res, other)
	}
}

func TestReleaseAndCancel(t *testing.T) {
	db, l, clk, c := setup(t)
	ctx := context.Background()
	held := ledgertest.Message(t, db, ledger.NewMessage{Channel: "sms", Recipient: c.Phone, DueAt: t0, Status: "held", HoldReason: "paused: case"})
	actor := ledger.Actor{Name: "pat", Role: "paralegal"}
	clk.Advance(time.Hour)
	m, err := l.Release(ctx, held, actor)
	if err != nil || m.Status != ledger.StatusPending || !m.DueAt.Equal(clk.Now()) {
		t.Fatalf("release = %+v, %v; want pending due now", m, err)
	}
	if _, err := l.Release(ctx, held, actor); !errors.Is(err, derrors.Conflict) {
		t.Errorf("release of pending: err = %v, want Conflict", err)
	}
	if _, err := l.Cancel(ctx, held, actor, ""); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("cancel without reason: err = %v, want InvalidArgument", err)
	}
	m, err = l.Cancel(ctx, held, actor, "client asked us to call instead")
	if err != nil || m.Status != ledger.StatusCancelled {
		t.Fatalf("cancel = %+v, %v", m, err)
	}
	if auditCount(t, db, "message.release") != 1 || auditCount(t, db, "message.cancel") != 1 {
		t.Errorf("want one audit row each for release and cancel")
	}
}
