package clio_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clio"
	"github.com/heraldhq/herald/app/clio/cliotest"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/config"
)

type env struct {
	db   *store.DB
	clk  *clock.Fake
	fake *cliotest.Server
	svc  *clio.Webhooks
	box  *clio.SecretBox
}

const testDataKey = "test-data-key-0123456789abcdef0123456789"

// newEnv wires Webhooks over a real database, the real ingest service and
// a fake Clio.
func newEnv(t *testing.T, connected bool) env {
	t.Helper()
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `INSERT INTO sources (name, kind) VALUES ('clio', 'clio')`); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	ing, err := ingest.New(db, cfg, clk, statuses.New(db, clk), cases.New(db, clk, time.UTC), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fake := cliotest.New(t, token, clk.Now)
	var api clio.WebhookAPI
	if connected {
		api = newClient(t, fake, &sleeps{})
	}
	box, err := clio.NewSecretBox([]string{testDataKey})
	if err != nil {
		t.Fatal(err)
	}
	return env{db: db, clk: clk, fake: fake, box: box, svc: clio.NewWebhooks(db, clk, ing, api, box)}
}

func (e env) webhookRow(t *testing.T, secret string) (status string, clioID *int64, expires *time.Time) {
	t.Helper()
	err := e.db.Pool.QueryRow(context.Background(), `SELECT status, clio_webhook_id, expires_at FROM clio_webhooks
		WHERE secret_hash = encode(sha256(convert_to($1::text, 'UTF8')), 'hex')`, secret).Scan(&status, &clioID, &expires)
	if err != nil {
		t.Fatalf("clio_webhooks row: %v", err)
	}
	return status, clioID, expires
}

