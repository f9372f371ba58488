package delivery_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery"
)

func TestWindowPolicyCheck(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	base := delivery.Window{Start: 8 * time.Hour, End: 21 * time.Hour}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	tests := []struct {
		name      string
		days      []time.Weekday
		now       string
		recipient string
		clientTZ  string
		wantOpen  bool
		wantNext  string
	}{
		{"chicago number mid-morning", nil, "2026-03-02T15:00:00Z", "+13125550134", "", true, ""},
		{"chicago number late evening", nil, "2026-03-03T03:30:00Z", "+13125550134", "", false, "2026-03-03T14:00:00Z"},
		{"chicago number before 8", nil, "2026-03-02T13:59:00Z", "+13125550134", "", false, "2026-03-02T14:00:00Z"},
		{"client zone beats the number", nil, "2026-03-02T15:00:00Z", "+13125550134", "America/Los_Angeles", false, "2026-03-02T16:00:00Z"},
		{"new york number at 20:30 local", nil, "2026-03-03T01:30:00Z", "+12125550134", "", true, ""},
		{"miami number at 20:30 local (Florida 20:00)", nil, "2026-03-03T01:30:00Z", "+13055550134", "", false, "2026-03-03T13:00:00Z"},
		{"miami number at 19:59 local", nil, "2026-03-03T00:59:00Z", "+13055550134", "", true, ""},
		{"unknown zone falls back to the firm", nil, "2026-03-02T13:30:00Z", "+999123456", "", false, "2026-03-02T14:00:00Z"},
		{"across the DST change", nil, "2026-03-08T04:00:00Z", "+13125550134", "", false, "2026-03-08T13:00:00Z"},
		{"weekend skipped", weekdays, "2026-03-07T15:00:00Z", "+13125550134", "", false, "2026-03-09T13:00:00Z"},
	}
	for _, tt := range tests {
		p := delivery.DefaultWindowPolicy(base, chicago)
		p.Days = tt.days
		open, next, desc := p.Check(utc(tt.now), tt.recipient, tt.clientTZ)
		if open != tt.wantOpen {
			t.Errorf("%s: open = %v (%s), want %v", tt.name, open, desc, tt.wantOpen)
			continue
		}
		if !open && !next.Equal(utc(tt.wantNext)) {
			t.Errorf("%s: next = %v, want %s (%s)", tt.name, next.UTC(), tt.wantNext, desc)
		}
	}
}
