package delivery

import (
	"errors"
	"testing"
)

func TestOutgoingValidate(t *testing.T) {
	tests := []struct {
		name    string
		m       Outgoing
		wantErr bool
	}{
		{"email ok", Outgoing{Channel: ChannelEmail, To: "a@example.com", Subject: "s", Text: "t"}, false},
		{"email html only", Outgoing{Channel: ChannelEmail, To: "a@example.com", Subject: "s", HTML: "<p>t</p>"}, false},
		{"email no subject", Outgoing{Channel: ChannelEmail, To: "a@example.com", Text: "t"}, true},
		{"email no content", Outgoing{Channel: ChannelEmail, To: "a@example.com", Subject: "s"}, true},
		{"sms ok", Outgoing{Channel: ChannelSMS, To: "+15551234567", Body: "hi"}, false},
		{"sms no body", Outgoing{Channel: ChannelSMS, To: "+15551234567"}, true},
		{"no recipient", Outgoing{Channel: ChannelSMS, Body: "hi"}, true},
		{"unknown channel", Outgoing{Channel: "fax", To: "x", Body: "hi"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate()
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("Validate() = %v, want it to wrap ErrInvalidMessage", err)
			}
		})
	}
}
