package sanitize

import (
	"slices"
	"testing"
)

func TestPhone(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string   // E.164 or "" for nil
		codes     []string // finding codes, in order
		sugg      string   // suggestion of the first finding
	}{
		{"empty", "", "", nil, ""},
		{"spaces only", "   ", "", nil, ""},
		{"paren 555 format", "(312) 555-0142", "+13125550142", nil, ""},
		{"real US dashes", "312-867-5309", "+13128675309", nil, ""},
		{"real US parens", "(312) 867-5309", "+13128675309", nil, ""},
		{"dots", "312.867.5309", "+13128675309", nil, ""},
		{"bare digits", "3128675309", "+13128675309", nil, ""},
		{"leading 1", "1-312-867-5309", "+13128675309", nil, ""},
		{"E.164", "+13128675309", "+13128675309", nil, ""},
		{"+1 spaced", "+1 312 867 5309", "+13128675309", nil, ""},
		{"cell paren label", "(312) 867-5309 (cell)", "+13128675309", nil, ""},
		{"Cell: prefix", "Cell: 312-867-5309", "+13128675309", nil, ""},
		{"mobile word", "mobile 312 867 5309", "+13128675309", nil, ""},
		{"c: prefix", "c: 312.867.5309", "+13128675309", nil, ""},
		{"extension x", "312-867-5309 x123", "+13128675309", nil, ""},
		{"extension ext.", "312-867-5309 ext. 5", "+13128675309", nil, ""},
		{"two slash", "312-867-5309 / 773-202-5862", "+13128675309", []string{CodeMultipleValues}, "+13128675309"},
		{"two or", "cell 312-867-5309 or home 773-202-5862", "+13128675309", []string{CodeMultipleValues}, "+13128675309"},
		{"two newline", "312-867-5309\n773-202-5862", "+13128675309", []string{CodeMultipleValues}, "+13128675309"},
		{"first invalid second valid", "123; 773-202-5862", "+17732025862", []string{CodeMultipleValues}, "+17732025862"},
		{"toll free", "1-800-275-2273", "", []string{CodeNotMobile}, "+18002752273"},
		{"premium", "1-900-555-0199", "", []string{CodeNotMobile}, "+19005550199"},
		{"UK landline", "+44 20 7946 0958", "", []string{CodeNotMobile}, "+442079460958"},
		{"UK mobile", "+44 7911 123456", "+447911123456", nil, ""},
		{"too short", "555-1234", "", []string{CodeInvalidPhone}, ""},
		{"letters", "call me maybe", "", []string{CodeInvalidPhone}, ""},
		{"placeholder N/A", "N/A", "", nil, ""},
		{"placeholder none", "none", "", nil, ""},
		{"placeholder call office", "Call Office", "", nil, ""},
		{"placeholder dash", "-", "", nil, ""},
		{"placeholder unknown", "unknown", "", nil, ""},
		{"placeholder TBD", "TBD", "", nil, ""},
		{"all invalid multiple", "123 / 456", "", []string{CodeInvalidPhone}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Phone(tt.raw, "US")
			gotE := ""
			if got.E164 != nil {
				gotE = *got.E164
			}
			if gotE != tt.want {
				t.Errorf("Phone(%q).E164 = %q, want %q", tt.raw, gotE, tt.want)
			}
			if codes := findingCodes(got.Findings); !slices.Equal(codes, tt.codes) {
				t.Errorf("Phone(%q) findings = %v, want %v", tt.raw, codes, tt.codes)
			}
			if len(got.Findings) > 0 && got.Findings[0].Suggestion != tt.sugg {
				t.Errorf("Phone(%q) suggestion = %q, want %q", tt.raw, got.Findings[0].Suggestion, tt.sugg)
			}
			for _, f := range got.Findings {
				if f.Raw != tt.raw {
					t.Errorf("Phone(%q) finding raw = %q, want the input", tt.raw, f.Raw)
				}
			}
		})
	}
}

func TestPhoneFormat(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"(312) 867-5309", "(ddd) ddd-dddd"},
		{"312-867-5309", "ddd-ddd-dddd"},
		{"+13128675309", PhoneFormatE164},
		{"+1 312 867 5309", PhoneFormatPlus},
		{"(312) 867-5309 (cell)", "(ddd) ddd-dddd with annotation"},
		{"312-867-5309 x12", "ddd-ddd-dddd with extension"},
		{"312-867-5309 / 773-202-5862", PhoneFormatMultiple},
		{"N/A", PhoneFormatPlaceholder},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Phone(tt.raw, "US").Format; got != tt.want {
			t.Errorf("Phone(%q).Format = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func findingCodes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}
