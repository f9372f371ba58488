package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/sandbox"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSend(t *testing.T) {
	tests := []struct {
		name         string
		m            delivery.Outgoing
		wantClass    delivery.Class // "" for success
		wantCode     string
		wantOptedOut bool
		wantRecorded bool
	}{
		{"email", delivery.Outgoing{MessageID: 1, Channel: "email", To: "client@example.com", Subject: "s", Text: "t"}, "", "", false, true},
		{"sms", delivery.Outgoing{MessageID: 2, Channel: "sms", To: "+15551234567", Body: "b"}, "", "", false, true},
		{"email fail-permanent", delivery.Outgoing{MessageID: 3, Channel: "email", To: "fail-permanent@example.com", Subject: "s", Text: "t"}, delivery.Permanent, "bounce", false, false},
		{"email fail-transient", delivery.Outgoing{MessageID: 4, Channel: "email", To: "Fail-Transient@example.com", Subject: "s", Text: "t"}, delivery.Transient, "503", false, false},
		{"email fail-unknown is recorded", delivery.Outgoing{MessageID: 5, Channel: "email", To: "fail-unknown@example.com", Subject: "s", Text: "t"}, delivery.OutcomeUnknown, "", false, true},
		{"fail-optout", delivery.Outgoing{MessageID: 6, Channel: "email", To: "fail-optout@example.com", Subject: "s", Text: "t"}, delivery.Permanent, "21610", true, false},
		{"twilio invalid number", delivery.Outgoing{MessageID: 7, Channel: "sms", To: "+15005550001", Body: "b"}, delivery.Permanent, "21211", false, false},
		{"twilio opted out", delivery.Outgoing{MessageID: 8, Channel: "sms", To: "+15005550004", Body: "b"}, delivery.Permanent, "21610", true, false},
		{"twilio not mobile", delivery.Outgoing{MessageID: 9, Channel: "sms", To: "+15005550009", Body: "b"}, delivery.Permanent, "21614", false, false},
		{"invalid message", delivery.Outgoing{MessageID: 10, Channel: "sms", To: "+15551234567"}, delivery.Permanent, "invalid_message", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sandbox.New(func() time.Time { return now })
			r, err := s.Send(context.Background(), tt.m)
			recorded := len(s.Sent()) == 1
			if recorded != tt.wantRecorded {
				t.Errorf("recorded = %v, want %v", recorded, tt.wantRecorded)
			}
			if tt.wantClass == "" {
				if err != nil {
					t.Fatalf("Send() error = %v", err)
				}
				if r.Provider != "sandbox" || r.Status != "delivered" || !strings.HasPrefix(r.ProviderID, "sandbox-") {
					t.Errorf("Send() = %+v, want a delivered sandbox receipt", r)
				}
				if got := s.Sent()[0]; got.Receipt != r || got.At != now {
					t.Errorf("Sent()[0] = %+v, want receipt %+v at %v", got, r, now)
				}
				return
			}
			var se *delivery.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send() error = %v, want a *delivery.SendError", err)
			}
			if se.Class != tt.wantClass || se.Code != tt.wantCode || se.OptedOut != tt.wantOptedOut {
				t.Errorf("Send() = class %q code %q optedOut %v, want %q %q %v", se.Class, se.Code, se.OptedOut, tt.wantClass, tt.wantCode, tt.wantOptedOut)
			}
			if se.Reason == "" {
				t.Errorf("Send() reason is empty")
			}
		})
	}
}

func TestDuplicates(t *testing.T) {
	s := sandbox.New(nil)
	m := delivery.Outgoing{MessageID: 1, Channel: "sms", To: "+15551234567", Body: "b", IdempotencyKey: "k1"}
	for range 2 {
		if _, err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	other := m
	other.MessageID, other.IdempotencyKey = 2, "k2"
	if _, err := s.Send(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if got := s.Duplicates(); got != 1 {
		t.Errorf("Duplicates() = %d, want 1", got)
	}
	s.Reset()
	if got := len(s.Sent()); got != 0 {
		t.Errorf("after Reset, len(Sent()) = %d, want 0", got)
	}
}

var _ delivery.Sender = (*sandbox.Sender)(nil)
