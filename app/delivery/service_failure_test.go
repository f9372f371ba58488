package delivery_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/app/ledger"
)

func TestDeliverRetriesTransientThenSucceeds(t *testing.T) {
	h := newHarness(t)
	id := h.email(t)
	unavailable := providertest.SendGridError(http.StatusServiceUnavailable, "service unavailable", "")
	h.sg.Enqueue(unavailable, unavailable)

	h.deliver(t, id)
	m := h.get(t, id)
	if m.Status != ledger.StatusFailedRetrying || !m.DueAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after first 503: %s due %v, want failed_retrying due %v", m.Status, m.DueAt, t0.Add(time.Minute))
	}
	// Not due yet: a wake-up now does nothing.
	h.clk.Advance(30 * time.Second)
	h.deliver(t, id)
	if got := h.sg.Stats().Requests; got != 1 {
		t.Fatalf("requests before the retry is due = %d, want 1", got)
	}
	h.clk.Advance(30 * time.Second)
	h.deliver(t, id)
	m = h.get(t, id)
	second := t0.Add(time.Minute + 5*time.Minute)
	if m.Status != ledger.StatusFailedRetrying || !m.DueAt.Equal(second) || m.Retries != 2 {
		t.Fatalf("after second 503: %s due %v retries %d, want failed_retrying due %v retries 2", m.Status, m.DueAt, m.Retries, second)
	}
	h.clk.Set(second)
	h.deliver(t, id)

	if got := len(h.sg.Sends()); got != 1 {
		t.Errorf("accepted sends = %d, want 1", got)
	}
	if m := h.get(t, id); m.Status != ledger.StatusSent || m.LastErrorCode != "503" {
		t.Errorf("final = %s (last error %q), want sent with the 503 remembered", m.Status, m.LastErrorCode)
	}
	if got := h.outcomes(t, id); !equal(got, []string{"transient_error", "transient_error", "sent"}) {
		t.Errorf("attempts = %v", got)
	}
	want := []wakeUp{{id, 2, t0.Add(time.Minute)}, {id, 3, second}}
	got := h.enq.all()
	if len(got) != 2 || got[0].ID != id || got[1].ID != id || got[0].Attempt != 2 || !got[0].At.Equal(want[0].At) || got[1].Attempt != 3 || !got[1].At.Equal(want[1].At) {
		t.Errorf("wake-ups = %+v, want %+v", got, want)
	}
}

func TestDeliverGivesUpAfterLastRetry(t *testing.T) {
	h := newHarness(t)
	id := h.sms(t)
	h.tw.SetDefault(providertest.TwilioError(http.StatusServiceUnavailable, 20503, "Service Unavailable"))
	for _, wait := range []time.Duration{0, time.Minute, 5 * time.Minute, 30 * time.Minute} {
		h.clk.Advance(wait)
		h.deliver(t, id)
	}
	m := h.get(t, id)
	if m.Status != ledger.StatusDead || !strings.Contains(m.DeadReason, "gave up after 4 attempts") {
		t.Fatalf("after the schedule: %s %q, want dead, gave up after 4 attempts", m.Status, m.DeadReason)
	}
	if got := h.tw.Stats().Requests; got != 4 {
		t.Errorf("requests = %d, want 4 (first try and 3 retries)", got)
	}
	if got := h.outcomes(t, id); !equal(got, []string{"transient_error", "transient_error", "transient_error", "transient_error"}) {
		t.Errorf("attempts = %v", got)
	}
}

func TestDeliverHonoursRetryAfter(t *testing.T) {
	h := newHarness(t)
	id := h.sms(t)
	h.tw.Enqueue(providertest.TwilioRateLimited(10 * time.Minute))
	h.deliver(t, id)
	if m := h.get(t, id); m.Status != ledger.StatusFailedRetrying || !m.DueAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("after 429: %s due %v, want failed_retrying due %v (Retry-After beats 1m)", m.Status, m.DueAt, t0.Add(10*time.Minute))
	}
}

