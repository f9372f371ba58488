package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load(empty) error = %v, want nil", err)
	}
	checks := []struct {
		name, got, want string
	}{
		{"Env", c.Env, "dev"},
		{"HTTPAddr", c.HTTPAddr, "127.0.0.1:8080"},
		{"DatabaseURL", c.DatabaseURL, "postgres://postgres@127.0.0.1:5432/herald?sslmode=disable"},
		{"RedisURL", c.RedisURL, "redis://127.0.0.1:6379/0"},
		{"FirmTimezone", c.FirmTimezone, "America/Chicago"},
		{"DefaultRegion", c.DefaultRegion, "US"},
		{"Delivery", c.Delivery, "sandbox"},
		{"SendGridBaseURL", c.SendGridBaseURL, "https://api.sendgrid.com"},
		{"TwilioBaseURL", c.TwilioBaseURL, "https://api.twilio.com"},
		{"SMSWindow", c.SMSWindow.String(), "08:00-21:00"},
		{"PublicURL", c.PublicURL, "http://127.0.0.1:8080"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	if want := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute}; len(c.RetrySchedule) != 3 || c.RetrySchedule[0] != want[0] || c.RetrySchedule[2] != want[2] {
		t.Errorf("RetrySchedule = %v, want %v", c.RetrySchedule, want)
	}
	if c.SettleDelay != 10*time.Minute {
		t.Errorf("SettleDelay = %v, want 10m", c.SettleDelay)
	}
	if c.SweepGrace != 30*time.Second || c.SendLease != 5*time.Minute || c.ReconcileGrace != 10*time.Minute {
		t.Errorf("SweepGrace, SendLease, ReconcileGrace = %v, %v, %v; want 30s, 5m, 10m", c.SweepGrace, c.SendLease, c.ReconcileGrace)
	}
	if !c.DevLogin {
		t.Errorf("DevLogin = false, want true by default in dev")
	}
	if c.WebhookMaxBody != 1<<20 {
		t.Errorf("WebhookMaxBody = %d, want 1 MiB", c.WebhookMaxBody)
	}
}

func TestLoadWebhookSecrets(t *testing.T) {
	c, err := Load(env(map[string]string{"HERALD_WEBHOOK_SECRET_GENERIC": "old, new"}))
	if err != nil {
		t.Fatal(err)
	}
	got := c.WebhookSecrets["generic"]
	if len(got) != 2 || got[0] != "old" || got[1] != "new" {
		t.Errorf("WebhookSecrets[generic] = %v, want [old new]", got)
	}
}

func TestLiveDeliveryWhenKeysPresent(t *testing.T) {
	c, err := Load(env(map[string]string{
		"SENDGRID_API_KEY": "SG.x", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
		"TWILIO_FROM_NUMBER": "+13125550100", "HERALD_EMAIL_FROM": "firm@example.com",
	}))
	if err != nil {
		t.Fatalf("Load error = %v", err)
	}
	if c.Delivery != DeliveryLive {
		t.Errorf("Delivery = %q, want live when provider keys are set", c.Delivery)
	}
}

