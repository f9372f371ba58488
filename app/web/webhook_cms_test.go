package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

const cmsSecret = "web-test-secret"

// cmsApp serves the webhook route over a real database; closeDB simulates
// PostgreSQL going away.
func cmsApp(t *testing.T, closeDB bool) (*web.Deps, func(t *testing.T, body []byte, sign bool, source string) (int, string, map[string]any)) {
	t.Helper()
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `INSERT INTO sources (name, kind) VALUES ('generic', 'webhook')`); err != nil {
		t.Fatal(err)
	}
	if _, err := statuses.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.WebhookSecrets = map[string][]string{"generic": {cmsSecret}}
	cfg.WebhookMaxBody = 2048
	clk := clock.NewFake(time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC))
	svc, err := ingest.New(db, cfg, clk, statuses.New(db, clk), cases.New(db, clk, cfg.Location()), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if closeDB {
		db.Close()
	}
	d := web.Deps{Config: cfg, DB: db, Log: slog.New(slog.DiscardHandler), Metrics: telemetry.NewMetrics(), Clock: clk,
		Services: web.Services{CMSIngest: svc}}
	app := web.New(d)
	post := func(t *testing.T, body []byte, sign bool, source string) (int, string, map[string]any) {
		t.Helper()
		req := httptest.NewRequest("POST", "/webhooks/cms/"+source, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sign {
			req.Header.Set("Herald-Signature", ingest.Sign(cmsSecret, clk.Now(), body))
		}
		resp, err := app.Test(req, 10000)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return resp.StatusCode, resp.Header.Get("Retry-After"), m
	}
	return &d, post
}

func TestWebhookCMS(t *testing.T) {
	d, post := cmsApp(t, false)
	good := []byte(`{"id":"evt_1","type":"case.updated","data":{"case_id":"C-1","client_id":"CL-1","current_attributes":{"status":"Retained"}}}`)
	tests := []struct {
		name       string
		body       []byte
		sign       bool
		source     string
		wantStatus int
		wantJSON   string // a field that must be in the body, as key=value
	}{
		{"accepted", good, true, "generic", 202, "status=accepted"},
		{"duplicate", good, true, "generic", 200, "status=duplicate"},
		{"unsigned", []byte(`{"id":"evt_2"}`), false, "generic", 401, "error=unauthorized: the Herald-Signature header is missing"},
		{"unknown source", good, true, "acme", 404, ""},
		{"malformed", []byte("{\"id\": \"evt_3\",\n\"data\": [}"), true, "generic", 400, ""},
		// Fiber's BodyLimit (server.go) is one byte above the configured
		// limit, so this reaches ingest; larger bodies fasthttp refuses itself.
		{"just over the limit", bytes.Repeat([]byte(" "), 2049), true, "generic", 413,
			"error=request too large: body is 2049 bytes; the limit is 2048 (HERALD_WEBHOOK_MAX_BODY)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := post(t, tt.body, tt.sign, tt.source)
			if code != tt.wantStatus {
				t.Fatalf("POST status = %d (%v), want %d", code, body, tt.wantStatus)
			}
			if k, v, ok := strings.Cut(tt.wantJSON, "="); ok && body[k] != v {
				t.Errorf("body[%s] = %v, want %q (body %v)", k, body[k], v, body)
			}
			if code == 202 || code == 200 {
				if id, _ := body["event_id"].(float64); id <= 0 {
					t.Errorf("event_id = %v, want the stored row id", body["event_id"])
				}
			}
		})
	}
	t.Run("counted in herald_inbound_events_total", func(t *testing.T) {
		got := map[string]float64{}
		mfs, err := d.Metrics.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "herald_inbound_events_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				got[labels["source"]+"/"+labels["result"]] = m.GetCounter().GetValue()
			}
		}
		want := map[string]float64{"generic/accepted": 1, "generic/duplicate": 1, "generic/rejected": 3, "unknown/rejected": 1}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("herald_inbound_events_total = %v, want %v (an unknown source's name never becomes a label)", got, want)
		}
	})
	t.Run("malformed names the position", func(t *testing.T) {
		_, _, body := post(t, []byte("{\"id\": \"evt_3\",\n\"data\": [}"), true, "generic")
		fields, _ := body["fields"].([]any)
		if len(fields) != 1 || !strings.Contains(fields[0].(map[string]any)["problem"].(string), "line 2, column 10 (byte offset 25)") {
			t.Errorf("400 body = %v, want a body field error at line 2, column 10, byte offset 25", body)
		}
	})
}

// TestWebhookCMSFarOverTheLimit posts, over a real connection, a body that
// fasthttp refuses while reading it (app.Test cannot: it returns fasthttp's
// error). The answer is still Herald's JSON error shape with the limit, and
// nothing is stored.
func TestWebhookCMSFarOverTheLimit(t *testing.T) {
	d, _ := cmsApp(t, false)
	app := web.New(*d)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { _ = app.Shutdown() })
	body := bytes.Repeat([]byte(" "), 100_000)
	resp, err := http.Post("http://"+ln.Addr().String()+"/webhooks/cms/generic", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("413 body is not JSON: %v", err)
	}
	const want = "request too large: request body is 100000 bytes; the limit is 2048 bytes (HERALD_WEBHOOK_MAX_BODY): send a smaller body or raise the limit"
	if resp.StatusCode != 413 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || got.Error != want {
		t.Errorf("POST 100000 bytes = %d %s %q, want 413 application/json %q", resp.StatusCode, resp.Header.Get("Content-Type"), got.Error, want)
	}
	var n int
	if err := d.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound_events`).Scan(&n); err != nil || n != 0 {
		t.Errorf("inbound_events rows = %d (%v), want 0", n, err)
	}
}

func TestWebhookCMSPostgresDown(t *testing.T) {
	_, post := cmsApp(t, true)
	code, retry, body := post(t, []byte(`{"id":"evt_1","data":{"case_id":"C-1"}}`), true, "generic")
	if code != 503 || retry == "" {
		t.Errorf("POST with PostgreSQL down = %d Retry-After %q (%v), want 503 with Retry-After", code, retry, body)
	}
}

func TestWebhookCMSNotRoutedWithoutService(t *testing.T) {
	d, _ := cmsApp(t, false)
	d.Services.CMSIngest = nil
	resp, err := web.New(*d).Test(httptest.NewRequest("POST", "/webhooks/cms/generic", strings.NewReader("{}")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 {
		t.Errorf("POST without an ingest service = %d, want 404", resp.StatusCode)
	}
}
