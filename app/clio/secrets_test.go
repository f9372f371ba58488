package clio_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/heraldhq/herald/app/clio"
	"github.com/heraldhq/herald/app/clio/cliotest"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/migrations"
)

const (
	oldKey = "old-data-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	newKey = "new-data-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func box(t *testing.T, keys ...string) *clio.SecretBox {
	t.Helper()
	b, err := clio.NewSecretBox(keys)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSecretBox(t *testing.T) {
	const secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	old := box(t, oldKey)
	a, err := old.Seal(secret)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := old.Seal(secret)
	if a == b || !strings.HasPrefix(a, "v1:") || strings.Contains(a, secret) {
		t.Errorf("Seal = %q then %q; want distinct v1: values (fresh nonce) not containing the secret", a, b)
	}
	tests := []struct {
		name        string
		box         *clio.SecretBox
		stored      string
		want        string
		wantCurrent bool
		wantErr     error
	}{
		{"same key", old, a, secret, true, nil},
		{"rotated: old key second still opens, needs reseal", box(t, newKey, oldKey), a, secret, false, nil},
		{"old key dropped", box(t, newKey), a, "", false, clio.ErrSealed},
		{"tampered", old, a[:len(a)-2] + "AA", "", false, clio.ErrSealed},
		{"not base64", old, "v1:!!!", "", false, clio.ErrSealed},
		{"too short", old, "v1:AAAA", "", false, clio.ErrSealed},
		{"plaintext from before migration 00100", old, secret, secret, false, nil},
	}
	for _, tt := range tests {
		got, current, err := tt.box.Open(tt.stored)
		if !errors.Is(err, tt.wantErr) || got != tt.want || current != tt.wantCurrent {
			t.Errorf("%s: Open = %q, current %v, %v; want %q, %v, %v", tt.name, got, current, err, tt.want, tt.wantCurrent, tt.wantErr)
		}
	}
	for _, keys := range [][]string{nil, {"short"}, {newKey, "short"}} {
		if _, err := clio.NewSecretBox(keys); err == nil || !strings.Contains(err.Error(), "HERALD_DATA_KEY") {
			t.Errorf("NewSecretBox(%q) = %v, want an error naming HERALD_DATA_KEY", keys, err)
		}
	}
}

// TestStoredSecretsAreSealed registers a webhook and checks the database
// holds no plaintext secret, deliveries still verify, and a key rotation is
// completed by Reseal.
func TestStoredSecretsAreSealed(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	wh, err := e.svc.Register(ctx, "https://herald.example/webhooks/cms/clio", "matter", []string{"updated"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Handshake(ctx, wh.SharedSecret); err != nil {
		t.Fatal(err)
	}
	var plain int
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM clio_webhooks WHERE secret_sealed LIKE '%' || $1 || '%'
		OR url LIKE '%' || $1 || '%'`, wh.SharedSecret).Scan(&plain); err != nil || plain != 0 {
		t.Fatalf("rows holding the plaintext secret = %d (%v), want 0", plain, err)
	}
	body := cliotest.DeliveryBody(wh.ID, "updated", `{"id":7,"etag":"\"a\"","updated_at":"2026-03-02T09:00:00Z"}`)
	sig := cliotest.Sign(wh.SharedSecret, body)
	if err := e.svc.Verify(ctx, sig, body); err != nil {
		t.Fatalf("Verify with the sealed secret: %v", err)
	}

	// Rotate: the new key first, the old one still opening.
	rotated := clio.NewWebhooks(e.db, e.clk, nil, nil, box(t, newKey, testDataKey))
	if err := rotated.Verify(ctx, sig, body); err != nil {
		t.Fatalf("Verify after rotation, before reseal: %v", err)
	}
	if n, err := rotated.Reseal(ctx); err != nil || n != 1 {
		t.Fatalf("Reseal = %d, %v; want 1 rewritten", n, err)
	}
	if n, err := rotated.Reseal(ctx); err != nil || n != 0 {
		t.Errorf("second Reseal = %d, %v; want nothing left to do", n, err)
	}
	onlyNew := clio.NewWebhooks(e.db, e.clk, nil, nil, box(t, newKey))
	if err := onlyNew.Verify(ctx, sig, body); err != nil {
		t.Errorf("Verify with only the new key after reseal: %v", err)
	}
	// A key that opens nothing: 503 so Clio retries, not 401.
	lost := clio.NewWebhooks(e.db, e.clk, nil, nil, box(t, oldKey))
	if err := lost.Verify(ctx, sig, body); !errors.Is(err, derrors.Unavailable) || !strings.Contains(err.Error(), "HERALD_DATA_KEY") {
		t.Errorf("Verify with a wrong key = %v, want Unavailable naming HERALD_DATA_KEY", err)
	}
	noKey := clio.NewWebhooks(e.db, e.clk, nil, nil, nil)
	if err := noKey.Verify(ctx, sig, body); !errors.Is(err, derrors.Unavailable) || !strings.Contains(err.Error(), "HERALD_DATA_KEY") {
		t.Errorf("Verify without a key = %v, want Unavailable naming HERALD_DATA_KEY", err)
	}
}

// TestMigrationKeepsPlaintextSecretsUsable stores a secret the way the
// schema before migration 00100 did, migrates, and checks the webhook still
// verifies and that the renewal sweep seals it.
func TestMigrationKeepsPlaintextSecretsUsable(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	p, err := goose.NewProvider(goose.DialectPostgres, e.db.SQL, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 99); err != nil {
		t.Fatalf("migrate down below 00100: %v", err)
	}
	const secret = "legacy0123456789abcdef0123456789"
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO clio_webhooks (clio_webhook_id, secret, status, expires_at)
		VALUES (42, $1, 'enabled', $2)`, secret, t0.Add(20*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	e.db.Pool.Reset() // drop cached statement plans of the old columns
	body := cliotest.DeliveryBody(42, "updated", `{"id":7}`)
	sig := cliotest.Sign(secret, body)
	if err := e.svc.Verify(ctx, sig, body); err != nil {
		t.Fatalf("Verify of a pre-migration secret: %v", err)
	}
	if _, err := e.svc.RenewExpiring(ctx, time.Hour); err != nil {
		t.Fatalf("RenewExpiring: %v", err)
	}
	var stored string
	if err := e.db.Pool.QueryRow(ctx, `SELECT secret_sealed FROM clio_webhooks WHERE clio_webhook_id = 42`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "v1:") || strings.Contains(stored, secret) {
		t.Errorf("after the sweep the secret is stored as %q, want sealed", stored)
	}
	if err := e.svc.Verify(ctx, sig, body); err != nil {
		t.Errorf("Verify after sealing: %v", err)
	}
	// The handshake finds the row by the hash the migration computed.
	if err := e.svc.Handshake(ctx, secret); err != nil {
		t.Errorf("Handshake with the migrated secret: %v", err)
	}
}