func (e env) events(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound_events WHERE source = 'clio'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterThenHandshakeEnables(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	wh, err := e.svc.Register(ctx, "https://herald.example/webhooks/cms/clio", "matter", []string{"created", "updated"})
	if err != nil {
		t.Fatal(err)
	}
	if st, id, exp := e.webhookRow(t, wh.SharedSecret); st != "pending" || id == nil || *id != wh.ID ||
		exp == nil || !exp.Equal(t0.Add(clio.WebhookLifetime)) {
		t.Fatalf("after Register: status %s id %v expires %v; want pending %d %s", st, id, exp, wh.ID, t0.Add(clio.WebhookLifetime))
	}
	req := e.fake.Requests()[0]
	if req.Method != "POST" || req.Path != "/api/v4/webhooks.json" {
		t.Fatalf("create request = %s %s", req.Method, req.Path)
	}
	if err := e.svc.Handshake(ctx, wh.SharedSecret); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := e.webhookRow(t, wh.SharedSecret); st != "enabled" {
		t.Fatalf("after handshake status = %s, want enabled", st)
	}
}

func TestHandshake(t *testing.T) {
	tests := []struct {
		name      string
		connected bool
		known     bool // the secret belongs to a webhook in Clio
		wantErr   error
	}{
		{name: "webhook made outside Herald, confirmed with Clio", connected: true, known: true},
		{name: "secret Clio does not know", connected: true, wantErr: derrors.Unauthorized},
		{name: "not connected, unknown secret", connected: false, known: true, wantErr: derrors.Unauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.connected)
			secret := "planted-by-a-stranger"
			if tt.known {
				secret = e.fake.AddWebhook(cliotest.Webhook{Model: "matter", Status: "pending", ExpiresAt: t0.Add(48 * time.Hour)}).SharedSecret
			}
			err := e.svc.Handshake(context.Background(), secret)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var n int
			_ = e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM clio_webhooks WHERE status = 'enabled'`).Scan(&n)
			if want := map[bool]int{true: 0, false: 1}[tt.wantErr != nil]; n != want {
				t.Fatalf("enabled rows = %d, want %d", n, want)
			}
		})
	}
}

func TestReceiveVerifiesSignature(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	wh := e.fake.AddWebhook(cliotest.Webhook{Model: "matter", ExpiresAt: t0.Add(48 * time.Hour)})
	if err := e.svc.Handshake(ctx, wh.SharedSecret); err != nil {
		t.Fatal(err)
	}
	body := cliotest.DeliveryBody(wh.ID, "updated", `{"id":1,"etag":"\"a\"","updated_at":"2026-03-02T09:00:00Z"}`)
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] ^= 1
	tests := []struct {
		name          string
		sig           string
		body          []byte
		wantErr       error
		wantDuplicate bool
		wantEvents    int
	}{
		{name: "missing signature", sig: "", body: body, wantErr: derrors.Unauthorized},
		{name: "not hex", sig: "zz", body: body, wantErr: derrors.Unauthorized},
		{name: "wrong secret", sig: cliotest.Sign("other", body), body: body, wantErr: derrors.Unauthorized},
		{name: "tampered body", sig: cliotest.Sign(wh.SharedSecret, body), body: tampered, wantErr: derrors.Unauthorized},
		{name: "good", sig: cliotest.Sign(wh.SharedSecret, body), body: body, wantEvents: 1},
		{name: "redelivery dedupes", sig: cliotest.Sign(wh.SharedSecret, body), body: body, wantDuplicate: true, wantEvents: 1},
	}
	for _, tt := range tests {
		res, err := e.svc.Receive(ctx, tt.sig, tt.body)
		if !errors.Is(err, tt.wantErr) {
			t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
		if res.Duplicate != tt.wantDuplicate {
			t.Errorf("%s: duplicate = %v, want %v", tt.name, res.Duplicate, tt.wantDuplicate)
		}
		if got := e.events(t); got != tt.wantEvents {
			t.Errorf("%s: inbound events = %d, want %d", tt.name, got, tt.wantEvents)
		}
	}
}

func TestRenewExpiring(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	soon := e.fake.AddWebhook(cliotest.Webhook{Model: "matter", Status: "enabled", ExpiresAt: t0.Add(2 * 24 * time.Hour)})
	later := e.fake.AddWebhook(cliotest.Webhook{Model: "matter", Status: "enabled", ExpiresAt: t0.Add(20 * 24 * time.Hour)})
	for _, w := range []*cliotest.Webhook{soon, later} {
		// Handshake-only rows: the renewal must learn ids from Clio's list.
		if err := e.svc.Handshake(ctx, w.SharedSecret); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.Pool.Exec(ctx, `UPDATE clio_webhooks SET clio_webhook_id = NULL, expires_at = NULL`); err != nil {
		t.Fatal(err)
	}

	n, err := e.svc.RenewExpiring(ctx, 7*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("RenewExpiring = %d, %v; want 1 renewed", n, err)
	}
	want := t0.Add(clio.WebhookLifetime)
	if got, _ := e.fake.Webhook(soon.ID); !got.ExpiresAt.Equal(want) {
		t.Errorf("Clio expiry of the expiring webhook = %s, want %s", got.ExpiresAt, want)
	}
	if got, _ := e.fake.Webhook(later.ID); !got.ExpiresAt.Equal(later.ExpiresAt) {
		t.Errorf("webhook not due was renewed: %s", got.ExpiresAt)
	}
	if _, id, exp := e.webhookRow(t, soon.SharedSecret); id == nil || *id != soon.ID || exp == nil || !exp.Equal(want) {
		t.Errorf("stored row id %v expires %v, want %d %s", id, exp, soon.ID, want)
	}
	var patches int
	for _, r := range e.fake.Requests() {
		if r.Method == "PATCH" {
			patches++
			if r.Path != "/api/v4/webhooks/"+strconv.FormatInt(soon.ID, 10)+".json" {
				t.Errorf("PATCH %s, want webhook %d", r.Path, soon.ID)
			}
		}
	}
	if patches != 1 {
		t.Errorf("PATCH requests = %d, want 1", patches)
	}

	// A second sweep right after finds nothing due.
	if n, err := e.svc.RenewExpiring(ctx, 7*24*time.Hour); err != nil || n != 0 {
		t.Errorf("second RenewExpiring = %d, %v; want 0", n, err)
	}
}
