package web_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

func healthDeps(t *testing.T, rc *redis.Client) web.Deps {
	t.Helper()
	db, _ := storetest.NewDB(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return web.Deps{
		Config:  cfg,
		DB:      db,
		Redis:   rc,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: telemetry.NewMetrics(),
		Clock:   clock.Real{},
	}
}

func TestHealthAndReadiness(t *testing.T) {
	_, rc := storetest.Redis(t)
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * 1e6})
	t.Cleanup(func() { down.Close() })

	tests := []struct {
		name       string
		redis      *redis.Client
		path       string
		wantStatus int
		wantBody   string
	}{
		{"healthz", rc, "/healthz", 200, `"status":"ok"`},
		{"readyz with services up", rc, "/readyz", 200, `"ready":true`},
		{"readyz with redis down", down, "/readyz", 503, `"ready":false`},
		{"healthz with redis down", down, "/healthz", 200, `"status":"ok"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := web.New(healthDeps(t, tt.redis))
			resp, err := app.Test(httptest.NewRequest("GET", tt.path, nil), 5000)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("GET %s status = %d, want %d (body %s)", tt.path, resp.StatusCode, tt.wantStatus, body)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("GET %s body = %s, want it to contain %s", tt.path, body, tt.wantBody)
			}
		})
	}
}

func TestReadyzReportsPostgresDown(t *testing.T) {
	_, rc := storetest.Redis(t)
	d := healthDeps(t, rc)
	d.DB.Close()
	app := web.New(d)
	resp, err := app.Test(httptest.NewRequest("GET", "/readyz", nil), 5000)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || got.Ready || got.Checks["redis"] != "ok" || got.Checks["postgres"] == "ok" {
		t.Errorf("readyz with postgres closed = %d %+v, want 503 with postgres failing and redis ok", resp.StatusCode, got)
	}
}

func TestMetricsExposesHTTPLatency(t *testing.T) {
	_, rc := storetest.Redis(t)
	app := web.New(healthDeps(t, rc))
	if _, err := app.Test(httptest.NewRequest("GET", "/healthz", nil)); err != nil {
		t.Fatal(err)
	}
	resp, err := app.Test(httptest.NewRequest("GET", "/metrics", nil), 5000)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`herald_http_request_duration_seconds_count{code="2xx",method="GET",route="/healthz"}`, "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestMetricsAnswersWhileRedisHangs: a Redis that accepts connections and
// never answers (a partition) must not hold /metrics beyond its gauge wait;
// the Go runtime metrics are still served.
func TestMetricsAnswersWhileRedisHangs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // read nothing, answer nothing
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	opt := asynq.RedisClientOpt{Addr: ln.Addr().String(), ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	d := healthDeps(t, redis.NewClient(&redis.Options{Addr: ln.Addr().String()}))
	d.Inspector = insp
	app := web.New(d)
	for i := range 2 { // the second scrape finds the first sample still running
		start := time.Now()
		resp, err := app.Test(httptest.NewRequest("GET", "/metrics", nil), 15000)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if took := time.Since(start); took > 4*time.Second {
			t.Errorf("scrape %d took %s with Redis hanging; want about the 2s gauge wait at most", i+1, took)
		}
		if resp.StatusCode != 200 || !strings.Contains(string(body), "go_goroutines") {
			t.Errorf("scrape %d: %d without go_goroutines", i+1, resp.StatusCode)
		}
	}
}
