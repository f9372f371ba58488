package config

import (
	"strings"
	"testing"
	"time"
)

func TestEngagementSettings(t *testing.T) {
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.UnderperformMinSends != 50 || c.UnderperformOpenRate != 0.05 || c.UnderperformSMSDeliveryRate != 0.9 ||
		c.EscalateBefore != 24*time.Hour || c.CheckinLinkTTL != 14*24*time.Hour || c.SMSKeywordReplies != "twilio" {
		t.Errorf("defaults = %d %g %g %s %s %q; want 50, 0.05, 0.9, 24h, 336h, twilio", c.UnderperformMinSends, c.UnderperformOpenRate,
			c.UnderperformSMSDeliveryRate, c.EscalateBefore, c.CheckinLinkTTL, c.SMSKeywordReplies)
	}
	set := map[string]string{"HERALD_UNDERPERFORM_MIN_SENDS": "20", "HERALD_UNDERPERFORM_OPEN_RATE": "2.5%",
		"HERALD_UNDERPERFORM_SMS_DELIVERY_RATE": "95", "HERALD_ESCALATE_BEFORE": "36h", "HERALD_CHECKIN_LINK_TTL": "72h",
		"HERALD_SMS_KEYWORD_REPLIES": "herald"}
	c, err = Load(func(k string) string { return set[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.UnderperformMinSends != 20 || c.UnderperformOpenRate != 0.025 || c.UnderperformSMSDeliveryRate != 0.95 ||
		c.EscalateBefore != 36*time.Hour || c.CheckinLinkTTL != 72*time.Hour || c.SMSKeywordReplies != "herald" {
		t.Errorf("set = %+v", c)
	}

	tests := []struct{ name, value, wantVar, wantText string }{
		{"HERALD_UNDERPERFORM_MIN_SENDS", "0", "HERALD_UNDERPERFORM_MIN_SENDS", "at least 1"},
		{"HERALD_UNDERPERFORM_MIN_SENDS", "many", "HERALD_UNDERPERFORM_MIN_SENDS", "whole number"},
		{"HERALD_UNDERPERFORM_OPEN_RATE", "0%", "HERALD_UNDERPERFORM_OPEN_RATE", "out of range"},
		{"HERALD_UNDERPERFORM_OPEN_RATE", "five", "HERALD_UNDERPERFORM_OPEN_RATE", "not a percentage"},
		{"HERALD_UNDERPERFORM_SMS_DELIVERY_RATE", "120%", "HERALD_UNDERPERFORM_SMS_DELIVERY_RATE", "at most 100"},
		{"HERALD_ESCALATE_BEFORE", "10m", "HERALD_ESCALATE_BEFORE", "1h to 720h"},
		{"HERALD_ESCALATE_BEFORE", "a day", "HERALD_ESCALATE_BEFORE", "not a duration"},
		{"HERALD_CHECKIN_LINK_TTL", "2400h", "HERALD_CHECKIN_LINK_TTL", "1h to 2160h"},
		{"HERALD_SMS_KEYWORD_REPLIES", "both", "HERALD_SMS_KEYWORD_REPLIES", "use twilio"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Load(func(k string) string {
				if k == tt.name {
					return tt.value
				}
				return ""
			})
			if err == nil {
				t.Fatalf("Load accepted %s=%q", tt.name, tt.value)
			}
			var line string
			for _, p := range err.(*Error).Problems {
				if strings.HasPrefix(p, tt.wantVar+":") {
					line = p
				}
			}
			if !strings.Contains(line, tt.wantText) {
				t.Errorf("problems %q, want one for %s containing %q", err.(*Error).Problems, tt.wantVar, tt.wantText)
			}
		})
	}
}
