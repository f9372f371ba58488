// Package ledgertest creates the rows ledger and delivery tests need: a
// source, a client with a case, and messages inserted through ledger.Insert.
package ledgertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/store"
)

// Client is a seeded client and its case.
type Client struct {
	ClientID int64
	CaseID   int64
	Phone    string
	Email    string
}

// SeedClient inserts the "test" source (once), a client with phone, email
// and time zone (tz may be ""), and one case for it.
func SeedClient(t testing.TB, db *store.DB, phone, email, tz string) Client {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `INSERT INTO sources (name, kind) VALUES ('test', 'webhook') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatalf("seed source: %v", err)
	}
	c := Client{Phone: phone, Email: email}
	var tzArg, phoneArg, emailArg any
	if tz != "" {
		tzArg = tz
	}
	if phone != "" {
		phoneArg = phone
	}
	if email != "" {
		emailArg = email
	}
	ext := fmt.Sprintf("cl-%d", time.Now().UnixNano())
	err := db.Pool.QueryRow(ctx, `INSERT INTO clients (source, external_id, first_name, last_name, email, mobile_phone, timezone)
		VALUES ('test', $1, 'Ana', 'Lopez', $2, $3, $4) RETURNING id`, ext, emailArg, phoneArg, tzArg).Scan(&c.ClientID)
	if err != nil {
		t.Fatalf("seed client: %v", err)
	}
	err = db.Pool.QueryRow(ctx, `INSERT INTO cases (source, external_id, client_id, case_number, snapshot)
		VALUES ('test', $1, $2, 'PI-2026-0042', '{}') RETURNING id`, "case-"+ext, c.ClientID).Scan(&c.CaseID)
	if err != nil {
		t.Fatalf("seed case: %v", err)
	}
	return c
}

// Message inserts m through ledger.Insert in its own transaction, filling
// the idempotency key, kind, status and due time when empty.
func Message(t testing.TB, db *store.DB, m ledger.NewMessage) int64 {
	t.Helper()
	ctx := context.Background()
	if m.IdempotencyKey == "" {
		m.IdempotencyKey = fmt.Sprintf("test:%d:%s:%s", time.Now().UnixNano(), m.Channel, m.Recipient)
	}
	if m.Kind == "" {
		m.Kind = "rule"
	}
	if m.Status == "" {
		m.Status = ledger.StatusPending
	}
	if m.DueAt.IsZero() {
		m.DueAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if m.Channel == "email" && m.Subject == "" {
		m.Subject = "An update on your case"
	}
	if m.BodyText == "" {
		m.BodyText = "Your case has an update. Reply STOP to opt out."
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	id, _, err := ledger.Insert(ctx, tx, m)
	if err != nil {
		t.Fatalf("insert message: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return id
}

// Ptr returns &v.
func Ptr[T any](v T) *T { return &v }
