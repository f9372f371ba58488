package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/app/ledger"
)

// hook is a Slack-compatible incoming webhook.
type hook struct {
	mu    sync.Mutex
	texts []string
}

func (k *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var body struct {
		Text string `json:"text"`
	}
	if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &body) != nil || body.Text == "" {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	k.mu.Lock()
	k.texts = append(k.texts, body.Text)
	k.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

func (k *hook) all() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.texts...)
}

func TestAlertsAreBatchedPerMinute(t *testing.T) {
	k := &hook{}
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	h := newHarness(t, func(c *delivery.Config) { c.AlertWebhook = srv.URL })
	ctx := context.Background()

	invalid := providertest.TwilioError(http.StatusBadRequest, 21211, "The 'To' number is not a valid phone number.")
	h.tw.Enqueue(invalid, invalid)
	first, second := h.sms(t), h.sms(t)
	h.deliver(t, first)
	h.clk.Advance(20 * time.Second)
	h.deliver(t, second)

	n, err := h.svc.Alert(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Alert = %d, %v; want one alert for 2 dead letters", n, err)
	}
	emails := h.sg.Sends()
	if len(emails) != 1 || !strings.Contains(emails[0].Subject, "2 messages need attention") || emails[0].To[0] != "ops@firm.test" {
		t.Fatalf("alert emails = %+v, want one to ops@firm.test counting 2", emails)
	}
	texts := k.all()
	if len(texts) != 1 || !strings.Contains(texts[0], "2 dead") || !strings.Contains(texts[0], "21211 ×2") ||
		!strings.Contains(texts[0], "https://herald.firm.test/dead-letters") {
		t.Fatalf("webhook texts = %q, want one with the counts, the code and the inbox link", texts)
	}
	if strings.Contains(texts[0], h.client.Phone) {
		t.Errorf("alert text %q contains the client's phone number", texts[0])
	}

	// A third dead letter within the minute waits for the next batch.
	third := h.sms(t)
	h.tw.Enqueue(invalid)
	h.deliver(t, third)
	h.clk.Advance(30 * time.Second)
	if n, err := h.svc.Alert(ctx); err != nil || n != 0 {
		t.Errorf("Alert within the minute = %d, %v; want 0", n, err)
	}
	h.clk.Advance(31 * time.Second)
	if n, err := h.svc.Alert(ctx); err != nil || n != 1 {
		t.Errorf("Alert after the minute = %d, %v; want 1", n, err)
	}
	if got := len(k.all()); got != 2 {
		t.Errorf("webhook posts = %d, want 2", got)
	}
	if n, _ := h.svc.Alert(ctx); n != 0 {
		t.Errorf("Alert with nothing new = %d, want 0", n)
	}
	dl, _ := h.ledger.DeadLetters(ctx, ledger.DeadFilter{})
	if len(dl.Items) != 3 {
		t.Errorf("dead letters = %d, want 3 (alerting does not resolve them)", len(dl.Items))
	}
}

// TestFailedAlertIsRetriedWithEverything checks an alert no channel could
// deliver marks nothing: the next run reports the same dead letters (with
// any new ones), and alerts never become ledger messages (they bypass the
// ledger so they do not depend on the path that is failing).
func TestFailedAlertIsRetriedWithEverything(t *testing.T) {
	var mu sync.Mutex
	status := http.StatusInternalServerError
	var texts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		if status == http.StatusOK {
			texts = append(texts, string(b))
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, func(c *delivery.Config) { c.AlertWebhook = srv.URL; c.AlertEmails = nil })
	ctx := context.Background()
	invalid := providertest.TwilioError(http.StatusBadRequest, 21211, "The 'To' number is not a valid phone number.")
	h.tw.Enqueue(invalid, invalid)
	first := h.sms(t)
	h.deliver(t, first)
	before := countMessages(t, h)

	if n, err := h.svc.Alert(ctx); err == nil || n != 0 || !strings.Contains(err.Error(), "500") {
		t.Fatalf("Alert with the webhook down = %d, %v; want an error naming the 500 and nothing reported", n, err)
	}
	h.clk.Advance(10 * time.Second) // a failed alert does not start the one-minute gap
	second := h.sms(t)
	h.deliver(t, second)
	mu.Lock()
	status = http.StatusOK
	mu.Unlock()
	if n, err := h.svc.Alert(ctx); err != nil || n != 2 {
		t.Fatalf("Alert after the webhook recovered = %d, %v; want both dead letters", n, err)
	}
	if len(texts) != 1 || !strings.Contains(texts[0], "2 dead") {
		t.Errorf("webhook posts = %q, want one counting 2 dead", texts)
	}
	if got := countMessages(t, h); got != before+1 {
		t.Errorf("ledger messages = %d, want %d (the second SMS only; alerts are not ledger rows)", got, before+1)
	}
}

func countMessages(t *testing.T, h *harness) int {
	t.Helper()
	var n int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
