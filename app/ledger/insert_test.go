package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/store/storetest"
)

func TestInsertIsIdempotentOnKey(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	due := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	m := ledger.NewMessage{
		IdempotencyKey: "evt:1:settlement_sms:sms:+13125550134", Kind: "rule", Channel: "sms",
		Recipient: "+13125550134", BodyText: "We have received a settlement offer.", Status: "scheduled", DueAt: due,
	}
	insert := func(m ledger.NewMessage) (int64, bool, error) {
		tx, err := db.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		id, created, err := ledger.Insert(ctx, tx, m)
		if err == nil {
			err = tx.Commit(ctx)
		}
		return id, created, err
	}
	id1, created1, err := insert(m)
	if err != nil || !created1 {
		t.Fatalf("first Insert = %d, %v, %v; want a new row", id1, created1, err)
	}
	changed := m
	changed.BodyText = "different body"
	id2, created2, err := insert(changed)
	if err != nil || created2 || id2 != id1 {
		t.Fatalf("second Insert = %d, %v, %v; want %d, false, nil", id2, created2, err, id1)
	}
	var body, status string
	var gotDue time.Time
	if err := db.Pool.QueryRow(ctx, `SELECT body_text, status, due_at FROM messages WHERE id = $1`, id1).Scan(&body, &status, &gotDue); err != nil {
		t.Fatal(err)
	}
	if body != m.BodyText || status != "scheduled" || !gotDue.Equal(due) {
		t.Errorf("stored row = %q %s %s, want the first insert's %q scheduled %s", body, status, gotDue, m.BodyText, due)
	}
	var n int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM messages`).Scan(&n)
	if n != 1 {
		t.Errorf("messages = %d rows, want 1", n)
	}
}

func TestInsertRejectsInvalidMessages(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	ok := ledger.NewMessage{IdempotencyKey: "k", Kind: "rule", Channel: "email", Recipient: "a@example.com", Status: "pending", DueAt: now}
	tests := []struct {
		name   string
		edit   func(m *ledger.NewMessage)
		wantOK bool
	}{
		{"valid", func(m *ledger.NewMessage) {}, true},
		{"no key", func(m *ledger.NewMessage) { m.IdempotencyKey = " " }, false},
		{"bad kind", func(m *ledger.NewMessage) { m.Kind = "spam" }, false},
		{"bad channel", func(m *ledger.NewMessage) { m.Channel = "fax" }, false},
		{"no recipient", func(m *ledger.NewMessage) { m.Recipient = "" }, false},
		{"created as sent", func(m *ledger.NewMessage) { m.Status = "sent" }, false},
		{"dead without reason", func(m *ledger.NewMessage) { m.Status = "dead" }, false},
		{"dead with reason", func(m *ledger.NewMessage) { m.Status = "dead"; m.DeadReason = "template error" }, true},
		{"approval without expiry", func(m *ledger.NewMessage) { m.Status = "awaiting_approval" }, false},
		{"no due time", func(m *ledger.NewMessage) { m.DueAt = time.Time{} }, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			m.IdempotencyKey = tt.name
			tt.edit(&m)
			tx, err := db.Pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			_, _, err = ledger.Insert(ctx, tx, m)
			if got := err == nil; got != tt.wantOK {
				t.Fatalf("case %d Insert error = %v, want ok=%v", i, err, tt.wantOK)
			}
			if err != nil && !errors.Is(err, derrors.InvalidArgument) {
				t.Errorf("Insert error = %v, want it to wrap derrors.InvalidArgument", err)
			}
		})
	}
}
