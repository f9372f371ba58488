package sendgrid_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/app/delivery/sendgrid"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newSender(t *testing.T, fake *providertest.FakeSendGrid, timeout time.Duration) *sendgrid.Sender {
	t.Helper()
	s, err := sendgrid.New(sendgrid.Config{
		APIKey:    providertest.SendGridAPIKey,
		BaseURL:   fake.URL,
		FromEmail: "notices@firm.example",
		FromName:  "Smith & Jones LLP",
		Timeout:   timeout,
		Now:       func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func email(id int64) delivery.Outgoing {
	return delivery.Outgoing{
		MessageID: id, Channel: delivery.ChannelEmail, To: "client@example.com",
		Subject: "Your court date", Text: "See you on Monday.", HTML: "<p>See you on Monday.</p>",
		IdempotencyKey: "k-" + strconv.FormatInt(id, 10),
	}
}

func TestSendSuccess(t *testing.T) {
	fake := providertest.NewSendGrid(t)
	s := newSender(t, fake, time.Second)

	got, err := s.Send(context.Background(), email(42))
	if err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	sends := fake.Sends()
	if len(sends) != 1 {
		t.Fatalf("fake recorded %d sends, want 1", len(sends))
	}
	want := delivery.Receipt{Provider: "sendgrid", ProviderID: sends[0].ProviderID, Status: "accepted"}
	if got != want || got.ProviderID == "" {
		t.Errorf("Send() = %+v, want %+v with a provider id", got, want)
	}
	rec := sends[0]
	if rec.HeraldMessageID != 42 || rec.CustomArgs[sendgrid.MessageIDArg] != "42" || len(rec.CustomArgs) != 1 {
		t.Errorf("custom_args = %v, want only %s=42", rec.CustomArgs, sendgrid.MessageIDArg)
	}
	if strings.Join(rec.To, ",") != "client@example.com" || rec.From != "notices@firm.example" ||
		rec.Subject != "Your court date" || rec.Text == "" || rec.HTML == "" {
		t.Errorf("recorded send = %+v, want the message's fields", rec)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name        string
		step        providertest.Step
		apiKey      string // overrides the sender's key when set
		wantClass   delivery.Class
		wantStatus  int
		wantReason  string // substring
		wantFix     string // substring
		wantRetryIn time.Duration
	}{
		{
			name:       "400 uses SendGrid's message",
			step:       providertest.SendGridError(400, "The from email does not contain a valid address.", "from.email"),
			wantClass:  delivery.Permanent,
			wantStatus: 400,
			wantReason: "from.email: The from email does not contain a valid address.",
		},
		{
			name:       "401 from a bad key",
			apiKey:     "SG.wrong",
			wantClass:  delivery.Permanent,
			wantStatus: 401,
			wantReason: "SendGrid API key rejected",
			wantFix:    "SENDGRID_API_KEY",
		},
		{
			name:       "403",
			step:       providertest.SendGridError(403, "The from address does not match a verified Sender Identity.", "from"),
			wantClass:  delivery.Permanent,
			wantStatus: 403,
			wantReason: "verified Sender Identity",
		},
		{
			name:       "413",
			step:       providertest.SendGridError(413, "The JSON payload you have included in your request is too large.", ""),
			wantClass:  delivery.Permanent,
			wantStatus: 413,
			wantReason: "message too large",
			wantFix:    "shorten the template",
		},
		{
			name:        "429 honours Retry-After",
			step:        providertest.SendGridRateLimited(30*time.Second, now),
			wantClass:   delivery.Transient,
			wantStatus:  429,
			wantRetryIn: 30 * time.Second,
		},
		{
			name: "429 with only X-RateLimit-Reset",
			step: providertest.SendGridError(429, "too many requests", "").
				WithHeader("X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Minute).Unix(), 10)),
			wantClass:   delivery.Transient,
			wantStatus:  429,
			wantRetryIn: time.Minute,
		},
		{
			name:       "503 with a non-JSON body",
			step:       providertest.Step{Status: 503, Body: "<html>Service Unavailable</html>"},
			wantClass:  delivery.Transient,
			wantStatus: 503,
		},
		{
			name:       "500",
			step:       providertest.SendGridError(500, "internal error", ""),
			wantClass:  delivery.Transient,
			wantStatus: 500,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := providertest.NewSendGrid(t)
			fake.Enqueue(tt.step)
			cfg := sendgrid.Config{APIKey: providertest.SendGridAPIKey, BaseURL: fake.URL,
				FromEmail: "notices@firm.example", Now: func() time.Time { return now }}
			if tt.apiKey != "" {
				cfg.APIKey = tt.apiKey
			}
			s, err := sendgrid.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(context.Background(), email(7))
			var se *delivery.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send() error = %v, want a *delivery.SendError", err)
			}
			if se.Class != tt.wantClass || se.HTTPStatus != tt.wantStatus || se.Provider != "sendgrid" {
				t.Errorf("Send() = class %q status %d provider %q, want %q %d sendgrid", se.Class, se.HTTPStatus, se.Provider, tt.wantClass, tt.wantStatus)
			}
			if !strings.Contains(se.Reason, tt.wantReason) {
				t.Errorf("Reason = %q, want it to contain %q", se.Reason, tt.wantReason)
			}
			if !strings.Contains(se.SuggestedFix, tt.wantFix) {
				t.Errorf("SuggestedFix = %q, want it to contain %q", se.SuggestedFix, tt.wantFix)
			}
			if se.RetryAfter != tt.wantRetryIn {
				t.Errorf("RetryAfter = %v, want %v", se.RetryAfter, tt.wantRetryIn)
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
		setup     func(*providertest.FakeSendGrid)
		wantClass delivery.Class
		wantSent  int // messages the provider really sent
	}{
		{"connection refused", func(f *providertest.FakeSendGrid) { f.Close() }, delivery.Transient, 0},
		{"hang after request written", func(f *providertest.FakeSendGrid) { f.Enqueue(providertest.Step{Behavior: providertest.Hang}) }, delivery.OutcomeUnknown, 0},
		{"accept then hang", func(f *providertest.FakeSendGrid) {
			f.Enqueue(providertest.Step{Behavior: providertest.AcceptThenHang})
		}, delivery.OutcomeUnknown, 1},
		{"accept then reset", func(f *providertest.FakeSendGrid) {
			f.Enqueue(providertest.Step{Behavior: providertest.AcceptThenReset})
		}, delivery.OutcomeUnknown, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := providertest.NewSendGrid(t)
			s := newSender(t, fake, 200*time.Millisecond)
			tt.setup(fake)
			_, err := s.Send(context.Background(), email(9))
			if got := delivery.Classify(err); got == nil || got.Class != tt.wantClass {
				t.Fatalf("Send() error = %v, want class %q", err, tt.wantClass)
			}
			if got := len(fake.Sends()); got != tt.wantSent {
				t.Errorf("fake recorded %d sends, want %d", got, tt.wantSent)
			}
		})
	}
}

func TestSendRejectsBeforeSending(t *testing.T) {
	fake := providertest.NewSendGrid(t)
	s := newSender(t, fake, time.Second)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	sms := email(1)
	sms.Channel = delivery.ChannelSMS
	sms.Body = "hi"
	tests := []struct {
		name string
		ctx  context.Context
		m    delivery.Outgoing
		want delivery.Class
	}{
		{"sms to the email sender", context.Background(), sms, delivery.Permanent},
		{"no content", context.Background(), delivery.Outgoing{Channel: delivery.ChannelEmail, To: "a@example.com", Subject: "s"}, delivery.Permanent},
		{"context already cancelled", cancelled, email(1), delivery.Transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Send(tt.ctx, tt.m)
			if got := delivery.Classify(err); got == nil || got.Class != tt.want {
				t.Errorf("Send() error = %v, want class %q", err, tt.want)
			}
		})
	}
	if st := fake.Stats(); st.Requests != 0 {
		t.Errorf("fake saw %d requests, want 0", st.Requests)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     sendgrid.Config
		wantErr string
	}{
		{"ok", sendgrid.Config{APIKey: "k", FromEmail: "a@b.example"}, ""},
		{"no key", sendgrid.Config{FromEmail: "a@b.example"}, "SENDGRID_API_KEY"},
		{"bad from", sendgrid.Config{APIKey: "k", FromEmail: "nobody"}, "from address"},
		{"bad base url", sendgrid.Config{APIKey: "k", FromEmail: "a@b.example", BaseURL: "api.sendgrid.com"}, "SENDGRID_BASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
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

var _ delivery.Sender = (*sendgrid.Sender)(nil)
