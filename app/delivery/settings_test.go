package delivery_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/settings"
)

// withSettings rebuilds the harness's service reading through a settings
// store whose defaults match the harness's Config (08:00–21:00 every day,
// 1m/5m/30m, ops@firm.test), and returns the store.
func withSettings(t *testing.T, h *harness) *settings.Store {
	t.Helper()
	st := settings.New(h.db, h.clk, settings.Values{FirmName: "Env Law", FirmPhone: "+1 312 555 0100",
		PortalURL: "https://herald.firm.test", SMSStart: 8 * time.Hour, SMSEnd: 21 * time.Hour,
		SMSDays:       []time.Weekday{0, 1, 2, 3, 4, 5, 6},
		RetrySchedule: h.cfg.RetrySchedule, AlertEmails: h.cfg.AlertEmails}, settings.Options{TTL: time.Minute})
	d := h.deps
	d.Settings = st
	svc, err := delivery.NewService(d, h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	return st
}

// save stores the settings form f after edit, as the Settings screen does.
func save(t *testing.T, st *settings.Store, edit func(*settings.Form)) {
	t.Helper()
	cur, err := st.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := settings.FormOf(cur)
	edit(&f)
	if _, err := st.Save(context.Background(), f, "Ada Admin <ada@firm.test>"); err != nil {
		t.Fatalf("save settings: %v", err)
	}
}

func TestSavedSMSWindowChangesTheHoldDecision(t *testing.T) {
	h := newHarness(t)
	st := withSettings(t, h)
	// 22:30 in Chicago on Monday 2 March: after the default 21:00 close.
	h.clk.Set(time.Date(2026, 3, 3, 4, 30, 0, 0, time.UTC))
	before := h.sms(t)
	h.deliver(t, before)
	if m := h.get(t, before); m.Status != ledger.StatusHeld || !strings.Contains(m.HoldReason, "08:00-21:00") {
		t.Fatalf("with the default window: %s %q, want held outside 08:00-21:00", m.Status, m.HoldReason)
	}

	save(t, st, func(f *settings.Form) { f.SMSEnd = "23:00" })
	after := h.sms(t)
	h.deliver(t, after)
	if m := h.get(t, after); m.Status != ledger.StatusSent {
		t.Fatalf("after saving 08:00-23:00, the same time: %s %q, want sent", m.Status, m.HoldReason)
	}

	// Saving a narrower window and weekdays only holds to the next opening.
	save(t, st, func(f *settings.Form) {
		f.SMSStart, f.SMSEnd = "10:00", "16:00"
		f.SMSDays = []string{"wed", "thu"}
	})
	held := h.sms(t)
	h.deliver(t, held)
	wed10 := time.Date(2026, 3, 4, 16, 0, 0, 0, time.UTC) // Wednesday 10:00 CST
	if m := h.get(t, held); m.Status != ledger.StatusHeld || !m.DueAt.Equal(wed10) || !strings.Contains(m.HoldReason, "10:00-16:00") {
		t.Errorf("after saving Wed–Thu 10:00-16:00: %s due %v %q, want held until %v", m.Status, m.DueAt, m.HoldReason, wed10)
	}
	if got := len(h.tw.Sends()); got != 1 {
		t.Errorf("twilio sends = %d, want 1 (only the message inside the saved window)", got)
	}
}

func TestSavedAlertRecipientsGetTheNextAlert(t *testing.T) {
	k := &hook{}
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	h := newHarness(t)
	st := withSettings(t, h)
	ctx := context.Background()
	invalid := providertest.TwilioError(http.StatusBadRequest, 21211, "The 'To' number is not a valid phone number.")

	h.tw.Enqueue(invalid)
	h.deliver(t, h.sms(t))
	if n, err := h.svc.Alert(ctx); err != nil || n != 1 {
		t.Fatalf("first Alert = %d, %v", n, err)
	}
	if s := h.sg.Sends(); len(s) != 1 || s[0].To[0] != "ops@firm.test" {
		t.Fatalf("first alert went to %+v, want ops@firm.test (the environment's)", s)
	}

	save(t, st, func(f *settings.Form) {
		f.AlertEmails = "lead@firm.test, night@firm.test"
		f.AlertWebhook = srv.URL + "/services/T0/B0/secret"
	})
	h.tw.Enqueue(invalid)
	h.deliver(t, h.sms(t))
	h.clk.Advance(2 * time.Minute)
	if n, err := h.svc.Alert(ctx); err != nil || n != 1 {
		t.Fatalf("second Alert = %d, %v", n, err)
	}
	var to []string
	for _, s := range h.sg.Sends()[1:] {
		to = append(to, s.To...)
	}
	if strings.Join(to, ",") != "lead@firm.test,night@firm.test" {
		t.Errorf("second alert e-mails went to %v, want the saved lead@ and night@ only", to)
	}
	if got := k.all(); len(got) != 1 || !strings.Contains(got[0], "1 dead") {
		t.Errorf("saved webhook got %q, want one alert", got)
	}
}

func TestSavedRetryScheduleAndSenderName(t *testing.T) {
	h := newHarness(t)
	st := withSettings(t, h)
	save(t, st, func(f *settings.Form) {
		f.RetrySchedule = "2m"
		f.EmailFromName = "Reyes & Partners"
	})
	busy := providertest.TwilioError(http.StatusServiceUnavailable, 0, "Service Unavailable")
	h.tw.Enqueue(busy, busy)
	id := h.sms(t)
	start := h.clk.Now()
	h.deliver(t, id)
	if m := h.get(t, id); m.Status != ledger.StatusFailedRetrying || !m.DueAt.Equal(start.Add(2*time.Minute)) {
		t.Fatalf("after a 503: %s due %v, want failed_retrying due in the saved 2m", m.Status, m.DueAt)
	}
	h.clk.Advance(2 * time.Minute)
	h.deliver(t, id)
	if m := h.get(t, id); m.Status != ledger.StatusDead {
		t.Errorf("after the second 503: %s, want dead (the saved schedule has one retry)", m.Status)
	}

	email := h.email(t)
	h.deliver(t, email)
	if s := h.sg.Sends(); len(s) != 1 || s[0].FromName != "Reyes & Partners" {
		t.Errorf("e-mail sender name = %+v, want the saved Reyes & Partners", s)
	}
}
