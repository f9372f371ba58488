package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/app/writeback"
	"github.com/heraldhq/herald/config"
)

// deadMsg records a message on channel dead with code at the current time.
func (e *apiEnv) deadMsg(t *testing.T, channel, code string) int64 {
	t.Helper()
	to := map[string]string{"sms": e.client.Phone, "email": "ana@example.com"}[channel]
	id := ledgertest.Message(t, e.db, ledger.NewMessage{CaseID: &e.client.CaseID, ClientID: &e.client.ClientID,
		Channel: channel, Recipient: to, Subject: "Update", DueAt: e.clk.Now()})
	c, err := e.ledger.Claim(context.Background(), id, e.clk.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ledger.Finish(context.Background(), id, c.Attempt, ledger.Outcome{Status: ledger.StatusDead, At: e.clk.Now(),
		Code: code, Reason: "failed: " + code, Fix: "fix it"}); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *apiEnv) status(t *testing.T, id int64) (status string, resolved bool) {
	t.Helper()
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT status, resolved_at IS NOT NULL FROM messages WHERE id = $1`, id).
		Scan(&status, &resolved); err != nil {
		t.Fatal(err)
	}
	return status, resolved
}

func TestAPIBulkDeadLetters(t *testing.T) {
	e := newAPIEnv(t)
	oldSMS := e.deadMsg(t, "sms", "21211")
	e.clk.Advance(2 * time.Hour)
	since := e.clk.Now().Add(-time.Minute).Format(time.RFC3339)
	sms1, sms2 := e.deadMsg(t, "sms", "21211"), e.deadMsg(t, "sms", "21211")
	landline := e.deadMsg(t, "sms", "30006")
	email := e.deadMsg(t, "email", "21211")

	refusals := []struct {
		name, role, path, body string
		wantStatus             int
		wantField              string
	}{
		{"no token", "", "/api/v1/dead-letters/retry", `{"status":"dead"}`, 401, ""},
		{"attorney cannot bulk retry", auth.RoleAttorney, "/api/v1/dead-letters/retry", `{"status":"dead"}`, 403, ""},
		{"attorney cannot bulk resolve", auth.RoleAttorney, "/api/v1/dead-letters/resolve", `{"status":"dead","note":"x"}`, 403, ""},
		{"status is required", auth.RoleOps, "/api/v1/dead-letters/retry", `{"channel":"sms"}`, 400, "status"},
		{"unknown status", auth.RoleOps, "/api/v1/dead-letters/retry", `{"status":"sent"}`, 400, "status"},
		{"unknown channel", auth.RoleOps, "/api/v1/dead-letters/retry", `{"status":"dead","channel":"fax"}`, 400, "channel"},
		{"bad since", auth.RoleOps, "/api/v1/dead-letters/retry", `{"status":"dead","since":"yesterday"}`, 400, "since"},
		{"since after until", auth.RoleOps, "/api/v1/dead-letters/retry",
			fmt.Sprintf(`{"status":"dead","since":%q,"until":%q}`, since, e.clk.Now().Add(-time.Hour).Format(time.RFC3339)), 400, "since"},
		{"unknown field", auth.RoleOps, "/api/v1/dead-letters/retry", `{"status":"dead","reason_class":"21211"}`, 400, "body"},
		{"limit out of range", auth.RoleOps, "/api/v1/dead-letters/retry", `{"status":"dead","limit":5000}`, 400, "limit"},
		{"not JSON", auth.RoleOps, "/api/v1/dead-letters/retry", `status=dead`, 400, "body"},
		{"resolve needs a note", auth.RoleOps, "/api/v1/dead-letters/resolve", `{"status":"dead","code":"30006"}`, 400, "note"},
	}
	for _, tt := range refusals {
		status, body := e.call(t, tt.role, "POST", tt.path, tt.body)
		if status != tt.wantStatus || (tt.wantField != "" && fieldOf(body) != tt.wantField) {
			t.Errorf("%s: %d %v, want %d naming %q", tt.name, status, body, tt.wantStatus, tt.wantField)
		}
	}
	for _, id := range []int64{oldSMS, sms1, sms2, landline, email} {
		if st, resolved := e.status(t, id); st != ledger.StatusDead || resolved {
			t.Fatalf("after the refusals message %d is %s (resolved %v), want untouched", id, st, resolved)
		}
	}

	// Retry the invalid-number SMS of the last hour: reason class, channel, since.
	status, body := e.call(t, auth.RoleOps, "POST", "/api/v1/dead-letters/retry",
		fmt.Sprintf(`{"status":"dead","code":"21211","channel":"sms","since":%q}`, since))
	if status != 200 || body["count"] != float64(2) {
		t.Fatalf("bulk retry = %d %v, want the 2 recent invalid-number SMS", status, body)
	}
	want := map[int64]string{oldSMS: ledger.StatusDead, sms1: ledger.StatusPending, sms2: ledger.StatusPending,
		landline: ledger.StatusDead, email: ledger.StatusDead}
	for id, w := range want {
		if st, _ := e.status(t, id); st != w {
			t.Errorf("message %d: %s, want %s", id, st, w)
		}
	}
	if e.wakes != 2 {
		t.Errorf("delivery woken %d times, want 2 (once per retried message)", e.wakes)
	}
	if got := countRows(t, e, `SELECT count(*) FROM audit_log WHERE action = 'message.retry' AND actor = 'token:ops-token'`); got != 2 {
		t.Errorf("message.retry audit rows = %d, want 2", got)
	}

	// Resolve the landlines with a note.
	status, body = e.call(t, auth.RoleParalegal, "POST", "/api/v1/dead-letters/resolve", `{"status":"dead","code":"30006","note":"called the client; using email"}`)
	if status != 200 || body["count"] != float64(1) {
		t.Fatalf("bulk resolve = %d %v, want the landline", status, body)
	}
	if _, resolved := e.status(t, landline); !resolved {
		t.Error("the landline dead letter is not resolved")
	}
	if _, resolved := e.status(t, email); resolved {
		t.Error("the email dead letter was resolved by a filter for 30006")
	}
	// Nothing matches: 200 with an empty list, not an error.
	status, body = e.call(t, auth.RoleOps, "POST", "/api/v1/dead-letters/retry", `{"status":"outcome_unknown"}`)
	if items, _ := body["items"].([]any); status != 200 || body["count"] != float64(0) || items == nil {
		t.Errorf("empty match = %d %v, want 200 with count 0 and []", status, body)
	}
}

func countRows(t *testing.T, e *apiEnv, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// flakyReceiver is a firm's write-back endpoint answering status.
type flakyReceiver struct {
	mu     sync.Mutex
	status int
	got    int
}

func (r *flakyReceiver) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == http.StatusOK {
		r.got++
	}
	w.WriteHeader(r.status)
}

func (r *flakyReceiver) set(status int) {
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

func TestAPIWritebackFailures(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	rcv := &flakyReceiver{status: http.StatusGone}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	wb, err := writeback.New(writeback.Deps{DB: e.db, Clock: e.clk}, writeback.Config{WebhookURL: srv.URL, WebhookSecret: "whsec"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	e.app = web.New(web.Deps{Config: cfg, DB: e.db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: telemetry.NewMetrics(), Clock: e.clk, Services: web.Services{WritebackFailures: wb}})
	// A sent SMS and the client's reply to it.
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO messages (idempotency_key, channel, recipient, body_text, status, sent_at, case_id, client_id)
		VALUES ('wb-1', 'sms', $1, 'Your hearing is confirmed.', 'delivered', $2, $3, $4)`,
		e.client.Phone, e.clk.Now().Add(-time.Hour), e.client.CaseID, e.client.ClientID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO inbound_messages (provider, provider_message_id, client_id, case_id, channel, from_address, body, created_at)
		VALUES ('twilio', 'SMwb', $1, $2, 'sms', $3, 'Thanks, see you there', $4)`, e.client.ClientID, e.client.CaseID, e.client.Phone, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := wb.Collect(ctx); err != nil || n != 2 {
		t.Fatalf("Collect = %d, %v; want the message and the reply", n, err)
	}
	if _, err := wb.Push(ctx); err != nil {
		t.Fatal(err)
	}

	status, body := e.call(t, auth.RoleAttorney, "GET", "/api/v1/writeback/failures", "")
	items, _ := body["items"].([]any)
	if status != 200 || len(items) != 2 {
		t.Fatalf("failures = %d %v, want both (410 is permanent)", status, body)
	}
	kinds := map[string]float64{}
	for _, it := range items {
		m := it.(map[string]any)
		kinds[m["kind"].(string)] = m["id"].(float64)
		if m["status"] != "failed" || m["last_error"] == "" || m["case_id"] != float64(e.client.CaseID) {
			t.Errorf("failure %v, want failed with the error and the case", m)
		}
	}
	if kinds["message"] == 0 || kinds["reply"] == 0 {
		t.Fatalf("failure kinds = %v, want a message and a reply", kinds)
	}
	replyPath := fmt.Sprintf("/api/v1/writeback/%d/retry", int64(kinds["reply"]))
	refusals := []struct {
		name, role, method, path string
		wantStatus               int
	}{
		{"no token", "", "GET", "/api/v1/writeback/failures", 401},
		{"bad limit", auth.RoleOps, "GET", "/api/v1/writeback/failures?limit=0", 400},
		{"attorney cannot retry", auth.RoleAttorney, "POST", replyPath, 403},
		{"bad id", auth.RoleOps, "POST", "/api/v1/writeback/abc/retry", 400},
		{"unknown id", auth.RoleOps, "POST", "/api/v1/writeback/999999/retry", 404},
	}
	for _, tt := range refusals {
		if status, body := e.call(t, tt.role, tt.method, tt.path, ""); status != tt.wantStatus {
			t.Errorf("%s: %d %v, want %d", tt.name, status, body, tt.wantStatus)
		}
	}

	// The receiver is fixed; ops retries the reply, which is then written.
	rcv.set(http.StatusOK)
	status, body = e.call(t, auth.RoleOps, "POST", replyPath, "")
	if status != 200 || body["status"] != "pending" || body["kind"] != "reply" {
		t.Fatalf("retry = %d %v, want the reply pending", status, body)
	}
	if status, body := e.call(t, auth.RoleOps, "POST", replyPath, ""); status != 409 {
		t.Errorf("retrying a pending write-back = %d %v, want 409", status, body)
	}
	if n, err := wb.Push(ctx); err != nil || n != 1 || rcv.got != 1 {
		t.Errorf("Push after retry = %d, %v (receiver got %d); want the reply written once", n, err, rcv.got)
	}
	_, body = e.call(t, auth.RoleOps, "GET", "/api/v1/writeback/failures", "")
	if items, _ := body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["kind"] != "message" {
		t.Errorf("failures after the retry = %v, want only the message", body["items"])
	}
}
