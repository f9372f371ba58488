package web_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/web"
)

func TestPauseAPI(t *testing.T) {
	d := healthDeps(t, nil)
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	for _, q := range []string{
		`INSERT INTO sources (name, kind) VALUES ('generic', 'webhook')`,
		`INSERT INTO clients (source, external_id) VALUES ('generic', 'cl-1')`,
		`INSERT INTO cases (source, external_id, client_id, snapshot) SELECT 'generic', 'M-100', id, '{}' FROM clients`,
	} {
		if _, err := d.DB.Pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	secret, _, err := auth.NewTokens(d.DB).Create(ctx, "paralegal-desk", auth.RoleParalegal)
	if err != nil {
		t.Fatal(err)
	}
	d.Services = web.Services{Pauses: pause.New(d.DB, clk), CaseFinder: cases.New(d.DB, clk, time.UTC)}
	app := web.New(d)

	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       string
		wantStatus int
		wantBody   string
	}{
		{"no token", "POST", "/api/v1/cases/M-100/pause", "", `{"reason":"x"}`, 401, "Bearer"},
		{"bad token", "POST", "/api/v1/cases/M-100/pause", "hrld_nope", `{"reason":"x"}`, 401, "unknown or revoked"},
		{"no reason", "POST", "/api/v1/cases/M-100/pause", secret, `{}`, 400, `"field":"reason"`},
		{"bad json", "POST", "/api/v1/cases/M-100/pause", secret, `{"reason":`, 400, `"field":"body"`},
		{"unknown case", "POST", "/api/v1/cases/M-404/pause", secret, `{"reason":"x"}`, 404, "not found"},
		{"expiry in the past", "POST", "/api/v1/cases/M-100/pause", secret, `{"reason":"x","expires_at":"2020-01-01T00:00:00Z"}`, 400, `"field":"expires_at"`},
		{"pause", "POST", "/api/v1/cases/M-100/pause?source=generic", secret, `{"reason":"client in hospital","expires_at":"2026-03-09T15:00:00Z"}`, 201, `"paused":true`},
		{"pause again", "POST", "/api/v1/cases/M-100/pause", secret, `{"reason":"again"}`, 409, "already paused"},
		{"resume", "DELETE", "/api/v1/cases/M-100/pause?reason=back+home", secret, ``, 200, `"paused":false`},
		{"resume again", "DELETE", "/api/v1/cases/M-100/pause", secret, ``, 404, "not paused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := app.Test(req, 5000)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%s %s = %d %s, want %d containing %s", tt.method, tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}

	rows, err := d.DB.Pool.Query(ctx, `SELECT actor, action, reason FROM audit_log WHERE target_type = 'case' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var a, b, r string
		rows.Scan(&a, &b, &r)
		got = append(got, a+"|"+b+"|"+r)
	}
	want := []string{"token:paralegal-desk|pause.case|client in hospital", "token:paralegal-desk|resume.case|back home"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit = %v, want %v", got, want)
	}
}
