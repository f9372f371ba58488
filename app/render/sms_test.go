package render

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	tests := []struct {
		name         string
		text         string
		wantSegments int
		wantEncoding string
	}{
		{"empty", "", 0, EncodingGSM7},
		{"short GSM", "Hello Maria, see you Monday @ 9:30.", 1, EncodingGSM7},
		{"GSM 160", strings.Repeat("a", 160), 1, EncodingGSM7},
		{"GSM 161", strings.Repeat("a", 161), 2, EncodingGSM7},
		{"GSM 306", strings.Repeat("a", 306), 2, EncodingGSM7},
		{"GSM 307", strings.Repeat("a", 307), 3, EncodingGSM7},
		{"GSM accents in basic table", "èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüà¿¡§£¥", 1, EncodingGSM7},
		{"extension chars count 2: 80 euros = 160", strings.Repeat("€", 80), 1, EncodingGSM7},
		{"extension chars count 2: 81 euros = 162", strings.Repeat("€", 81), 2, EncodingGSM7},
		{"extension pair not split across segments", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 10), 2, EncodingGSM7},
		{"extension pair pushed to next segment", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 152), 3, EncodingGSM7},
		{"all extension chars", "^{}\\[~]|€", 1, EncodingGSM7},
		{"UCS-2 70", strings.Repeat("á", 70), 1, EncodingUCS2},
		{"UCS-2 71", strings.Repeat("á", 71), 2, EncodingUCS2},
		{"UCS-2 134", strings.Repeat("ó", 134), 2, EncodingUCS2},
		{"UCS-2 135", strings.Repeat("ó", 135), 3, EncodingUCS2},
		{"one non-GSM char switches all", strings.Repeat("a", 69) + "í", 1, EncodingUCS2},
		{"one non-GSM char in 71", strings.Repeat("a", 70) + "í", 2, EncodingUCS2},
		{"emoji is two UTF-16 units", strings.Repeat("a", 68) + "🙂", 1, EncodingUCS2},
		{"emoji over the limit", strings.Repeat("a", 69) + "🙂", 2, EncodingUCS2},
		{"smart quote is not GSM", "It’s", 1, EncodingUCS2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotN, gotEnc := Segments(tt.text)
			if gotN != tt.wantSegments || gotEnc != tt.wantEncoding {
				t.Errorf("Segments(%q) = %d, %s; want %d, %s", tt.text, gotN, gotEnc, tt.wantSegments, tt.wantEncoding)
			}
		})
	}
}
