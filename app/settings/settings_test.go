package settings_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/settings"
	"github.com/heraldhq/herald/app/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// defaults are what config would pass: the environment's values.
var defaults = settings.Values{FirmName: "Env Law", FirmPhone: "+1 312 555 0100", EmailFromName: "Env Law",
	PortalURL: "https://env.example", SMSStart: 8 * time.Hour, SMSEnd: 21 * time.Hour,
	SMSDays:       []time.Weekday{0, 1, 2, 3, 4, 5, 6},
	RetrySchedule: []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute}, AlertEmails: []string{"env-ops@example.com"}}

func goodForm() settings.Form {
	return settings.Form{FirmName: "Reyes & Partners", FirmPhone: "(312) 555-0199", EmailFromName: "Reyes & Partners",
		PortalURL: "https://portal.reyes.example", SMSStart: "09:00", SMSEnd: "19:30",
		SMSDays: []string{"mon", "tue", "wed", "thu", "fri"}, RetrySchedule: "2m, 10m, 1h",
		AlertEmails: "ops@reyes.example,\n lead@reyes.example", AlertWebhook: "https://hooks.slack.example/services/T0/B0/secret"}
}

func TestParseAcceptsAGoodForm(t *testing.T) {
	v, err := settings.Parse(goodForm(), settings.Options{RequireHTTPS: true, Region: "US"})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if v.SMSStart != 9*time.Hour || v.SMSEnd != 19*time.Hour+30*time.Minute {
		t.Errorf("window = %s–%s, want 9h–19h30m", v.SMSStart, v.SMSEnd)
	}
	if want := []time.Weekday{1, 2, 3, 4, 5}; !slices.Equal(v.SMSDays, want) {
		t.Errorf("days = %v, want %v", v.SMSDays, want)
	}
	if want := []time.Duration{2 * time.Minute, 10 * time.Minute, time.Hour}; !slices.Equal(v.RetrySchedule, want) {
		t.Errorf("retry = %v, want %v", v.RetrySchedule, want)
	}
	if want := []string{"ops@reyes.example", "lead@reyes.example"}; !slices.Equal(v.AlertEmails, want) {
		t.Errorf("alert emails = %v, want %v", v.AlertEmails, want)
	}
	if got := settings.FormOf(v); got.RetrySchedule != "2m, 10m, 1h" || got.SMSEnd != "19:30" {
		t.Errorf("FormOf round trip: retry %q end %q", got.RetrySchedule, got.SMSEnd)
	}
}

// TestParseNamesTheField checks that each kind of bad input is reported on
// its own field with what is wrong.
func TestParseNamesTheField(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*settings.Form)
		prod    bool
		field   string
		problem string
	}{
		{"empty firm name", func(f *settings.Form) { f.FirmName = " " }, false, "firm_name", "is required"},
		{"bad phone", func(f *settings.Form) { f.FirmPhone = "call us" }, false, "firm_phone", "is not a phone number"},
		{"display name with brackets", func(f *settings.Form) { f.EmailFromName = "Law <x@y>" }, false, "email_from_name", "cannot be an e-mail display name"},
		{"relative portal link", func(f *settings.Form) { f.PortalURL = "portal.example" }, false, "portal_url", "not an absolute http(s) URL"},
		{"http portal in prod", func(f *settings.Form) { f.PortalURL = "http://portal.example" }, true, "portal_url", "must start with https://"},
		{"bad start time", func(f *settings.Form) { f.SMSStart = "8am" }, false, "sms_window_start", `"8am" is not a time`},
		{"bad end time", func(f *settings.Form) { f.SMSEnd = "25:00" }, false, "sms_window_end", `"25:00" is not a time`},
		{"end before start", func(f *settings.Form) { f.SMSStart, f.SMSEnd = "20:00", "08:00" }, false, "sms_window_end", "08:00 is not after the start 20:00"},
		{"no day", func(f *settings.Form) { f.SMSDays = nil }, false, "sms_days", "has no day"},
		{"unknown day", func(f *settings.Form) { f.SMSDays = []string{"mon", "funday"} }, false, "sms_days", `"funday" is not a day`},
		{"empty retry schedule", func(f *settings.Form) { f.RetrySchedule = " , " }, false, "retry_schedule", "is empty"},
		{"bad retry", func(f *settings.Form) { f.RetrySchedule = "1m, soon" }, false, "retry_schedule", `"soon" is not a duration`},
		{"retry too short", func(f *settings.Form) { f.RetrySchedule = "1s" }, false, "retry_schedule", "1s is out of range"},
		{"bad alert email", func(f *settings.Form) { f.AlertEmails = "ops@reyes.example, not-an-address" }, false, "alert_emails", `"not-an-address" is not an e-mail address`},
		{"named alert email", func(f *settings.Form) { f.AlertEmails = "Ops <ops@reyes.example>" }, false, "alert_emails", "is not an e-mail address"},
		{"webhook not a URL", func(f *settings.Form) { f.AlertWebhook = "hooks.slack.com/x" }, false, "alert_webhook_url", "not an absolute http(s) URL"},
		{"http webhook in prod", func(f *settings.Form) { f.AlertWebhook = "http://hooks.example/x" }, true, "alert_webhook_url", "must start with https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodForm()
			tt.edit(&f)
			_, err := settings.Parse(f, settings.Options{RequireHTTPS: tt.prod, Region: "US"})
			var fs derrors.Fields
			if !errors.As(err, &fs) || !errors.Is(err, derrors.InvalidArgument) {
				t.Fatalf("err = %v, want derrors.Fields", err)
			}
			for _, fe := range fs {
				if fe.Field == tt.field && strings.Contains(fe.Problem, tt.problem) && fe.Fix != "" {
					return
				}
			}
			t.Errorf("errors %v: none on %s containing %q with a fix", err, tt.field, tt.problem)
		})
	}
	// An http webhook is fine outside production (local tools, tests).
	f := goodForm()
	f.AlertWebhook = "http://127.0.0.1:9999/hook"
	if _, err := settings.Parse(f, settings.Options{Region: "US"}); err != nil {
		t.Errorf("http webhook in dev: %v", err)
	}
}