func TestDeliverPermanentFailureIsDeadAtOnce(t *testing.T) {
	tests := []struct {
		name    string
		channel string
		step    providertest.Step
		code    string
	}{
		{"sendgrid 400", "email", providertest.SendGridError(http.StatusBadRequest, "The to email does not contain a valid address.", "personalizations.0.to.0.email"), "400"},
		{"twilio 21211", "sms", providertest.TwilioError(http.StatusBadRequest, 21211, "The 'To' number +13125550134 is not a valid phone number."), "21211"},
		{"twilio landline 21614", "sms", providertest.TwilioError(http.StatusBadRequest, 21614, "'To' number is not a valid mobile number"), "21614"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			var id int64
			if tt.channel == "email" {
				id = h.email(t)
				h.sg.Enqueue(tt.step)
			} else {
				id = h.sms(t)
				h.tw.Enqueue(tt.step)
			}
			h.deliver(t, id)
			h.clk.Advance(time.Hour)
			h.deliver(t, id)
			m := h.get(t, id)
			if m.Status != ledger.StatusDead || m.LastErrorCode != tt.code || m.DeadReason == "" {
				t.Errorf("message = %s code %q reason %q, want dead with code %s and a reason", m.Status, m.LastErrorCode, m.DeadReason, tt.code)
			}
			if strings.Contains(m.DeadReason, h.client.Phone) {
				t.Errorf("reason %q shows the phone number unmasked", m.DeadReason)
			}
			if got := h.sg.Stats().Requests + h.tw.Stats().Requests; got != 1 {
				t.Errorf("provider requests = %d, want 1 (no retries)", got)
			}
			if w := h.enq.all(); len(w) != 0 {
				t.Errorf("wake-ups = %+v, want none", w)
			}
			if got := h.outcomes(t, id); !equal(got, []string{"permanent_error"}) {
				t.Errorf("attempts = %v, want [permanent_error]", got)
			}
		})
	}
}

func TestDeliverProviderOptOutRecordsConsent(t *testing.T) {
	h := newHarness(t)
	id := h.sms(t)
	h.tw.Enqueue(providertest.TwilioError(http.StatusBadRequest, 21610, "Attempt to send to unsubscribed recipient"))
	h.deliver(t, id)
	if m := h.get(t, id); m.Status != ledger.StatusDead || m.LastErrorCode != "21610" {
		t.Fatalf("message = %s %q, want dead 21610", m.Status, m.LastErrorCode)
	}
	out, err := h.consent.IsOptedOut(context.Background(), "sms", h.client.Phone)
	if err != nil || !out {
		t.Fatalf("IsOptedOut = %v, %v; want true after 21610", out, err)
	}
	hist, _ := h.consent.History(context.Background(), "sms", h.client.Phone)
	if len(hist) != 1 || hist[0].Source != "provider_error" || !strings.Contains(hist[0].Text, "21610") {
		t.Errorf("consent history = %+v, want one provider_error event quoting 21610", hist)
	}
	// The next message to that number is never sent.
	next := h.sms(t)
	h.deliver(t, next)
	if m := h.get(t, next); m.Status != ledger.StatusCancelled {
		t.Errorf("next message = %s, want cancelled (opted out)", m.Status)
	}
	if got := h.tw.Stats().Requests; got != 1 {
		t.Errorf("twilio requests = %d, want 1", got)
	}
}

func TestDeadLetterRetrySendsExactlyOnce(t *testing.T) {
	h := newHarness(t)
	id := h.sms(t)
	h.tw.Enqueue(providertest.TwilioError(http.StatusBadRequest, 21211, "The 'To' number is not a valid phone number."))
	h.deliver(t, id)
	if m := h.get(t, id); m.Status != ledger.StatusDead {
		t.Fatalf("status = %s, want dead", m.Status)
	}
	h.clk.Advance(time.Hour)
	actor := ledger.Actor{Name: "ops@firm.test", Role: "ops"}
	m, err := h.svc.Retry(context.Background(), id, actor)
	if err != nil {
		t.Fatal(err)
	}
	if w := h.enq.all(); len(w) != 1 || w[0].ID != id || w[0].Attempt != m.Attempts+1 {
		t.Errorf("wake-ups = %+v, want one for attempt %d", w, m.Attempts+1)
	}
	if _, err := h.svc.Retry(context.Background(), id, actor); err == nil {
		t.Errorf("second retry of a pending message succeeded")
	}
	for range 3 {
		h.deliver(t, id)
	}
	if got := len(h.tw.Sends()); got != 1 {
		t.Errorf("accepted sends after retry = %d, want 1", got)
	}
	if m := h.get(t, id); m.Status != ledger.StatusSent {
		t.Errorf("status = %s, want sent", m.Status)
	}
}
