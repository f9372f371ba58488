package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app/settings"
)

func settingsForm() url.Values {
	return url.Values{
		"firm_name": {"Reyes & Partners"}, "firm_phone": {"(312) 555-0199"}, "email_from_name": {"Reyes & Partners"},
		"portal_url": {"https://portal.reyes.example"}, "sms_window_start": {"09:00"}, "sms_window_end": {"19:00"},
		"sms_days": {"mon", "tue", "wed", "thu", "fri"}, "retry_schedule": {"2m, 10m"},
		"alert_emails": {"ops@reyes.example\nlead@reyes.example"}, "alert_webhook_url": {"https://hooks.slack.example/services/T/B/x"},
	}
}

func TestSettingsScreenSavesAndServicesSeeIt(t *testing.T) {
	e := newPortal(t, withEditors(settings.Options{}))
	admin := e.browser()
	admin.signIn("Ada Admin", "admin")

	resp, doc := admin.get("/settings")
	if resp.StatusCode != 200 || !strings.Contains(text(doc, `[data-testid="settings-source"]`), "Nothing saved yet") {
		t.Fatalf("settings = %d %q, want the environment's values, not saved yet", resp.StatusCode, text(doc, `[data-testid="settings-source"]`))
	}
	if v := doc.Find(`input[name="firm_name"]`).AttrOr("value", ""); v != "Test Law" {
		t.Errorf("firm name shown = %q, want the environment's Test Law", v)
	}
	if doc.Find(`input[name="sms_days"][checked]`).Length() != 7 {
		t.Errorf("%d days ticked, want every day", doc.Find(`input[name="sms_days"][checked]`).Length())
	}

	resp, _ = admin.post("/settings", settingsForm())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings?done=settings-saved" {
		t.Fatalf("save = %d %s, want 303 to the confirmation", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = admin.get("/settings?done=settings-saved")
	if !strings.Contains(text(doc, `[data-testid="settings-source"]`), "Last saved by Ada Admin") {
		t.Errorf("source = %q, want who saved it", text(doc, `[data-testid="settings-source"]`))
	}
	if got := text(doc, ".brand .firm"); got != "Reyes & Partners" {
		t.Errorf("portal header firm = %q, want the saved name", got)
	}
	if doc.Find(`input[name="sms_days"][checked]`).Length() != 5 || doc.Find(`#day-sat[checked]`).Length() != 0 {
		t.Error("the saved weekdays are not the ticked ones")
	}
	if got := e.scalar(`SELECT sms_window_start || '-' || sms_window_end || ' ' || array_to_string(retry_schedule_seconds, ',') || ' ' ||
		array_to_string(alert_emails, ',') FROM firm_settings`); got != "540-1140 120,600 ops@reyes.example,lead@reyes.example" {
		t.Errorf("stored = %v", got)
	}
	if n := e.scalar(`SELECT count(*) FROM audit_log WHERE action = 'settings.update' AND actor LIKE 'Ada Admin%'`); n != int64(1) {
		t.Errorf("%v settings.update audit rows, want 1", n)
	}

	// The template preview renders with the saved firm values.
	tplID := seedTemplates(t, e)
	caseID, _ := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	resp, doc = admin.post(idURL("/templates/%d/preview", tplID), url.Values{"case_id": {itoa(caseID)},
		"sms": {"{{ firm_name }} {{ firm_phone }} {{ portal_link }}"}})
	if got := text(doc, "body"); resp.StatusCode != 200 || !strings.Contains(got, "Reyes & Partners (312) 555-0199 https://portal.reyes.example") {
		t.Errorf("preview = %d %q, want the saved firm values", resp.StatusCode, got)
	}
}

func TestSettingsFormShowsFieldErrors(t *testing.T) {
	e := newPortal(t, withEditors(settings.Options{RequireHTTPS: true}))
	admin := e.browser()
	admin.signIn("Ada Admin", "admin")
	tests := []struct {
		name  string
		edit  url.Values
		field string
		want  string
	}{
		{"bad time", url.Values{"sms_window_start": {"8am"}}, "sms_window_start", `"8am" is not a time`},
		{"end before start", url.Values{"sms_window_start": {"20:00"}, "sms_window_end": {"08:00"}}, "sms_window_end", "08:00 is not after the start 20:00"},
		{"no day", url.Values{"sms_days": nil}, "sms_days", "Has no day"},
		{"invalid email", url.Values{"alert_emails": {"ops@reyes.example, ops-at-reyes"}}, "alert_emails", `"ops-at-reyes" is not an e-mail address`},
		{"http webhook in prod", url.Values{"alert_webhook_url": {"http://hooks.example/x"}}, "alert_webhook_url", "Must start with https:// in production"},
		{"bad retry", url.Values{"retry_schedule": {"1m, later"}}, "retry_schedule", `"later" is not a duration`},
		{"missing firm name", url.Values{"firm_name": {""}}, "firm_name", "Is required"},
		{"bad phone", url.Values{"firm_phone": {"ask reception"}}, "firm_phone", "is not a phone number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := settingsForm()
			for k, v := range tt.edit {
				if v == nil {
					form.Del(k)
				} else {
					form[k] = v
				}
			}
			resp, doc := admin.post("/settings", form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422", resp.StatusCode)
			}
			if got := text(doc, `[data-testid="error-`+tt.field+`"]`); !strings.Contains(got, tt.want) {
				t.Errorf("error on %s = %q, want it to contain %q", tt.field, got, tt.want)
			}
			if v, ok := tt.edit["alert_emails"]; ok && doc.Find(`textarea[name="alert_emails"]`).Text() != v[0] {
				t.Error("the form lost what was typed")
			}
		})
	}
	if n := e.scalar(`SELECT count(*) FROM firm_settings`); n != int64(0) {
		t.Errorf("%v settings rows after rejected saves, want 0", n)
	}
}