// TestValidateEachVariable checks each bad variable yields its own message
// naming the variable.
func TestValidateEachVariable(t *testing.T) {
	prodOK := map[string]string{
		"HERALD_ENV": "prod", "HERALD_SESSION_SECRET": strings.Repeat("s", 32), "HERALD_DEV_LOGIN": "false",
		"HERALD_DELIVERY": "live", "SENDGRID_API_KEY": "SG.x", "HERALD_EMAIL_FROM": "firm@example.com",
		"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "+13125550100",
		"SENDGRID_WEBHOOK_PUBLIC_KEY": "MFkw", "HERALD_WEBHOOK_SECRET_GENERIC": "s",
		"HERALD_OIDC_CLIENT_ID": "id", "HERALD_OIDC_DISCOVERY_URL": "https://idp.example.com/.well-known/openid-configuration",
		"HERALD_ALLOWED_DOMAINS": "example-law.com", "HERALD_PUBLIC_URL": "https://herald.example-law.com",
	}
	if _, err := Load(env(prodOK)); err != nil {
		t.Fatalf("valid prod config rejected: %v", err)
	}
	tests := []struct {
		name    string
		base    map[string]string
		set     map[string]string
		wantVar string
		wantMsg string
	}{
		{"bad env", nil, map[string]string{"HERALD_ENV": "staging"}, "HERALD_ENV", "use dev or prod"},
		{"bad addr", nil, map[string]string{"HERALD_HTTP_ADDR": "localhost"}, "HERALD_HTTP_ADDR", "host:port"},
		{"bad public url", nil, map[string]string{"HERALD_PUBLIC_URL": "herald.local"}, "HERALD_PUBLIC_URL", "absolute"},
		{"bad database url", nil, map[string]string{"HERALD_DATABASE_URL": "mysql://x"}, "HERALD_DATABASE_URL", "postgres://"},
		{"bad redis url", nil, map[string]string{"HERALD_REDIS_URL": "http://x"}, "HERALD_REDIS_URL", "redis://"},
		{"bad timezone", nil, map[string]string{"HERALD_FIRM_TIMEZONE": "Mars/Olympus"}, "HERALD_FIRM_TIMEZONE", "IANA"},
		{"bad region", nil, map[string]string{"HERALD_DEFAULT_REGION": "usa"}, "HERALD_DEFAULT_REGION", "two-letter"},
		{"bad delivery", nil, map[string]string{"HERALD_DELIVERY": "pigeon"}, "HERALD_DELIVERY", "sandbox or live"},
		{"live without sendgrid", nil, map[string]string{"HERALD_DELIVERY": "live"}, "SENDGRID_API_KEY", "required"},
		{"bad email from", nil, map[string]string{"HERALD_EMAIL_FROM": "firm"}, "HERALD_EMAIL_FROM", "not an email"},
		{"bad sendgrid base", nil, map[string]string{"SENDGRID_BASE_URL": "api.sendgrid.com"}, "SENDGRID_BASE_URL", "absolute"},
		{"bad twilio base", nil, map[string]string{"TWILIO_BASE_URL": "::"}, "TWILIO_BASE_URL", "absolute"},
		{"bad sms window", nil, map[string]string{"HERALD_SMS_WINDOW": "21:00-08:00"}, "HERALD_SMS_WINDOW", "ends before it starts"},
		{"garbled sms window", nil, map[string]string{"HERALD_SMS_WINDOW": "8am-9pm"}, "HERALD_SMS_WINDOW", "HH:MM"},
		{"bad sms days", nil, map[string]string{"HERALD_SMS_DAYS": "mon,funday"}, "HERALD_SMS_DAYS", "\"funday\" is not a day"},
		{"bad retry schedule", nil, map[string]string{"HERALD_RETRY_SCHEDULE": "1m,soon"}, "HERALD_RETRY_SCHEDULE", "\"soon\""},
		{"bad settle delay", nil, map[string]string{"HERALD_SETTLE_DELAY": "ten"}, "HERALD_SETTLE_DELAY", "duration"},
		{"negative settle delay", nil, map[string]string{"HERALD_SETTLE_DELAY": "-1m"}, "HERALD_SETTLE_DELAY", "negative"},
		{"short send lease", nil, map[string]string{"HERALD_SEND_LEASE": "5s"}, "HERALD_SEND_LEASE", "provider timeout"},
		{"short sweep grace", nil, map[string]string{"HERALD_SWEEP_GRACE": "0s"}, "HERALD_SWEEP_GRACE", "at least 1s"},
		{"bad reconcile grace", nil, map[string]string{"HERALD_RECONCILE_GRACE": "soon"}, "HERALD_RECONCILE_GRACE", "duration"},
		{"bad body limit", nil, map[string]string{"HERALD_WEBHOOK_MAX_BODY": "lots"}, "HERALD_WEBHOOK_MAX_BODY", "whole number"},
		{"tiny body limit", nil, map[string]string{"HERALD_WEBHOOK_MAX_BODY": "10"}, "HERALD_WEBHOOK_MAX_BODY", "out of range"},
		{"bad dev login", nil, map[string]string{"HERALD_DEV_LOGIN": "maybe"}, "HERALD_DEV_LOGIN", "true or false"},
		{"short session secret", nil, map[string]string{"HERALD_SESSION_SECRET": "short"}, "HERALD_SESSION_SECRET", "32 characters"},
		{"bad default role", nil, map[string]string{"HERALD_DEFAULT_STAFF_ROLE": "intern"}, "HERALD_DEFAULT_STAFF_ROLE", "not a role"},
		{"oidc without discovery", nil, map[string]string{"HERALD_OIDC_CLIENT_ID": "x"}, "HERALD_OIDC_DISCOVERY_URL", "required"},
		{"prod without session secret", prodOK, map[string]string{"HERALD_SESSION_SECRET": ""}, "HERALD_SESSION_SECRET", "required when HERALD_ENV=prod"},
		{"prod with dev login", prodOK, map[string]string{"HERALD_DEV_LOGIN": "true"}, "HERALD_DEV_LOGIN", "cannot be enabled"},
		{"prod with sandbox", prodOK, map[string]string{"HERALD_DELIVERY": "sandbox"}, "HERALD_DELIVERY", "not allowed when HERALD_ENV=prod"},
		{"prod without sendgrid key", prodOK, map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": ""}, "SENDGRID_WEBHOOK_PUBLIC_KEY", "required"},
		{"prod without cms secret", prodOK, map[string]string{"HERALD_WEBHOOK_SECRET_GENERIC": ""}, "HERALD_WEBHOOK_SECRET_<SOURCE>", "required"},
		{"prod without sign-in", prodOK, map[string]string{"HERALD_OIDC_CLIENT_ID": ""}, "HERALD_GOOGLE_CLIENT_ID", "sign-in provider"},
		{"prod without allowlist", prodOK, map[string]string{"HERALD_ALLOWED_DOMAINS": ""}, "HERALD_ALLOWED_DOMAINS", "allowlist"},
		{"prod over http", prodOK, map[string]string{"HERALD_PUBLIC_URL": "http://herald.example-law.com"}, "HERALD_PUBLIC_URL", "https"},
		{"short data key", nil, map[string]string{"HERALD_DATA_KEY": "short"}, "HERALD_DATA_KEY", "key 1 of 1 is 5 characters"},
		{"short old data key", nil, map[string]string{"HERALD_DATA_KEY": strings.Repeat("k", 32) + ",old"}, "HERALD_DATA_KEY", "key 2 of 2"},
		{"prod with Clio, no data key", prodOK, map[string]string{"CLIO_ACCESS_TOKEN": "tok"}, "HERALD_DATA_KEY", "required when HERALD_ENV=prod and CLIO_ACCESS_TOKEN is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range tt.base {
				m[k] = v
			}
			for k, v := range tt.set {
				m[k] = v
			}
			_, err := Load(env(m))
			if err == nil {
				t.Fatalf("Load(%v) = nil error, want one naming %s", tt.set, tt.wantVar)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error type %T, want *Error", err)
			}
			found := false
			for _, p := range ce.Problems {
				if strings.HasPrefix(p, tt.wantVar) && strings.Contains(p, tt.wantMsg) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems = %q, want one starting %q containing %q", ce.Problems, tt.wantVar, tt.wantMsg)
			}
		})
	}
}

