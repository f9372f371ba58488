package telemetry

import "testing"

func TestMasking(t *testing.T) {
	tests := []struct {
		in, want string
		fn       func(string) string
	}{
		{"+13125550134", "+1********34", MaskPhone},
		{"+447700900123", "+4*********23", MaskPhone},
		{"123", "***", MaskPhone},
		{"jane.doe@gmail.com", "j***@gmail.com", MaskEmail},
		{"@nowhere", "********", MaskEmail},
		{"jane@example.com", "j***@example.com", MaskAddress},
		{"+13125550134", "+1********34", MaskAddress},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
