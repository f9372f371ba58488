package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/sandbox"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

// apiEnv is the JSON API over a real database with one token per role.
type apiEnv struct {
	app    *fiber.App
	db     *store.DB
	clk    *clock.Fake
	ledger *ledger.Store
	sb     *sandbox.Sender
	client ledgertest.Client
	tokens map[string]string // role → secret
	wakes  int
}

func (e *apiEnv) EnqueueMessage(context.Context, int64, int, time.Time) error { e.wakes++; return nil }

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	db, _ := storetest.NewDB(t)
	e := &apiEnv{db: db, clk: clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)), tokens: map[string]string{}}
	e.ledger = ledger.New(db, e.clk)
	e.sb = sandbox.New(e.clk.Now)
	pauses := pause.New(db, e.clk)
	svc, err := delivery.NewService(delivery.Deps{Ledger: e.ledger,
		Senders: map[string]delivery.Sender{delivery.ChannelEmail: e.sb, delivery.ChannelSMS: e.sb},
		Pauses:  pauses, Consent: consent.New(db, e.clk), Reads: db.Pool, Enqueuer: e, Clock: e.clk},
		delivery.Config{RetrySchedule: []time.Duration{time.Minute}, Window: delivery.DefaultWindowPolicy(delivery.Window{End: 24 * time.Hour}, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	toks := auth.NewTokens(db)
	for _, role := range auth.Roles {
		secret, _, err := toks.Create(context.Background(), role+"-token", role)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = secret
	}
	e.app = web.New(web.Deps{Config: cfg, DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: telemetry.NewMetrics(), Clock: e.clk, Services: web.Services{
			Pauses: pauses, CaseFinder: cases.New(db, e.clk, time.UTC), CaseReader: cases.New(db, e.clk, time.UTC),
			Timeline: e.ledger, DeadLetters: e.ledger, DeadLetterRetrier: svc,
		}})
	e.client = ledgertest.SeedClient(t, db, "+13125550134", "ana@example.com", "")
	return e
}

// call makes a request as role ("" = no token) and decodes the JSON answer.
func (e *apiEnv) call(t *testing.T, role, method, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	resp, err := e.app.Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object", method, path, b)
	}
	return resp.StatusCode, out
}

// deadEmail creates an email and records it dead, as a hard bounce would.
func (e *apiEnv) deadEmail(t *testing.T) int64 {
	t.Helper()
	id := ledgertest.Message(t, e.db, ledger.NewMessage{CaseID: &e.client.CaseID, ClientID: &e.client.ClientID,
		Channel: "email", Recipient: "fail-permanent@example.com", Subject: "Update", DueAt: e.clk.Now()})
	c, err := e.ledger.Claim(context.Background(), id, e.clk.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ledger.Finish(context.Background(), id, c.Attempt, ledger.Outcome{Status: ledger.StatusDead, At: e.clk.Now(),
		Code: "bounce", Reason: "The address does not exist.", Fix: "Correct the email in the CMS."}); err != nil {
		t.Fatal(err)
	}
	return id
}

func fieldOf(body map[string]any) string {
	fs, _ := body["fields"].([]any)
	if len(fs) == 0 {
		return ""
	}
	f, _ := fs[0].(map[string]any)
	s, _ := f["field"].(string)
	return s
}

func TestAPIDeadLetters(t *testing.T) {
	e := newAPIEnv(t)
	id := e.deadEmail(t)
	retry := fmt.Sprintf("/api/v1/dead-letters/%d/retry", id)
	resolve := fmt.Sprintf("/api/v1/dead-letters/%d/resolve", id)

	tests := []struct {
		name       string
		role       string
		method     string
		path       string
		body       string
		wantStatus int
		wantField  string
	}{
		{"no token", "", "GET", "/api/v1/dead-letters", "", 401, ""},
		{"attorney can read", auth.RoleAttorney, "GET", "/api/v1/dead-letters", "", 200, ""},
		{"bad filter", auth.RoleOps, "GET", "/api/v1/dead-letters?status=sent", "", 400, "status"},
		{"bad since", auth.RoleOps, "GET", "/api/v1/dead-letters?since=yesterday", "", 400, "since"},
		{"attorney cannot retry", auth.RoleAttorney, "POST", retry, "", 403, ""},
		{"attorney cannot resolve", auth.RoleAttorney, "POST", resolve, `{"note":"x"}`, 403, ""},
		{"resolve needs a note", auth.RoleParalegal, "POST", resolve, `{}`, 400, "note"},
		{"resolve needs a JSON body", auth.RoleParalegal, "POST", resolve, `note=x`, 400, "body"},
		{"bad id", auth.RoleOps, "POST", "/api/v1/dead-letters/abc/retry", "", 400, "id"},
		{"unknown id", auth.RoleOps, "POST", "/api/v1/dead-letters/999999/retry", "", 404, ""},
		{"ops retries", auth.RoleOps, "POST", retry, "", 200, ""},
		{"second retry conflicts", auth.RoleOps, "POST", retry, "", 409, ""},
		{"pending cannot be resolved", auth.RoleOps, "POST", resolve, `{"note":"called"}`, 409, ""},
	}
	for _, tt := range tests {
		status, body := e.call(t, tt.role, tt.method, tt.path, tt.body)
		if status != tt.wantStatus {
			t.Errorf("%s: status = %d (%v), want %d", tt.name, status, body, tt.wantStatus)
			continue
		}
		if tt.wantField != "" && fieldOf(body) != tt.wantField {
			t.Errorf("%s: field = %q (%v), want %q", tt.name, fieldOf(body), body, tt.wantField)
		}
		if tt.name == "attorney can read" {
			items, _ := body["items"].([]any)
			if len(items) != 1 || body["dead"] != float64(1) || body["outcome_unknown"] != float64(0) {
				t.Errorf("list = %v, want the one dead letter with counts", body)
			}
		}
		if tt.name == "ops retries" && (body["status"] != "pending" || e.wakes != 1) {
			t.Errorf("retry answered %v with %d wake-ups, want pending and 1", body["status"], e.wakes)
		}
	}

	other := e.deadEmail(t)
	status, body := e.call(t, auth.RoleAdmin, "POST", fmt.Sprintf("/api/v1/dead-letters/%d/resolve", other), `{"note":"client confirmed by phone"}`)
	if status != 200 || body["resolved_by"] != "token:admin-token" || body["resolution_note"] != "client confirmed by phone" {
		t.Errorf("resolve = %d %v, want 200 resolved by the admin token", status, body)
	}
	_, body = e.call(t, auth.RoleOps, "GET", "/api/v1/dead-letters", "")
	if items, _ := body["items"].([]any); len(items) != 0 {
		t.Errorf("inbox after retry and resolve = %v, want empty", items)
	}
}

func TestAPITimelineAndCase(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	id := ledgertest.Message(t, e.db, ledger.NewMessage{CaseID: &e.client.CaseID, ClientID: &e.client.ClientID,
		Channel: "sms", Recipient: e.client.Phone, DueAt: e.clk.Now()})
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO data_findings (case_id, field, code, raw, suggestion)
		VALUES ($1, 'client_email', 'suspected_typo', 'ana@gmial.com', 'ana@gmail.com')`, e.client.CaseID); err != nil {
		t.Fatal(err)
	}
	var ext string
	if err := e.db.Pool.QueryRow(ctx, `SELECT external_id FROM cases WHERE id = $1`, e.client.CaseID).Scan(&ext); err != nil {
		t.Fatal(err)
	}
	if _, err := pause.New(e.db, e.clk).Pause(ctx, pause.Request{Scope: pause.ScopeClient, ClientID: e.client.ClientID, Reason: "fee dispute", Actor: "pat"}); err != nil {
		t.Fatal(err)
	}

	status, body := e.call(t, auth.RoleAttorney, "GET", fmt.Sprintf("/api/v1/clients/%d/timeline", e.client.ClientID), "")
	msgs, _ := body["messages"].([]any)
	if status != 200 || len(msgs) != 1 || msgs[0].(map[string]any)["id"] != float64(id) {
		t.Errorf("timeline = %d %v, want 200 with message %d", status, body, id)
	}
	if status, _ := e.call(t, auth.RoleAttorney, "GET", "/api/v1/clients/999999/timeline", ""); status != 404 {
		t.Errorf("unknown client timeline = %d, want 404", status)
	}
	if status, body := e.call(t, auth.RoleAttorney, "GET", fmt.Sprintf("/api/v1/clients/%d/timeline?limit=0", e.client.ClientID), ""); status != 400 || fieldOf(body) != "limit" {
		t.Errorf("limit=0 = %d %v, want 400 naming limit", status, body)
	}

	status, body = e.call(t, auth.RoleParalegal, "GET", "/api/v1/cases/"+ext+"?source=test", "")
	if status != 200 {
		t.Fatalf("case = %d %v, want 200", status, body)
	}
	p, _ := body["pause"].(map[string]any)
	fs, _ := body["findings"].([]any)
	if body["case_id"] != ext || body["client_id"] != float64(e.client.ClientID) || p["paused"] != true || p["scope"] != "client" || len(fs) != 1 {
		t.Errorf("case = %v, want its ids, the client pause and one finding", body)
	}
	if status, _ := e.call(t, auth.RoleParalegal, "GET", "/api/v1/cases/nope?source=test", ""); status != 404 {
		t.Errorf("unknown case = %d, want 404", status)
	}
}
