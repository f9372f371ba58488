package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clio"
	"github.com/heraldhq/herald/app/clio/cliotest"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

// TestWebhookClio plays Clio against a listening Herald: create a webhook,
// the X-Hook-Secret handshake, then signed and forged deliveries.
func TestWebhookClio(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `INSERT INTO sources (name, kind) VALUES ('clio', 'clio'), ('generic', 'webhook')`); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.WebhookSecrets = map[string][]string{"generic": {cmsSecret}}
	clk := clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	ing, err := ingest.New(db, cfg, clk, statuses.New(db, clk), cases.New(db, clk, time.UTC), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fake := cliotest.New(t, "tok", clk.Now)
	api, err := clio.New(clio.Config{BaseURL: fake.URL, AccessToken: "tok", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	box, err := clio.NewSecretBox(cfg.DataKeyList())
	if err != nil {
		t.Fatal(err)
	}
	hooks := clio.NewWebhooks(db, clk, ing, api, box)
	app := web.New(web.Deps{Config: cfg, DB: db, Log: slog.New(slog.DiscardHandler), Metrics: telemetry.NewMetrics(),
		Clock: clk, Services: web.Services{CMSIngest: ing, ClioWebhooks: hooks}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	url := "http://" + ln.Addr().String() + "/webhooks/cms/clio"

	wh, err := hooks.Register(ctx, url, "matter", []string{"updated"})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := fake.Handshake(wh.ID)
	if err != nil || !ok {
		t.Fatalf("handshake echoed = %v, %v; want 200 with X-Hook-Secret", ok, err)
	}
	var status string
	if err := db.Pool.QueryRow(ctx, `SELECT status FROM clio_webhooks WHERE clio_webhook_id = $1`, wh.ID).Scan(&status); err != nil || status != "enabled" {
		t.Fatalf("stored webhook status = %q, %v; want enabled", status, err)
	}

	body := cliotest.DeliveryBody(wh.ID, "updated", `{"id":7,"etag":"\"b\"","updated_at":"2026-03-02T09:00:00Z"}`)
	post := func(hdr map[string]string) int {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name       string
		hdr        map[string]string
		wantStatus int
		wantEvents int
	}{
		{"forged signature", map[string]string{"X-Hook-Signature": cliotest.Sign("guess", body)}, 401, 0},
		{"Herald-Signature is not accepted for Clio", map[string]string{"Herald-Signature": ingest.Sign(cmsSecret, clk.Now(), body)}, 401, 0},
		{"unknown handshake secret", map[string]string{"X-Hook-Secret": "not-from-clio"}, 401, 0},
		{"signed delivery", map[string]string{"X-Hook-Signature": cliotest.Sign(wh.SharedSecret, body)}, 202, 1},
		{"redelivery", map[string]string{"X-Hook-Signature": cliotest.Sign(wh.SharedSecret, body)}, 200, 1},
	}
	for _, tt := range tests {
		if got := post(tt.hdr); got != tt.wantStatus {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.wantStatus)
		}
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM inbound_events`).Scan(&n); err != nil || n != tt.wantEvents {
			t.Errorf("%s: inbound events = %d (%v), want %d", tt.name, n, err, tt.wantEvents)
		}
	}
}
