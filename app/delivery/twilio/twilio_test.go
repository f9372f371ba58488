package twilio_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/app/delivery/twilio"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func config(fake *providertest.FakeTwilio) twilio.Config {
	return twilio.Config{
		AccountSID: fake.AccountSID,
		AuthToken:  fake.AuthToken,
		FromNumber: "+15550006666",
		BaseURL:    fake.URL,
		PublicURL:  "https://herald.firm.example/",
		Timeout:    time.Second,
		Now:        func() time.Time { return now },
	}
}

func newSender(t *testing.T, cfg twilio.Config) *twilio.Sender {
	t.Helper()
	s, err := twilio.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sms(id int64) delivery.Outgoing {
	return delivery.Outgoing{MessageID: id, Channel: delivery.ChannelSMS, To: "+15551234567", Body: "Your hearing is Monday at 9am."}
}

func TestSendSuccess(t *testing.T) {
	tests := []struct {
		name       string
		service    string
		wantStatus string
	}{
		{"from number", "", "queued"},
		{"messaging service", "MG0123456789abcdef0123456789abcdef", "accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := providertest.NewTwilio(t)
			cfg := config(fake)
			cfg.MessagingServiceSID = tt.service
			got, err := newSender(t, cfg).Send(context.Background(), sms(42))
			if err != nil {
				t.Fatalf("Send() error = %v", err)
			}
			sends := fake.Sends()
			if len(sends) != 1 {
				t.Fatalf("fake recorded %d sends, want 1", len(sends))
			}
			rec := sends[0]
			want := delivery.Receipt{Provider: "twilio", ProviderID: rec.SID, Status: tt.wantStatus}
			if got != want || !strings.HasPrefix(got.ProviderID, "SM") || len(got.ProviderID) != 34 {
				t.Errorf("Send() = %+v, want %+v with an SM sid", got, want)
			}
			if wantCB := "https://herald.firm.example/webhooks/twilio/status?mid=42"; rec.StatusCallback != wantCB || rec.HeraldMessageID != 42 {
				t.Errorf("StatusCallback = %q (mid %d), want %q", rec.StatusCallback, rec.HeraldMessageID, wantCB)
			}
			if rec.To != "+15551234567" || rec.Body != sms(42).Body || rec.MessagingServiceSID != tt.service {
				t.Errorf("recorded send = %+v, want the message's fields", rec)
			}
			if tt.service == "" && rec.From != "+15550006666" {
				t.Errorf("From = %q, want the configured number", rec.From)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name         string
		step         providertest.Step
		to           string // overrides the recipient when set
		badToken     bool
		wantClass    delivery.Class
		wantCode     string
		wantFix      string // substring
		wantOptedOut bool
		wantRetryIn  time.Duration
	}{
		{name: "21211 from the fake's own validation", to: "+1555", wantClass: delivery.Permanent, wantCode: "21211", wantFix: "fix the client's mobile number"},
		{name: "21610 opted out", step: providertest.TwilioError(400, 21610, "Attempt to send to unsubscribed recipient"),
			wantClass: delivery.Permanent, wantCode: "21610", wantFix: "text START", wantOptedOut: true},
		{name: "21614 not mobile", step: providertest.TwilioError(400, 21614, "'To' number is not a valid mobile number"),
			wantClass: delivery.Permanent, wantCode: "21614", wantFix: "switch to email"},
		{name: "30006 landline", step: providertest.TwilioError(400, 30006, "Landline or unreachable carrier"),
			wantClass: delivery.Permanent, wantCode: "30006", wantFix: "switch to email or fix the number in the CMS"},
		{name: "20003 bad credentials", badToken: true, wantClass: delivery.Permanent, wantCode: "20003", wantFix: "TWILIO_AUTH_TOKEN"},
		{name: "20429 with Retry-After", step: providertest.TwilioRateLimited(20 * time.Second),
			wantClass: delivery.Transient, wantCode: "20429", wantRetryIn: 20 * time.Second},
		{name: "503 in Twilio's shape", step: providertest.TwilioError(503, 20503, "Service Unavailable"),
			wantClass: delivery.Transient, wantCode: "20503"},
		{name: "503 from a proxy", step: providertest.Step{Status: 503, Body: "<html>bad gateway</html>"}.WithHeader("Retry-After", "7"),
			wantClass: delivery.Transient, wantCode: "503", wantRetryIn: 7 * time.Second},
		{name: "unknown 4xx code keeps Twilio's message", step: providertest.TwilioError(400, 21999, "Something odd about +15551234567"),
			wantClass: delivery.Permanent, wantCode: "21999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := providertest.NewTwilio(t)
			fake.Enqueue(tt.step)
			cfg := config(fake)
			if tt.badToken {
				cfg.AuthToken = "wrongtoken"
			}
			m := sms(7)
			if tt.to != "" {
				m.To = tt.to
			}
			_, err := newSender(t, cfg).Send(context.Background(), m)
			var se *delivery.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send() error = %v, want a *delivery.SendError", err)
			}
			if se.Class != tt.wantClass || se.Code != tt.wantCode || se.Provider != "twilio" {
				t.Errorf("Send() = class %q code %q provider %q, want %q %q twilio", se.Class, se.Code, se.Provider, tt.wantClass, tt.wantCode)
			}
			if !strings.Contains(se.SuggestedFix, tt.wantFix) {
				t.Errorf("SuggestedFix = %q, want it to contain %q", se.SuggestedFix, tt.wantFix)
			}
			if se.OptedOut != tt.wantOptedOut {
				t.Errorf("OptedOut = %v, want %v", se.OptedOut, tt.wantOptedOut)
			}
			if se.RetryAfter != tt.wantRetryIn {
				t.Errorf("RetryAfter = %v, want %v", se.RetryAfter, tt.wantRetryIn)
			}
			if se.Reason == "" || strings.Contains(err.Error(), "1234567") {
				t.Errorf("error = %q, want a reason and no unmasked phone number", err)
			}
			if n := len(fake.Sends()); n != 0 {
				t.Errorf("fake recorded %d sends, want 0", n)
			}
		})
	}
}

func TestSendNetworkFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*providertest.FakeTwilio)
		wantClass delivery.Class
		wantSent  int
	}{
		{"connection refused", func(f *providertest.FakeTwilio) { f.Close() }, delivery.Transient, 0},
		{"hang after request written", func(f *providertest.FakeTwilio) { f.Enqueue(providertest.Step{Behavior: providertest.Hang}) }, delivery.OutcomeUnknown, 0},
		{"accept then hang", func(f *providertest.FakeTwilio) { f.Enqueue(providertest.Step{Behavior: providertest.AcceptThenHang}) }, delivery.OutcomeUnknown, 1},
		{"reset after request written", func(f *providertest.FakeTwilio) { f.Enqueue(providertest.Step{Behavior: providertest.Reset}) }, delivery.OutcomeUnknown, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := providertest.NewTwilio(t)
			cfg := config(fake)
			cfg.Timeout = 200 * time.Millisecond
			s := newSender(t, cfg)
			tt.setup(fake)
			_, err := s.Send(context.Background(), sms(9))
			if got := delivery.Classify(err); got == nil || got.Class != tt.wantClass {
				t.Fatalf("Send() error = %v, want class %q", err, tt.wantClass)
			}
			if got := len(fake.Sends()); got != tt.wantSent {
				t.Errorf("fake recorded %d sends, want %d", got, tt.wantSent)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	fake := providertest.NewTwilio(t)
	s := newSender(t, config(fake))
	r, err := s.Send(context.Background(), sms(1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name               string
		status             string
		code               int
		wantStatus, wantEC string
	}{
		{"initial", "", 0, "queued", ""},
		{"delivered", "delivered", 0, "delivered", ""},
		{"undelivered landline", "undelivered", 30006, "undelivered", "30006"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.status != "" && !fake.SetStatus(r.ProviderID, tt.status, tt.code) {
				t.Fatalf("SetStatus(%q) found no message", r.ProviderID)
			}
			status, code, err := s.Lookup(context.Background(), r.ProviderID)
			if err != nil || status != tt.wantStatus || code != tt.wantEC {
				t.Errorf("Lookup() = %q, %q, %v; want %q, %q, nil", status, code, err, tt.wantStatus, tt.wantEC)
			}
		})
	}
	t.Run("unknown sid", func(t *testing.T) {
		_, _, err := s.Lookup(context.Background(), "SM00000000000000000000000000000000")
		if !errors.Is(err, twilio.ErrNotFound) {
			t.Errorf("Lookup() error = %v, want ErrNotFound", err)
		}
	})
}

func TestStatusCallbackURL(t *testing.T) {
	got := twilio.StatusCallbackURL("https://herald.example/", 12)
	u, err := url.Parse(got)
	if err != nil || u.Path != twilio.StatusCallbackPath || u.Query().Get(twilio.MessageIDParam) != "12" {
		t.Errorf("StatusCallbackURL() = %q, want path %s and mid=12", got, twilio.StatusCallbackPath)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := twilio.Config{AccountSID: "AC1", AuthToken: "t", FromNumber: "+15550006666"}
	tests := []struct {
		name    string
		edit    func(*twilio.Config)
		wantErr string
	}{
		{"ok", func(*twilio.Config) {}, ""},
		{"service instead of number", func(c *twilio.Config) { c.FromNumber, c.MessagingServiceSID = "", "MG1" }, ""},
		{"no sid", func(c *twilio.Config) { c.AccountSID = "" }, "TWILIO_ACCOUNT_SID"},
		{"no token", func(c *twilio.Config) { c.AuthToken = "" }, "TWILIO_AUTH_TOKEN"},
		{"no sender", func(c *twilio.Config) { c.FromNumber = "" }, "TWILIO_FROM_NUMBER"},
		{"number not E.164", func(c *twilio.Config) { c.FromNumber = "5550006666" }, "E.164"},
		{"relative base url", func(c *twilio.Config) { c.BaseURL = "localhost:8080" }, "TWILIO_BASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			err := cfg.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if (tt.wantErr == "") != (err == nil) || !strings.Contains(got, tt.wantErr) {
				t.Errorf("Validate() = %q, want error containing %q", got, tt.wantErr)
			}
		})
	}
}

var _ delivery.Sender = (*twilio.Sender)(nil)