func TestStoreDefaultsSaveAuditAndCache(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	clk := clock.NewFake(t0)
	s := settings.New(db, clk, defaults, settings.Options{TTL: 30 * time.Second})
	other := settings.New(db, clk, defaults, settings.Options{TTL: 30 * time.Second}) // another process

	got, err := s.Get(ctx)
	if err != nil || got.Saved || got.FirmName != "Env Law" {
		t.Fatalf("Get before any save = %+v, %v; want the environment's values, not saved", got, err)
	}
	if v, _ := other.Current(ctx); v.FirmName != "Env Law" { // warms other's cache
		t.Fatalf("other.Current = %q", v.FirmName)
	}

	if _, err := s.Save(ctx, goodForm(), "Ada Admin <ada@firm.test>"); err != nil {
		t.Fatalf("Save: %v", err)
	}
	v, err := s.Current(ctx)
	if err != nil || v.FirmName != "Reyes & Partners" || v.SMSStart != 9*time.Hour {
		t.Errorf("Current after Save in the same process = %+v, %v; want the saved values at once", v, err)
	}
	if v, _ := other.Current(ctx); v.FirmName != "Env Law" {
		t.Errorf("another process's cache = %q before its TTL, want the cached Env Law", v.FirmName)
	}
	clk.Advance(31 * time.Second)
	if v, _ := other.Current(ctx); v.FirmName != "Reyes & Partners" {
		t.Errorf("another process after the TTL = %q, want the saved value", v.FirmName)
	}
	sv, err := s.Get(ctx)
	if err != nil || !sv.Saved || sv.UpdatedBy != "Ada Admin <ada@firm.test>" || !sv.UpdatedAt.Equal(t0) {
		t.Errorf("Get after save = saved %v by %q at %v, %v", sv.Saved, sv.UpdatedBy, sv.UpdatedAt, err)
	}

	var actor, details string
	if err := db.Pool.QueryRow(ctx, `SELECT actor, details::text FROM audit_log WHERE action = 'settings.update'`).Scan(&actor, &details); err != nil {
		t.Fatalf("audit row: %v", err)
	}
	var d struct {
		Changed       []string
		Before, After map[string]string
	}
	if err := json.Unmarshal([]byte(details), &d); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.Changed, "sms_window_start") || d.Before["firm_name"] != "Env Law" || d.After["firm_name"] != "Reyes & Partners" {
		t.Errorf("audit details = %s, want the changed fields with before and after", details)
	}
	if strings.Contains(details, "secret") || d.After["alert_webhook_url"] != "https://hooks.slack.example/…" {
		t.Errorf("audit details show the webhook secret or not its host: %s", details)
	}

	// A rejected save changes nothing and audits nothing.
	bad := goodForm()
	bad.SMSEnd = "07:00"
	if _, err := s.Save(ctx, bad, "Ada"); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("bad save err = %v, want InvalidArgument", err)
	}
	var n int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'settings.update'`).Scan(&n)
	if n != 1 {
		t.Errorf("audit rows = %d after a rejected save, want 1", n)
	}
}

func TestCurrentFallsBackWhenTheDatabaseIsGone(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	clk := clock.NewFake(t0)
	s := settings.New(db, clk, defaults, settings.Options{TTL: time.Second})
	if _, err := s.Save(ctx, goodForm(), "Ada"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Current(ctx); err != nil || v.FirmName != "Reyes & Partners" {
		t.Fatalf("Current = %q, %v", v.FirmName, err)
	}
	db.Close()
	clk.Advance(2 * time.Second)
	v, err := s.Current(ctx)
	if err == nil {
		t.Fatal("Current with a closed database returned no error")
	}
	if v.FirmName != "Reyes & Partners" {
		t.Errorf("fallback = %q, want the last values read", v.FirmName)
	}
}

// TestClearedValuesOverrideTheEnvironment checks that saving no alert
// recipients and no webhook means none, not "the environment's again".
func TestClearedValuesOverrideTheEnvironment(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	env := defaults
	env.AlertWebhook = "https://hooks.env.example/x"
	s := settings.New(db, clock.NewFake(t0), env, settings.Options{})
	f := goodForm()
	f.AlertEmails, f.AlertWebhook = "", ""
	if _, err := s.Save(ctx, f, "Ada"); err != nil {
		t.Fatal(err)
	}
	v, err := s.Current(ctx)
	if err != nil || len(v.AlertEmails) != 0 || v.AlertWebhook != "" {
		t.Errorf("after clearing: emails %v webhook %q (%v), want none", v.AlertEmails, v.AlertWebhook, err)
	}
}
