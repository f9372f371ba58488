package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/app/delivery/sendgrid"
	"github.com/heraldhq/herald/app/delivery/twilio"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
)

// t0 is 09:00 in Chicago (CST), inside the default SMS window.
var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// wakeUp is one recorded EnqueueMessage call.
type wakeUp struct {
	ID      int64
	Attempt int
	At      time.Time
}

// recorder is an Enqueuer that remembers wake-ups (Redis itself is
// exercised in jobs/deliver_test.go).
type recorder struct {
	mu    sync.Mutex
	wakes []wakeUp
}

func (r *recorder) EnqueueMessage(_ context.Context, id int64, attempt int, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wakes = append(r.wakes, wakeUp{id, attempt, at})
	return nil
}

func (r *recorder) all() []wakeUp {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wakeUp(nil), r.wakes...)
}

// harness is a delivery service over a real database, the real SendGrid and
// Twilio SDKs pointed at the local fakes, and the real pause and consent
// services.
type harness struct {
	db      *store.DB
	clk     *clock.Fake
	ledger  *ledger.Store
	svc     *delivery.Service
	sg      *providertest.FakeSendGrid
	tw      *providertest.FakeTwilio
	enq     *recorder
	pauses  *pause.Service
	consent *consent.Store
	client  ledgertest.Client
	cfg     delivery.Config
	// deps built the service; a test can rebuild it with other deps.
	deps delivery.Deps
	logs *syncBuffer
}