func TestDataKeyList(t *testing.T) {
	dev, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := dev.DataKeyList(); len(got) != 1 || got[0] != DevDataKey {
		t.Errorf("dev without HERALD_DATA_KEY: DataKeyList = %q, want the public dev key", got)
	}
	k1, k2 := strings.Repeat("a", 32), strings.Repeat("b", 40)
	set, err := Load(env(map[string]string{"HERALD_DATA_KEY": k1 + ", " + k2}))
	if err != nil {
		t.Fatal(err)
	}
	if got := set.DataKeyList(); len(got) != 2 || got[0] != k1 || got[1] != k2 {
		t.Errorf("DataKeyList = %q, want both keys, the first first", got)
	}
	prod := Config{Env: EnvProd}
	if got := prod.DataKeyList(); len(got) != 0 {
		t.Errorf("prod without HERALD_DATA_KEY: DataKeyList = %q, want none (never the dev key)", got)
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"08:00-21:00", "08:00-21:00", false},
		{"8:00-20:30", "08:00-20:30", false},
		{"00:00-24:00", "00:00-24:00", false},
		{"21:00-08:00", "", true},
		{"0800-2100", "", true},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseWindow(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && w.String() != tt.want {
			t.Errorf("ParseWindow(%q) = %s, want %s", tt.in, w, tt.want)
		}
	}
}