// syncBuffer collects JSON log lines from concurrent deliveries.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines decodes every log line.
func (s *syncBuffer) lines(t testing.TB) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(s.b.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func newHarness(t testing.TB, tweak ...func(*delivery.Config)) *harness {
	t.Helper()
	db, _ := storetest.NewDB(t)
	h := &harness{db: db, clk: clock.NewFake(t0), enq: &recorder{}, logs: &syncBuffer{}}
	h.ledger = ledger.New(db, h.clk)
	h.pauses = pause.New(db, h.clk)
	h.consent = consent.New(db, h.clk)
	h.sg = providertest.NewSendGrid(t)
	h.tw = providertest.NewTwilio(t)
	sg, err := sendgrid.New(sendgrid.Config{APIKey: providertest.SendGridAPIKey, BaseURL: h.sg.URL,
		FromEmail: "updates@firm.test", Now: h.clk.Now, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tw, err := twilio.New(twilio.Config{AccountSID: h.tw.AccountSID, AuthToken: h.tw.AuthToken, FromNumber: "+13125550100",
		BaseURL: h.tw.URL, PublicURL: "https://herald.firm.test", Now: h.clk.Now, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	h.cfg = delivery.Config{
		RetrySchedule: []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute},
		Window:        delivery.DefaultWindowPolicy(delivery.Window{Start: 8 * time.Hour, End: 21 * time.Hour}, chicago),
		AlertEmails:   []string{"ops@firm.test"},
		PublicURL:     "https://herald.firm.test",
	}
	for _, f := range tweak {
		f(&h.cfg)
	}
	h.deps = delivery.Deps{
		Ledger:   h.ledger,
		Senders:  map[string]delivery.Sender{delivery.ChannelEmail: sg, delivery.ChannelSMS: tw},
		Lookup:   tw,
		Pauses:   h.pauses,
		Consent:  h.consent,
		Reads:    db.Pool,
		Enqueuer: h.enq,
		Clock:    h.clk,
		Log:      slog.New(slog.NewJSONHandler(h.logs, nil)),
	}
	h.svc, err = delivery.NewService(h.deps, h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.client = ledgertest.SeedClient(t, db, "+13125550134", "ana@example.com", "")
	return h
}

// sms inserts a pending SMS to the seeded client, due now.
func (h *harness) sms(t testing.TB) int64 {
	t.Helper()
	return ledgertest.Message(t, h.db, ledger.NewMessage{CaseID: &h.client.CaseID, ClientID: &h.client.ClientID,
		Channel: "sms", Recipient: h.client.Phone, DueAt: h.clk.Now(), BodyText: "Good news: a settlement offer arrived. Reply STOP to opt out."})
}

// email inserts a pending email to the seeded client, due now.
func (h *harness) email(t testing.TB) int64 {
	t.Helper()
	return ledgertest.Message(t, h.db, ledger.NewMessage{CaseID: &h.client.CaseID, ClientID: &h.client.ClientID,
		Channel: "email", Recipient: h.client.Email, DueAt: h.clk.Now(), Subject: "Your case", BodyText: "An update.", BodyHTML: "<p>An update.</p>"})
}

func (h *harness) deliver(t testing.TB, id int64) {
	t.Helper()
	if err := h.svc.Deliver(context.Background(), id); err != nil {
		t.Fatalf("Deliver(%d): %v", id, err)
	}
}

func (h *harness) get(t testing.TB, id int64) ledger.Message {
	t.Helper()
	m, err := h.ledger.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (h *harness) outcomes(t testing.TB, id int64) []string {
	t.Helper()
	atts, err := h.ledger.Attempts(context.Background(), []int64{id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range atts {
		out = append(out, a.Outcome)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDeliverDuplicateRunsSendOnce(t *testing.T) {
	h := newHarness(t)
	id := h.sms(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.deliver(t, id)
		}()
	}
	wg.Wait()
	h.deliver(t, id)

	sends := h.tw.Sends()
	if len(sends) != 1 || h.tw.Duplicates() != 0 {
		t.Fatalf("twilio sends = %d (duplicates %d), want exactly 1", len(sends), h.tw.Duplicates())
	}
	if sends[0].HeraldMessageID != id || sends[0].To != h.client.Phone {
		t.Errorf("sent message %d to %s, want %d to %s", sends[0].HeraldMessageID, sends[0].To, id, h.client.Phone)
	}
	m := h.get(t, id)
	if m.Status != ledger.StatusSent || m.ProviderMessageID != sends[0].SID || m.Provider != "twilio" {
		t.Errorf("message = %s %s %q, want sent twilio %q", m.Status, m.Provider, m.ProviderMessageID, sends[0].SID)
	}
	if got := h.outcomes(t, id); !equal(got, []string{"sent"}) {
		t.Errorf("attempts = %v, want [sent]", got)
	}
}

func TestDeliverEmail(t *testing.T) {
	h := newHarness(t)
	id := h.email(t)
	h.deliver(t, id)
	sends := h.sg.Sends()
	if len(sends) != 1 || sends[0].HeraldMessageID != id || sends[0].Subject != "Your case" {
		t.Fatalf("sendgrid sends = %+v, want one for message %d", sends, id)
	}
	if m := h.get(t, id); m.Status != ledger.StatusSent || m.ProviderMessageID != sends[0].ProviderID {
		t.Errorf("message = %s %q, want sent %q", m.Status, m.ProviderMessageID, sends[0].ProviderID)
	}
}

func TestDeliverLogsOneMaskedLine(t *testing.T) {
	h := newHarness(t)
	id := h.sms(t)
	h.deliver(t, id)
	lines := h.logs.lines(t)
	if len(lines) != 1 {
		t.Fatalf("log lines = %d, want 1: %v", len(lines), lines)
	}
	l := lines[0]
	want := map[string]any{"msg": "deliver", "message_id": float64(id), "case_id": float64(h.client.CaseID), "channel": "sms",
		"event_type": "message.deliver", "result": "sent", "attempt": float64(1), "provider_id": h.tw.Sends()[0].SID}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("log %s = %v, want %v", k, l[k], v)
		}
	}
	raw, _ := json.Marshal(l)
	if strings.Contains(string(raw), h.client.Phone) || l["to"] != "+1********34" {
		t.Errorf("log line %s must carry the masked phone only", raw)
	}
}
